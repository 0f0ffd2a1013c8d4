"""A `Trace`: what a char-LM did on every character of a text, stored as .npy files that reload without TensorFlow.

Layout of a trace directory:
    trace.json                 vocabulary, length, source model, corpus, split, layers and their gates
    targets.npy                int32 [N]: the id of each character of the text
    probabilities.npy          float32 [N, K]: the model's distribution for character t, before reading it
    target_probabilities.npy   float32 [N], instead, in a trace without distributions (trace.json
                               "distributions": false, an n-gram's): the probability of character t only
                               (neither file in a trace of states imported without their model, trace.json
                               "states_only": true: analyze.py import-states)
    <layer>.<gate>.npy         float16 [N, units]: each gate, cell and hidden state of each layer as computed on
                               reading character t (the paper's Figure 2 colours a character by the cell after
                               reading it); `c` is the raw cell state (views and analyses apply tanh)
Arrays open memory-mapped, so an analysis reads a 300,000-character trace of a 2x512 LSTM in pieces.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from karpathy_rnn.atomic import atomic_file
from karpathy_rnn.errors import KRNNError, VocabularyMismatchError

TRACE_FORMAT = 2        # 2: gate row t is the state after reading character t (format 1 held the one before it)
ALIGNMENT = ("probabilities row t: the distribution for character t before reading it; gate rows t: computed on "
             "reading character t; c stored raw (tanh applied by analyses and views)")
TRACE_META = "trace.json"
GATE_DTYPE = np.float16
PROBABILITY_DTYPE = np.float32
CHUNK_ROWS = 16384    # characters an analysis reads at a time
CELL_STATE = {"lstm": "c", "nlstm": "c", "gru": "h", "rnn": "h"}   # the state Figure 2 colours, per unit


@dataclass(frozen=True)
class LayerInfo:
    """One recurrent layer of a traced model: its name, unit type, width and recorded gates."""

    name: str
    unit: str
    units: int
    gates: tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"name": self.name, "unit": self.unit, "units": self.units, "gates": list(self.gates)}


def find_layer(layers, name_or_index: str | int) -> LayerInfo:
    """The layer of `layers` named `name_or_index` ("lstm1") or at that 1-based index, or a clear error."""
    names = [layer.name for layer in layers]
    if isinstance(name_or_index, (int, np.integer)) or str(name_or_index).isdigit():
        index = int(name_or_index)
        if not 1 <= index <= len(layers):
            raise KRNNError(f"layer {index} is out of range: the model has {len(layers)} layer(s), "
                            f"1..{len(layers)} ({', '.join(names)})")
        return layers[index - 1]
    for layer in layers:
        if layer.name == name_or_index:
            return layer
    raise KRNNError(f"no layer {name_or_index!r}; the model has {', '.join(names)}")


class Trace:
    """A trace directory opened read-only: targets [N], probabilities [N, K], gates [N, units] per layer."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        meta_path = os.path.join(self.path, TRACE_META)
        if not os.path.isfile(meta_path):
            raise KRNNError(f"{self.path!r} is not a trace (no {TRACE_META}); write one with "
                            "`python scripts/analyze.py trace RUN --split test`")
        try:
            with open(meta_path, encoding="utf-8") as handle:
                self.meta = json.load(handle)
            self.layers = tuple(LayerInfo(d["name"], d["unit"], int(d["units"]), tuple(d["gates"]))
                                for d in self.meta["layers"])
            self.length = int(self.meta["length"])
            self.vocabulary = str(self.meta["vocabulary"])
        except (ValueError, KeyError, TypeError) as error:
            raise KRNNError(f"{meta_path} is damaged ({error}); write the trace again") from None
        if self.meta.get("format") != TRACE_FORMAT:
            raise KRNNError(f"{meta_path} has format {self.meta.get('format')!r}, this version reads "
                            f"{TRACE_FORMAT}; write the trace again")
        if not self.meta.get("complete"):
            raise KRNNError(f"trace {self.path!r} was interrupted before it finished; write it again")
        self.distributions = bool(self.meta.get("distributions", True))   # False: an n-gram's trace
        self.states_only = bool(self.meta.get("states_only", False))      # True: imported states, no model
        for name in self.array_names():       # a truncated or damaged file: one line now, not a traceback later
            self._check_array(name)

    def array_names(self) -> list[str]:
        """The .npy files (without the suffix) this trace holds."""
        probabilities = [] if self.states_only else \
            ["probabilities" if self.distributions else "target_probabilities"]
        return ["targets", *probabilities] + [f"{layer.name}.{gate}" for layer in self.layers for gate in layer.gates]

    def _rewrite_hint(self) -> str:
        """How this trace is written again: by the script that wrote it."""
        source = str(self.meta.get("source", ""))
        if self.states_only:
            return "import the states again (scripts/analyze.py import-states)"
        script = "scripts/nn.py" if source.endswith("-NN") else "scripts/ngram.py" if source.endswith("-gram") else \
            "scripts/analyze.py with --retrace"
        return f"write the trace again ({script})"

    def _check_array(self, name: str) -> None:
        """KRNNError naming `name`.npy unless it is a whole .npy file of this trace's length (header and size)."""
        path = os.path.join(self.path, name + ".npy")
        if not os.path.isfile(path):
            raise KRNNError(f"trace {self.path!r} lacks {name}.npy; {self._rewrite_hint()}")
        try:
            with open(path, "rb") as handle:
                version = np.lib.format.read_magic(handle)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read_header(handle)
                needed = handle.tell() + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        except (ValueError, OSError, EOFError, SyntaxError) as error:
            raise KRNNError(f"{path} is not a readable .npy file ({str(error).splitlines()[0][:120]}); "
                            f"{self._rewrite_hint()}") from None
        size = os.path.getsize(path)
        if size < needed or not shape or shape[0] != self.length:
            problem = (f"{size:,} bytes where its header needs {needed:,} (truncated)" if size < needed else
                       f"shape {shape}, but the trace has {self.length:,} characters")
            raise KRNNError(f"{path} is damaged: {problem}; {self._rewrite_hint()}")

    def _array(self, name: str) -> np.ndarray:
        path = os.path.join(self.path, name + ".npy")
        if not os.path.isfile(path):
            raise KRNNError(f"trace {self.path!r} lacks {name}.npy; {self._rewrite_hint()}")
        return np.load(path, mmap_mode="r")

    @property
    def targets(self) -> np.ndarray:
        """int32 [N]: the character ids of the traced text."""
        return self._array("targets")

    @property
    def probabilities(self) -> np.ndarray:
        """float32 [N, K]: the model's probability of every vocabulary entry at each character."""
        self._check_probabilities()
        if not self.distributions:
            raise KRNNError(f"trace {self.path!r} ({self.meta.get('source', '?')}) holds only the probability of "
                            "each character, not whole distributions; this analysis needs a neural model's trace")
        return self._array("probabilities")

    @property
    def target_probabilities(self) -> np.ndarray | None:
        """float32 [N] stored by a trace without whole distributions (an n-gram's), else None."""
        self._check_probabilities()
        return None if self.distributions else self._array("target_probabilities")

    def _check_probabilities(self) -> None:
        """KRNNError in one line when this trace holds imported states and no model's probabilities."""
        if self.states_only:
            raise KRNNError(f"trace {self.path!r} holds states imported from {self.meta.get('source', '?')} without "
                            "their model, so it has no probabilities; this analysis needs the model: import it "
                            "(scripts/import_model.py) or train one, and trace that")

    @property
    def text(self) -> str:
        """The traced text (N characters)."""
        return "".join(np.array(list(self.vocabulary))[np.asarray(self.targets)])

    def layer(self, name_or_index: str | int) -> LayerInfo:
        """A layer by name ("lstm1") or 1-based index, or a clear error."""
        return find_layer(self.layers, name_or_index)

    def gate(self, layer: str | int, gate: str) -> np.ndarray:
        """float16 [N, units] of `gate` ("f", "c", "h", ...) in `layer`, memory-mapped."""
        info = self.layer(layer)
        if gate not in info.gates:
            raise KRNNError(f"layer {info.name} is a {info.unit.upper()}, which has no gate {gate!r}; "
                            f"its gates are {', '.join(info.gates)}")
        return self._array(f"{info.name}.{gate}")

    def chunks(self, layer: str | int, gate: str, rows: int = CHUNK_ROWS):
        """Yield (start, float32 [m, units]) blocks of `gate` in `layer`, each read on its own (bounded memory)."""
        self.gate(layer, gate)  # checks the names
        info = self.layer(layer)
        for start in range(0, self.length, rows):
            block = self._array(f"{info.name}.{gate}")[start:start + rows]
            yield start, np.asarray(block, np.float32)

    def cell_state_name(self, layer: str | int) -> str:
        """The state the paper colours for `layer`'s unit: "c" (LSTM) or "h" (GRU, RNN); "h" for an LSTM whose
        imported states have no c."""
        info = self.layer(layer)
        preferred = CELL_STATE[info.unit]
        return preferred if preferred in info.gates or "h" not in info.gates else "h"

    def check_vocabulary(self, characters: str) -> None:
        """Raise VocabularyMismatchError unless the trace was made with exactly `characters`."""
        if characters != self.vocabulary:
            raise VocabularyMismatchError(
                f"trace {self.path!r} was made with a vocabulary of {len(self.vocabulary)} characters, "
                f"not the {len(characters)} given; use traces and models of the same corpus")


