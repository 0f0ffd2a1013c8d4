"""scripts/autocomplete.py and analyze.py connectivity end to end on a tiny corpus: training, resuming, the test
table and accuracy graph, suggestions, connectivity summaries, and one clear line for each bad input."""

import json
import os

import numpy as np
import pytest
from test_analyze_longrange import plugin_summaries
from training_helpers import error_line, logged, run_script, write_tiny_corpus

TRAIN = ["autocomplete.py", "train", "--units", "12", "--words", "8", "--length", "40", "--max-steps", "3",
         "--log-every", "1", "--backup-every", "2"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A GRU trained 1 epoch then resumed to 2, and an LSTM of 2 epochs under MirroredStrategy, on a tiny corpus."""
    folder = tmp_path_factory.mktemp("autocomplete")
    corpus = write_tiny_corpus(folder, characters=12_000)
    logdir = folder / "runs"
    first = run_script(*TRAIN, "--corpus", corpus, "--unit", "gru", "--epochs", "1", "--logdir", logdir)
    assert first.returncode == 0, first.stderr[-3000:]
    _log_as_a_killed_run_would(logdir / "autocomplete-tiny-gru-2x12", steps=(4, 5))
    resumed = run_script(*TRAIN, "--corpus", corpus, "--unit", "gru", "--epochs", "2", "--logdir", logdir,
                         "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    lstm = run_script(*TRAIN, "--corpus", corpus, "--unit", "lstm", "--epochs", "2", "--logdir", logdir,
                      "--distribute", "mirrored")                  # tf.distribute over this machine's devices
    assert lstm.returncode == 0, lstm.stderr[-3000:]
    return corpus, logdir / "autocomplete-tiny-gru-2x12", logdir / "autocomplete-tiny-lstm-2x12", resumed.stdout


def _log_as_a_killed_run_would(run_dir, steps):
    """train/loss 99 at `steps`, past the run's last backup: what a process killed before its next backup leaves."""
    import tensorflow as tf

    writer = tf.summary.create_file_writer(str(run_dir))
    with writer.as_default():
        for step in steps:
            tf.summary.scalar("train/loss", 99.0, step=step)
    writer.close()


def test_training_reports_the_articles_table_and_logs_each_step_once(runs):
    corpus, gru, lstm, stdout = runs
    results = json.loads((gru / "results.json").read_text())
    assert results["steps"] == 6 and results["epochs_completed"] == 1          # the resume ran epoch 2 only
    assert results["config"]["task"] == "autocomplete" and 0 < results["accuracy"] <= results["top3_accuracy"] <= 1
    mirrored = json.loads((lstm / "results.json").read_text())
    assert mirrored["config"]["distribute"] == "mirrored" and mirrored["steps"] == 6
    assert f"cross-entropy {results['cross_entropy']:.4f} nats" in stdout
    losses = logged(gru, "train/loss")
    assert [step for step, _ in losses] == list(range(1, 7))              # the killed run's 4 and 5 dropped
    assert all(float(value) != 99.0 for _, value in losses)
    assert [step for step, _ in logged(gru, "val/loss")] == [3, 6]
    table = (gru / "accuracy_by_seen.csv").read_text().splitlines()
    assert table[0] == "seen,count,top1,top2,top3" and table[1].startswith("0,")
    words = json.loads((gru / "words.json").read_text())["words"]
    assert len(words) == 8 and "the" in words and "one" in words                 # "1;" is the word "one" in text8


def test_a_new_run_over_an_old_one_and_a_resume_with_other_flags_are_refused(runs, tmp_path):
    corpus, gru, _, _ = runs
    logdir = gru.parent
    again = run_script(*TRAIN, "--corpus", corpus, "--unit", "gru", "--logdir", logdir)
    assert "already holds an autocomplete run: give --resume" in error_line(again) and again.returncode == 2
    other = run_script(*TRAIN[:2], "--units", "13", *TRAIN[4:], "--corpus", corpus, "--unit", "gru", "--logdir",
                       logdir, "--name", gru.name, "--resume")
    assert "units=12 there, 13 here" in error_line(other)


def test_the_test_table_graph_and_suggestions(runs, tmp_path):
    _, gru, lstm, _ = runs
    done = run_script("autocomplete.py", "test", gru, lstm, "--out", tmp_path / "table")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| autocomplete-tiny-gru-2x12 |" in done.stdout
    assert (tmp_path / "table" / "accuracy_by_seen.png").stat().st_size > 0
    done = run_script("autocomplete.py", "complete", gru, "--text", "The cat sat", "--top", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == len(" the cat sat") and lines[-1].strip().startswith("' the cat sat'")
    assert lines[0].count("%") == 2


def test_connectivity_summaries_of_two_models_side_by_side(runs, tmp_path):
    _, gru, lstm, _ = runs
    done = run_script("analyze.py", "connectivity", gru, lstm, "--count", "2", "--out", tmp_path / "c",
                      "--logdir", tmp_path / "logs")
    assert done.returncode == 0, done.stderr[-2000:]
    bodies = plugin_summaries(tmp_path / "logs")
    assert sorted(bodies) == ["karpathy_rnn/connectivity/0", "karpathy_rnn/connectivity/1"]
    body = bodies["karpathy_rnn/connectivity/0"]
    assert body["task"] == "autocomplete" and [m["name"] for m in body["models"]] == [gru.name, lstm.name]
    text = body["text"]
    assert text.startswith(" ") and len(body["targets"]) == len(text)
    for model in body["models"]:
        assert [len(row) for row in model["values"]] == list(range(1, len(text) + 1))
        assert all(len(s) == 3 for s in model["suggestions"])
    words = text.split()
    assert body["targets"][1] in (words[0], None)                           # the first letter targets its word
    saved = json.loads((tmp_path / "c" / "connectivity.json").read_text())["texts"]
    assert saved == [bodies[f"karpathy_rnn/connectivity/{i}"] for i in range(2)]
    assert (tmp_path / "c" / "connectivity.csv").read_text().startswith("text,source,model,rows,long_context_share")


def test_bad_input_is_one_line(runs, tmp_path):
    corpus, gru, _, _ = runs
    symbols = tmp_path / "symbols.txt"
    symbols.write_text("!!! ??? ... ---\n" * 50)
    long_word = tmp_path / "long.txt"
    long_word.write_text("a " * 200 + "b" * 60)
    cases = [
        (["--corpus", symbols], "no words after normalisation"),
        (["--corpus", corpus, "--words", "2"], "--words 2 is below 3"),
        (["--corpus", long_word, "--length", "50"], "observation length 50 is below the longest word (60 letters"),
    ]
    for flags, message in cases:
        done = run_script("autocomplete.py", "train", "--logdir", tmp_path / "r", *flags)
        assert message in error_line(done) and done.returncode == 2
    done = run_script("analyze.py", "connectivity", gru, "--text", "the cat", "--positions", "3,8")
    assert "position 8 is outside the text (0 to 7)" in error_line(done)
    done = run_script("analyze.py", "connectivity", tmp_path, "--text", "the cat")
    assert "is not an autocomplete or char-LM run" in error_line(done)
    done = run_script("autocomplete.py", "test", tmp_path)
    assert "is not an autocomplete run directory" in error_line(done)


def test_the_test_loss_is_keras_masked_mean_and_the_article_models_have_its_parameter_counts():
    """evaluate's cross-entropy = Keras' loss with sample weights (padding, unknown out); the appendix's table of
    parameters (recurrent and dense; our embedding has a 28th row, for padding)."""
    import keras

    from karpathy_rnn.data.autocomplete import build_autocomplete
    from karpathy_rnn.models import autocomplete_model
    from karpathy_rnn.training.autocomplete import compile_model, evaluate

    data = build_autocomplete(" ".join(["the cat sat on a mat and ran"] * 60), words=4, length=30)
    model = compile_model(autocomplete_model(4, "gru", 2, 6, seed=0, fused_xla=False))
    results, ranks = evaluate(model, data.test, 7)
    keras_loss = model.evaluate(data.test.inputs.astype(np.int32), data.test.targets, verbose=0,
                                sample_weight=data.test.weights, batch_size=len(data.test))[0]
    assert results["cross_entropy"] == pytest.approx(keras_loss, rel=1e-5)
    assert results["positions"] == int(data.test.weights.sum()) and ranks.max() <= 3
    counts = {}
    for unit, layers in (("gru", 2), ("lstm", 2), ("nlstm", 1)):
        model = autocomplete_model(2**14, unit, layers, 600)
        model.build((None, 200))
        counts[unit] = {layer.name: layer.count_params() for layer in model.layers if layer.weights}
    assert counts["gru"]["gru1"] + counts["gru"]["gru2"] == 4_323_600
    assert counts["lstm"]["lstm1"] + counts["lstm"]["lstm2"] == 5_764_800 == counts["nlstm"]["nlstm1"]
    assert counts["gru"]["logits"] == 9_847_986 and counts["gru"]["embedding"] == 16_200 + 600
    keras.backend.clear_session()


def test_broken_files_and_a_long_text_are_one_line(runs, tmp_path):
    """Issue 32.6 and 32.9: a truncated best.keras in `complete` was Keras' "File not found" for a file that exists;
    a zeroed backup/training_metadata.json stopped `train --resume` in json.loads; a 120 KB --text to `complete` was
    refused as too long for "connectivity"."""
    import shutil

    corpus, gru, _, _ = runs
    from training_helpers import run_without_tensorflow

    long = run_without_tensorflow("autocomplete.py", "complete", gru, "--text", "the cat " * 15_000)
    assert error_line(long) == ("error: --text has 119,999 characters; autocomplete.py complete takes at most 2,000: "
                                "give a shorter text") and long.returncode == 2
    copy = tmp_path / "runs" / gru.name
    shutil.copytree(gru, copy)
    with open(copy / "best.keras", "r+b") as handle:
        handle.truncate(os.path.getsize(copy / "best.keras") // 2)
    done = run_script("autocomplete.py", "complete", copy, "--text", "the cat")
    assert done.returncode == 2 and error_line(done).startswith(f"error: {copy / 'best.keras'} is not a readable "
                                                                ".keras model")
    assert "run scripts/autocomplete.py train --resume" in error_line(done)
    metadata = copy / "backup" / "training_metadata.json"
    resume = [*TRAIN, "--corpus", corpus, "--unit", "gru", "--epochs", "3", "--logdir", tmp_path / "runs", "--resume"]
    metadata.write_bytes(b"\0" * metadata.stat().st_size)
    os.remove(copy / "backup" / "training_metadata.json.bkp")
    done = run_script(*resume)
    assert done.returncode == 2 and error_line(done).startswith(f"error: {metadata} is damaged (not readable JSON")
    assert "and no earlier backup is whole; remove" in error_line(done)


def test_a_damaged_backup_metadata_falls_back_to_the_backup_before_it(tmp_path):
    from karpathy_rnn.training.autocomplete import check_backup

    backup = tmp_path / "backup"
    backup.mkdir()
    for name, content in (("latest.weights.h5", b"new"), ("training_metadata.json", b"\0" * 30),
                          ("latest.weights.h5.bkp", b"old"), ("training_metadata.json.bkp", b'{"epoch": 1, "batch": 4}')):
        (backup / name).write_bytes(content)
    lines = []
    check_backup(str(backup), lines.append)
    assert (backup / "latest.weights.h5").read_bytes() == b"old" and \
        json.loads((backup / "training_metadata.json").read_text()) == {"epoch": 1, "batch": 4}
    assert lines == [f"warning: {backup / 'training_metadata.json'} was damaged (not readable JSON: Expecting value: "
                     "line 1 column 1 (char 0)); resuming from the backup before it"]
    check_backup(str(backup), lines.append)              # whole: nothing to do
    assert len(lines) == 1
