"""A run directory: its config.json, results.json, best model and checkpoints, and the checks made on resume."""

from __future__ import annotations

import json
import os

from karpathy_rnn.atomic import FolderLock, atomic_file, make_writable_folder
from karpathy_rnn.errors import KRNNError

CONFIG_FILE = "config.json"
RESULTS_FILE = "results.json"
CHECKPOINT_DIR = "checkpoints"
BEST_MODEL_FILE = "best.keras"   # the model with the best validation loss
IMPORTED_STATES_FILE = "imported_states.json"   # in a folder of states without a model (analyze.py import-states)


class RunDirLock(FolderLock):
    """An exclusive lock on a run directory for one writer (atomic.FolderLock)."""

    def __init__(self, path: str):
        super().__init__(path, "training process", "wait for it to end or stop it, or give another --name or "
                         "--logdir")


def write_json(path: str, values: dict) -> None:
    """Write `values` as indented JSON, atomically."""
    with atomic_file(path, "w", encoding="utf-8") as f:
        json.dump(values, f, indent=1, ensure_ascii=False)
        f.write("\n")


def read_json(path: str, fix: str = "remove it or the run directory") -> dict | None:
    """The JSON object in `path`, or None when there is no such file; KRNNError saying `fix` when it is not one."""
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except (OSError, ValueError) as exc:
        raise KRNNError(f"{path} is not readable JSON ({exc}); {fix}") from exc
    if not isinstance(values, dict):
        raise KRNNError(f"{path} holds {type(values).__name__} {str(values)[:40]}, not a JSON object; {fix}")
    return values


# The JSON type of each field a run's config.json and results.json may hold (a field may be missing: older
# runs wrote fewer); "float" takes whole numbers too, "int" never takes true/false.
_CONFIG_EXTRA = {"params": "int", "corpus_name": "str", "corpus_sha256": "str", "corpus_source": "str",
                 "vocabulary": "str", "replicas": "int"}
RESULTS_FIELDS = {"test_loss_nats": "float", "test_loss_bits": "float", "test_loss_std": "float",
                  "test_characters": "int", "val_loss_nats": "float", "test_loss_std_block": "float",
                  "bootstrap_block_characters": "int", "test_loss_nats_continuous": "float", "val_loss_bits": "float", "params": "int",
                  "hidden": "int", "best_epoch": "float", "best_step": "int", "epochs_completed": "int",
                  "steps": "int", "stopped_by": "str", "chars_per_second": "float | None", "corpus": "dict",
                  "corpus_sha256": "str", "config": "dict"}
_JSON_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool, "dict": dict, "None": type(None),
               "list[str]": list}


def config_fields() -> dict[str, str]:
    """{field: JSON type} of config.json: TrainConfig's settings and what the trainer adds."""
    import dataclasses

    from karpathy_rnn.training.config import TrainConfig

    return {**{f.name: f.type for f in dataclasses.fields(TrainConfig)}, **_CONFIG_EXTRA}


def _type_problem(values: dict, fields: dict[str, str]) -> str | None:
    """The first field of `values` whose value is not of its JSON type in `fields`, described; None if all are."""
    for name, kind in fields.items():
        if name not in values:
            continue
        value, allowed = values[name], [_JSON_TYPES[part.strip()] for part in kind.split("|")]
        if isinstance(value, bool) and bool not in allowed:
            allowed = []                                   # true is not a count
        if not any(isinstance(value, t) for t in allowed) or \
                (isinstance(value, list) and not all(isinstance(item, str) for item in value)):
            return f"{name} is {str(json.dumps(value))[:40]}, not {kind.replace('None', 'null')}"
    return None


def read_config(run_dir: str) -> dict | None:
    """A run's config.json (None when missing), every field of its type; KRNNError naming the file and the fix."""
    path = os.path.join(run_dir, CONFIG_FILE)
    fix = ("it records the settings the run was started with: restore it (results.json keeps a copy under "
           "\"config\"), or start again with another --name")
    values = read_json(path, fix)
    problem = values is not None and _type_problem(values, config_fields())
    if problem:
        raise KRNNError(f"{path} is not a run's config.json ({problem}); {fix}")
    return values


def char_lm_config(model_path: str) -> dict | None:
    """The config.json of the train.py run behind a model path (its directory or a .keras file in it), or None
    (a SavedModel, a loose .keras file, another task's run): what scripts check before loading TensorFlow."""
    folder = model_path if os.path.isdir(model_path) else os.path.dirname(os.path.abspath(model_path))
    if os.path.isfile(model_path) and os.path.basename(model_path) != BEST_MODEL_FILE:
        return None                                      # another .keras file: the run's config may not be its
    if not os.path.isfile(os.path.join(folder, CONFIG_FILE)) or os.path.isfile(os.path.join(folder, "saved_model.pb")):
        return None
    config = read_config(folder)
    if not all(isinstance(config.get(key), kind) for key, kind in
               (("unit", str), ("layers", int), ("hidden", int), ("vocabulary", str))) or config.get("task"):
        return None
    return config