class TraceWriter:
    """Writes a trace directory piece by piece into preallocated memory-mapped files, then marks it complete."""

    def __init__(self, path: str | os.PathLike, vocabulary: str, length: int, layers: list[LayerInfo],
                 distributions: bool = True, states_only: bool = False, **meta):
        self.path = os.fspath(path)
        if os.path.isfile(os.path.join(self.path, TRACE_META)):      # an earlier trace, written again:
            for name in os.listdir(self.path):                          # remove its own files only
                if name == TRACE_META or name.endswith(".npy"):
                    os.remove(os.path.join(self.path, name))
        elif os.path.exists(self.path) and (not os.path.isdir(self.path) or os.listdir(self.path)):
            raise KRNNError(f"{self.path!r} exists and is not a trace; give a new or empty folder for the trace")
        os.makedirs(self.path, exist_ok=True)
        self.meta = {"format": TRACE_FORMAT, "alignment": ALIGNMENT, "complete": False, "vocabulary": vocabulary,
                     "length": int(length), "distributions": bool(distributions) and not states_only,
                     **({"states_only": True} if states_only else {}),
                     "layers": [layer.to_dict() for layer in layers], **meta}
        self._write_meta()

        self.targets = _RowFile(os.path.join(self.path, "targets.npy"), np.int32, (length,))
        self.probabilities = None if states_only else \
            _RowFile(os.path.join(self.path, "probabilities.npy"), PROBABILITY_DTYPE, (length, len(vocabulary))) \
            if distributions else \
            _RowFile(os.path.join(self.path, "target_probabilities.npy"), PROBABILITY_DTYPE, (length,))
        self.gates = {(layer.name, gate): _RowFile(os.path.join(self.path, f"{layer.name}.{gate}.npy"), GATE_DTYPE,
                                                   (length, layer.units))
                      for layer in layers for gate in layer.gates}

    def _write_meta(self) -> None:
        with atomic_file(os.path.join(self.path, TRACE_META), "w", encoding="utf-8") as handle:
            json.dump(self.meta, handle, indent=1)

    def write_probabilities(self, start: int, probabilities: np.ndarray) -> None:
        """Store the distributions [M, K] for characters [start, start+M) (with distributions=False: the
        probability [M] of each of those characters)."""
        self.probabilities.write(start, probabilities)

    def write_gates(self, start: int, gates: dict[tuple[str, str], np.ndarray]) -> None:
        """Store {(layer, gate): [M, units]} computed on reading characters [start, start+M)."""
        for key, values in gates.items():
            self.gates[key].write(start, values)

    def finish(self, targets: np.ndarray, **meta) -> Trace:
        """Write the targets, close the files and mark the trace complete; returns it opened."""
        self.targets.write(0, targets)
        for array in [self.targets, self.probabilities, *self.gates.values()]:
            if array is not None:
                array.close()
        self.meta.update(meta, complete=True)
        self._write_meta()
        return Trace(self.path)


class _RowFile:
    """A .npy file of a fixed shape written in row blocks through plain file writes (bounded memory)."""

    def __init__(self, path: str, dtype, shape: tuple[int, ...]):
        created = np.lib.format.open_memmap(path, "w+", dtype, shape)   # header + full size, zeros
        self.offset = created.offset
        del created                                                       # unmapped: nothing stays resident
        self.dtype = np.dtype(dtype)
        self.row_bytes = self.dtype.itemsize * int(np.prod(shape[1:], dtype=np.int64))
        self.handle = open(path, "r+b")

    def write(self, start: int, rows: np.ndarray) -> None:
        """Rows [M, ...] at row `start`."""
        self.handle.seek(self.offset + start * self.row_bytes)
        self.handle.write(np.ascontiguousarray(rows, self.dtype).tobytes())

    def close(self) -> None:
        """Flush and close."""
        self.handle.close()
