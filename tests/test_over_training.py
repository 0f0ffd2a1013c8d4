"""The analysis over training (issue 22): the weight history train.py --analyze-every keeps, analyze.py --checkpoints,
the summaries at each step, and when each feature's cell emerges."""

import json
import os

import numpy as np
import pytest

from karpathy_rnn.analysis.over_training import emergence, emergence_rows, report_lines
from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training.history import (choose_steps, drop_snapshots_after, history_megabytes, snapshot_path,
                                           snapshots)
from training_helpers import QUIET, error_line, run_script, tiny_config, write_tiny_corpus


def _ranking(features: dict) -> dict:
    return {"features": features, "descriptions": {"quote": "inside a quotation"}, "statistic": "Pearson r"}


def test_emergence_takes_the_strongest_cell_per_step_and_the_first_step_past_the_threshold():
    rankings = [
        (0, _ranking({"quote": [{"layer": "l1", "cell": 1, "r": 0.2}]})),
        (50, _ranking({"quote": [{"layer": "l1", "cell": 1, "r": 0.4}, {"layer": "l2", "cell": 3, "r": -0.55}],
                       "line": [{"layer": "l2", "cell": 0, "r": float("nan")}]})),
        (100, _ranking({"quote": [{"layer": "l2", "cell": 3, "r": -0.7}], "line": [{"layer": "l1", "cell": 2,
                                                                                   "r": 0.3}]})),
    ]
    body = emergence(rankings)
    quote, line = body["features"]
    assert body["steps"] == [0, 50, 100] and body["threshold"] == 0.5 and body["statistic"] == "Pearson r"
    assert [(p["r"], p["layer"], p["cell"]) for p in quote["points"]] == [(0.2, "l1", 1), (-0.55, "l2", 3),
                                                                          (-0.7, "l2", 3)]
    assert quote["first_step"] == 50 and quote["description"] == "inside a quotation"     # |r|, whatever its sign
    assert [p["r"] for p in line["points"]] == [None, None, 0.3] and line["first_step"] is None   # absent, NaN
    assert emergence(rankings, threshold=0.6)["features"][0]["first_step"] == 100
    assert body["features_total"] == 2 and emergence(rankings, most=2) == body
    only = emergence(rankings, most=1)                # the strongest |r| at any step (quote's 0.7)
    assert [f["feature"] for f in only["features"]] == ["quote"] and only["features_total"] == 2
    weak_first = [(0, _ranking({"weak": [{"layer": "l1", "cell": 0, "r": 0.1}],
                                "strong": [{"layer": "l1", "cell": 1, "r": -0.9}]}))]
    assert [f["feature"] for f in emergence(weak_first, most=1)["features"]] == ["strong"]      # not the first named
    assert emergence(rankings, threshold=0.3)["features"][1]["first_step"] == 100
    assert emergence_rows(body)[1] == [50, "quote", "l2", 3, "-0.550000", "0.550000"]
    assert emergence_rows(body)[3] == [0, "line", "", "", "", ""]
    assert report_lines(body)[2:] == ["| quote | 50 | l2 3: r -0.700 |", "| line | not yet | l1 2: r +0.300 |"]
    body["saturated"] = [{"step": 0, "layers": {"l1": 0.25, "l2": 0.5}}, {"step": 50, "layers": {"l1": 0.3, "l2": 0.7}}]
    assert report_lines(body)[-2:] == ["| 0 | 25.0% | 50.0% |", "| 50 | 30.0% | 70.0% |"]


def test_the_ranking_over_training_keeps_weak_features():
    from karpathy_rnn.analysis.over_training import ranking_at_step

    scores = {"l1": {"quote": np.array([0.05, -0.08]), "line": np.array([0.9, np.nan])},
              "l2": {"quote": np.array([0.02, 0.01]), "line": np.array([np.nan, np.nan])}}
    ranking = ranking_at_step(scores, 2)
    assert [(s.layer, s.cell, s.correlation) for s in ranking["quote"]] == [("l1", 1, -0.08), ("l1", 0, 0.05)]
    assert [(s.layer, s.cell) for s in ranking["line"]] == [("l1", 0)]


def test_history_files_steps_and_clear_errors(tmp_path):
    run = str(tmp_path)
    with pytest.raises(KRNNError, match="has no weight history .*--analyze-every N"):
        choose_steps(run, "all")
    for step in (0, 40, 80, 120):
        os.makedirs(os.path.dirname(snapshot_path(run, step)), exist_ok=True)
        open(snapshot_path(run, step), "wb").close()
    open(os.path.join(run, "history", "notes.txt"), "w").close()
    assert list(snapshots(run)) == [0, 40, 80, 120]
    assert list(choose_steps(run, "all")) == [0, 40, 80, 120] and list(choose_steps(run, "80, 0")) == [0, 80]
    with pytest.raises(KRNNError, match=r"no snapshot at step 50; the run kept steps 0, 40, 80, 120"):
        choose_steps(run, "0,50")
    with pytest.raises(KRNNError, match="give all, or steps separated by commas"):
        choose_steps(run, "latest")
    assert drop_snapshots_after(run, 40) == [80, 120] and list(snapshots(run)) == [0, 40]
    assert history_megabytes(2**18, 268, 40) == (8, 8.0)          # 0, 40, ..., 240 and the last, 268
    assert history_megabytes(2**18, 240, 40) == (7, 7.0)


