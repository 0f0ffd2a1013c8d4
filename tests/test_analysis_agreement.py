"""Model agreement (Figure 1, right) on synthetic predictions whose agreement is known."""

import numpy as np
import pytest

from karpathy_rnn.analysis.agreement import agreement_matrix, embed, most_likely, perplexity_for
from karpathy_rnn.errors import KRNNError


def test_agreement_is_the_fraction_of_equal_predictions():
    predictions = np.array([[0, 1, 2, 3],
                            [0, 1, 2, 0],      # agrees with model 0 on 3 of 4
                            [1, 1, 0, 0]])     # with 0 on 1 of 4, with 1 on 2 of 4
    matrix = agreement_matrix(predictions)
    np.testing.assert_allclose(matrix, [[1, 0.75, 0.25], [0.75, 1, 0.5], [0.25, 0.5, 1]])


def test_embedding_puts_models_that_agree_together():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 50, 5000)
    families = []
    for family in range(2):                        # two families, each a noisy copy of its own prototype
        prototype = np.where(rng.random(5000) < 0.5, truth, rng.integers(0, 50, 5000))
        for _ in range(4):
            families.append(np.where(rng.random(5000) < 0.9, prototype, rng.integers(0, 50, 5000)))
    matrix = agreement_matrix(np.stack(families))
    points = embed(matrix)
    assert points.shape == (8, 2)
    distance = np.linalg.norm(points[:, None] - points[None], axis=-1)
    same = np.equal.outer(np.arange(8) // 4, np.arange(8) // 4) & ~np.eye(8, dtype=bool)
    assert distance[same].max() < distance[~np.equal.outer(np.arange(8) // 4, np.arange(8) // 4)].min()
    np.testing.assert_array_equal(points, embed(matrix))           # a fixed seed: the same picture again


def test_embedding_needs_three_models_and_a_perplexity_below_their_number():
    with pytest.raises(KRNNError, match="at least 3 models, got 2"):
        embed(np.eye(2))
    assert all(perplexity_for(m) < m for m in range(3, 40))
    assert perplexity_for(100) == 30.0


def test_most_likely_reads_a_trace_in_chunks(tmp_path):
    from karpathy_rnn.analysis.trace import TraceWriter

    rng = np.random.default_rng(1)
    probabilities = rng.dirichlet(np.ones(7), 1000).astype(np.float32)
    writer = TraceWriter(tmp_path / "t", "abcdefg", 1000, [])
    writer.write_probabilities(0, probabilities)
    trace = writer.finish(rng.integers(0, 7, 1000).astype(np.int32))
    np.testing.assert_array_equal(most_likely(trace, rows=128), probabilities.argmax(axis=1))
    ngram = TraceWriter(tmp_path / "n", "abcdefg", 10, [], distributions=False)
    ngram.write_probabilities(0, np.full(10, 0.5, np.float32))
    with pytest.raises(KRNNError, match="only the correct character's probability"):
        most_likely(ngram.finish(np.zeros(10, np.int32)))
