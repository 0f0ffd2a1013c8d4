"""The autocomplete task on hand-made text (Distill 2019, appendix): normalisation, whole-word observations, word
targets, masks, characters seen, and its tf.data input."""

import numpy as np
import pytest

from karpathy_rnn.analysis.autocomplete import accuracy_by_seen, overall, target_ranks
from karpathy_rnn.data.autocomplete import (
    PAD,
    UNKNOWN,
    AutocompleteDataError,
    build_autocomplete,
    decode_inputs,
    encode_observation,
    encode_text,
    normalize_text8,
    observation_bounds,
    word_vocabulary,
)


def test_normalisation_is_text8s_rule():
    """ASCII letters lower-cased, digits spelled out one by one, everything else (accents, punctuation, newlines,
    apostrophes) a space, spaces collapsed."""
    assert normalize_text8("Hello, World!\r\nIt's 1812.") == "hello world it s one eight one two"
    assert normalize_text8("Ça  va? Élan") == "a va lan"
    assert normalize_text8("  --  ") == ""


def test_observations_hold_whole_words_and_every_word_once():
    words = "aa b cccc dd e ffffff g hh".split()
    starts = observation_bounds(np.array([len(w) for w in words]), 8)
    pieces = [" " + " ".join(words[a:b]) for a, b in zip(starts[:-1], starts[1:])]
    assert pieces == [" aa b", " cccc dd", " e", " ffffff", " g hh"]      # greedy: " e ffffff" would be 9
    assert all(len(p) <= 8 for p in pieces)
    with pytest.raises(AutocompleteDataError, match="observation length 6 is below the longest word .6 letters"):
        observation_bounds(np.array([len(w) for w in words]), 6)


def test_targets_masks_and_characters_seen_on_hand_made_text():
    """Each character of a word and the space before it target the word; unknown words and padding weigh 0."""
    data = build_autocomplete("the cat. The dog; the cat sat! the a", words=3, length=12, split="67/0/33")
    assert data.words == ("the", "cat", "dog")                  # counts 3, 2, 1 in the two training observations
    assert data.labels == ("<pad>", "<unk>", "the", "cat", "dog")
    train = data.train
    assert [train.text(i) for i in range(len(train))] == [" the cat the", " dog the cat"]
    assert train.targets[0].tolist() == [2] * 4 + [3] * 4 + [2] * 4
    assert train.targets[1].tolist() == [4] * 4 + [2] * 4 + [3] * 4
    assert train.seen[0].tolist() == [0, 1, 2, 3] * 3
    assert len(data.val) == 0
    test = data.test
    assert test.text(0) == " sat the a"
    assert test.targets[0].tolist() == [UNKNOWN] * 4 + [2] * 4 + [UNKNOWN] * 2 + [PAD] * 2
    assert test.seen[0].tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, -1, -1]
    assert test.inputs[0, 10:].tolist() == [0, 0]
    assert test.weights[0].tolist() == [0] * 4 + [1] * 4 + [0] * 4


def test_no_word_is_cut_and_the_splits_keep_the_text_in_order():
    words = [("w" * (1 + (i * 7) % 9)) + chr(97 + i % 26) for i in range(500)]
    data = build_autocomplete(" ".join(words), words=50, length=30)
    rebuilt = []
    for split in (data.train, data.val, data.test):
        for i in range(len(split)):
            text = split.text(i)
            assert text.startswith(" ") and len(text) <= 30
            rebuilt += text.split()
            known = split.targets[i][split.targets[i] > UNKNOWN]
            assert set(known.tolist()) <= set(range(2, 52))
    assert rebuilt == words
    assert len(data.train) == int(0.9 * (len(data.train) + len(data.val) + len(data.test)))
    nine = build_autocomplete(" ".join(["abcdefghi"] * 9), words=3, length=10)      # one word per observation
    assert (len(nine.train), len(nine.val), len(nine.test)) == (8, 0, 1)            # floor(8.1), floor(8.55), rest