@pytest.fixture(scope="module")
def history_run(tmp_path_factory):
    """A tiny 2-layer LSTM trained by train.py --analyze-every 5 (evaluated every 5 steps too), and its corpus."""
    root = tmp_path_factory.mktemp("history")
    corpus = write_tiny_corpus(root, characters=12_000)
    done = run_script("train.py", "--corpus", corpus, "--hidden", "12", "--batch-size", "10", "--unroll", "20",
                      "--max-steps", "17", "--eval-every", "5", "--checkpoint-every", "5", "--sample-length", "20",
                      "--logdir", root / "runs", "--name", "run", "--seed", "1", "--analyze-every", "5",
                      "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    return str(root / "runs" / "run"), corpus, done.stdout


def _summaries(logdir: str) -> dict:
    """{(tag, step): value} of the plugin's summaries in `logdir`, through TensorBoard's multiplexer."""
    from tensorboard.backend.event_processing import plugin_event_multiplexer

    from karpathy_rnn import summary

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    found = {}
    for run in multiplexer.Runs():
        for tag in multiplexer.PluginRunToTagToContent(summary.PLUGIN_NAME).get(run, {}):
            for event in multiplexer.Tensors(run, tag):
                found[(tag, event.step)] = event.tensor_proto
    return found


def test_train_keeps_the_history_and_writes_the_summaries_at_every_kept_step(history_run):
    """Snapshots at 0, every 5 steps and the last; the one at the best step holds best.keras' weights exactly; the
    summaries (text, activations, ranking of every feature, saturation) are at each step; emergence files agree."""
    import keras

    from karpathy_rnn import summary
    from karpathy_rnn.models import load_model
    from tensorboard.util import tensor_util

    run, _, stdout = history_run
    assert list(snapshots(run)) == [0, 5, 10, 15, 17]
    assert "keeping the weights every 5 steps" in stdout and "5 snapshots of" in stdout
    best = load_model(os.path.join(run, "best.keras"))
    best_step = json.load(open(os.path.join(run, "results.json")))["best_step"]
    model = keras.models.clone_model(best)
    model.load_weights(snapshot_path(run, best_step))
    for ours, theirs in zip(model.get_weights(), best.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    out = os.path.join(run, "analysis", "training", "val")
    found = _summaries(out)
    ranking_steps = sorted(step for tag, step in found if tag == summary.CELL_RANKING_TAG)
    assert ranking_steps == [0, 5, 10, 15, 17]
    assert {step for tag, step in found if tag == summary.TEXT_TAG} == set(ranking_steps)
    assert {step for tag, step in found if tag.startswith(summary.PLUGIN_NAME + "/saturation/")} == set(ranking_steps)
    body = json.load(open(os.path.join(out, "emergence.json")))
    assert body["steps"] == ranking_steps
    last = summary.decode_cell_ranking(summary.decode_string(
        tensor_util.make_ndarray(found[(summary.CELL_RANKING_TAG, 17)])))
    for entry in body["features"]:                 # every feature ranked at every step, however weak
        assert all(point["r"] is not None for point in entry["points"])
        assert entry["points"][-1]["r"] == last["features"][entry["feature"]][0]["r"]
    assert [row["step"] for row in body["saturated"]] == ranking_steps
    for layer, fraction in body["saturated"][-1]["layers"].items():       # the mean over gates of left + right
        fractions = [tensor_util.make_ndarray(found[(tag, 17)]) for tag, step in found
                     if step == 17 and tag.startswith(f"{summary.PLUGIN_NAME}/saturation/{layer}/")]
        assert len(fractions) == 3 and fraction == pytest.approx(np.mean([f.sum(axis=0).mean() for f in fractions]),
                                                                 abs=1e-5)
    assert os.path.getsize(os.path.join(out, "emergence.png")) > 1000
    assert not [name for name in os.listdir(out) if name.startswith(".traces-")]        # traces not kept


def test_checkpoints_flag_analyses_chosen_steps_and_equals_the_default_analysis(history_run, tmp_path):
    """analyze.py RUN --checkpoints 17 ranks the cells of step 17's weights as the default command ranks the same
    weights saved as a model."""
    import keras

    from karpathy_rnn.models import load_model

    run, _, _ = history_run
    done = run_script("analyze.py", run, "--checkpoints", "0,17", "--out", tmp_path / "ot", "--summary-chars", "200")
    assert done.returncode == 0, done.stderr[-3000:]
    body = json.load(open(tmp_path / "ot" / "emergence.json"))
    assert body["steps"] == [0, 17]
    model = keras.models.clone_model(load_model(os.path.join(run, "best.keras")))
    model.load_weights(snapshot_path(run, 17))
    model.save(tmp_path / "step17.keras")
    done = run_script("analyze.py", tmp_path / "step17.keras", "--corpus", history_run[1], "--split", "val",
                      "--no-png", "--top", "3", "--out", tmp_path / "default")
    assert done.returncode == 0, done.stderr[-3000:]
    cells = json.load(open(tmp_path / "default" / "cells.json"))
    for entry in body["features"]:
        if entry["feature"] in cells:
            top = cells[entry["feature"]][0]
            assert (entry["points"][-1]["layer"], entry["points"][-1]["cell"]) == (top["layer"], top["cell"])
            assert entry["points"][-1]["r"] == pytest.approx(top["r"], abs=1e-6)


def test_a_failed_analysis_leaves_the_earlier_one_whole(history_run, tmp_path):
    """Issue 32.7: `--checkpoints all` removed the earlier analysis' summaries before it started; with a snapshot cut
    short it failed after step 0 (not naming the file, suggesting permissions) and left step 0's events beside an
    emergence.json and report.md of 4 steps. Now every snapshot is read first and the new summaries replace the
    earlier ones only when the whole analysis is done."""
    import shutil

    from karpathy_rnn.training.history import snapshot_path

    run = tmp_path / "run"
    shutil.copytree(history_run[0], run)
    out = run / "analysis" / "training" / "val"
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    assert any("tfevents" in name for name in before) and "emergence.json" in before
    with open(snapshot_path(str(run), 15), "r+b") as handle:
        handle.truncate(os.path.getsize(snapshot_path(str(run), 15)) // 2)
    done = run_script("analyze.py", run, "--checkpoints", "all")
    assert done.returncode == 2, done.stderr[-2000:]
    assert error_line(done).startswith(f"error: history snapshot {snapshot_path(str(run), 15)} cannot be read (")
    assert "permissions" not in error_line(done)
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before


def test_one_analysis_writes_a_folder_at_a_time(history_run, tmp_path):
    """Issue 32.8: one writer per output: an analysis over training refuses a folder another one is writing."""
    from karpathy_rnn.atomic import FolderLock

    held = FolderLock(str(tmp_path / "ot"), "analysis")
    done = run_script("analyze.py", history_run[0], "--checkpoints", "0", "--out", tmp_path / "ot")
    held.release()
    assert done.returncode == 2 and error_line(done) == (
        f"error: {tmp_path / 'ot'} is being written by another analysis (PID {os.getpid()}); wait for it to end or "
        "stop it, or give another --out")


def test_replace_events_puts_the_new_in_before_removing_the_old(tmp_path):
    from karpathy_rnn.analysis.publish import replace_events

    logdir, staging = tmp_path / "logdir", tmp_path / "staging"
    logdir.mkdir()
    staging.mkdir()
    (logdir / "events.out.tfevents.1.old.krnn").write_text("old")
    (logdir / "events.out.tfevents.2.other").write_text("another writer's")
    (staging / "events.out.tfevents.3.new.krnn").write_text("new")
    replace_events(str(staging), str(logdir), ".krnn")
    assert sorted(os.listdir(logdir)) == ["events.out.tfevents.2.other", "events.out.tfevents.3.new.krnn"]
    assert (logdir / "events.out.tfevents.3.new.krnn").read_text() == "new"


@pytest.mark.parametrize("flags, message", [
    (["--checkpoints", "7"], "error: --checkpoints '7': no snapshot at step 7; the run kept steps 0, 5, 10, 15, 17"),
    (["--checkpoints", "every"], "error: --checkpoints 'every': give all, or steps separated by commas"),
])
def test_checkpoints_bad_input_is_one_line(history_run, flags, message):
    done = run_script("analyze.py", history_run[0], *flags)
    assert done.returncode == 2 and error_line(done).startswith(message), done.stderr


def test_checkpoints_on_a_run_without_history_says_how_to_keep_one(tmp_path):
    from karpathy_rnn.training.trainer import Trainer

    corpus = write_tiny_corpus(tmp_path, characters=8_000)
    Trainer(tiny_config(corpus, tmp_path / "runs", max_steps=3, name="plain"), **QUIET).run()
    done = run_script("analyze.py", tmp_path / "runs" / "plain", "--checkpoints", "all")
    assert done.returncode == 2 and "has no weight history" in error_line(done)
    assert "--analyze-every N" in error_line(done)
