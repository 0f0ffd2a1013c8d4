"""A run's weight history: the model's weights every N training steps (train.py --analyze-every N), kept in
RUN/history/step-<step>.weights.h5 for the analysis over training (analysis/over_training.py). Weights only, no
optimiser: 4 bytes per parameter (1.0 MB for the 2x128 LSTM of War and Peace)."""

from __future__ import annotations

import os
import re

from karpathy_rnn.errors import KRNNError

HISTORY_DIR = "history"
_NAME = re.compile(r"step-(\d{8,})\.weights\.h5")


def snapshot_path(run_dir: str, step: int) -> str:
    """RUN/history/step-00001200.weights.h5 for `step`."""
    return os.path.join(run_dir, HISTORY_DIR, f"step-{int(step):08d}.weights.h5")


def save_snapshot(model, run_dir: str, step: int) -> str:
    """The Keras `model`'s weights at `step` into the history, written beside its final name and renamed over it, so
    a killed run leaves either the whole file or none."""
    path = snapshot_path(run_dir, step)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = os.path.join(os.path.dirname(path), f".partial-{os.getpid()}.weights.h5")   # keras wants the suffix
    try:
        model.save_weights(partial)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return path


def snapshots(run_dir: str) -> dict[int, str]:
    """{step: path} of the run's weight history, by step."""
    folder = os.path.join(run_dir, HISTORY_DIR)
    found = {}
    for name in os.listdir(folder) if os.path.isdir(folder) else ():
        match = _NAME.fullmatch(name)
        if match:
            found[int(match.group(1))] = os.path.join(folder, name)
    return dict(sorted(found.items()))


def drop_snapshots_after(run_dir: str, step: int) -> list[int]:
    """Remove the snapshots taken after `step` (a killed session's, past the checkpoint a resume restarts from: those
    steps are trained again); returns their steps."""
    dropped = [s for s in snapshots(run_dir) if s > step]
    for s in dropped:
        os.remove(snapshot_path(run_dir, s))
    return dropped


def choose_steps(run_dir: str, spec: str) -> dict[int, str]:
    """{step: path} of `spec`: "all", or steps "0,500,1000"; one clear KRNNError for a step without a snapshot."""
    kept = snapshots(run_dir)
    if not kept:
        raise KRNNError(f"{run_dir} has no weight history ({HISTORY_DIR}/ is empty or missing): train it with "
                        "`python scripts/train.py ... --analyze-every N` to keep the weights every N steps")
    if spec.strip() == "all":
        return kept
    try:
        wanted = [int(part) for part in spec.split(",") if part.strip()]
    except ValueError:
        raise KRNNError(f"--checkpoints {spec!r}: give all, or steps separated by commas, e.g. 0,500,1000") from None
    missing = [s for s in wanted if s not in kept]
    if missing or not wanted:
        shown = ", ".join(str(s) for s in list(kept)[:30]) + (", ..." if len(kept) > 30 else "")
        raise KRNNError(f"--checkpoints {spec!r}: no snapshot at step {', '.join(map(str, missing)) or '(none given)'}"
                        f"; the run kept steps {shown}")
    return {s: kept[s] for s in sorted(set(wanted))}


def history_megabytes(params: int, steps: int, every: int) -> tuple[int, float]:
    """(snapshots, MB) a run of `steps` steps keeps with --analyze-every `every` (step 0, every `every`, the last)."""
    count = steps // every + 1 + (steps % every != 0)
    return count, count * params * 4 / 2**20