def test_vocabulary_is_the_most_frequent_training_words_ties_by_first_occurrence():
    assert word_vocabulary("b a c a b d".split(), 3) == ("b", "a", "c")


def test_the_vocabulary_is_counted_on_the_train_split_only():
    """Issue 32.14 (a planted bug the suite let through: the words counted over every split)."""
    text = " ".join(["cat sat on mat"] * 80 + ["zebra zebra zebra zebra zebra"] * 20)   # zebra: mostly after train
    data = build_autocomplete(text, words=3, length=20, split="80/10/10")
    assert data.words == ("cat", "sat", "on")
    everything = word_vocabulary(text.split(), 3)
    assert everything[0] == "zebra"                    # over all splits the most frequent word would be another


@pytest.mark.parametrize("text, kwargs, message", [
    ("!!! ??? ...", {}, "no words after normalisation"),
    ("a b c", {"words": 2}, "vocabulary size 2 is below 3"),
    ("tiny enormousword", {"length": 8}, "observation length 8 is below the longest word"),
])
def test_bad_settings_are_one_clear_error(text, kwargs, message):
    with pytest.raises(AutocompleteDataError, match=message):
        build_autocomplete(text, **kwargs)


def test_encoding_one_text_and_refusing_other_characters():
    one = encode_observation("the cat", ("cat",))
    assert decode_inputs(one.inputs[0]) == " the cat"
    assert one.targets[0].tolist() == [UNKNOWN] * 4 + [2] * 4 and one.seen[0].tolist() == [0, 1, 2, 3] * 2
    with pytest.raises(AutocompleteDataError, match="outside the autocomplete alphabet"):
        encode_text("the Cat")


def test_the_tf_data_input_batches_casts_and_weights():
    from karpathy_rnn.data.autocomplete_streams import autocomplete_dataset

    data = build_autocomplete(" ".join(f"w{chr(97 + i % 20)}x" for i in range(400)), words=10, length=20)
    batches = list(autocomplete_dataset(data.train, 16))
    inputs, targets, weights = batches[0]
    assert inputs.dtype.name == "int32" and targets.dtype.name == "int32" and weights.dtype.name == "float32"
    assert inputs.shape == (16, 20) and sum(len(b[0]) for b in batches) == len(data.train)
    np.testing.assert_array_equal(weights.numpy(), data.train.weights[:16])
    np.testing.assert_array_equal(targets.numpy(), data.train.targets[:16])
    first = [b[0].numpy() for b in autocomplete_dataset(data.train, 16, shuffle_seed=3)]
    again = [b[0].numpy() for b in autocomplete_dataset(data.train, 16, shuffle_seed=3)]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))
    assert not np.array_equal(np.concatenate(first), data.train.inputs.astype(np.int32))
    assert sorted(map(bytes, np.concatenate(first))) == sorted(map(bytes, data.train.inputs.astype(np.int32)))


def test_ranks_and_accuracy_by_characters_seen_by_hand():
    logits = np.array([[[0.0, 3.0, 1.0, 2.0], [5.0, 5.0, 0.0, 1.0], [0.0, 1.0, 2.0, 3.0]]])
    ranks = target_ranks(logits, np.array([[1, 1, 0]]))
    assert ranks.tolist() == [[0, 1, 3]]                    # a tie counts against the target; rank 3 = not in top 3
    seen = np.array([[0, 1, 1]])
    table = accuracy_by_seen(ranks, seen, np.ones((1, 3)))
    assert table["count"].tolist() == [1, 2]
    np.testing.assert_allclose(table["accuracy"], [[1, 1, 1], [0, 0.5, 0.5]])
    masked = accuracy_by_seen(ranks, seen, np.array([[1, 0, 1]]))
    np.testing.assert_allclose(masked["accuracy"], [[1, 1, 1], [0, 0, 0]])
    result = overall(6.0, ranks, np.array([[1, 1, 0]]))
    assert result == {"cross_entropy": 3.0, "positions": 2, "accuracy": 0.5, "top2_accuracy": 1.0,
                      "top3_accuracy": 1.0}
