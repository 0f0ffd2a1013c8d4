"""The autocomplete task's measurements as pure NumPy (Distill 2019): test cross-entropy and accuracy, and accuracy
against how many characters of the word the model has seen ("Future work; quantitative metric")."""

from __future__ import annotations

import numpy as np

TOP_K = 3          # the article's top-1, top-2 and top-3 lines


def target_ranks(logits: np.ndarray, targets: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """logits [..., V], targets [...] -> the target's rank among the logits (0 = most likely), capped at k: int8 [...].

    Ties count against the target (a logit equal to the target's, at another id, ranks above it)."""
    logits = np.asarray(logits)
    chosen = np.take_along_axis(logits, np.asarray(targets)[..., None].astype(np.int64), axis=-1)
    above = (logits > chosen).sum(-1) + ((logits == chosen).sum(-1) - 1)
    return np.minimum(above, k).astype(np.int8)


def accuracy_by_seen(ranks: np.ndarray, seen: np.ndarray, weights: np.ndarray, k: int = TOP_K) -> dict:
    """Top-1..k accuracy [S, k] by characters seen (0 = only the space before the word), and the count [S] of scored
    positions per row; positions with weight 0 (padding, unknown words) are left out."""
    ranks, seen = np.asarray(ranks).ravel(), np.asarray(seen).ravel()
    scored = np.asarray(weights).ravel() > 0
    ranks, seen = ranks[scored], seen[scored].astype(np.int64)
    rows = int(seen.max()) + 1 if len(seen) else 0
    counts = np.bincount(seen, minlength=rows)
    correct = np.stack([np.bincount(seen, weights=(ranks < top), minlength=rows) for top in range(1, k + 1)], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(counts[:, None] > 0, correct / np.maximum(counts, 1)[:, None], np.nan)
    return {"seen": np.arange(rows), "accuracy": accuracy.reshape(rows, k), "count": counts}


def overall(loss_sum: float, ranks: np.ndarray, weights: np.ndarray, k: int = TOP_K) -> dict:
    """The article's test table: cross-entropy (nats per scored position) and top-1..k accuracy over weighted
    positions, from the summed loss and the ranks [N, T]."""
    scored = np.asarray(weights) > 0
    count = int(scored.sum())
    ranks = np.asarray(ranks)[scored]
    result = {"cross_entropy": float(loss_sum) / max(count, 1), "positions": count}
    for top in range(1, k + 1):
        result["accuracy" if top == 1 else f"top{top}_accuracy"] = float((ranks < top).mean()) if count else 0.0
    return result
