"""States computed anywhere (LSTMVis' HDF5 layout, .npz or .npy) as a states-only trace the analyses read.

A states file holds named 2-D arrays [rows, units]: the datasets of an HDF5 file (LSTMVis: one per layer, e.g.
"states1", "states2"), the arrays of an .npz, or one .npy file (named by its stem). Each array chosen becomes one
state or gate of one layer: "NAME" is the next layer's cell state (c for an LSTM, h otherwise: LSTMVis' "state"
type), "NAME=2.h" says it is layer 2's h (LSTMVis' "output"), "NAME=1.f" layer 1's forget gate.

Alignment: row t is the state after reading character t of the text (the trace's own rule), one row per character;
with tokens="words", one row per whitespace-separated word, and every character of a word and the whitespace after
it take that word's row (whitespace before the first word takes the first word's). `skip_rows` drops leading rows
(an initial state some exporters write first).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np

from karpathy_rnn.analysis.trace import (
    CELL_STATE,
    CHUNK_ROWS,
    GATE_DTYPE,
    LayerInfo,
    Trace,
    TraceWriter,
)
from karpathy_rnn.data.vocabulary import Vocabulary
from karpathy_rnn.errors import KRNNError

# the states and gates each unit's layer returns with return_gates (tests/test_import_states.py checks they match)
UNIT_GATES = {"lstm": ("i", "f", "o", "g", "c", "h"), "gru": ("r", "z", "candidate", "h"), "rnn": ("h",)}
TOKENS = ("chars", "words")
HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf")
STORED_MAX = float(np.finfo(GATE_DTYPE).max)     # the largest value the trace's float16 gates hold
_TARGET = re.compile(r"^(\d+)\.(\w+)$")


@dataclass(frozen=True)
class StateArray:
    """One array to import: `dataset` of a states file, stored as state or gate `gate` of the 1-based `layer`."""

    dataset: str
    layer: int
    gate: str


def parse_datasets(specs: list[str], unit: str) -> list[StateArray]:
    """["states1", "output1=1.h", ...] -> StateArray per spec; a bare name is the next layer's cell state."""
    if unit not in UNIT_GATES:
        raise KRNNError(f"--unit {unit!r} is not one of {', '.join(UNIT_GATES)}")
    arrays, next_layer = [], 1
    for spec in specs:
        name, _, target = spec.rpartition("=") if _TARGET.match(spec.rpartition("=")[2]) else (spec, "", "")
        if not name:
            raise KRNNError(f"--dataset {spec!r} names no dataset; write NAME or NAME=LAYER.GATE, e.g. states1=1.c")
        if target:
            layer, gate = _TARGET.match(target).groups()
            layer = int(layer)
        else:
            layer, gate = next_layer, CELL_STATE[unit]
        if layer < 1:
            raise KRNNError(f"--dataset {spec!r}: layers count from 1")
        if gate not in UNIT_GATES[unit]:
            raise KRNNError(f"--dataset {spec!r}: an {unit.upper()} has no {gate!r}; its states and gates are "
                            f"{', '.join(UNIT_GATES[unit])} (--unit chooses the unit)")
        arrays.append(StateArray(name, layer, gate))
        next_layer = max(next_layer, layer + 1) if not target else next_layer
    _check_layout(arrays, unit)
    return arrays


def _check_layout(arrays: list[StateArray], unit: str) -> None:
    """KRNNError unless the layers are 1..L, no (layer, gate) is given twice and every layer has c or h."""
    seen: dict[tuple[int, str], str] = {}
    for array in arrays:
        key = (array.layer, array.gate)
        if key in seen:
            raise KRNNError(f"--dataset {seen[key]} and {array.dataset} are both layer {array.layer}'s {array.gate}; "
                            "give each state once")
        seen[key] = array.dataset
    layers = sorted({array.layer for array in arrays})
    if layers != list(range(1, len(layers) + 1)):
        raise KRNNError(f"the datasets give layers {', '.join(map(str, layers))}; layers count 1, 2, ... with none "
                        "left out")
    for layer in layers:
        if not {gate for (index, gate) in seen if index == layer} & {"c", "h"}:
            raise KRNNError(f"layer {layer} has gates but no state; give its cell state ({CELL_STATE[unit]}) or "
                            f"output (h) too")


