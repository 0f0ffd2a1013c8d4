"""scripts/train.py and its Trainer: the loss falls, runs resume exactly, Ctrl-C and NaN keep good checkpoints."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from tests.training_helpers import (QUIET, REPO, error_line, logged, run_script, run_without_tensorflow, tiny_config,
                                    write_tiny_corpus)

pytestmark = pytest.mark.slow   # real training runs and script processes

@pytest.fixture
def corpus(tmp_path):
    return write_tiny_corpus(tmp_path)


def scalars(run_dir, tag):
    """[(step, value)] of a scalar tag."""
    return [(step, float(value)) for step, value in logged(run_dir, tag)]


def test_smoke_run_learns_and_writes_everything(corpus, tmp_path):
    done = run_script("train.py", "--corpus", corpus, "--unit", "gru", "--layers", "1", "--hidden", "24",
                      "--batch-size", "10", "--unroll", "20", "--max-steps", "60", "--eval-every", "20",
                      "--logdir", tmp_path / "runs", "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = tmp_path / "runs" / "tiny-gru-1x24"
    assert "test cross-entropy" in done.stdout and "bits/char" in done.stdout and str(run_dir) in done.stdout
    losses = [value for _, value in scalars(run_dir, "train/loss")]
    assert len(losses) == 60 and np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.3   # from about ln(K) = 3.2
    val = scalars(run_dir, "val/loss")
    assert [step for step, _ in val] == [20, 40, 60] and val[-1][1] < val[0][1]
    for tag in ("train/learning_rate", "train/gradient_norm", "train/chars_per_second", "val/bits_per_char"):
        assert len(scalars(run_dir, tag)) > 0, tag
    samples = logged(run_dir, "samples/val_prime")
    assert len(samples) == 3
    text = samples[-1][1].item().decode()
    assert len(text) > 20 and all(line.startswith("    ") for line in text.split("\n"))  # a literal code block
    results = json.loads((run_dir / "results.json").read_text())
    for key in ("test_loss_nats", "val_loss_nats", "test_loss_std", "params", "corpus_sha256", "config"):
        assert key in results
    k = len(set(open(corpus, encoding="utf-8").read()))
    assert results["params"] == 3 * 24 * (k + 24) + 3 * 24 + 24 * k + k   # GRU 1x24 (section 3.1) + softmax
    assert results["val_loss_nats"] == pytest.approx(min(value for _, value in val))
    assert 0 < results["test_loss_std"] < 0.1 and results["steps"] == 60 and results["stopped_by"] == "max_steps"
    assert (run_dir / "best.keras").is_file() and (run_dir / "checkpoints" / "checkpoint").is_file()


def test_evaluation_matches_a_direct_computation(corpus, tmp_path):
    """The validation loss is the mean cross-entropy of every val character, state carried along each lane."""
    import keras

    from karpathy_rnn.training.trainer import Trainer

    trainer = Trainer(tiny_config(corpus, tmp_path, max_steps=3), **QUIET)
    trainer.run()
    ids = trainer.corpus.scoring_ids("val")
    losses = trainer.evaluate("val")
    assert losses.shape == (len(ids) - 1,)
    probabilities = keras.ops.softmax(trainer.model(ids[None, :-1])).numpy()[0].astype(np.float64)
    direct = -np.log(probabilities[np.arange(len(ids) - 1), ids[1:]])
    # lanes start from zero states, so only the first characters of each lane may differ from one pass
    lane = -(-(len(ids) - 1) // 10)
    same = np.ones(len(direct), bool)
    same[[b * lane + t for b in range(1, 10) for t in range(30)]] = False
    np.testing.assert_allclose(losses[same], direct[same], rtol=2e-4, atol=2e-5)
    # issue 17.7: results.json also has the test split read in one pass from a zero state, checked the same way
    with open(os.path.join(trainer.run_dir, "results.json"), encoding="utf-8") as handle:
        results = json.load(handle)
    best = keras.models.load_model(os.path.join(trainer.run_dir, "best.keras"))
    test_ids = trainer.corpus.scoring_ids("test")
    probabilities = keras.ops.softmax(best(test_ids[None, :-1])).numpy()[0].astype(np.float64)
    one_pass = -np.log(probabilities[np.arange(len(test_ids) - 1), test_ids[1:]]).mean()
    assert results["test_loss_nats_continuous"] == pytest.approx(one_pass, rel=1e-5)
    assert results["bootstrap_block_characters"] == 1000 and results["test_loss_std_block"] > 0


def test_resumed_run_ends_with_the_same_weights(corpus, tmp_path):
    import keras

    from karpathy_rnn.training.trainer import Trainer

    config = dict(max_steps=13, dropout=0.25, eval_every=4, checkpoint_every=3)
    straight = Trainer(tiny_config(corpus, tmp_path, name="straight", **config), **QUIET)
    straight.run()
    first = Trainer(tiny_config(corpus, tmp_path, name="resumed", **{**config, "max_steps": 7}), **QUIET)
    first.run()
    keras.backend.clear_session()
    second = Trainer(tiny_config(corpus, tmp_path, name="resumed", resume=True, **config), **QUIET)
    results = second.run()
    assert results["steps"] == 13 and results["epochs_completed"] == second.epoch
    for a, b in zip(straight.model.variables + straight.optimizer.variables,
                    second.model.variables + second.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)
    assert second.step_in_epoch == straight.step_in_epoch and second.epoch == straight.epoch
    for name in ("best_val", "best_step", "last_eval_step", "evaluations_since_best", "stopped_early"):
        assert np.asarray(getattr(second.progress, name)) == np.asarray(getattr(straight.progress, name)), name
    expected = json.loads((tmp_path / "straight" / "results.json").read_text())
    for key in ("test_loss_nats", "val_loss_nats", "test_loss_std", "best_epoch", "steps"):
        assert results[key] == expected[key], key


def test_state_is_carried_across_batches_and_zeroed_each_epoch(corpus, tmp_path):
    """Each lane starts a step from the states its own lane ended the previous step with (recomputed here
    from the step's input at the same weights), and from zeros at each epoch's start."""
    from karpathy_rnn.models import flat_states
    from karpathy_rnn.training.trainer import Trainer

    trainer = Trainer(tiny_config(corpus, tmp_path, batch_size=20, epochs=2, eval_every=0), **QUIET)
    step, seen, ended = trainer._train_step, [], []

    def spy(inputs, targets, states):          # the states each training step starts from, and ends with
        seen.append({name: np.asarray(value) for name, value in states.items()})
        out = trainer.carry({"ids": inputs, **states}, training=True)   # no dropout: the step's own forward
        ended.append({name: np.asarray(value) for name, value in flat_states(out["states"]).items()})
        return step(inputs, targets, states)

    trainer._train_step = spy
    results = trainer.run()
    per_epoch = trainer.steps_per_epoch
    assert results["epochs_completed"] == 2 and results["stopped_by"] == "epochs"
    assert len(seen) == results["steps"] == 2 * per_epoch
    for index, states in enumerate(seen):
        zero = index % per_epoch == 0
        assert all((np.abs(value).max() == 0) == zero for value in states.values()), index
        if zero:
            continue
        for name, value in states.items():     # lane by lane: a lane handed another lane's state fails here
            previous = ended[index - 1][name]
            np.testing.assert_allclose(value, previous, rtol=0, atol=1e-5, err_msg=f"step {index + 1}, {name}")
            nearest = np.abs(value[:, None] - previous[None, :]).max(axis=-1).argmin(axis=1)
            assert (nearest == np.arange(len(value))).all(), (index + 1, name, nearest)


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes(corpus, tmp_path):
    args = [sys.executable, os.path.join(REPO, "scripts", "train.py"), "--corpus", corpus, "--hidden", "12",
            "--batch-size", "10", "--unroll", "20", "--epochs", "1000", "--eval-every", "3", "--checkpoint-every",
            "1000", "--logdir", tmp_path, "--name", "run", "--no-progress", "--sample-length", "0"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"})
    for line in process.stdout:           # wait until it is really training
        if "validation" in line:
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr[-2000:]
    assert "checkpoint saved" in stderr and "--resume" in stderr and "Traceback" not in stderr
    assert (tmp_path / "run" / "checkpoints" / "checkpoint").is_file()
    done = run_script("train.py", *args[2:], "--max-steps", "9", "--resume")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resuming" in done.stdout and json.loads((tmp_path / "run" / "results.json").read_text())["steps"] >= 3


def test_the_run_stays_locked_until_its_final_analysis_is_written(corpus, tmp_path, monkeypatch):
    """Issue 32.8: train.py released the run's lock before --analyze-every's final analysis, so a second
    `train.py --resume` started and redid it. The lock is now held until the analysis is written."""
    import importlib.util

    from karpathy_rnn.analysis import over_training
    from karpathy_rnn.errors import KRNNError
    from karpathy_rnn.training.run_dir import RunDirLock

    spec = importlib.util.spec_from_file_location("train_script", os.path.join(REPO, "scripts", "train.py"))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    seen = []

    def second_writer(run_dir, *args, **kwargs):       # what another train.py --resume would meet
        try:
            RunDirLock(run_dir).release()
            seen.append("free")
        except KRNNError as error:
            seen.append(str(error))
    monkeypatch.setattr(over_training, "analyze_history", second_writer)
    assert script.main(["--corpus", corpus, "--hidden", "8", "--batch-size", "10", "--unroll", "20", "--max-steps",
                        "2", "--analyze-every", "1", "--sample-length", "0", "--logdir", str(tmp_path), "--name",
                        "run", "--no-progress"]) == 0
    assert len(seen) == 1 and "is being written by another training process" in seen[0], seen
    RunDirLock(str(tmp_path / "run")).release()          # and released after it


def test_resume_before_any_evaluation_warns_of_no_missing_best_model(corpus, tmp_path, monkeypatch):
    """Issue 32.5: the first --resume after a Ctrl-C before any evaluation warned "best.keras is missing", a file
    that never existed (the warning is for one an evaluation wrote; tests/test_corrupt_files.py)."""
    from karpathy_rnn.training.trainer import Trainer

    def interrupted(self):
        raise KeyboardInterrupt
    config = dict(name="run", checkpoint_every=1, eval_every=1000, max_steps=2)
    with monkeypatch.context() as patched:
        patched.setattr(Trainer, "_validate", interrupted)
        with pytest.raises(KeyboardInterrupt):
            Trainer(tiny_config(corpus, tmp_path, **config), **QUIET).run()
    assert (tmp_path / "run" / "checkpoints" / "checkpoint").is_file() and not (tmp_path / "run" / "best.keras").exists()
    lines = []
    Trainer(tiny_config(corpus, tmp_path, resume=True, **{**config, "max_steps": 3}), log=lines.append,
            progress_bar=False).run()
    assert any("resuming" in line for line in lines) and not any("warning" in line for line in lines), lines
    assert (tmp_path / "run" / "best.keras").is_file()


def test_nan_loss_stops_and_keeps_the_good_checkpoint(corpus, tmp_path):
    import tensorflow as tf

    from karpathy_rnn.training.trainer import Trainer, TrainingDiverged

    config = dict(name="run", checkpoint_every=1, eval_every=0, max_steps=4)
    Trainer(tiny_config(corpus, tmp_path, **config), **QUIET).run()
    folder = os.path.join(tmp_path, "run", "checkpoints")
    good = tf.train.latest_checkpoint(folder)
    assert good.endswith("ckpt-4")
    resumed = Trainer(tiny_config(corpus, tmp_path, resume=True, **{**config, "max_steps": 50}), **QUIET)
    resumed.config.learning_rate, resumed.config.clip = 1e38, 0.0   # the next update overflows the weights
    with pytest.raises(TrainingDiverged, match="NaN or Inf at epoch 1, global step 5.*ckpt-4.*--learning-rate"):
        resumed.run()
    assert tf.train.latest_checkpoint(folder) == good
    reader = tf.train.load_checkpoint(good)
    for name in reader.get_variable_to_shape_map():
        value = np.asarray(reader.get_tensor(name))
        if np.issubdtype(value.dtype, np.floating) and not name.startswith("progress/best_val"):
            assert np.isfinite(value).all(), name


def test_nan_is_one_line_and_exit_2(corpus, tmp_path):
    done = run_script("train.py", "--corpus", corpus, "--hidden", "8", "--batch-size", "10", "--unroll", "20",
                      "--learning-rate", "1e38", "--clip", "0", "--checkpoint-every", "1", "--logdir", tmp_path,
                      "--no-progress")
    assert done.returncode == 2
    assert "NaN or Inf" in error_line(done)


def test_bad_input_is_one_line_and_exit_2(corpus, tmp_path):
    short = write_tiny_corpus(tmp_path, "short.txt", characters=3000)
    cases = [
        (["--unit", "transformer"], "invalid choice: 'transformer'"),
        (["--budget", "2m"], "invalid choice: '2m'"),
        (["--unit", "nlstm", "--depth", "40", "--layers", "3", "--budget", "50k", "--corpus", corpus],
         "cannot be matched"),
        (["--corpus", short], "shorter than one batch"),
        (["--corpus", corpus, "--logdir", os.path.join(corpus, "runs")], "cannot write the run directory"),
        (["--corpus", os.path.join(tmp_path, "missing.txt")], "missing.txt"),
        (["--corpus", corpus, "--layers", "7"], "--layers must be an integer from 1 to 3"),
    ]
    for flags, message in cases:
        done = run_script("train.py", *flags, "--logdir" if "--logdir" not in flags else "--seed",
                          tmp_path if "--logdir" not in flags else 0)
        assert done.returncode == 2, (flags, done.stderr[-1500:])
        assert message in error_line(done), flags


def test_resume_of_a_run_that_does_not_exist_is_refused_naming_the_runs_there(corpus, tmp_path):
    """Issue 32.1: `--name nosuch --resume` silently trained a new run from step 0 (rc 0)."""
    common = ["--corpus", corpus, "--hidden", "8", "--batch-size", "10", "--unroll", "20", "--max-steps", "2",
              "--logdir", tmp_path, "--no-progress"]
    assert run_script("train.py", *common, "--name", "real").returncode == 0
    done = run_script("train.py", *common, "--name", "nosuch", "--resume")
    assert done.returncode == 2, done.stderr[-2000:]
    assert error_line(done) == (f"error: --resume: {tmp_path / 'nosuch'} holds no run to resume; runs in {tmp_path}: "
                                "real (give one of them with --name, or leave out --resume to start a new run)")
    assert not (tmp_path / "nosuch" / "config.json").exists()


def test_refusals_config_json_decides_come_before_tensorflow(corpus, tmp_path):
    """Issue 32.2: "already holds a run" came after 27-29 s (TensorFlow and the memory check first); so did a
    --resume of nothing and a --resume with other flags. Each is decided from config.json and the corpus alone."""
    common = ["--corpus", corpus, "--hidden", "8", "--batch-size", "10", "--unroll", "20", "--logdir", tmp_path,
              "--name", "run", "--no-progress"]
    os.makedirs(tmp_path / "run")
    with open(tmp_path / "run" / "config.json", "w", encoding="utf-8") as f:
        json.dump({"hidden": 8}, f)
    cases = [(common, "already holds a run; pass --resume"),
             ([*common[:-3], "--name", "nosuch", "--no-progress", "--resume"], "holds no run to resume"),
             ([*common, "--resume"], "cannot resume")]
    for flags, message in cases:
        done = run_without_tensorflow("train.py", *flags)
        assert done.returncode == 2 and message in error_line(done), (flags, done.stderr[-1500:])


def test_resume_refuses_another_vocabulary_or_architecture(corpus, tmp_path):
    os.makedirs(tmp_path / "other")
    other = write_tiny_corpus(tmp_path / "other", "tiny.txt", seed=5)
    with open(other, "a", encoding="utf-8") as f:
        f.write("Zebra!\n")
    common = ["--batch-size", "10", "--unroll", "20", "--max-steps", "2", "--logdir", tmp_path, "--name", "run",
              "--no-progress"]
    assert run_script("train.py", "--corpus", corpus, "--hidden", "8", *common).returncode == 0
    again = run_script("train.py", "--corpus", corpus, "--hidden", "8", *common)
    assert again.returncode == 2 and "already holds a run; pass --resume" in error_line(again)
    vocabulary = run_script("train.py", "--corpus", other, "--hidden", "8", *common, "--resume")
    assert vocabulary.returncode == 2 and "vocabulary of" in error_line(vocabulary)
    architecture = run_script("train.py", "--corpus", corpus, "--hidden", "9", *common, "--resume")
    assert architecture.returncode == 2 and "hidden=8 there, 9 here" in error_line(architecture)


def test_mirrored_strategy_matches_one_device(corpus, tmp_path):
    """Two logical CPUs, lanes split between the replicas: the same losses and weights as one device."""
    code = f"""
import json, sys, numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
sys.path.insert(0, {REPO!r})
from tests.training_helpers import tiny_config
from karpathy_rnn.training.trainer import Trainer
out = {{}}
for kind in ("none", "mirrored"):
    trainer = Trainer(tiny_config({corpus!r}, {str(tmp_path)!r}, name=kind, distribute=kind, unit="gru",
                                  max_steps=8, eval_every=4), log=lambda m: None, progress_bar=False)
    results = trainer.run()
    out[kind] = dict(replicas=trainer.replicas, val=results["val_loss_nats"], test=results["test_loss_nats"],
                     weights=[np.asarray(v).tolist() for v in trainer.model.trainable_variables])
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["none"]["replicas"] == 1 and out["mirrored"]["replicas"] == 2
    assert out["mirrored"]["val"] == pytest.approx(out["none"]["val"], rel=1e-5)
    assert out["mirrored"]["test"] == pytest.approx(out["none"]["test"], rel=1e-5)
    for a, b in zip(out["none"]["weights"], out["mirrored"]["weights"]):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_no_corpus_falls_back_to_the_embedded_one_offline(tmp_path):
    """A fresh offline machine: no War and Peace anywhere, so train.py trains on python_stdlib."""
    empty = tmp_path / "no_data"
    empty.mkdir()
    done = run_script("train.py", "--hidden", "8", "--layers", "1", "--batch-size", "10", "--unroll", "20",
                      "--max-steps", "2", "--logdir", tmp_path, "--no-progress",
                      env={**os.environ, "KRNN_DATA_DIR": str(empty), "KRNN_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "python_stdlib-lstm-1x8" / "results.json").is_file()
    # issue 16.1: the whole instruction, on its own lines, before training and again after the test result
    lines = done.stdout.splitlines()
    notes = [i for i, line in enumerate(lines) if line.startswith("note: War and Peace (war_and_peace) was not found")]
    tested = next(i for i, line in enumerate(lines) if line.startswith("test cross-entropy"))
    assert len(notes) == 2 and notes[0] < tested < notes[1], done.stdout
    for start in notes:
        assert "embedded corpus python_stdlib" in lines[start]
        assert lines[start + 1].strip().startswith("why: ") and "KRNN_DATA_DIR" in lines[start + 1]
        assert lines[start + 2].strip() == ("to train on War and Peace: python scripts/prepare_data.py war_and_peace "
                                            "--download (once, with network), or set KRNN_DATA_DIR to a folder "
                                            "holding war_and_peace.txt(.gz), or pass --corpus PATH")


def test_help_documents_every_flag_with_its_default():
    done = run_script("train.py", "--help")
    assert done.returncode == 0
    for flag in ("--corpus", "--unit", "--layers", "--hidden", "--budget", "--epochs", "--max-steps", "--logdir",
                 "--seed", "--batch-size", "--unroll", "--learning-rate", "--rho", "--decay", "--clip", "--dropout",
                 "--no-xla", "--precision", "--eval-every", "--patience", "--distribute", "--resume"):
        assert flag in done.stdout, flag
    assert "(default: 0.002)" in done.stdout and "(default: 0.95)" in done.stdout and "(default: 100)" in done.stdout


def test_a_finished_run_is_never_rewritten_and_a_broken_latest_checkpoint_is_skipped(corpus, tmp_path):
    """Issue 15.1: no second save under a number the index names (a kill mid-write broke resume), and a
    truncated latest checkpoint makes --resume fall back to the newest readable one, saying so."""
    import glob

    import keras

    from karpathy_rnn.training.trainer import Trainer

    config = dict(max_steps=9, eval_every=4, checkpoint_every=3)
    Trainer(tiny_config(corpus, tmp_path, name="run", **config), **QUIET).run()
    checkpoints = tmp_path / "run" / "checkpoints"
    latest = max(glob.glob(str(checkpoints / "ckpt-*.index")), key=lambda p: int(p.split("-")[-1][:-6]))
    assert latest.endswith("ckpt-9.index")
    before = {p: os.stat(p).st_mtime_ns for p in glob.glob(str(checkpoints / "*"))}
    keras.backend.clear_session()
    Trainer(tiny_config(corpus, tmp_path, name="run", resume=True, **config), **QUIET).run()
    assert {p: os.stat(p).st_mtime_ns for p in glob.glob(str(checkpoints / "*"))} == before

    open(latest, "wb").close()                      # what a SIGKILL mid-write left
    messages = []
    keras.backend.clear_session()
    resumed = Trainer(tiny_config(corpus, tmp_path, name="run", resume=True, **config),
                      log=messages.append, progress_bar=False)
    results = resumed.run()
    assert any("skipped unreadable checkpoint(s) ckpt-9" in m and "readable one, ckpt-8" in m
               for m in messages), messages       # kept: the last two, steps 8 (an evaluation) and 9
    assert results["steps"] == 9
    keras.backend.clear_session()
    Trainer(tiny_config(corpus, tmp_path, name="run", resume=True, **config), **QUIET).run()   # readable again


def test_one_writer_per_run_directory(corpus, tmp_path):
    """Issue 15.2: a second writer on a run directory is refused with one line naming the holder's PID;
    the lock goes when the holder's run ends, or when the holder process dies (flock, never stale)."""
    import keras

    from karpathy_rnn.errors import KRNNError
    from karpathy_rnn.training.trainer import Trainer

    config = dict(max_steps=3, eval_every=0)
    first = Trainer(tiny_config(corpus, tmp_path, name="run", **config), **QUIET)
    with pytest.raises(KRNNError, match=rf"being written by another training process \(PID {os.getpid()}\)"):
        Trainer(tiny_config(corpus, tmp_path, name="run", resume=True, **config), **QUIET)
    first.run()
    keras.backend.clear_session()
    Trainer(tiny_config(corpus, tmp_path, name="run", resume=True, **config), **QUIET).run()   # free again

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from karpathy_rnn.training.run_dir import RunDirLock; "
         f"lock = RunDirLock({str(tmp_path / 'run')!r}); print('held', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert holder.stdout.readline().strip() == "held"
        done = run_script("train.py", "--corpus", corpus, "--logdir", tmp_path, "--name", "run", "--resume",
                          "--hidden", 12, "--batch-size", 10, "--unroll", 20, "--max-steps", 3, "--seed", 1)
        assert done.returncode == 2
        assert f"(PID {holder.pid})" in error_line(done)
    finally:
        holder.kill()
        holder.wait()
    done = run_script("train.py", "--corpus", corpus, "--logdir", tmp_path, "--name", "run", "--resume",
                      "--hidden", 12, "--batch-size", 10, "--unroll", 20, "--max-steps", 3, "--seed", 1)
    assert done.returncode == 0, done.stderr[-1500:]          # the killed holder's lock is gone


def test_resume_removes_half_made_temporaries(corpus, tmp_path):
    """Issue 15.7 (first half): a killed writer's `ckpt-*_temp` folder and `best.tmp.keras` go on resume."""
    import keras

    from karpathy_rnn.training.trainer import Trainer

    config = dict(max_steps=3, eval_every=0)
    Trainer(tiny_config(corpus, tmp_path, name="run", **config), **QUIET).run()
    temp_dir = tmp_path / "run" / "checkpoints" / "ckpt-4_temp"
    temp_dir.mkdir()
    (temp_dir / "part-00000-of-00001").write_bytes(b"half")
    (tmp_path / "run" / "best.tmp.keras").write_bytes(b"half")
    messages = []
    keras.backend.clear_session()
    Trainer(tiny_config(corpus, tmp_path, name="run", resume=True, **config), log=messages.append,
            progress_bar=False).run()
    assert not temp_dir.exists() and not (tmp_path / "run" / "best.tmp.keras").exists()
    assert any("best.tmp.keras" in m and "ckpt-4_temp" in m for m in messages), messages


def test_memory_estimate_counts_weights_slots_and_one_batch_by_hand():
    """Issue 15.6: the estimate is the sum written out in memory.py's docstring, checked here by hand."""
    from karpathy_rnn.training import memory

    got = memory.estimate_training_memory("lstm", 2, 100, 2, 50, params=123_456, batch_per_replica=10, unroll=20)
    assert got.weights == 4 * 4 * 123_456                       # weights, gradients, RMSprop slot, a save's copy
    assert got.activations == 4 * 10 * 20 * (2 * (3 * 4 + 3) * 100 + 4 * 50)
    assert got.total == 1.25 * (got.weights + got.activations) + 1.2e9
    gru = memory.estimate_training_memory("gru", 1, 100, 2, 50, params=1, batch_per_replica=1, unroll=1)
    nested = memory.estimate_training_memory("nlstm", 1, 100, 3, 50, params=1, batch_per_replica=1, unroll=1)
    assert gru.activations == 4 * ((3 * 3 + 3) * 100 + 200) and nested.activations == 4 * ((3 * 12 + 3) * 100 + 200)


def test_memory_guard_refuses_before_anything_is_made_and_can_be_overridden(corpus, tmp_path, monkeypatch):
    """Issue 15.6: a run larger than the free memory is one line with the numbers and the override flag, and no
    folder is left; --no-memory-check starts it; any refusal of a new run removes what it made."""
    from karpathy_rnn.errors import KRNNError
    from karpathy_rnn.training import memory
    from karpathy_rnn.training.trainer import Trainer

    logdir = tmp_path / "new" / "logs"
    done = run_script("train.py", "--corpus", corpus, "--logdir", logdir, "--hidden", 30000)
    assert done.returncode == 2
    line = error_line(done)
    assert "this run needs about" in line and "GB free" in line and "--no-memory-check" in line, line
    assert not (tmp_path / "new").exists()

    monkeypatch.setattr(memory, "host_memory_available", lambda: 1e6)        # a machine with 1 MB free
    with pytest.raises(KRNNError, match=r"needs about 1\.2 GB.*has 0\.0 GB free"):
        Trainer(tiny_config(corpus, logdir, name="run", max_steps=2), **QUIET)
    assert not (tmp_path / "new").exists()
    Trainer(tiny_config(corpus, logdir, name="run", max_steps=2, memory_check=False), **QUIET).run()
    assert (logdir / "run" / "results.json").is_file()

    monkeypatch.setattr(Trainer, "_build", lambda self: (_ for _ in ()).throw(KRNNError("refused while building")))
    with pytest.raises(KRNNError, match="refused while building"):
        Trainer(tiny_config(corpus, tmp_path / "other" / "logs", name="run", memory_check=False), **QUIET)
    assert not (tmp_path / "other").exists()
    with pytest.raises(KRNNError, match="refused while building"):     # an existing run is never removed
        Trainer(tiny_config(corpus, logdir, name="run", resume=True, max_steps=4, memory_check=False), **QUIET)
    assert (logdir / "run" / "results.json").is_file()


def test_two_writers_started_together_one_runs_the_other_is_refused(corpus, tmp_path):
    """Issue 15.2: two fresh starts, then two --resume, of one run at the same moment: one trains, the other
    exits 2 naming its PID, and the run left behind is whole (its results are a finished run's)."""
    flags = ["--corpus", corpus, "--logdir", tmp_path, "--name", "run", "--hidden", 12, "--batch-size", 10,
             "--unroll", 20, "--max-steps", 6, "--seed", 1, "--sample-length", 0]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for extra in ([], ["--resume", "--max-steps", 9]):
        processes = [subprocess.Popen([sys.executable, os.path.join(REPO, "scripts", "train.py"), *map(str, flags),
                                       *map(str, extra)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                     for _ in range(2)]
        finished = [(p, *p.communicate(timeout=600)) for p in processes]
        codes = sorted(p.returncode for p, _, _ in finished)
        assert codes == [0, 2], [err[-800:] for _, _, err in finished]
        loser = next((p, err) for p, _, err in finished if p.returncode == 2)
        assert "being written by another training process (PID " in loser[1] or "already holds a run" in loser[1]
        with open(tmp_path / "run" / "results.json", encoding="utf-8") as handle:
            assert json.load(handle)["steps"] == (9 if extra else 6)


def test_off_a_terminal_progress_is_plain_lines_every_log_every_steps(corpus, tmp_path):
    """Issue 16.6: piped output (or --no-progress) gets a plain line every --log-every steps, no escape codes."""
    done = run_script("train.py", "--corpus", corpus, "--logdir", tmp_path, "--hidden", 8, "--batch-size", 10,
                      "--unroll", 20, "--max-steps", 9, "--log-every", 3, "--sample-length", 0, "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "\r" not in done.stdout and "\x1b" not in done.stdout
    steps = [line.split(" · ")[0] for line in done.stdout.splitlines() if line.startswith("epoch 1/50 step ")]
    assert steps == ["epoch 1/50 step 3/134", "epoch 1/50 step 6/134", "epoch 1/50 step 9/134"], done.stdout
    assert "training 9 steps (50 epochs of 134, --max-steps 9)" in done.stdout


def test_a_run_killed_before_its_first_checkpoint_logs_each_step_once_after_resume(corpus, tmp_path):
    """Issue 15.7: a run killed after logging steps but before any checkpoint starts again from step 0 on
    --resume; the steps it logged are taken out first (CI's slower machine killed one there)."""
    import shutil

    import keras

    from karpathy_rnn.training.trainer import Trainer
    from tests.test_crash_safety import _logged_steps

    config = dict(max_steps=4, eval_every=0, checkpoint_every=100)
    Trainer(tiny_config(corpus, tmp_path, name="run", **config), **QUIET).run()
    shutil.rmtree(tmp_path / "run" / "checkpoints")               # as if killed before the first save
    (tmp_path / "run" / "results.json").unlink()
    keras.backend.clear_session()
    Trainer(tiny_config(corpus, tmp_path, name="run", resume=True, **config), **QUIET).run()
    counts = _logged_steps(tmp_path / "run")
    assert sorted(step for (tag, step) in counts if tag == "train/loss") == [1, 2, 3, 4]
    assert max(counts.values()) == 1, counts
