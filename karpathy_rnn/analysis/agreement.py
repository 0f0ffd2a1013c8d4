"""Model agreement (Figure 1, right): how often two models' most likely next characters agree on a text, and a
t-SNE embedding of 1 - agreement (section 4.1: "we found this more stable and robust than the KL divergence")."""

from __future__ import annotations

import numpy as np

from karpathy_rnn.analysis.trace import CHUNK_ROWS, Trace
from karpathy_rnn.errors import KRNNError

TSNE_SEED = 0
LEAST_FOR_TSNE = 3       # scikit-learn's t-SNE needs perplexity < models; 3 models is the least it can embed


def most_likely(trace: Trace, rows: int = CHUNK_ROWS) -> np.ndarray:
    """int32 [N]: the id of the character the traced model found most likely at each step, read in chunks."""
    if trace.target_probabilities is not None:
        raise KRNNError(f"trace {trace.path!r} stores only the correct character's probability (an n-gram's), not "
                        "whole distributions; agreement needs traces of models (scripts/analyze.py trace)")
    out = np.empty(trace.length, np.int32)
    for start in range(0, trace.length, rows):
        out[start:start + rows] = np.argmax(np.asarray(trace.probabilities[start:start + rows]), axis=1)
    return out


def stream_most_likely(step, states, ids: np.ndarray, chunk: int = 10_000) -> np.ndarray:
    """int32 [N]: the most likely character after each of ids[:-1] (ids [N+1], Corpus.scoring_ids), read once from
    `states` by `step(ids [1, T], states) -> (logits [1, T, K], states)`: a trace's predictions with one lane, without
    the trace (its gates are gigabytes for a large model)."""
    reads, out = np.asarray(ids, np.int32)[:-1], []
    for start in range(0, len(reads), chunk):
        logits, states = step(reads[None, start:start + chunk], states)
        out.append(np.argmax(np.asarray(logits)[0], axis=-1))
    return np.concatenate(out).astype(np.int32) if out else np.empty(0, np.int32)


def agreement_matrix(predictions: np.ndarray) -> np.ndarray:
    """float64 [M, M]: the fraction of characters on which models i and j (rows of predictions [M, N]) predict
    the same most likely character; symmetric with ones on the diagonal."""
    predictions = np.asarray(predictions)
    if predictions.ndim != 2 or predictions.shape[1] == 0:
        raise KRNNError(f"predictions must be [models, characters] with characters > 0, got {predictions.shape}")
    models = len(predictions)
    matrix = np.eye(models)
    for i in range(models):
        for j in range(i + 1, models):
            matrix[i, j] = matrix[j, i] = np.mean(predictions[i] == predictions[j])
    return matrix


def perplexity_for(models: int) -> float:
    """The t-SNE perplexity used for `models` points: a third of the other points, at least 1, at most 30
    (scikit-learn's default), always below `models`."""
    return float(min(30.0, max(1.0, (models - 1) / 3)))


def embed(matrix: np.ndarray, seed: int = TSNE_SEED) -> np.ndarray:
    """float64 [M, 2]: scikit-learn's t-SNE of the models with 1 - agreement (matrix [M, M]) as a precomputed
    distance, random initialisation with a fixed seed (the same matrix gives the same picture)."""
    from sklearn.manifold import TSNE

    matrix = np.asarray(matrix, np.float64)
    if len(matrix) < LEAST_FOR_TSNE:
        raise KRNNError(f"a t-SNE embedding needs at least {LEAST_FOR_TSNE} models, got {len(matrix)}; give more runs")
    distance = np.clip(1.0 - matrix, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    tsne = TSNE(n_components=2, metric="precomputed", init="random", perplexity=perplexity_for(len(matrix)),
                random_state=seed)
    return tsne.fit_transform(distance).astype(np.float64)
