"""scripts/analyze.py longrange end to end on a tiny trained run and baselines made here (n-gram traces of known
probabilities, untrained n-NNs with their real traces): every number recomputed from the trace files with plain
NumPy, the files, figures and plugin summaries, and each bad input as one line with exit code 2."""

import csv
import json
import os

import numpy as np
import pytest

from tests.baseline_helpers import write_baselines
from tests.training_helpers import error_line, run_script, tiny_config, write_tiny_corpus

pytestmark = pytest.mark.slow   # a real training run and script processes


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(run directory of a tiny LSTM trained on text with braces, its corpus, the n-gram folder, the n-NN folder)."""
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.training.trainer import Trainer

    folder = tmp_path_factory.mktemp("longrange")
    path = write_tiny_corpus(folder, characters=20_000)
    trainer = Trainer(tiny_config(path, folder, name="lstm", max_steps=10, eval_every=5), log=lambda m: None,
                      progress_bar=False)
    trainer.run()
    corpus = load_corpus(path)
    ngram, nn = write_baselines(corpus, str(folder))
    return trainer.run_dir, corpus, ngram, nn


def stack_distances(text):
    """(positions of '}' closing a '{', distances) by the plainest loop (this text has no comments or strings)."""
    stack, closes, distances = [], [], []
    for i, c in enumerate(text):
        if c == "{":
            stack.append(i)
        elif c == "}" and stack:
            closes.append(i)
            distances.append(i - stack.pop())
    return closes, distances


def test_longrange_numbers_files_and_summaries_agree_with_the_traces(setup, tmp_path):
    from karpathy_rnn.analysis.trace import Trace

    run, corpus, ngram, nn = setup
    out = tmp_path / "lr"
    done = run_script("analyze.py", "longrange", run, "--ngram", ngram, "--nn", nn, "--out", out, "--no-progress",
                      "--summary-chars", "500")
    assert done.returncode == 0, done.stderr[-3000:]
    model = Trace(out / "model" / "trace")
    text, ids = corpus.text("test"), corpus.split_ids("test")
    assert model.text == text
    traces = {"LSTM 2x12": np.asarray(model.probabilities)[np.arange(len(ids)), ids].astype(np.float64)}
    for name, folder in (("1-NN", "nn/tiny/n1"), ("2-NN", "nn/tiny/n2")):
        q = np.asarray(Trace(os.path.join(os.path.dirname(nn), folder, "trace_test")).probabilities)
        traces[name] = q[np.arange(len(ids)), ids].astype(np.float64)
    for n in (1, 3):
        traces[f"{n}-gram"] = np.asarray(Trace(os.path.join(ngram, "tiny", f"n{n}", "trace_test"))
                                         .target_probabilities, np.float64)
    losses = {name: -np.log(p).mean() for name, p in traces.items()}
    best_nn = min(("1-NN", "2-NN"), key=losses.get)
    best_ngram = min(("1-gram", "3-gram"), key=losses.get)
    numbers = json.load(open(out / "longrange.json"))
    assert numbers["models"]["LSTM 2x12"] == pytest.approx(losses["LSTM 2x12"])
    assert set(numbers["models"]) == {"LSTM 2x12", best_nn, best_ngram, "3-gram"}
    # Figure 4 left: each region counted by hand from the three error masks
    names = ["LSTM 2x12", best_nn, best_ngram]
    wrong = {name: traces[name] < 0.5 for name in names}
    for region in numbers["overlap"]["regions"]:
        mask = np.ones(len(ids), bool)
        for name in names:
            mask &= wrong[name] if name in region["models"] else ~wrong[name]
        assert region["count"] == int(mask.sum()), region
    assert sum(r["count"] for r in numbers["overlap"]["regions"]) == len(ids)
    # Figure 4 middle/right against the 20-gram stand-in (the longest n-gram: 3)
    rows = {row["character"]: row for row in csv.DictReader(open(out / "characters.csv"))}
    for k, char in enumerate(corpus.vocabulary.chars):
        where = ids == k
        if where.any():
            label = {" ": "<s>", "\n": "\\n"}.get(char, char)
            assert float(rows[label][f"mean p (LSTM 2x12)"]) == pytest.approx(traces["LSTM 2x12"][where].mean(), abs=1e-6)
            assert float(rows[label]["mean p (3-gram)"]) == pytest.approx(traces["3-gram"][where].mean(), abs=1e-6)
            assert int(rows[label]["count"]) == int(where.sum())
    lead = [r["label"] for r in numbers["characters"]["leaders"][0]]
    differences = {label: float(r["difference"]) for label, r in rows.items()}
    positive = sorted((d, label) for label, d in differences.items() if d > 0)[::-1]
    assert lead == [label for _, label in positive[:10]]
    # Figure 5 left: braces matched by a plain stack, bucketed by hand
    closes, distances = stack_distances(text)
    brace = list(csv.DictReader(open(out / "brace.csv")))
    near = [d <= 400 for d in distances]                # the default --brace-longest
    assert numbers["brace"]["braces"] == sum(near) > 0 and numbers["brace"]["farther"] == len(closes) - sum(near)
    assert len(brace) == max(d for d in distances if d <= 400) // 20 + (max(d for d in distances if d <= 400) % 20 > 0)
    for row in brace:
        low, high = int(row["distance from"]), int(row["to"])
        picked = [c for c, d in zip(closes, distances) if low <= d <= high]
        assert int(row["braces"]) == len(picked)
        if picked:
            assert float(row["mean p(}) (LSTM 2x12)"]) == pytest.approx(traces["LSTM 2x12"][picked].mean(), abs=1e-6)
            assert float(row["mean p(}) (3-gram)"]) == pytest.approx(traces["3-gram"][picked].mean(), abs=1e-6)
    for name in ("figure4_overlap.png", "figure4_characters.png", "figure5_brace.png", "report.md", "overlap.csv"):
        assert os.path.getsize(out / name) > 100, name
    # the plugin's summaries: the first 500 characters coloured by LSTM minus 3-gram, and the brace buckets
    found = plugin_summaries(str(out))
    characters = found["karpathy_rnn/characters"]
    assert characters["text"] == text[:500] and characters["models"] == ["LSTM 2x12", "3-gram"]
    np.testing.assert_allclose(characters["difference"], (traces["LSTM 2x12"] - traces["3-gram"])[:500], atol=1e-4)
    assert found["karpathy_rnn/brace"]["buckets"] == numbers["brace"]["buckets"]
    assert found["karpathy_rnn/characters"]["leaders"] == numbers["characters"]["leaders"]


def plugin_summaries(logdir):
    """{tag: JSON body} of the karpathy_rnn string summaries in the events files of `logdir`."""
    import tensorflow as tf

    found = {}
    for name in os.listdir(logdir):
        if "tfevents" in name:
            for event in tf.compat.v1.train.summary_iterator(os.path.join(logdir, name)):
                for value in event.summary.value:
                    if value.metadata.plugin_data.plugin_name == "karpathy_rnn":
                        found[value.tag] = json.loads(tf.make_ndarray(value.tensor).item().decode("utf-8"))
    return found


def test_bad_input_is_one_line(setup, tmp_path):
    from karpathy_rnn.data.corpus import load_corpus

    run, corpus, ngram, nn = setup
    base = ["analyze.py", "longrange", run, "--no-progress", "--out", tmp_path / "out"]
    # an n-NN folder whose n2 has no model
    broken = tmp_path / "nn-broken" / "tiny"
    os.makedirs(broken / "n2")
    bad = run_script(*base, "--ngram", ngram, "--nn", tmp_path / "nn-broken")
    assert bad.returncode == 2 and "has no trained model (best.keras)" in error_line(bad)
    # baselines of another text (a corpus of the same name and vocabulary, other words)
    other_folder = tmp_path / "other"
    os.makedirs(other_folder)
    other = load_corpus(write_tiny_corpus(other_folder, characters=20_000, seed=5))
    other_ngram, _ = write_baselines(other, str(other_folder))
    bad = run_script(*base, "--ngram", other_ngram, "--nn", nn)
    assert bad.returncode == 2 and "are not of the same text" in error_line(bad)
    # no such folder; nothing in it
    bad = run_script(*base, "--ngram", tmp_path / "nowhere", "--nn", nn)
    assert bad.returncode == 2 and "--ngram" in error_line(bad) and "nowhere" in error_line(bad)
    os.makedirs(tmp_path / "empty")
    bad = run_script(*base, "--ngram", tmp_path / "empty", "--nn", nn)
    assert bad.returncode == 2 and "holds no n-gram models" in error_line(bad)
    bad = run_script(*base, "--ngram", ngram, "--nn", nn, "--summary-chars", "0")
    assert bad.returncode == 2


def test_a_text_without_braces_skips_the_study_unless_asked(tmp_path):
    """--brace auto on prose: no brace files, a note; --brace on: one line, exit 2."""
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.training.trainer import Trainer

    path = tmp_path / "prose.txt"
    rng = np.random.default_rng(1)
    path.write_text("\n".join(" ".join(rng.choice(["the", "cat", "sat", "on", "a", "mat."], 8)) for _ in range(500)))
    trainer = Trainer(tiny_config(str(path), tmp_path, name="prose", max_steps=3, eval_every=3), log=lambda m: None,
                      progress_bar=False)
    trainer.run()
    ngram, nn = write_baselines(load_corpus(str(path)), str(tmp_path))
    base = ["analyze.py", "longrange", trainer.run_dir, "--ngram", ngram, "--nn", nn, "--no-progress"]
    done = run_script(*base, "--out", tmp_path / "auto")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "brace study: skipped" in done.stdout and not os.path.exists(tmp_path / "auto" / "brace.csv")
    assert json.load(open(tmp_path / "auto" / "longrange.json"))["brace"] is None
    bad = run_script(*base, "--out", tmp_path / "on", "--brace", "on")
    assert bad.returncode == 2 and "no '}' closing a '{'" in error_line(bad)
