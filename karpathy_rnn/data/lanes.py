"""The lane layout of truncated back-propagation through time (char-rnn's), without TensorFlow.

Kept apart from streams.py so that scripts can count batches without importing TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


def _check_integer(name: str, value, minimum: int, alternative: str = "") -> None:
    """Raise a clear error unless `value` is an integer >= `minimum` (`alternative` names other allowed values)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive integer" if minimum == 1 else "a non-negative integer"
        raise KRNNError(f"{name} must be {kind}{alternative}, got {value!r}")


def check_shape(batch_size: int, unroll: int) -> None:
    """Raise a clear error for a non-positive batch size or unroll."""
    _check_integer("batch size", batch_size, 1)
    _check_integer("unroll", unroll, 1)


def training_layout(num_ids: int, batch_size: int, unroll: int, epoch: int = 0,
                    seed: int | None = None) -> LaneLayout:
    """The lane layout of one training epoch; with a seed, the epoch starts at a random offset < T.

    Without a seed the offset is 0 and the layout is char-rnn's. The tail that does not fill a
    whole batch is dropped; the step count is the same in every epoch.
    """
    check_shape(batch_size, unroll)
    if seed is not None:
        _check_integer("seed", seed, 0, " or None")
        _check_integer("epoch", epoch, 0)
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