class StatesFile:
    """The named 2-D arrays of one states file (HDF5, .npz or .npy), read in row blocks."""

    def __init__(self, path: str):
        self.path = path
        if not os.path.isfile(path):
            raise KRNNError(f"--states {path!r} does not exist")
        suffix = os.path.splitext(path)[1].lower()
        try:
            if suffix in HDF5_SUFFIXES:
                import h5py

                self._handle = h5py.File(path, "r")
                self.arrays = {}
                self._handle.visititems(lambda name, item: self.arrays.__setitem__(name, item)
                                        if isinstance(item, h5py.Dataset) else None)
            elif suffix == ".npz":
                self._handle = np.load(path)      # each array is read whole when asked for (an .npz cannot be mapped)
                self.arrays = {name: _LazyArray(self._handle, name) for name in self._handle.files}
            elif suffix == ".npy":
                self._handle = None
                self._handle = _NpyRows(path)
                self.arrays = {os.path.splitext(os.path.basename(path))[0]: self._handle}
            else:
                raise KRNNError(f"--states {path!r}: give an HDF5 (.h5/.hdf5), .npz or .npy file")
        except KRNNError:
            raise
        except Exception as error:            # noqa: BLE001 (h5py, zipfile and numpy raise many types)
            raise KRNNError(f"--states {path!r} cannot be read as {suffix[1:]} ({type(error).__name__}: "
                            f"{str(error).splitlines()[0][:120] if str(error) else ''})") from None

    def describe(self) -> str:
        """"states1 [1000, 128], words [1000]": every array with its shape."""
        return ", ".join(f"{name} {list(array.shape)}" for name, array in self.arrays.items()) or "no datasets"

    def array(self, name: str):
        """The array `name` [rows, units], or a KRNNError naming the ones the file has."""
        if name not in self.arrays:
            raise KRNNError(f"{self.path} has no dataset {name!r}; it has {self.describe()}")
        array = self.arrays[name]
        if len(array.shape) != 2:
            raise KRNNError(f"dataset {name!r} of {self.path} has shape {list(array.shape)}; states are "
                            "[rows, units], one row per character (or word)")
        return array

    def default_datasets(self) -> list[str]:
        """The one 2-D array of a file that has only one (for a file read without --dataset), else a KRNNError."""
        matrices = [name for name, array in self.arrays.items() if len(array.shape) == 2]
        if len(matrices) != 1:
            raise KRNNError(f"{self.path} has {self.describe()}; name the states to read with --dataset, one per "
                            "layer (e.g. --dataset states1 states2)")
        return matrices

    def close(self) -> None:
        """Close the file."""
        if self._handle is not None:
            self._handle.close()


