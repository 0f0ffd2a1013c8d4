"""Pattern search over hidden states (LSTMVis' "match", Strobelt et al. 2018): the cells a selected span turns on,
and the other places where the same cells are on for a similar length. Pure NumPy over values [N, units].

A cell is *on* at a character when its value there is >= the threshold (LSTMVis' rule: only the positive side).

- The selection [start, end) picks the cells that are on at every character of it and off at the character just
  before it (start - 1; at start 0 that condition is dropped): the cells that switch on with the span.
- A candidate is a maximal run of characters where every selected cell is on, at least half and at most twice the
  selection's length ("a similar length"); one overlapping the selection is the selection itself and left out.
- The run's own cell set follows the selection's rule: the cells of the layer on at every character of the run and
  off just before it. Its score is the Jaccard similarity of the two sets, |S n R| / |S u R|, times how close its
  length L is to the selection's l, min(L, l) / max(L, l). 1 means the same cells switch on for the same length;
  a selected cell already on before the run, another cell switching on with it, or another length lower it.
  Ties go to the earlier run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from karpathy_rnn.errors import KRNNError

MAX_SELECTION = 2000         # characters a selection may span
SIMILARITY = ("score = Jaccard similarity of the cells switching on with the selection and with the match (on "
              "throughout, off just before) x min(length, selection) / max(length, selection); a match is a maximal "
              "run where every selected cell is >= the threshold, half to twice the selection's length")


@dataclass(frozen=True)
class Match:
    """A run [start, end) of characters where every selected cell is on, its score, and how many of the layer's cells
    switch on with it (on throughout it, off just before)."""

    start: int
    end: int
    score: float
    cells_on: int


def check_selection(start: int, end: int, length: int) -> None:
    """A KRNNError naming the problem unless [start, end) is 1..MAX_SELECTION characters inside a text of `length`."""
    if end - start < 1:
        raise KRNNError(f"the selection [{start}, {end}) is empty: select 1 to {MAX_SELECTION:,} characters")
    if end - start > MAX_SELECTION:
        raise KRNNError(f"the selection has {end - start:,} characters; select at most {MAX_SELECTION:,}")
    if start < 0 or end > length:
        raise KRNNError(f"the selection [{start}, {end}) is outside the text's {length:,} characters")


class RowBlocks:
    """Values [N, units] held as consecutive blocks [rows_k, units] (a summary's activation blocks) without copying
    them into one array; a search reads a few columns and the rows of its candidate runs."""

    def __init__(self, pieces: list[np.ndarray]):
        if not pieces:
            raise KRNNError("RowBlocks needs at least one block of rows")
        units = {piece.shape[1] for piece in pieces}
        if len(units) != 1 or any(piece.ndim != 2 for piece in pieces):
            raise KRNNError(f"blocks must all be [rows, units] with one units count, got "
                            f"{sorted({piece.shape for piece in pieces})[:4]}")
        self.pieces = pieces
        self.starts = np.concatenate([[0], np.cumsum([len(piece) for piece in pieces])]).astype(np.int64)
        self.units = units.pop()

    def __len__(self) -> int:
        return int(self.starts[-1])

    def take(self, rows: np.ndarray, cell: int | None = None) -> np.ndarray:
        """float32 [len(rows), units] (or [len(rows)] of one `cell`) at the ascending row indices `rows`."""
        rows = np.asarray(rows, np.int64)
        bounds = np.searchsorted(rows, self.starts)
        out = np.empty((len(rows),) if cell is not None else (len(rows), self.units), np.float32)
        for piece, offset, low, high in zip(self.pieces, self.starts, bounds[:-1], bounds[1:]):
            if high > low:
                local = rows[low:high] - offset
                out[low:high] = piece[local, cell] if cell is not None else piece[local]
        return out


def _blocks(values) -> RowBlocks:
    """`values` as RowBlocks: an array [N, units] becomes one block."""
    return values if isinstance(values, RowBlocks) else RowBlocks([np.asarray(values)])


def selected_cells(values: np.ndarray | RowBlocks, start: int, end: int, threshold: float) -> np.ndarray:
    """Indices [k] of the cells on (>= threshold) at every character of [start, end) of values [N, units] (an array or
    RowBlocks) and off (< threshold) at start - 1, ascending."""
    values = _blocks(values)
    check_selection(start, end, len(values))
    span = values.take(np.arange(max(start - 1, 0), end))
    chosen = span[1 if start > 0 else 0:].min(axis=0) >= threshold
    if start > 0:
        chosen &= span[0] < threshold
    return np.flatnonzero(chosen)


def on_runs(on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the maximal runs of True in the boolean vector on [N]."""
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _all_on(values: RowBlocks, cells: np.ndarray, threshold: float) -> np.ndarray:
    """bool [N]: every one of `cells` >= threshold, found by narrowing the rows cell by cell (each cell reads only the
    rows the cells before it left on, so a selection of 50 cells costs little more than one)."""
    rows = np.flatnonzero(values.take(np.arange(len(values)), int(cells[0])) >= threshold)
    for cell in cells[1:]:
        if rows.size == 0:
            break
        rows = rows[values.take(rows, int(cell)) >= threshold]
    on = np.zeros(len(values), bool)
    on[rows] = True
    return on


def find_matches(values: np.ndarray | RowBlocks, cells: np.ndarray, start: int, end: int, threshold: float,
                 limit: int = 20) -> tuple[list[Match], int]:
    """([the best `limit` matches, best first], how many there are) of the selection [start, end) whose selected
    cells are `cells`, over values [N, units] (float16 or float32, an array or RowBlocks); see the module's docstring
    for the rule."""
    values = _blocks(values)
    cells = np.asarray(cells, np.int64)
    if cells.size == 0:
        return [], 0
    length = end - start
    starts, ends = on_runs(_all_on(values, cells, threshold))
    sizes = ends - starts
    keep = (sizes * 2 >= length) & (sizes <= 2 * length) & ~((starts < end) & (ends > start))
    starts, ends, sizes = starts[keep], ends[keep], sizes[keep]
    if starts.size == 0:
        return [], 0
    # the cells switching on with each run: on throughout it (the minimum over its rows, one reduceat over them all)
    # and off at the character before it (none before the text's first)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rows = np.arange(sizes.sum()) + np.repeat(starts - offsets, sizes)          # every run's rows, one after another
    switching = np.minimum.reduceat(values.take(rows), offsets, axis=0) >= threshold
    switching &= (values.take(np.maximum(starts - 1, 0)) < threshold) | (starts == 0)[:, None]
    shared = switching[:, cells].sum(axis=1)
    union = cells.size + switching.sum(axis=1) - shared
    scores = shared / union * np.minimum(sizes, length) / np.maximum(sizes, length)
    cells_on = switching.sum(axis=1)
    order = np.lexsort((starts, -scores))[:limit]
    return [Match(int(starts[i]), int(ends[i]), float(scores[i]), int(cells_on[i])) for i in order], int(starts.size)
