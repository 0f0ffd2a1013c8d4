"""Open a trained char-LM (run directory, .keras file or exported SavedModel) and generate text from it.

Every kind is wrapped as a `Stepper`: `zero_states(B)` and `step(ids [B, T], states)` -> (logits [B, T, K],
states), so sampling and the analyses run a long text in chunks the same way whatever was saved.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from karpathy_rnn.data.vocabulary import Vocabulary
from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training.run_dir import BEST_MODEL_FILE, IMPORTED_STATES_FILE


@dataclass
class Stepper:
    """A char-LM that continues from carried states: the one interface sampling and the analyses use."""

    vocabulary: Vocabulary
    zero_states: Callable[[int], dict]
    step_function: Callable[[np.ndarray, dict], dict]
    source: str

    def step(self, ids, states: dict) -> tuple[np.ndarray, dict]:
        """Run ids [B, T] from `states`; returns (logits [B, T, K] float32, the final states)."""
        out = self.step_function(np.asarray(ids, dtype=np.int32), states)
        out = dict(out)
        logits = np.asarray(out.pop("logits"))
        return logits, out


def keras_stepper(model, source: str = "keras model") -> Stepper:
    """A Stepper over a char-LM built by `char_language_model` (its layers shared, not copied)."""
    import tensorflow as tf

    from karpathy_rnn.models import flat_states, model_characters, probe_model, state_input_names

    carry = probe_model(model, carry_states=True, gates=False)
    sizes = state_input_names(model)

    @tf.function(reduce_retracing=True)
    def step(ids, states):
        out = carry({"ids": ids, **states})
        return {"logits": out["logits"], **flat_states(out["states"])}

    def zero_states(batch_size: int) -> dict:
        return {name: tf.zeros((batch_size, units)) for name, units in sizes.items()}

    return Stepper(Vocabulary(tuple(model_characters(model))), zero_states, step, source)


def saved_model_stepper(path: str) -> Stepper:
    """A Stepper over a SavedModel written by `export_saved_model` (or scripts/export.py)."""
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    if not all(hasattr(loaded, name) for name in ("step", "zero_states", "vocabulary")):
        raise KRNNError(f"SavedModel {path} has no step/zero_states/vocabulary endpoints; export it with "
                        "scripts/export.py (karpathy_rnn.models.export_saved_model)")
    characters = loaded.vocabulary().numpy().decode("utf-8")
    return Stepper(Vocabulary(tuple(characters)), lambda batch: loaded.zero_states(tf.constant(batch, tf.int32)),
                   lambda ids, states: loaded.step(tf.constant(ids), states), path)


def resolve_model_path(path: str | os.PathLike) -> tuple[str, str]:
    """("keras", file) or ("saved_model", folder) for a run directory, a .keras file or a SavedModel folder."""
    path = os.fspath(path)
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, BEST_MODEL_FILE)):
        path = os.path.join(path, BEST_MODEL_FILE)
    if os.path.isfile(path) and path.endswith(".keras"):
        return "keras", path
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "saved_model.pb")):
        return "saved_model", path
    if os.path.isfile(os.path.join(path, IMPORTED_STATES_FILE)):
        raise KRNNError(f"{path!r} holds states imported by `analyze.py import-states`, not a model: this needs a "
                        "model's predictions; the states' analyses are in that folder and TensorBoard shows them "
                        "(import the model itself with scripts/import_model.py to run it)")
    if not os.path.exists(path):
        raise KRNNError(f"{path!r} does not exist; give a run directory of scripts/train.py, a .keras file or a "
                        "SavedModel folder written by scripts/export.py")
    raise KRNNError(f"{path!r} is neither a run directory with {BEST_MODEL_FILE} (has the run finished an "
                    "evaluation yet?), a .keras file nor a SavedModel folder")


def open_language_model(path: str | os.PathLike) -> Stepper:
    """A Stepper from a training run directory (its best.keras), a .keras file or an exported SavedModel folder."""
    kind, path = resolve_model_path(path)
    if kind == "keras":
        from karpathy_rnn.models import load_model
        return keras_stepper(load_model(path), path)
    return saved_model_stepper(path)


def check_temperature(temperature: float) -> float:
    """The temperature as a float, or a clear error unless it is a finite number > 0."""
    value = float(temperature)
    if not np.isfinite(value) or value <= 0:
        raise KRNNError(f"temperature must be a number > 0 (1 samples the model's own distribution, lower is "
                        f"more conservative), got {temperature!r}")
    return value


def sample_text(stepper: Stepper, prime: str, length: int, temperature: float = 1.0, seed: int | None = 0) -> str:
    """`length` characters sampled after `prime` (not included) at `temperature`, seeded.

    The prime is run through the model in one call; each next character is drawn from
    softmax(logits / temperature) in float64 and fed back.
    """
    temperature = check_temperature(temperature)
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise KRNNError(f"length must be a non-negative integer, got {length!r}")
    if not prime:
        raise KRNNError("the prime is empty; give at least one character to start from, e.g. --prime 'The '")
    ids = stepper.vocabulary.encode(prime)[None, :]
    rng = np.random.default_rng(seed)
    states = stepper.zero_states(1)
    out = []
    for _ in range(length):
        logits, states = stepper.step(ids, states)
        scaled = logits[0, -1].astype(np.float64) / temperature
        probabilities = np.exp(scaled - scaled.max())
        next_id = int(rng.choice(len(probabilities), p=probabilities / probabilities.sum()))
        out.append(next_id)
        ids = np.array([[next_id]], np.int32)
    return stepper.vocabulary.decode(np.array(out, np.int64))
