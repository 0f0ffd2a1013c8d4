"""Run a trained char-LM over a text and store its Trace (probabilities and every gate), streamed to disk.

By default the text runs as one exact pass from zero states, in chunks with the states carried. With
`lanes` > 1 it is cut into contiguous pieces run side by side as one batch (faster for small models):
each lane but the first starts `warmup` characters early, from zero states, and drops those outputs, so
its state at the piece's first character has seen that much context (not all of it: a trained model's
longest memories reach further, so a few characters differ from the exact pass).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from karpathy_rnn.analysis.trace import GATE_DTYPE, LayerInfo, Trace, TraceWriter
from karpathy_rnn.errors import KRNNError

DEFAULT_LANES = 1            # exact; lanes > 1 trade exactness at a few characters for speed (docs/BENCHMARKS.md)
DEFAULT_WARMUP = 512
DEFAULT_CHUNK = 128


@dataclass
class GateModel:
    """A char-LM that continues from carried states and also returns every gate of every layer."""

    vocabulary: str
    layers: list[LayerInfo]
    zero_states: Callable[[int], dict]
    step_function: Callable[[np.ndarray, dict], dict]   # -> {"logits", "<layer>/<gate>", "<layer>_<state>"}
    source: str

    def step(self, ids: np.ndarray, states: dict):
        """ids [B, T] -> (logits [B, T, K], {(layer, gate): [B, T, n] float16}, final states)."""
        out = {key: np.asarray(value) for key, value in self.step_function(np.asarray(ids, np.int32), states).items()}
        gates = {(layer.name, gate): out[f"{layer.name}/{gate}"].astype(GATE_DTYPE, copy=False)
                 for layer in self.layers for gate in layer.gates}
        states = {key: value for key, value in out.items() if key != "logits" and "/" not in key}
        return out["logits"], gates, states


def keras_gate_model(model, source: str = "keras model") -> GateModel:
    """A GateModel over a char-LM built by `char_language_model` (its layers shared)."""
    import tensorflow as tf

    from karpathy_rnn.models import (flat_states, model_characters, probe_model, recurrent_layers,
                                     state_input_names, unit_name)

    probe = probe_model(model, carry_states=True, gates=True)
    sizes = state_input_names(model)
    layers = [LayerInfo(layer.name, unit_name(layer), layer.units, tuple(layer.gate_names))
              for layer in recurrent_layers(model)]

    @tf.function(reduce_retracing=True)
    def step(ids, states):
        out = probe({"ids": ids, **states})
        gates = {f"{layer}/{gate}": tf.cast(value, GATE_DTYPE)                    # the trace's dtype, cast here
                 for layer, values in out["gates"].items() for gate, value in values.items()}
        return {"logits": out["logits"], **gates, **flat_states(out["states"])}

    def zero_states(batch_size: int) -> dict:
        return {name: np.zeros((batch_size, units), np.float32) for name, units in sizes.items()}

    return GateModel(model_characters(model), layers, zero_states, step, source)


def saved_model_gate_model(path: str) -> GateModel:
    """A GateModel over a SavedModel written by `export_saved_model` (it needs the step_gates endpoint)."""
    import json

    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    if not all(hasattr(loaded, name) for name in ("step_gates", "layers", "zero_states", "vocabulary")):
        raise KRNNError(f"SavedModel {path} has no step_gates/layers endpoints (exported by an older version or "
                        "by another tool); export it again with scripts/export.py")
    layers = [LayerInfo(d["name"], d["unit"], int(d["units"]), tuple(d["gates"]))
              for d in json.loads(loaded.layers().numpy().decode("utf-8"))]
    return GateModel(loaded.vocabulary().numpy().decode("utf-8"), layers,
                     lambda batch: {k: v.numpy() for k, v in loaded.zero_states(tf.constant(batch, tf.int32)).items()},
                     lambda ids, states: loaded.step_gates(tf.constant(ids), states), path)


def open_gate_model(path: str | os.PathLike) -> GateModel:
    """A GateModel from a run directory (its best.keras), a .keras file or an exported SavedModel folder."""
    from karpathy_rnn.sampling import resolve_model_path

    kind, resolved = resolve_model_path(path)
    if kind == "keras":
        from karpathy_rnn.models import load_model
        return keras_gate_model(load_model(resolved), resolved)
    return saved_model_gate_model(resolved)


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, float32 (computed in float64)."""
    shifted = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)


