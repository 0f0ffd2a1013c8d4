"""scripts/analyze.py longrange end to end on a tiny trained run and baselines made here (n-gram traces of known
probabilities, untrained n-NNs with their real traces): every number recomputed from the trace files with plain
NumPy, the files, figures and plugin summaries, and each bad input as one line with exit code 2."""

import csv
import json
import os
import shutil

import numpy as np
import pytest

from karpathy_rnn.baselines.runs import baseline_runs, best_run
from karpathy_rnn.errors import KRNNError
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
    score_validation(corpus, ngram, nn)
    return trainer.run_dir, corpus, ngram, nn


def _results(folder):
    with open(os.path.join(folder, "results.json")) as f:
        return json.load(f)


def score_validation(corpus, ngram, nn):
    """Validation losses for write_baselines' folders, ranked against their test losses (the best on test is the
    worst on validation), written as the scripts leave them: the 1-gram scored on validation before test (its
    trace_val/ kept, results.json of test only), the 3-gram after (results.json of validation only: its test loss
    is its trace's), each n-NN's results.json with the validation loss of its hidden size. {kind: validation
    losses by name}."""
    from karpathy_rnn.analysis.trace import TraceWriter

    val = {}
    for kind, folder, names in (("ngram", ngram, ("n1", "n3")), ("nn", nn, ("n1", "n2"))):
        paths = [os.path.join(folder, corpus.name, name) for name in names]
        tests = [_results(path)["test_loss_nats"] for path in paths]
        losses = [1.5, 1.0] if tests[0] < tests[1] else [1.0, 1.5]          # the other order on validation
        for path, loss in zip(paths, losses):
            label = f"{path[-1]}-{'gram' if kind == 'ngram' else 'NN'}"
            val.setdefault(kind, {})[label] = loss
            results = _results(path)
            if kind == "nn":
                results.update(hidden=8, val_loss_nats={"8": loss})
            elif path.endswith("n1"):
                ids = corpus.split_ids("val")
                writer = TraceWriter(os.path.join(path, "trace_val"), "".join(corpus.vocabulary.chars), len(ids), [],
                                     distributions=False, corpus=corpus.name, split="val")
                writer.write_probabilities(0, np.full(len(ids), np.exp(-loss), np.float32))
                writer.finish(ids.astype(np.int32))
            else:
                results = {"split": "val", "val_loss_nats": loss}
            with open(os.path.join(path, "results.json"), "w") as f:
                json.dump(results, f)
    return val


