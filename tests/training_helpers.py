"""Shared pieces of the training tests: a small learnable corpus, tiny configs and script runs."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "{", "}", "if", "(", ")", "x", "=", "1;"]


def write_tiny_corpus(folder, name="tiny.txt", characters=30_000, seed=0) -> str:
    """A learnable text file (words from a small list, lines of 8 words) of about `characters` characters."""
    rng = np.random.default_rng(seed)
    lines, size = [], 0
    while size < characters:
        line = " ".join(rng.choice(WORDS, 8)) + "\n"
        lines.append(line)
        size += len(line)
    path = os.path.join(str(folder), name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(lines))
    return path


def tiny_config(corpus: str, logdir, **overrides):
    """A TrainConfig of a model small enough for a test: batch 10 x unroll 20, 12 units."""
    from karpathy_rnn.training import TrainConfig

    values = dict(corpus=corpus, unit="lstm", layers=2, hidden=12, batch_size=10, unroll=20, epochs=2,
                  logdir=str(logdir), sample_length=20, checkpoint_every=3, eval_every=5, seed=1)
    return TrainConfig(**{**values, **overrides})


def run_script(name: str, *args, timeout=600, env=None, **kwargs) -> subprocess.CompletedProcess:
    """Run scripts/<name> with the test environment (or `env`); returns the finished process (text output)."""
    env = {**(env or os.environ), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, os.path.join(REPO, "scripts", name), *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO, **kwargs)


NO_TENSORFLOW = """
import runpy, sys
class NoHeavyImports:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "jax", "torch"):
            raise ImportError(f"{name} was imported before the refusal")
sys.meta_path.insert(0, NoHeavyImports())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_without_tensorflow(name: str, *args, **kwargs) -> subprocess.CompletedProcess:
    """Run scripts/<name> where importing TensorFlow, Keras, JAX or torch fails: a refusal that needs none of them
    comes out as its own one line, anything later as an ImportError."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": REPO}
    return subprocess.run([sys.executable, "-c", NO_TENSORFLOW, os.path.join(REPO, "scripts", name),
                           *map(str, args)], capture_output=True, text=True, env=env, cwd=REPO, **kwargs)


def error_line(done: subprocess.CompletedProcess) -> str:
    """The one stderr line a usage error must be (asserting there is exactly one, starting 'error:')."""
    lines = [line for line in done.stderr.splitlines() if line.strip() and not _tf_noise(line)]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr[-2000:]
    return lines[0]


def _tf_noise(line: str) -> bool:
    return line.startswith(("WARNING: All log messages", "E0000", "I0000", "W0000", "To enable the following"))


QUIET = {"log": lambda message: None, "progress_bar": False}   # Trainer keywords: no log lines, no bar


def logged(run_dir, tag):
    """[(step, value array)] of a tag in a run directory's TensorBoard events."""
    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir), size_guidance={"tensors": 0})
    events.Reload()
    return [(e.step, tf.make_ndarray(e.tensor_proto)) for e in events.Tensors(tag)]
