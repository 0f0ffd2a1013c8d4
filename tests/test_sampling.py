"""sample_text draws from softmax(logits / T) (no model needed: a stepper with fixed logits)."""

import numpy as np
import pytest

from karpathy_rnn.data import Vocabulary
from karpathy_rnn.sampling import Stepper, sample_text

LOGITS = np.array([2.0, 1.0, 0.0, -1.0, 0.5])
CHI2_999_4DF = 18.47      # the 99.9% point of chi-square with 4 degrees of freedom (5 characters)


def _fixed_stepper() -> Stepper:
    """A stepper whose next-character logits are LOGITS whatever it reads."""
    def step(ids, states):
        return {"logits": np.broadcast_to(LOGITS.astype(np.float32), (*np.shape(ids), len(LOGITS)))}
    return Stepper(Vocabulary(tuple("abcde")), lambda batch: {}, step, "fixed logits")


@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_sampled_characters_follow_the_softmax(temperature):
    """Pearson's chi-square of 5,000 sampled characters against softmax(LOGITS / T) stays below its 99.9% point."""
    text = sample_text(_fixed_stepper(), "a", 5000, temperature, seed=3)
    counts = np.array([text.count(c) for c in "abcde"], np.float64)
    p = np.exp(LOGITS / temperature) / np.exp(LOGITS / temperature).sum()
    expected = p * len(text)
    assert ((counts - expected) ** 2 / expected).sum() < CHI2_999_4DF, (counts, expected)


def test_the_same_seed_gives_the_same_text_and_another_seed_another():
    stepper = _fixed_stepper()
    assert sample_text(stepper, "ab", 200, seed=1) == sample_text(stepper, "ab", 200, seed=1)
    assert sample_text(stepper, "ab", 200, seed=1) != sample_text(stepper, "ab", 200, seed=2)
