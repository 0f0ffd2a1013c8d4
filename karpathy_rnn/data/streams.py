"""tf.data streams for truncated back-propagation through time, laid out in lanes as char-rnn does.

A split of N ids gives N-1 (input, target) pairs, the target being the next character. They are cut
into B contiguous lanes; batch i holds steps [i*T, (i+1)*T) of every lane, so lane b of batch i+1
continues lane b of batch i and a stateful model carries its hidden state across batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from karpathy_rnn.errors import CorpusTooShortError, KRNNError


@dataclass(frozen=True)
class LaneLayout:
    """How a training epoch cuts N ids into B lanes of `steps` batches of T steps, from `offset`."""

    batch_size: int
    unroll: int
    steps: int
    offset: int

    @property
    def lane_length(self) -> int:
        """Pairs per lane, steps * T."""
        return self.steps * self.unroll


def _check_shape(batch_size: int, unroll: int) -> None:
    """Raise a clear error for a non-positive batch size or unroll."""
    for name, value in (("batch size", batch_size), ("unroll", unroll)):
        if int(value) != value or value < 1:
            raise KRNNError(f"{name} must be a positive integer, got {value!r}")


def training_layout(num_ids: int, batch_size: int, unroll: int, epoch: int = 0,
                    seed: int | None = None) -> LaneLayout:
    """The lane layout of one training epoch; with a seed, the epoch starts at a random offset < T.

    Without a seed the offset is 0 and the layout is char-rnn's. The tail that does not fill a
    whole batch is dropped; the step count is the same in every epoch.
    """
    _check_shape(batch_size, unroll)
    slack = 0 if seed is None else unroll - 1
    steps = (num_ids - 1 - slack) // batch_size // unroll
    if steps < 1:
        need = batch_size * unroll + 1 + slack
        raise CorpusTooShortError(
            f"a split of {num_ids} characters is shorter than one batch of {batch_size} lanes x "
            f"{unroll} steps (needs {need}); use a longer text or a smaller batch size / unroll")
    offset = 0 if seed is None else int(np.random.default_rng([seed, epoch]).integers(0, unroll))
    return LaneLayout(batch_size, unroll, steps, offset)


def steps_per_epoch(num_ids: int, batch_size: int, unroll: int, seed: int | None = None) -> int:
    """Batches in one training epoch over `num_ids` ids."""
    return training_layout(num_ids, batch_size, unroll, 0, seed).steps


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
    _check_shape(batch_size, unroll)
    ids = np.asarray(ids, dtype=np.int32)
    num_targets = len(ids) - 1
    if num_targets < 1:
        raise CorpusTooShortError(f"a split of {len(ids)} characters has nothing to score; "
                                  f"it needs at least 2 characters")
    lane_length = -(-num_targets // batch_size)
    padded_length = -(-lane_length // unroll) * unroll

    def lanes(values: np.ndarray) -> np.ndarray:
        flat = np.zeros(batch_size * lane_length, values.dtype)
        flat[:num_targets] = values
        return np.pad(flat.reshape(batch_size, lane_length), ((0, 0), (0, padded_length - lane_length)))

    weights = lanes(np.ones(num_targets, np.float32))
    return _finish(tf.data.Dataset.from_tensor_slices(
        (_batches(lanes(ids[:-1]), unroll), _batches(lanes(ids[1:]), unroll), _batches(weights, unroll))))
