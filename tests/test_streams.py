"""The truncated-BPTT lane streams: shift by one, lane continuity, exact-once evaluation."""

import itertools

import numpy as np
import pytest

from karpathy_rnn.data import (
    evaluation_stream,
    load_corpus,
    steps_per_epoch,
    training_stream,
)
from karpathy_rnn.errors import CorpusTooShortError, KRNNError


def batches(dataset):
    return [tuple(t.numpy() for t in batch) for batch in dataset]


def test_training_stream_lanes_continue_across_batches():
    ids = np.arange(1, 1 + 4 * 3 * 5 + 7, dtype=np.int32)  # B=4, T=5, 3 steps, 7 left over
    out = batches(training_stream(ids, batch_size=4, unroll=5))
    assert len(out) == 3 == steps_per_epoch(len(ids), 4, 5)
    lane_length = 15
    for i, (x, y) in enumerate(out):
        assert x.shape == y.shape == (4, 5) and x.dtype == np.int32
        for b in range(4):
            start = b * lane_length + i * 5
            assert np.array_equal(x[b], ids[start:start + 5])
            assert np.array_equal(y[b], ids[start + 1:start + 6])  # targets: next character
    for (x0, y0), (x1, _) in itertools.pairwise(out):
        assert np.array_equal(x1[:, 0], y0[:, -1])  # lane b of batch i+1 continues lane b of batch i


def test_training_stream_with_seed_is_deterministic_and_shifts_per_epoch():
    ids = np.arange(2000, dtype=np.int32)
    first = batches(training_stream(ids, 4, 10, epoch=0, seed=7))
    again = batches(training_stream(ids, 4, 10, epoch=0, seed=7))
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(first, again))
    assert all(np.array_equal(x + 1, y) for x, y in first)  # ids are 0..N-1, so each target is input + 1
    starts = {int(batches(training_stream(ids, 4, 10, epoch=e, seed=7))[0][0][0, 0]) for e in range(8)}
    assert len(starts) > 1 and max(starts) < 10
    counts = {len(batches(training_stream(ids, 4, 10, epoch=e, seed=7))) for e in range(8)}
    assert counts == {steps_per_epoch(len(ids), 4, 10, seed=7)}


@pytest.mark.parametrize("n, batch_size, unroll", [(2, 1, 1), (101, 4, 7), (1000, 100, 3), (57, 10, 100)])
def test_evaluation_stream_scores_every_target_exactly_once(n, batch_size, unroll):
    ids = np.random.default_rng(n).integers(0, 50, n).astype(np.int32)
    out = batches(evaluation_stream(ids, batch_size, unroll))
    x = np.concatenate([b[0] for b in out], axis=1)
    y = np.concatenate([b[1] for b in out], axis=1)
    w = np.concatenate([b[2] for b in out], axis=1)
    assert all(b[0].shape == (batch_size, unroll) for b in out)
    assert w.sum() == n - 1 and set(np.unique(w)) <= {0.0, 1.0}
    mask = w.reshape(-1) > 0
    assert np.array_equal(y.reshape(-1)[mask], ids[1:])  # lane-major order is the text order
    assert np.array_equal(x.reshape(-1)[mask], ids[:-1])


def test_evaluation_of_a_split_scores_all_its_characters(shared_data):
    corpus = load_corpus("tiny_shakespeare")
    out = batches(evaluation_stream(corpus.scoring_ids("test"), 100, 100))
    weights = sum(float(b[2].sum()) for b in out)
    assert weights == len(corpus.test) == 55_770


def test_too_short_and_bad_shapes():
    with pytest.raises(CorpusTooShortError, match=r"shorter than one batch of 100 lanes x 100 steps \(needs 10001\)"):
        training_stream(np.zeros(10_000, np.int32), 100, 100)
    assert steps_per_epoch(10_001, 100, 100) == 1
    with pytest.raises(CorpusTooShortError, match="no \\(input, target\\) pair to score"):
        evaluation_stream(np.zeros(1, np.int32), 4, 4)
    with pytest.raises(KRNNError, match="batch size must be a positive integer, got 0"):
        training_stream(np.zeros(100, np.int32), 0, 5)
    with pytest.raises(KRNNError, match="seed must be a non-negative integer or None, got -1"):
        training_stream(np.zeros(100, np.int32), 2, 5, seed=-1)


def test_streams_are_deterministic_and_prefetched():
    ids = np.arange(500, dtype=np.int32)
    for dataset in (training_stream(ids, 4, 10, seed=3), evaluation_stream(ids, 4, 10)):
        assert dataset.options().deterministic is True
        assert "Prefetch" in type(dataset).__name__
