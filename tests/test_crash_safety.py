"""Issue 15: scripts/train.py killed with SIGKILL at seeded random moments (checkpoint saves every other step, so
many kills land in one; the last ones at the end of the run) and resumed, sometimes killed again while resuming,
ends with the weights, optimiser state and results of a run never killed, and its events hold each step once.

A moment is a training step and a seeded fraction of the time the reference run took from that step's progress
line to the next (or, after the last step, to its exit): the kill waits for the step's line, so it lands mid-run
however loaded the machine is (pytest-xdist runs another test file beside this one)."""

import collections
import glob
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.training_helpers import REPO, write_tiny_corpus

pytestmark = pytest.mark.slow   # about 25 training processes

STEPS, EVAL_EVERY = 24, 8
FLAGS = ["--unit", "lstm", "--layers", "2", "--hidden", "12", "--batch-size", "10", "--unroll", "20",
         "--max-steps", str(STEPS), "--eval-every", str(EVAL_EVERY), "--checkpoint-every", "2", "--seed", "1",
         "--sample-length", "10"]


def _start(corpus, logdir, name, resume=False, quiet=False) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, os.path.join(REPO, "scripts", "train.py"), "--corpus", corpus, "--logdir", str(logdir),
               "--name", name, *FLAGS, "--log-every", "1", *(["--resume"] if resume else [])]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else subprocess.PIPE,
                            text=True, env=env, cwd=REPO)


def _is_step_line(line: str) -> bool:
    return line.startswith("epoch ") and " step " in line


def _step_times(process: subprocess.Popen, started: float) -> tuple[list[float], float]:
    """Seconds from `started` to each progress line of a run that is never killed, and to its exit."""
    times = [time.monotonic() - started for line in process.stdout if _is_step_line(line)]
    process.wait(timeout=600)
    return times, time.monotonic() - started


def _kill_after_line(process: subprocess.Popen, lines: int, seconds: float) -> bool:
    """SIGKILL `process` `seconds` after its `lines`-th progress line, unless it ends first; whether it was killed."""
    seen = 0
    for line in process.stdout:
        seen += _is_step_line(line)
        if seen == lines:
            break
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


def _final_checkpoint(run_dir) -> dict[str, np.ndarray]:
    """Every tensor of the run's newest checkpoint but the save counter."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(os.path.join(run_dir, "checkpoints")))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map() if "save_counter" not in name}


def _logged_steps(run_dir) -> collections.Counter:
    """How many times each (tag, step) is in the run's own events files (raw records: no reader's purging)."""
    import tensorflow as tf

    from tensorboard.compat.proto import event_pb2

    counts = collections.Counter()
    for path in glob.glob(os.path.join(run_dir, "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path):
            event = event_pb2.Event.FromString(record.numpy())
            counts.update((value.tag, event.step) for value in event.summary.value)
    return counts


def _results(run_dir) -> dict:
    with open(os.path.join(run_dir, "results.json"), encoding="utf-8") as handle:
        results = json.load(handle)
    return {key: results[key] for key in ("test_loss_nats", "test_loss_std", "val_loss_nats", "best_step", "steps")}


def test_kill_9_anywhere_then_resume_gives_the_run_never_killed(tmp_path):
    corpus = write_tiny_corpus(tmp_path, characters=12_000)
    started = time.monotonic()
    reference = _start(corpus, tmp_path, "reference")
    times, duration = _step_times(reference, started)
    assert reference.returncode == 0, reference.stderr.read()[-2000:]
    assert len(times) == STEPS
    gaps = np.diff(times + [duration])                      # step k's line to the next line (the last: to the exit)
    expected = _final_checkpoint(tmp_path / "reference")
    expected_results = _results(tmp_path / "reference")
    steps = _logged_steps(tmp_path / "reference")
    assert {step for (tag, step) in steps if tag == "train/loss"} == set(range(1, STEPS + 1))

    rng = np.random.default_rng(15)
    # seeded moments over the whole run (a step, a fraction of the way to the next line), two after the last step
    # (the final save, the test, results.json)
    moments = sorted(zip(rng.integers(STEPS // 3, STEPS - 1, 5).tolist(), rng.uniform(0, 1, 5).tolist()))
    moments += [(STEPS, 0.3), (STEPS, 0.8)]
    report = []
    for number, (step, fraction) in enumerate(moments):
        name = f"killed-{number}"
        killed = _kill_after_line(_start(corpus, tmp_path, name, quiet=True), step, fraction * gaps[step - 1])
        resumes = 0
        while True:                               # the first resume of every other run is killed too
            if resumes == 0 and number % 2:
                process = _start(corpus, tmp_path, name, resume=True, quiet=True)
                if _kill_after_line(process, 1, rng.uniform(0, 1) * gaps[min(step, STEPS - 1)]):
                    resumes += 1
                    continue
            process = _start(corpus, tmp_path, name, resume=True)
            out, err = process.communicate(timeout=600)
            assert process.returncode == 0, (step, fraction, err[-2000:])
            break
        fraction = step + fraction
        report.append((round(fraction, 3), killed, resumes))
        got = _final_checkpoint(tmp_path / name)
        assert sorted(got) == sorted(expected)
        for key in expected:
            np.testing.assert_array_equal(got[key], expected[key], err_msg=f"{key} after a kill at {fraction:.3f}")
        assert _results(tmp_path / name) == expected_results, report
        assert _logged_steps(tmp_path / name) == steps, report           # each step once, none lost
        assert not glob.glob(str(tmp_path / name / "checkpoints" / "*_temp"))
    assert sum(killed for _, killed, _ in report) >= 5, report           # the kills did land mid-run


def test_a_resume_drops_the_evaluation_and_sample_logged_at_an_unrecorded_checkpoint_step(tmp_path):
    """Issue 32.14 (a planted bug the suite let through: a killed run's samples/ text at the checkpoint step kept).
    A checkpoint at step 5 that does not record the evaluation at 5 replays it, so its val/ and samples/ summaries
    at 5 go with everything after 5; train/ at 5 stays. Recorded, they stay."""
    import tensorflow as tf

    from karpathy_rnn.training.events import drop_replayed_events
    from tests.training_helpers import logged

    def write(folder):
        writer = tf.summary.create_file_writer(str(folder))
        with writer.as_default():
            for step in (4, 5, 6):
                tf.summary.scalar("train/loss", float(step), step=step)
            tf.summary.scalar("val/loss", 1.5, step=5)
            tf.summary.text("samples/val_prime", "    the cat", step=5)
        writer.close()

    def steps(folder):
        found = {}
        for tag in ("train/loss", "val/loss", "samples/val_prime"):
            try:
                found[tag] = [step for step, _ in logged(folder, tag)]
            except KeyError:                          # no event of that tag left
                found[tag] = []
        return found

    write(tmp_path / "unrecorded")
    assert drop_replayed_events(str(tmp_path / "unrecorded"), 5, evaluated_at_step=False) == 3
    assert steps(tmp_path / "unrecorded") == {"train/loss": [4, 5], "val/loss": [], "samples/val_prime": []}
    write(tmp_path / "recorded")
    assert drop_replayed_events(str(tmp_path / "recorded"), 5, evaluated_at_step=True) == 1
    assert steps(tmp_path / "recorded") == {"train/loss": [4, 5], "val/loss": [5], "samples/val_prime": [5]}