def truncate(path):
    """Cut a file to half its bytes, as an interrupted write leaves it."""
    body = open(path, "rb").read()
    open(path, "wb").write(body[:len(body) // 2])


def fake_run(folder, n, results, kind="ngram", splits=("test",)):
    """OUT/tiny/n<n>/ of scripts/ngram.py or nn.py with 4-character traces of `splits` and `results` (a dict, or
    the bytes of a damaged results.json)."""
    from karpathy_rnn.analysis.trace import TraceWriter

    path = os.path.join(folder, "tiny", f"n{n}")
    for split in splits:
        writer = TraceWriter(os.path.join(path, f"trace_{split}"), "ab", 4, [], distributions=kind == "nn",
                             corpus="tiny", split=split, source=f"{n}-NN" if kind == "nn" else f"{n}-gram")
        writer.write_probabilities(0, np.full((4, 2), 0.5, np.float32) if kind == "nn" else np.full(4, 0.5, np.float32))
        writer.finish(np.array([0, 1, 1, 0], np.int32))
    if kind == "nn":
        open(os.path.join(path, "best.keras"), "wb").close()
    with open(os.path.join(path, "results.json"), "wb") as f:
        f.write(results if isinstance(results, bytes) else json.dumps(results).encode())
    return path


def test_runs_are_read_in_the_order_of_n(tmp_path):
    """n10 after n2 (not as the names sort), for both kinds; only the orders asked for when given."""
    for kind in ("ngram", "nn"):
        for n in (10, 2, 12, 1, 11, 3, 4, 5, 6, 7, 8, 9):
            fake_run(tmp_path / kind, n, {"test_loss_nats": 1.0 + n / 100, "val_loss_nats": 2.0 - n / 100}, kind)
        runs = baseline_runs(str(tmp_path / kind), kind, "tiny")
        assert list(runs) == list(range(1, 13)) and [run.n for run in runs.values()] == list(range(1, 13))
        assert best_run(runs).n == 12                          # the lowest validation loss, not the lowest test
        assert list(baseline_runs(str(tmp_path / kind), kind, "tiny", orders=(10, 2, 3))) == [2, 3, 10]


def test_the_best_is_chosen_on_validation(tmp_path):
    """Best on test but not on validation: not chosen; a tie goes to the smaller n; an n never scored on validation
    is one line naming it and the command that scores it."""
    fake_run(tmp_path, 3, {"test_loss_nats": 1.2, "val_loss_nats": 1.4})
    fake_run(tmp_path, 7, {"test_loss_nats": 1.1, "val_loss_nats": 1.5})           # best on test
    fake_run(tmp_path, 20, {"test_loss_nats": 1.3, "val_loss_nats": 1.4})
    runs = baseline_runs(str(tmp_path), "ngram", "tiny")
    assert best_run(runs).name == "3-gram" and runs[7].loss == 1.1
    fake_run(tmp_path / "nn", 2, {"test_loss_nats": 2.0, "hidden": 512, "val_loss_nats": {"128": 1.0, "512": 1.9}},
             "nn")
    fake_run(tmp_path / "nn", 10, {"test_loss_nats": 2.5, "hidden": 128, "val_loss_nats": {"128": 1.8, "512": 1.7}},
             "nn")
    assert best_run(baseline_runs(str(tmp_path / "nn"), "nn", "tiny")).name == "10-NN"     # the chosen size's
    fake_run(tmp_path, 9, {"test_loss_nats": 1.0})
    fake_run(tmp_path, 20, {"test_loss_nats": 1.3})
    with pytest.raises(KRNNError) as error:
        best_run(baseline_runs(str(tmp_path), "ngram", "tiny"))
    assert "n-gram n = 9,20 in" in str(error.value) and "\n" not in str(error.value)
    assert "`python scripts/ngram.py --corpus tiny --orders 9,20 --split val`" in str(error.value)
    # scored on validation after test (results.json of validation only): the test loss is the trace's
    fake_run(tmp_path / "after", 5, {"split": "val", "val_loss_nats": 0.9}, splits=("test", "val"))
    # scored on validation before test (results.json of test only, trace_val/ kept): the validation loss is the trace's
    fake_run(tmp_path / "after", 6, {"split": "test", "test_loss_nats": 0.8}, splits=("test", "val"))
    runs = baseline_runs(str(tmp_path / "after"), "ngram", "tiny")
    assert runs[5].loss == pytest.approx(np.log(2)) and runs[5].val_loss == 0.9
    assert runs[6].loss == 0.8 and runs[6].val_loss == pytest.approx(np.log(2)) and best_run(runs).n == 6


@pytest.mark.parametrize("kind", ["ngram", "nn"])
def test_a_damaged_results_json_is_one_line(tmp_path, kind):
    """Cut short, empty, not JSON, not an object, a loss that is no number: KRNNError naming the file, what is
    wrong and the command that writes it again (analyze.py longrange and oracles, train.py --compare-nn read it)."""
    script = "ngram.py" if kind == "ngram" else "nn.py"
    complete = json.dumps({"test_loss_nats": 1.25, "val_loss_nats": 1.5, "split": "test"}).encode()
    for body, problem in ((complete[:len(complete) // 2], "is not readable JSON"), (b"", "is empty"),
                          (b"\xff\xfe{", "is not readable JSON"), (b"[1, 2]", "holds a JSON list"),
                          (b'{"test_loss_nats": "abc"}', "has test_loss_nats 'abc'"),
                          (b'{"test_loss_nats": 1.0, "val_loss_nats": NaN}', "has val_loss_nats nan")):
        folder = tmp_path / f"case{len(body)}-{problem[:6]}"
        fake_run(folder, 10, {"test_loss_nats": 1.0, "val_loss_nats": 1.0}, kind)
        path = fake_run(folder, 2, body, kind)
        with pytest.raises(KRNNError) as error:
            baseline_runs(str(folder), kind, "tiny")
        message = str(error.value)
        assert os.path.join(path, "results.json") in message and problem in message and "\n" not in message, message
        assert f"`python scripts/{script} --corpus tiny --orders 2 --split test` again" in message
        assert list(baseline_runs(str(folder), kind, "tiny", orders=(10,))) == [10]     # n2 not read


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
    # the best n-NN and n-gram are the lowest on validation (score_validation: not the lowest on test)
    best_nn = "1-NN" if _results(os.path.join(nn, "tiny", "n1"))["val_loss_nats"]["8"] == 1.0 else "2-NN"
    best_ngram = "3-gram" if _results(os.path.join(ngram, "tiny", "n3"))["val_loss_nats"] == 1.0 else "1-gram"
    assert best_nn != min(("1-NN", "2-NN"), key=losses.get) and best_ngram != min(("1-gram", "3-gram"),
                                                                                  key=losses.get)
    numbers = json.load(open(out / "longrange.json"))
    assert set(numbers["models"]) == {"LSTM 2x12", best_nn, best_ngram, "3-gram"}
    for name, loss in numbers["models"].items():           # the 3-gram's from its trace (results.json has val)
        assert loss == pytest.approx(losses[name], abs=1e-5), name
    assert numbers["best"]["n-gram"]["name"] == best_ngram and numbers["best"]["n-NN"]["name"] == best_nn
    assert numbers["best"]["n-gram"]["val_losses"] == {"1-gram": pytest.approx(1.0 if best_ngram == "1-gram" else 1.5,
                                                                               abs=1e-6),
                                                       "3-gram": 1.0 if best_ngram == "3-gram" else 1.5}
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
    other_ngram, other_nn = write_baselines(other, str(other_folder))
    score_validation(other, other_ngram, other_nn)
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
    # an n-NN results.json cut short (issue 32.6): one line naming it and the command that writes it again
    cut = tmp_path / "nn-cut"
    shutil.copytree(nn, cut)
    truncate(cut / "tiny" / "n2" / "results.json")
    bad = run_script(*base, "--ngram", ngram, "--nn", cut)
    assert bad.returncode == 2 and "n2/results.json' is not readable JSON" in error_line(bad)
    assert "`python scripts/nn.py --corpus tiny --orders 2 --split test` again" in error_line(bad)


def test_without_nn_the_ngram_parts_are_written(setup, tmp_path):
    """No --nn: a line says the n-NN parts are left out; the overlap is the model's and the best n-gram's."""
    run, corpus, ngram, nn = setup
    out = tmp_path / "lr"
    done = run_script("analyze.py", "longrange", run, "--ngram", ngram, "--out", out, "--no-progress",
                      "--summary-chars", "100")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "n-NN parts left out (no --nn)" in done.stdout
    numbers = json.load(open(out / "longrange.json"))
    best_ngram = "3-gram" if _results(os.path.join(ngram, "tiny", "n3"))["val_loss_nats"] == 1.0 else "1-gram"
    assert set(numbers["models"]) == {"LSTM 2x12", best_ngram, "3-gram"} and list(numbers["best"]) == ["n-gram"]
    assert {name for region in numbers["overlap"]["regions"] for name in region["models"]} == {"LSTM 2x12",
                                                                                             best_ngram}
    assert numbers["characters"]["models"] == ["LSTM 2x12", "3-gram"] and numbers["brace"]["braces"] > 0
    for name in ("figure4_characters.png", "figure5_brace.png", "characters.csv", "brace.csv"):
        assert os.path.getsize(out / name) > 100, name
    assert not os.path.exists(out / "figure4_overlap.png")
    assert "n-NN parts are left out" in open(out / "report.md").read()


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
    prose = load_corpus(str(path))
    ngram, nn = write_baselines(prose, str(tmp_path))
    score_validation(prose, ngram, nn)
    base = ["analyze.py", "longrange", trainer.run_dir, "--ngram", ngram, "--nn", nn, "--no-progress"]
    done = run_script(*base, "--out", tmp_path / "auto")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "brace study: skipped" in done.stdout and not os.path.exists(tmp_path / "auto" / "brace.csv")
    assert json.load(open(tmp_path / "auto" / "longrange.json"))["brace"] is None
    bad = run_script(*base, "--out", tmp_path / "on", "--brace", "on")
    assert bad.returncode == 2 and "no '}' closing a '{'" in error_line(bad)