def read_results(run_dir: str) -> dict | None:
    """A run's results.json (None when missing), every field of its type; KRNNError naming the file and the fix."""
    path = os.path.join(run_dir, RESULTS_FILE)
    fix = "remove it: train.py --resume with the run's flags tests the best model again and rewrites it"
    values = read_json(path, fix)
    problem = values is not None and (_type_problem(values, RESULTS_FIELDS)
                                      or _type_problem(values.get("config", {}), config_fields()))
    if problem:
        raise KRNNError(f"{path} is not a run's results.json ({problem}); {fix}")
    return values


def missing_ancestor(path: str) -> str | None:
    """The outermost folder of `path` (itself included) that does not exist yet; None when path exists."""
    path, outermost = os.path.abspath(path), None
    while not os.path.exists(path):
        outermost, parent = path, os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return outermost


def remove_new_run_dir(path: str, created: str) -> None:
    """Remove a run directory this process made and refused to go on with, and the empty folders it made above it
    up to `created` (from missing_ancestor): a refusal leaves nothing behind."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    folder, created = os.path.dirname(os.path.abspath(path)), os.path.abspath(created)
    while len(folder) >= len(created) and folder.startswith(created):
        try:
            os.rmdir(folder)
        except OSError:
            break
        folder = os.path.dirname(folder)


def prepare_run_dir(path: str) -> str:
    """Make the run directory (and its parents) and check that it can be written; returns it."""
    try:
        make_writable_folder(path)
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

    from karpathy_rnn.training.events import REWRITE_TEMP

    found = glob.glob(os.path.join(path, CHECKPOINT_DIR, "ckpt-*_temp")) + \
        glob.glob(os.path.join(path, BEST_MODEL_TEMP)) + glob.glob(os.path.join(path, REWRITE_TEMP))
    for leftover in found:
        if os.path.isdir(leftover):
            shutil.rmtree(leftover, ignore_errors=True)
        elif os.path.exists(leftover):
            os.remove(leftover)
    return sorted(os.path.relpath(p, path) for p in found)


def _listed_checkpoints(state_file: str) -> list[str] | None:
    """The checkpoint names checkpoints/checkpoint lists (its newest last), or None if it is not such a file."""
    import re

    try:
        with open(state_file, encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
    except (OSError, UnicodeDecodeError):
        return None
    fields = [re.fullmatch(r'(\w+): "([^"\\]*)"', line) or re.fullmatch(r"(\w+): ([-+.\deE]+)", line)
              for line in lines]
    if not lines or not all(fields):
        return None
    latest = [m.group(2) for m in fields if m.group(1) == "model_checkpoint_path"]
    listed = [m.group(2) for m in fields if m.group(1) == "all_model_checkpoint_paths"]
    if len(latest) != 1:
        return None
    return [name for name in listed if name != latest[0]] + latest


def repair_checkpoint_state(path: str) -> str | None:
    """Make checkpoints/checkpoint list the `ckpt-N` checkpoints on disk when it is unreadable or names one that is
    not there (a hand edit, a disk that filled up); returns what was done, None when it was fine. Only for the
    process that holds the run's lock. KRNNError when no checkpoint is left at all."""
    import glob
    import re

    folder = os.path.join(path, CHECKPOINT_DIR)
    state_file = os.path.join(folder, "checkpoint")
    listed = _listed_checkpoints(state_file)
    if listed and all(os.path.isfile(os.path.join(folder, os.path.basename(name) + ".index")) for name in listed):
        return None
    found = sorted((int(m.group(1)), m.group(0)[:-len(".index")])
                   for m in (re.fullmatch(r"ckpt-(\d+)\.index", os.path.basename(p))
                             for p in glob.glob(os.path.join(folder, "ckpt-*.index"))) if m)
    what = "is unreadable" if listed is None else f"names {', '.join(map(os.path.basename, listed))}, not all on disk"
    if not found:
        raise KRNNError(f"{state_file} {what} and {folder} holds no ckpt-N.index file: nothing to resume from; "
                        "start the run again without --resume under another --name or --logdir")
    names = [name for _, name in found]
    # CheckpointManager keeps (and later prunes) only the listed checkpoints with a timestamp after
    # last_preserved_timestamp: the index files' times, and one second before the oldest
    times = [os.path.getmtime(os.path.join(folder, name + ".index")) for name in names]
    with atomic_file(state_file, "w", encoding="utf-8") as f:
        f.write(f'model_checkpoint_path: "{names[-1]}"\n')
        f.writelines(f'all_model_checkpoint_paths: "{name}"\n' for name in names)
        f.writelines(f"all_model_checkpoint_timestamps: {time!r}\n" for time in times)
        f.write(f"last_preserved_timestamp: {min(times) - 1.0!r}\n")
    return f"{state_file} {what}; rewrote it to list the checkpoints on disk ({', '.join(names)})"


def has_checkpoint(path: str) -> bool:
    """Whether the run directory holds a training checkpoint."""
    return os.path.isfile(os.path.join(path, CHECKPOINT_DIR, "checkpoint"))


def holds_run(path: str) -> bool:
    """Whether `path` holds a run that --resume can continue: its config.json or a training checkpoint."""
    return os.path.isfile(os.path.join(path, CONFIG_FILE)) or has_checkpoint(path)


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
