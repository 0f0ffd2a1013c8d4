"""The corrupted-file matrix of issue 15.5: each file of a finished tiny run broken in a way a crash, a full disk or
a careless edit leaves it, and each script that reads it run on the broken copy.

    python tests/corrupt_files.py        # prints the matrix as a Markdown table (about 3 minutes on 2 cores)
"""

from __future__ import annotations

import glob
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.training_helpers import run_script, write_tiny_corpus  # noqa: E402

TRAIN_FLAGS = ("--unit", "lstm", "--layers", 2, "--hidden", 12, "--batch-size", 10, "--unroll", 20,
               "--max-steps", 12, "--eval-every", 6, "--checkpoint-every", 3, "--seed", 1, "--sample-length", 10)


def _truncate(path: str) -> None:
    with open(path, "rb") as handle:
        body = handle.read()
    with open(path, "wb") as handle:
        handle.write(body[:len(body) // 2])


def _empty(path: str) -> None:
    open(path, "wb").close()


def _garble(path: str) -> None:
    """Flip every byte of the middle third (checksums must catch it)."""
    with open(path, "rb") as handle:
        body = bytearray(handle.read())
    third = len(body) // 3
    for index in range(third, 2 * third):
        body[index] ^= 0x5A
    with open(path, "wb") as handle:
        handle.write(bytes(body))


def _text(content: str):
    def write(path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
    write.__name__ = f"text {content}"
    return write


def _remove(path: str) -> None:
    os.remove(path)


# (files, as a glob under the run directory, what is done to each, the scripts that read them)
CASES = [
    ("checkpoints/ckpt-*.index", _truncate, ("train --resume",)),
    ("checkpoints/ckpt-*.index", _garble, ("train --resume",)),
    ("checkpoints/ckpt-*.data-*", _truncate, ("train --resume",)),
    ("checkpoints/ckpt-*.data-*", _garble, ("train --resume",)),
    ("checkpoints/ckpt-*.data-*", _remove, ("train --resume",)),
    ("checkpoints/checkpoint", _garble, ("train --resume",)),
    ("checkpoints/checkpoint", _empty, ("train --resume",)),
    ("checkpoints/checkpoint", _text('model_checkpoint_path: "ckpt-99"\n'), ("train --resume",)),
    ("best.keras", _truncate, ("train --resume", "sample", "export", "analyze")),
    ("best.keras", _empty, ("sample", "export", "analyze")),
    ("best.keras", _garble, ("sample", "export", "analyze")),
    ("best.keras", _text("not a zip"), ("sample", "export")),
    ("config.json", _text("[1, 2]"), ("train --resume", "analyze")),
    ("config.json", _text('{"corpus": 123}'), ("train --resume", "analyze")),
    ("config.json", _text('{"hidden": "abc", "unit": "lstm"}'), ("train --resume",)),
    ("config.json", _truncate, ("train --resume", "analyze")),
    ("results.json", _text('{"best_step": "abc"}'), ("analyze",)),
    ("results.json", _text("[1, 2]"), ("analyze",)),
    ("results.json", _truncate, ("analyze",)),
]


def describe(case) -> str:
    """'best.keras truncated' and the like."""
    files, corrupt, _ = case
    return f"{files} {corrupt.__name__.strip('_')}"


def make_run(folder: str) -> tuple[str, str]:
    """(a finished tiny run directory made by scripts/train.py, its corpus)."""
    corpus = write_tiny_corpus(folder, characters=12_000)
    done = run_script("train.py", "--corpus", corpus, "--logdir", folder, "--name", "run", *TRAIN_FLAGS)
    assert done.returncode == 0, done.stderr[-2000:]
    return os.path.join(folder, "run"), corpus


def _command(command: str, run_dir: str, corpus: str, scratch: str) -> tuple[str, list]:
    if command == "train --resume":
        return "train.py", ["--corpus", corpus, "--logdir", os.path.dirname(run_dir), "--name",
                            os.path.basename(run_dir), "--resume", *TRAIN_FLAGS]
    if command == "sample":
        return "sample.py", [run_dir, "--length", 5]
    if command == "export":
        return "export.py", [run_dir, "--out", os.path.join(scratch, "exported")]
    return "analyze.py", [run_dir, "--no-png", "--summary-chars", 200, "--no-progress"]


def run_case(run_dir: str, corpus: str, case, command: str, scratch: str):
    """The finished process of `command` on a copy of run_dir broken as `case` says."""
    files, corrupt, _ = case
    copy = os.path.join(scratch, "run")
    shutil.copytree(run_dir, copy)
    matched = glob.glob(os.path.join(copy, files))
    assert matched, files
    for path in matched:
        corrupt(path)
    script, args = _command(command, copy, corpus, scratch)
    return run_script(script, *args)


def matrix(run_dir: str, corpus: str, scratch: str, workers: int = 2):
    """[(case, command, finished process)] of every case and command, `workers` at a time."""
    jobs = [(case, command, os.path.join(scratch, f"{index}-{number}"))
            for index, case in enumerate(CASES) for number, command in enumerate(case[2])]
    for _, _, folder in jobs:
        os.makedirs(folder)
    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(lambda job: run_case(run_dir, corpus, job[0], job[1], job[2]), jobs))
    return [(case, command, process) for (case, command, _), process in zip(jobs, done)]


def outcome(process) -> str:
    """'rc 2: error: ...' or 'rc 1: ValueError: ...' in a line."""
    lines = [line for line in process.stderr.splitlines() if line.strip()
             and not line.startswith(("WARNING: All log", "E0000", "I0000", "W0000", "To enable"))]
    last = lines[-1] if lines else ""
    return f"rc {process.returncode}, {len(lines)} line(s): {last[:150]}"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        run_dir, corpus = make_run(folder)
        scratch = os.path.join(folder, "scratch")
        print("| file | broken | script | outcome |\n|---|---|---|---|")
        for case, command, process in matrix(run_dir, corpus, scratch):
            files, corrupt, _ = case
            print(f"| {files} | {corrupt.__name__.strip('_')} | {command} | {outcome(process)} |")
