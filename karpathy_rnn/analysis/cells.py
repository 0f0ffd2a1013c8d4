"""Interpretable cells (paper section 4.2, Figure 2): score every cell of every layer against probe features.

The statistic is Pearson's correlation between a cell's value and a feature over every character of the
trace: the cell value is tanh(c) for LSTM cells (what Figure 2 colours) and h for GRU and RNN units. A cell
that tracks a count (line position, depth) moves with it linearly, and for a 0/1 feature (inside quotes)
Pearson's r is the point-biserial correlation, the gap between the mean inside and outside the span over
their pooled spread; so one number ranks both kinds, signed (negative: the cell goes down). Cells are
ranked by |r|. Sums run in float64 over chunks of the trace, so memory stays bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from karpathy_rnn.analysis.saturation import SATURATION_GATES
from karpathy_rnn.analysis.trace import CHUNK_ROWS, Trace
from karpathy_rnn.errors import KRNNError

GATE_RANGE = (0.0, 1.0)          # a sigmoid gate: 0 closed, 0.5 the middle, 1 open
STATE_RANGE = (-1.0, 1.0)        # tanh(c), h, a candidate: the paper's Figure 2 scale


@dataclass(frozen=True)
class CellScore:
    """One cell's correlation with one feature."""

    feature: str
    layer: str
    cell: int
    correlation: float


def value_range(unit: str, name: str) -> tuple[float, float]:
    """The range `unit`'s state or gate `name` takes, and is coloured on: GATE_RANGE for a sigmoid gate (the gates
    saturation counts, at any nesting level: "inner1_f" is an f), STATE_RANGE for everything else."""
    base = re.sub(r"^inner\d+_", "", name)
    return GATE_RANGE if base in SATURATION_GATES.get(unit, ()) else STATE_RANGE


def cell_values(gate_values: np.ndarray, state: str) -> np.ndarray:
    """The value a cell is coloured by: tanh(c) for a cell state "c", the values themselves otherwise."""
    values = np.asarray(gate_values, np.float32)
    return np.tanh(values) if state == "c" else values


def correlations(values_chunks, features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Pearson r [units] of each feature [N] with values [N, units] given as (start, [m, units]) chunks.

    A feature or a cell that is constant over the text has no correlation: NaN.
    """
    names = list(features)
    matrix = np.stack([np.asarray(features[name], np.float64) for name in names], axis=1)   # [N, F]
    count, sum_x, sum_xx, sum_xf = 0, 0.0, 0.0, 0.0
    for start, block in values_chunks:
        block = np.asarray(block, np.float64)
        rows = matrix[start:start + len(block)]
        if len(rows) != len(block):
            raise KRNNError(f"the features cover {len(matrix)} characters but the trace has more; compute them "
                            "from the trace's own text")
        count += len(block)
        sum_x = sum_x + block.sum(axis=0)
        sum_xx = sum_xx + np.einsum("nu,nu->u", block, block)
        sum_xf = sum_xf + rows.T @ block                                                  # [F, units]
    if count != len(matrix):
        raise KRNNError(f"the features cover {len(matrix)} characters but the trace has {count}; compute them "
                        "from the trace's own text")
    mean_x = sum_x / count
    mean_f = matrix.mean(axis=0)
    covariance = sum_xf / count - mean_f[:, None] * mean_x[None, :]
    std_x = np.sqrt(np.maximum(sum_xx / count - mean_x ** 2, 0.0))
    std_f = matrix.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = covariance / (std_f[:, None] * std_x[None, :])
    r[(std_f[:, None] * std_x[None, :]) < 1e-12] = np.nan
    return {name: np.clip(r[i], -1.0, 1.0) for i, name in enumerate(names)}


def score_cells(trace: Trace, features: dict[str, np.ndarray], rows: int = CHUNK_ROWS) -> dict[str, dict[str, np.ndarray]]:
    """{layer: {feature: r [units]}} for every layer of `trace` (cell values as in `cell_values`)."""
    scores = {}
    for layer in trace.layers:
        state = trace.cell_state_name(layer.name)
        chunks = ((start, cell_values(block, state)) for start, block in trace.chunks(layer.name, state, rows))
        scores[layer.name] = correlations(chunks, features)
    return scores


# A cell "tracks" a feature when |r| reaches this: below it the two share under 1% of their variance, and a
# Figure 2 panel would show noise under the feature's name.
TRACKED_R = 0.1


def top_cells(scores: dict[str, dict[str, np.ndarray]], top: int = 3, features=None,
              min_abs_r: float = TRACKED_R) -> dict[str, list[CellScore]]:
    """{feature: the `top` cells over all layers by |r|, strongest first}; features with no finite r, or whose best
    cell stays below `min_abs_r` (untracked_features names them), are left out."""
    ranked = {}
    for feature in features or next(iter(scores.values()), {}):
        candidates = [CellScore(feature, layer, int(cell), float(r[cell]))
                      for layer, by_feature in scores.items() for r in [by_feature[feature]]
                      for cell in np.flatnonzero(np.isfinite(r))]
        if candidates:
            best = sorted(candidates, key=lambda s: (-abs(s.correlation), s.layer, s.cell))[:top]
            if abs(best[0].correlation) >= min_abs_r:
                ranked[feature] = best
    return ranked


def untracked_features(scores: dict[str, dict[str, np.ndarray]], min_abs_r: float = TRACKED_R) -> dict[str, float]:
    """{feature: its best |r|} of the features no cell tracks (best |r| below `min_abs_r`, or none finite: nan)."""
    untracked = {}
    for feature in next(iter(scores.values()), {}):
        values = np.concatenate([np.abs(by_feature[feature]) for by_feature in scores.values()])
        best = float(np.nanmax(values)) if np.isfinite(values).any() else float("nan")
        if not best >= min_abs_r:
            untracked[feature] = best
    return untracked
