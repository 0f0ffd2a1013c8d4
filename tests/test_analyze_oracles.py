"""scripts/analyze.py oracles and agreement end to end on tiny trained runs: the numbers against the trace files
with plain NumPy, the files, figures and plugin summaries, and each bad input as one line with exit code 2."""

import json
import os
import shutil

import numpy as np
import pytest

from tests.baseline_helpers import write_baselines
from tests.test_analyze_longrange import plugin_summaries
from tests.training_helpers import error_line, run_script, tiny_config, write_tiny_corpus

pytestmark = pytest.mark.slow   # real training runs and script processes


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(runs folder holding a 2x12 LSTM, a 1x6 LSTM and a 1x8 GRU of one corpus, that corpus, n-grams 1..9)."""
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.training.trainer import Trainer

    folder = tmp_path_factory.mktemp("oracles")
    path = write_tiny_corpus(folder, characters=20_000)
    runs = folder / "runs"
    # trained enough (a high learning rate) that the two LSTMs get some characters right, and not the same ones
    for name, unit, layers, hidden, steps in (("large", "lstm", 2, 12, 80), ("small", "lstm", 1, 6, 40),
                                              ("gru", "gru", 1, 8, 10)):
        Trainer(tiny_config(path, runs, name=name, unit=unit, layers=layers, hidden=hidden, max_steps=steps,
                            eval_every=20, learning_rate=0.02), log=lambda m: None, progress_bar=False).run()
    corpus = load_corpus(path)
    ngram, _ = write_baselines(corpus, str(folder), ngram_orders=range(1, 10), nn_orders=())
    # orders the oracle does not use, half written (a 20-gram still training: no trace, results.json cut short):
    # not read, so not refused (issue 32.13)
    for n in (10, 20):
        os.makedirs(os.path.join(ngram, "tiny", f"n{n}"))
    with open(os.path.join(ngram, "tiny", "n20", "results.json"), "w") as f:
        f.write('{"corpus": "tiny", "split": "te')
    return runs, corpus, ngram


def correct_from_trace(folder, ids):
    from karpathy_rnn.analysis.trace import Trace

    return np.asarray(Trace(folder).probabilities)[np.arange(len(ids)), ids].astype(np.float64)


def test_oracles_of_two_models_agree_with_their_traces(setup, tmp_path):
    runs, corpus, ngram = setup
    out = tmp_path / "oracles"
    done = run_script("analyze.py", "oracles", runs / "large", "--ngram", ngram, "--compare", runs / "small",
                      "--out", out, "--examples", "3", "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    ids = corpus.split_ids("test")
    large = correct_from_trace(out / "model" / "trace", ids)
    small = correct_from_trace(runs / "small" / "analysis" / "test" / "trace", ids)
    from karpathy_rnn.analysis.trace import Trace
    ngrams = np.stack([np.asarray(Trace(os.path.join(ngram, "tiny", f"n{n}", "trace_test")).target_probabilities,
                                  np.float64) for n in range(1, 10)])
    numbers = json.load(open(out / "oracles.json"))
    assert list(numbers["models"]) == ["LSTM 2x12", "LSTM 1x6"]
    for name, correct in (("LSTM 2x12", large), ("LSTM 1x6", small)):
        model = numbers["models"][name]
        errors = correct < 0.5
        assert len(ids) > model["errors"] == int(errors.sum()) > 0 and model["characters"] == len(ids)
        slices = {row["name"]: row["errors"] for row in model["slices"]}
        assert slices["n-gram"] == int((errors & (ngrams > 0.5).any(axis=0)).sum())   # the first oracle, by hand
        assert sum(slices.values()) == model["errors"]
        assert model["slices"][-1]["cumulative"] == pytest.approx(1.0)
        assert f"{name}: {model['errors']:,} errors" in done.stdout
        assert model["memory_match"] == "substring"                       # the default reading, recorded
    assert done.stdout.count("read as `--memory-match substring`") == 2
    assert "read as `--memory-match substring`" in open(out / "report.md").read()
    assert ((large < 0.5) != (small < 0.5)).any()                     # two models, two breakdowns
    extra = {row["name"]: row for row in numbers["extra_errors"]}
    for row in numbers["models"]["LSTM 2x12"]["slices"]:
        small_row = next(r for r in numbers["models"]["LSTM 1x6"]["slices"] if r["name"] == row["name"])
        assert extra[row["name"]]["extra"] == small_row["errors"] - row["errors"]
    for name in ("figure6_oracles.png", "figure6_examples.html", "oracles.csv", "extra_errors.csv", "report.md"):
        assert os.path.getsize(out / name) > 100, name
    # the plugin's oracle summaries: this model's in --out, the compared one's under its own run
    mine = plugin_summaries(str(out))["karpathy_rnn/oracle"]
    assert mine["model"] == "LSTM 2x12" and mine["characters"] == len(ids)
    assert [(s["name"], s["errors"]) for s in mine["slices"]] == [(r["name"], r["errors"])
                                                                 for r in numbers["models"]["LSTM 2x12"]["slices"]]
    text = corpus.text("test")
    for piece in mine["slices"]:
        assert len(piece["examples"]) == min(3, piece["errors"])
        for example in piece["examples"]:
            for fragment in example["fragments"]:
                assert text[fragment["start"]:fragment["start"] + len(fragment["text"])] == fragment["text"]
                assert all(large[fragment["start"] + o] < 0.5 for o in fragment["errors"])
    theirs = plugin_summaries(str(runs / "small" / "analysis" / "test" / "oracles"))["karpathy_rnn/oracle"]
    assert theirs["model"] == "LSTM 1x6"
    assert sum(s["errors"] for s in theirs["slices"]) == int((small < 0.5).sum())


def test_oracles_memory_match_reading_is_used_and_recorded(setup, tmp_path):
    """--memory-match word4 (issue 32.13): the breakdown is oracles.breakdown's with that reading on the traces,
    oracles.json, report.md and the printout say so, and the plugin summary is written as always."""
    from collections import Counter

    from karpathy_rnn.analysis import oracles
    from karpathy_rnn.analysis.trace import Trace

    runs, corpus, ngram = setup
    out = tmp_path / "oracles"
    done = run_script("analyze.py", "oracles", runs / "large", "--ngram", ngram, "--out", out, "--examples", "2",
                      "--memory-match", "word4", "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    ids = corpus.split_ids("test")
    large = correct_from_trace(out / "model" / "trace", ids)
    ngrams = np.stack([np.asarray(Trace(os.path.join(ngram, "tiny", f"n{n}", "trace_test")).target_probabilities,
                                  np.float64) for n in range(1, 10)])
    text, counts = corpus.text("test"), Counter(oracles.word_counts(corpus.text("train")))
    model = json.load(open(out / "oracles.json"))["models"]["LSTM 2x12"]
    assert model["memory_match"] == "word4"
    for memory_match in ("word4", "substring"):
        expected = oracles.breakdown(text, large, ngrams, counts, memory_match=memory_match).counts()
        matches = {row["name"]: row["errors"] for row in model["slices"]} == expected
        assert matches == (memory_match == "word4")                       # this reading's, not the default's
    assert "read as `--memory-match word4`" in done.stdout and "read as `--memory-match word4`" in open(
        out / "report.md").read()
    mine = plugin_summaries(str(out))["karpathy_rnn/oracle"]
    assert [(s["name"], s["errors"]) for s in mine["slices"]] == [(r["name"], r["errors"]) for r in model["slices"]]
    bad = run_script("analyze.py", "oracles", runs / "large", "--ngram", ngram, "--out", out, "--memory-match",
                     "prefix", "--no-progress")
    assert bad.returncode == 2 and "invalid choice: 'prefix'" in bad.stderr


def test_agreement_of_three_runs_agrees_with_their_traces(setup, tmp_path):
    runs, corpus, _ = setup
    for name in ("large", "small", "gru"):
        if not os.path.isdir(runs / name / "analysis" / "test" / "trace"):
            assert run_script("analyze.py", "trace", runs / name, "--no-progress").returncode == 0
    out = tmp_path / "agreement"
    done = run_script("analyze.py", "agreement", runs, "--out", out)
    assert done.returncode == 0, done.stderr[-3000:]
    from karpathy_rnn.analysis.trace import Trace
    body = json.load(open(out / "agreement.json"))
    names = [m["name"] for m in body["models"]]
    assert sorted(names) == ["gru", "large", "small"]
    best = {name: np.asarray(Trace(runs / name / "analysis" / "test" / "trace").probabilities).argmax(axis=1)
            for name in names}
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            assert body["matrix"][i][j] == pytest.approx(np.mean(best[a] == best[b]), abs=1e-6)
    assert {m["name"]: (m["unit"], m["layers"]) for m in body["models"]} == {
        "large": ("lstm", 2), "small": ("lstm", 1), "gru": ("gru", 1)}
    assert np.asarray(body["embedding"]).shape == (3, 2) and np.isfinite(body["embedding"]).all()
    assert os.path.getsize(out / "figure1_agreement.png") > 1000
    summary = plugin_summaries(str(out))["karpathy_rnn/agreement"]
    assert summary["models"] == body["models"] and summary["matrix"] == body["matrix"]
    # issue 33: a run with no trace is predicted by its model in one pass: the same predictions as its trace's
    copy = tmp_path / "runs-copy"
    shutil.copytree(runs, copy, ignore=shutil.ignore_patterns("analysis"))
    shutil.copytree(runs / "large", copy / "large-traced")                   # with its trace, for the pair
    done = run_script("analyze.py", "agreement", copy, "--out", tmp_path / "again")
    assert done.returncode == 0, done.stderr[-3000:]
    again = json.load(open(tmp_path / "again" / "agreement.json"))
    index = {m["name"]: i for i, m in enumerate(again["models"])}
    assert again["matrix"][index["large"]][index["large-traced"]] == 1.0
    for a in names:
        for b in names:
            assert again["matrix"][index[a]][index[b]] == pytest.approx(body["matrix"][names.index(a)][
                names.index(b)], abs=1e-6)
    assert not (copy / "large" / "analysis").exists()                         # no trace written


def test_bad_input_is_one_line(setup, tmp_path):
    runs, corpus, ngram = setup
    base = ["analyze.py", "oracles", runs / "large", "--no-progress", "--out", tmp_path / "out"]
    # n-gram traces missing an order the oracle needs
    partial = tmp_path / "ngram-partial"
    shutil.copytree(ngram, partial)
    shutil.rmtree(partial / "tiny" / "n5")
    bad = run_script(*base, "--ngram", partial)
    assert bad.returncode == 2 and "lacks n = 5" in error_line(bad)
    # a model compared on another text
    other_folder = tmp_path / "other"
    os.makedirs(other_folder)
    other = write_tiny_corpus(other_folder, characters=20_000, seed=7)
    from karpathy_rnn.training.trainer import Trainer
    Trainer(tiny_config(other, tmp_path / "other-runs", name="other", max_steps=2, eval_every=2),
            log=lambda m: None, progress_bar=False).run()
    bad = run_script(*base, "--ngram", ngram, "--compare", tmp_path / "other-runs" / "other")
    assert bad.returncode == 2 and "are not of the same text" in error_line(bad)
    bad = run_script(*base, "--ngram", ngram, "--examples", "-1")
    assert bad.returncode == 2 and "--examples must be >= 0" in error_line(bad)
    # agreement: fewer than three runs, a run with no trace, runs of different texts
    assert run_script("analyze.py", "trace", runs / "large", "--no-progress").returncode == 0
    bad = run_script("analyze.py", "agreement", runs / "large", "--out", tmp_path / "a")
    assert bad.returncode == 2 and "needs at least 3" in error_line(bad)
    shutil.rmtree(tmp_path / "other-runs" / "other" / "analysis")       # its trace, written by --compare above
    bad = run_script("analyze.py", "agreement", runs, tmp_path / "other-runs", "--out", tmp_path / "a")
    assert bad.returncode == 2 and "are not of the same text" in error_line(bad)     # predicted by its model
    shutil.copytree(tmp_path / "other-runs" / "other", tmp_path / "lone-runs" / "lone",
                    ignore=shutil.ignore_patterns("best.keras", "analysis"))
    bad = run_script("analyze.py", "agreement", runs, tmp_path / "lone-runs", "--out", tmp_path / "a")
    assert bad.returncode == 2 and "has neither a trace of the test split nor a best.keras" in error_line(bad)
    assert run_script("analyze.py", "trace", tmp_path / "other-runs" / "other", "--no-progress").returncode == 0
    for name in ("small", "gru"):
        assert run_script("analyze.py", "trace", runs / name, "--no-progress").returncode == 0
    bad = run_script("analyze.py", "agreement", runs, tmp_path / "other-runs", "--out", tmp_path / "a")
    assert bad.returncode == 2 and "are not of the same text" in error_line(bad)
