"""The live probe: a trained char-LM run over any text a user types, for the plugin's text box (issue 34.4).

A `LiveProbe` holds one model file (a run's best.keras), loaded once and kept. `read(text)` runs the text from zero
states in one pass and keeps, for the last few texts, every state and gate of every layer on reading each character
(the trace's alignment), the model's TOP most likely next characters after each one and the probability it gave
the character that came next. `connectivity(text, position)` is how strongly each character up to `position`
drives the model's most likely prediction there (Madsen, Distill 2019; analysis/connectivity.py). Nothing leaves
the process; texts longer than PROBE_LIMIT or holding characters outside the model's vocabulary are refused in one
line naming them.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass

import numpy as np

from karpathy_rnn.analysis.trace import LayerInfo, find_layer
from karpathy_rnn.errors import KRNNError

PROBE_LIMIT = 2000       # characters one probe takes (1,000 answer in about 0.3 s with a 2x512 LSTM on 2 cores)
TOP = 5                  # predictions listed after each character
CONNECTIVITY_STEPS = 250  # connectivity runs over the text padded to a multiple of this (a compiled shape each)
READINGS_KEPT = 4        # texts whose readings a probe keeps (switching the cell shown reruns nothing)


@dataclass(frozen=True)
class ProbeReading:
    """One text through the model: gates {(layer, gate): float16 [T, units]}, top_ids / top_probabilities [T, TOP]
    (the distribution after reading character t), next_probabilities [T - 1] (that of character t + 1)."""

    text: str
    gates: dict
    top_ids: np.ndarray
    top_probabilities: np.ndarray
    next_probabilities: np.ndarray


class LiveProbe:
    """A char-LM file (best.keras) loaded once; readings and connectivity of typed texts, one request at a time."""

    def __init__(self, model_path: str, limit: int = PROBE_LIMIT):
        from karpathy_rnn.analysis.extract import keras_gate_model
        from karpathy_rnn.data.vocabulary import Vocabulary
        from karpathy_rnn.models import load_model

        self.path, self.limit = model_path, int(limit)
        self.model = load_model(model_path)
        self.gate_model = keras_gate_model(self.model, model_path)
        self.vocabulary = Vocabulary(tuple(self.gate_model.vocabulary))
        self.layers: list[LayerInfo] = list(self.gate_model.layers)
        self._connectivity = None
        self._lock = threading.Lock()
        self._readings: collections.OrderedDict[str, ProbeReading] = collections.OrderedDict()

    def encode(self, text: str) -> np.ndarray:
        """int32 [T] ids of `text`, or a KRNNError: empty, longer than the limit, or characters the model lacks."""
        if not text:
            raise KRNNError("the text is empty; type or paste some text to probe")
        if len(text) > self.limit:
            raise KRNNError(f"the text has {len(text):,} characters; the probe takes at most {self.limit:,}: "
                            "shorten it")
        return self.vocabulary.encode(text)

    def read(self, text: str) -> ProbeReading:
        """The text's reading (kept for the last READINGS_KEPT texts)."""
        ids = self.encode(text)
        with self._lock:
            if text in self._readings:
                self._readings.move_to_end(text)
                return self._readings[text]
            logits, gates, _ = self.gate_model.step(ids[None], self.gate_model.zero_states(1))
            probabilities = _softmax(np.asarray(logits[0], np.float64))                        # [T, K]
            top = np.argsort(-probabilities, axis=-1, kind="stable")[:, :TOP]
            reading = ProbeReading(text, {key: value[0] for key, value in gates.items()}, top.astype(np.int32),
                                   np.take_along_axis(probabilities, top, -1).astype(np.float32),
                                   probabilities[np.arange(len(ids) - 1), ids[1:]].astype(np.float32))
            self._readings[text] = reading
            while len(self._readings) > READINGS_KEPT:
                self._readings.popitem(last=False)
            return reading

    def cell(self, text: str, layer: str | int, name: str, cell: int) -> tuple[LayerInfo, np.ndarray]:
        """(the layer, float32 [T] values of `cell` of state or gate `name`, as the views colour them: tanh(c))."""
        from karpathy_rnn.analysis.cells import cell_values

        info = find_layer(self.layers, layer)
        if name not in info.gates:
            raise KRNNError(f"layer {info.name} ({info.unit.upper()}) has no {name!r}; it has {', '.join(info.gates)}")
        if not 0 <= cell < info.units:
            raise KRNNError(f"cell {cell} is outside layer {info.name}'s 0..{info.units - 1}")
        values = self.read(text).gates[(info.name, name)][:, cell].astype(np.float32)
        return info, cell_values(values, name)

    def connectivity(self, text: str, position: int) -> tuple[int, np.ndarray]:
        """(the id the model finds most likely after character `position`, float32 [position + 1]: the gradient norm
        of that prediction's logit with respect to each character's one-hot input up to it)."""
        from karpathy_rnn.analysis.connectivity import Connectivity

        reading = self.read(text)
        if not 0 <= position < len(text):
            raise KRNNError(f"position {position} is outside the text's 0..{len(text) - 1}")
        ids = self.encode(text)
        target = int(reading.top_ids[position, 0])
        with self._lock:
            if self._connectivity is None:
                self._connectivity = Connectivity(self.model)
            # every position of a text in one padded length (a multiple of CONNECTIVITY_STEPS): the backward pass
            # is compiled once per length, not once per position
            steps = -(-len(ids) // CONNECTIVITY_STEPS) * CONNECTIVITY_STEPS
            values = self._connectivity.values(ids, np.array([position]), np.array([target]), steps=steps)
        return target, np.asarray(values, np.float32)[0, :position + 1]


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in float64."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)
