"""tf.data streams for truncated back-propagation through time, laid out in lanes as char-rnn does.

A split of N ids gives N-1 (input, target) pairs, the target being the next character. They are cut
into B contiguous lanes; batch i holds steps [i*T, (i+1)*T) of every lane, so lane b of batch i+1
continues lane b of batch i and a stateful model carries its hidden state across batches.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from karpathy_rnn.data.lanes import check_shape, training_layout
from karpathy_rnn.errors import CorpusTooShortError


def _batches(lanes: np.ndarray, unroll: int) -> np.ndarray:
    """Lanes [B, steps*T] regrouped as batches [steps, B, T]."""
    batch_size, length = lanes.shape
    return lanes.reshape(batch_size, length // unroll, unroll).transpose(1, 0, 2)


def _finish(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """Deterministic order and prefetching."""
    options = tf.data.Options()
    options.deterministic = True
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)


def training_stream(ids, batch_size: int = 100, unroll: int = 100, epoch: int = 0,
                    seed: int | None = None) -> tf.data.Dataset:
    """One epoch of (inputs [B, T] int32, targets [B, T] int32) batches in lane order."""
    ids = np.asarray(ids, dtype=np.int32)
    layout = training_layout(len(ids), batch_size, unroll, epoch, seed)
    start, span = layout.offset, batch_size * layout.lane_length
    inputs = ids[start:start + span].reshape(batch_size, layout.lane_length)
    targets = ids[start + 1:start + 1 + span].reshape(batch_size, layout.lane_length)
    return _finish(tf.data.Dataset.from_tensor_slices((_batches(inputs, unroll), _batches(targets, unroll))))


def evaluation_stream(ids, batch_size: int = 100, unroll: int = 100) -> tf.data.Dataset:
    """(inputs [B, T], targets [B, T], weights [B, T] float32) batches scoring every target once.

    All N-1 targets fall in B lanes of ceil((N-1)/B) steps, padded at the end with weight 0 so that
    every batch has the same shape (what a stateful model needs). Use `Corpus.scoring_ids(split)`
    as `ids` to score every character of a split.
    """
    check_shape(batch_size, unroll)
    ids = np.asarray(ids, dtype=np.int32)
    num_targets = len(ids) - 1
    if num_targets < 1:
        raise CorpusTooShortError(f"{len(ids)} id(s) give no (input, target) pair to score; an evaluation "
                                  f"stream needs at least 2 (use Corpus.scoring_ids(split) on a non-empty split)")
    lane_length = -(-num_targets // batch_size)
    padded_length = -(-lane_length // unroll) * unroll

    def lanes(values: np.ndarray) -> np.ndarray:
        flat = np.zeros(batch_size * lane_length, values.dtype)
        flat[:num_targets] = values
        return np.pad(flat.reshape(batch_size, lane_length), ((0, 0), (0, padded_length - lane_length)))

    weights = lanes(np.ones(num_targets, np.float32))
    return _finish(tf.data.Dataset.from_tensor_slices(
        (_batches(lanes(ids[:-1]), unroll), _batches(lanes(ids[1:]), unroll), _batches(weights, unroll))))