class _NpyRows:
    """A C-ordered .npy file whose row blocks are read with plain reads (a memory map would count every page read in
    the process' resident memory: 4 GB for 1 M x 1,024 float32)."""

    def __init__(self, path: str):
        self._file = open(path, "rb")      # noqa: SIM115 (kept open; close() closes it)
        version = np.lib.format.read_magic(self._file)
        self.shape, fortran_order, self.dtype = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                                 else np.lib.format.read_array_header_2_0)(self._file)
        if self.dtype.hasobject:
            raise KRNNError(f"{path} holds Python objects ({self.dtype}), not numbers; save the states as a float "
                            "array")
        if fortran_order:
            raise KRNNError(f"{path} is stored column-major (Fortran order); save it with np.save(path, "
                            "np.ascontiguousarray(states))")
        self._offset = self._file.tell()
        self._row_bytes = self.dtype.itemsize * int(np.prod(self.shape[1:], dtype=np.int64))

    def __getitem__(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(self.shape[0])
        self._file.seek(self._offset + start * self._row_bytes)
        count = max(stop - start, 0)
        values = np.fromfile(self._file, self.dtype, count * self._row_bytes // self.dtype.itemsize)
        return values.reshape((count, *self.shape[1:]))

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class _LazyArray:
    """An .npz member whose shape is known before it is read (read whole on first slice)."""

    def __init__(self, archive, name: str):
        self.archive, self.name, self._values = archive, name, None
        zip_file = archive.zip
        with zip_file.open(name + ".npy") as handle:
            version = np.lib.format.read_magic(handle)
            self.shape = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                          else np.lib.format.read_array_header_2_0)(handle)[0]

    def __getitem__(self, index):
        if self._values is None:
            self._values = self.archive[self.name]
        return self._values[index]


def text_rows(text: str, tokens: str) -> np.ndarray:
    """int64 [len(text)]: the states row of each character (module docstring: alignment)."""
    if tokens not in TOKENS:
        raise KRNNError(f"--tokens {tokens!r} is not one of {', '.join(TOKENS)}")
    if tokens == "chars":
        return np.arange(len(text), dtype=np.int64)
    starts = np.zeros(len(text), np.int64)
    words = [match.start() for match in re.finditer(r"\S+", text)]
    if not words:
        raise KRNNError("the text has no words (only whitespace); give --tokens chars or another text")
    starts[words[1:]] = 1                       # a word's first character opens the next row
    return np.cumsum(starts)


def import_states(text: str, states_files: list[str], out: str, datasets: list[str] | None = None,
                  unit: str = "lstm", tokens: str = "chars", skip_rows: int = 0, progress=None, **meta) -> Trace:
    """A states-only trace in `out` of the arrays `datasets` (module docstring) of `states_files` (HDF5 and .npz:
    one file; .npy: one file per array) over `text`, with the vocabulary of `text`; `progress(done, total)`."""
    if skip_rows < 0:
        raise KRNNError(f"--skip-rows must be >= 0, got {skip_rows}")
    if not text:
        raise KRNNError("the text is empty; give the text the states were computed on")
    files = [StatesFile(path) for path in states_files]
    try:
        sources = _sources(files, datasets, unit)
        rows = text_rows(text, tokens)
        expected = int(rows[-1]) + 1
        arrays = []
        for array, states in sources:
            values = states.array(array.dataset)
            if values.shape[0] - skip_rows != expected:
                unit_name = "characters" if tokens == "chars" else "words"
                hint = (f"; give --skip-rows {values.shape[0] - expected} if the first rows are initial states"
                        if values.shape[0] > expected else "")
                raise KRNNError(f"dataset {array.dataset!r} of {states.path} has {values.shape[0]:,} rows"
                                + (f" ({values.shape[0] - skip_rows:,} after --skip-rows {skip_rows})"
                                   if skip_rows else "") + f" but the text has {expected:,} {unit_name}{hint}")
            arrays.append((array, values))
        layers = _layers(arrays, unit)
        vocabulary = Vocabulary.from_text(text)
        writer = TraceWriter(out, "".join(vocabulary.chars), len(text), layers, distributions=False, states_only=True,
                             source=", ".join(states_files), unit=unit, tokens=tokens, skip_rows=skip_rows,
                             datasets={f"{a.layer}.{a.gate}": a.dataset for a, _ in arrays}, **meta)
        for start in range(0, len(text), CHUNK_ROWS):
            block = rows[start:start + CHUNK_ROWS]
            first, last = int(block[0]) + skip_rows, int(block[-1]) + skip_rows + 1
            gates = {}
            for array, values in arrays:
                states = np.asarray(values[first:last], np.float32)
                _check_finite(states, array, first - skip_rows)
                gates[(f"{unit}{array.layer}", array.gate)] = states[block - block[0]] if tokens == "words" else states
            writer.write_gates(start, gates)
            if progress:
                progress(min(start + CHUNK_ROWS, len(text)), len(text))
        return writer.finish(vocabulary.encode(text), corpus=meta.get("corpus", "imported"),
                             split=meta.get("split", "imported"))
    finally:
        for states in files:
            states.close()


def _sources(files: list[StatesFile], datasets: list[str] | None, unit: str) -> list[tuple[StateArray, StatesFile]]:
    """Each StateArray with the file that holds it: one HDF5/.npz file, or .npy files named by their stems."""
    if len(files) > 1 and any(not f.path.lower().endswith(".npy") for f in files):
        raise KRNNError("give one HDF5 or .npz file, or several .npy files (one array each), to --states")
    names = list(datasets) if datasets else [name for f in files for name in f.default_datasets()]
    arrays = parse_datasets(names, unit)
    owners = {name: f for f in files for name in f.arrays}
    for array in arrays:
        if array.dataset not in owners:
            have = "; ".join(f"{f.path} has {f.describe()}" for f in files)
            raise KRNNError(f"no dataset {array.dataset!r} in --states: {have}")
    return [(array, owners[array.dataset]) for array in arrays]


def _layers(arrays, unit: str) -> list[LayerInfo]:
    """A LayerInfo per layer, its gates in the unit's order; KRNNError if a layer's arrays differ in width."""
    layers = []
    for index in sorted({array.layer for array, _ in arrays}):
        given = {array.gate: values.shape[1] for array, values in arrays if array.layer == index}
        if len(set(given.values())) != 1:
            widths = ", ".join(f"{gate} {width}" for gate, width in given.items())
            raise KRNNError(f"layer {index}'s states have different widths ({widths}); each state and gate of a "
                            "layer has one column per unit")
        layers.append(LayerInfo(f"{unit}{index}", unit, next(iter(given.values())),
                                tuple(gate for gate in UNIT_GATES[unit] if gate in given)))
    return layers


def _check_finite(states: np.ndarray, array: StateArray, first_row: int) -> None:
    """KRNNError naming the dataset and row of the first NaN, infinity or value the trace cannot store."""
    bad = ~np.isfinite(states) | (np.abs(states) > STORED_MAX)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise KRNNError(f"dataset {array.dataset!r} has {states[row, column]} at row {first_row + row:,}, unit "
                        f"{column}; states must be finite and within +-{STORED_MAX:g} (the trace stores float16): "
                        "export them again from the model")

