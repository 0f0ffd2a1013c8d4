"""A run directory: its config.json, results.json, best model and checkpoints, and the checks made on resume."""

from __future__ import annotations

import fcntl
import json
import os

from karpathy_rnn.atomic import atomic_file
from karpathy_rnn.errors import KRNNError

CONFIG_FILE = "config.json"
RESULTS_FILE = "results.json"
CHECKPOINT_DIR = "checkpoints"
BEST_MODEL_FILE = "best.keras"   # the model with the best validation loss
LOCK_FILE = ".lock"              # held by the one process writing the run; the kernel drops it when that process ends


class RunDirLock:
    """An exclusive lock on a run directory for one writer (`fcntl.flock`, so it is never stale)."""

    def __init__(self, path: str):
        self.path = os.path.join(path, LOCK_FILE)
        self.file = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "unknown"
            self.file.close()
            raise KRNNError(f"{path} is being written by another training process (PID {holder}); wait for it "
                            "to end or stop it, or give another --name or --logdir") from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(str(os.getpid()))
        self.file.flush()

    def release(self) -> None:
        """Let another process write the run (also done by the kernel when this process ends)."""
        if not self.file.closed:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()


def write_json(path: str, values: dict) -> None:
    """Write `values` as indented JSON, atomically."""
    with atomic_file(path, "w", encoding="utf-8") as f:
        json.dump(values, f, indent=1, ensure_ascii=False)
        f.write("\n")


def read_json(path: str) -> dict | None:
    """The JSON object in `path`, or None when there is no such file."""
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        raise KRNNError(f"{path} is not readable JSON ({exc}); remove it or the run directory") from exc


def prepare_run_dir(path: str) -> str:
    """Make the run directory (and its parents) and check that it can be written; returns it."""
    try:
        os.makedirs(path, exist_ok=True)
        with atomic_file(os.path.join(path, ".write_test"), "w") as f:
            f.write("ok")
        os.remove(os.path.join(path, ".write_test"))
    except OSError as exc:
        raise KRNNError(f"cannot write the run directory {path!r} ({exc.strerror or exc}); give a writable "
                        "--logdir") from exc
    return path


BEST_MODEL_TEMP = "best.tmp.keras"   # best.keras being written; renamed over it when complete


def remove_leftovers(path: str) -> list[str]:
    """Delete what a killed writer left half-made (TensorFlow's `ckpt-*_temp` folders, the best model being
    written); returns their names. Only for the process that holds the run's lock."""
    import glob
    import shutil

    found = glob.glob(os.path.join(path, CHECKPOINT_DIR, "ckpt-*_temp")) + \
        glob.glob(os.path.join(path, BEST_MODEL_TEMP))
    for leftover in found:
        if os.path.isdir(leftover):
            shutil.rmtree(leftover, ignore_errors=True)
        elif os.path.exists(leftover):
            os.remove(leftover)
    return sorted(os.path.relpath(p, path) for p in found)


def has_checkpoint(path: str) -> bool:
    """Whether the run directory holds a training checkpoint."""
    return os.path.isfile(os.path.join(path, CHECKPOINT_DIR, "checkpoint"))


def check_resumable(stored: dict, current: dict, fixed: tuple[str, ...], path: str) -> None:
    """Raise KRNNError naming every setting (and the vocabulary) in which `current` differs from the stored run."""
    differences = [f"{key}={stored.get(key)!r} there, {current.get(key)!r} here" for key in fixed
                   if stored.get(key) != current.get(key)]
    if stored.get("vocabulary") != current.get("vocabulary"):
        old, new = stored.get("vocabulary") or "", current.get("vocabulary") or ""
        differences.append(f"a vocabulary of {len(old)} characters there, {len(new)} here "
                           f"({len(set(new) - set(old))} new, {len(set(old) - set(new))} gone)")
    if differences:
        raise KRNNError(f"cannot resume {path}: its checkpoint is of another model or data ({'; '.join(differences)}); "
                        "resume with the same corpus and flags, or start a new run with another --name")