def trace_ids(model: GateModel, ids: np.ndarray, path: str | os.PathLike, lanes: int = DEFAULT_LANES,
              warmup: int = DEFAULT_WARMUP, chunk: int = DEFAULT_CHUNK, progress: Callable | None = None,
              **meta) -> Trace:
    """Trace `model` over ids [N+1] (the first is context only, as Corpus.scoring_ids gives) into `path`.

    Returns the Trace of the N targets; `meta` (corpus, split, ...) is stored in trace.json. Row t of the
    probabilities is the model's distribution for character t before reading it (from the state after
    character t-1); row t of every gate and state is the one computed on reading character t, as the paper's
    Figure 2 colours a character by the cell after reading it. So the model reads all N+1 ids.
    """
    ids = np.asarray(ids, np.int32)
    if ids.ndim != 1 or len(ids) < 2:
        raise KRNNError(f"a trace needs at least 2 character ids (one context, one target), got shape {ids.shape}")
    if ids.min() < 0 or ids.max() >= len(model.vocabulary):
        raise KRNNError(f"ids out of the model's vocabulary of {len(model.vocabulary)} characters")
    for name, value, low in (("lanes", lanes, 1), ("warmup", warmup, 0), ("chunk", chunk, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise KRNNError(f"{name} must be an integer >= {low}, got {value!r}")
    targets = ids[1:]
    n, m = len(targets), len(ids)           # m = n + 1 positions: step p reads ids[p]
    warmup = -(-warmup // chunk) * chunk if lanes > 1 else 0        # whole chunks, so lane 0 resets between them
    if warmup:
        lanes = max(1, min(lanes, m // warmup))                    # every lane but the first starts inside the text
    lane_length = -(-m // lanes)
    lanes = -(-m // lane_length)
    steps = -(-(warmup + lane_length) // chunk) * chunk
    positions = np.arange(lanes)[:, None] * lane_length - warmup + np.arange(steps)[None, :]   # [lanes, steps]
    padded = np.where((positions >= 0) & (positions < m), ids[np.clip(positions, 0, m - 1)], 0)

    writer = TraceWriter(path, model.vocabulary, n, model.layers, source=model.source, lanes=lanes,
                         warmup=warmup, **meta)
    states = model.zero_states(lanes)
    started = time.perf_counter()
    for begin in range(0, steps, chunk):
        if warmup and begin == warmup:                               # lane 0 reaches the text's first character
            states = {key: np.array(value) for key, value in states.items()}
            for value in states.values():
                value[0] = 0.0
        logits, gates, states = model.step(padded[:, begin:begin + chunk], states)
        probabilities = _softmax(logits)
        for lane in range(lanes):                                    # one contiguous block of rows per lane
            first = max(begin, warmup)
            last = min(begin + chunk, warmup + lane_length, warmup + m - lane * lane_length)
            if last <= first:
                continue
            start = lane * lane_length + first - warmup              # the position (ids index) of `first`
            cut = slice(first - begin, last - begin)
            end = start + last - first
            if start < n:                                            # step p predicts character p (target row p)
                writer.write_probabilities(start, probabilities[lane, cut][:min(end, n) - start])
            if end > 1:                                              # step p has read character p - 1 (row p - 1)
                skip = max(1 - start, 0)
                writer.write_gates(start + skip - 1, {key: value[lane, cut][skip:] for key, value in gates.items()})
        if progress:
            progress(min(begin + chunk, steps) * lanes, steps * lanes, time.perf_counter() - started)
    seconds = time.perf_counter() - started
    return writer.finish(targets, seconds=round(seconds, 3), chars_per_second=round(n / max(seconds, 1e-9), 1))
