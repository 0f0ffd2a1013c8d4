"""Connectivity (Distill 2019): a toy model whose gradient is written down by hand, the batched tape against one tape
per position for every unit, and the char-LM reading (the prediction of character j made from characters < j)."""

import numpy as np
import pytest

from karpathy_rnn.analysis.connectivity import Connectivity, model_parts, top_predictions
from karpathy_rnn.errors import KRNNError


def toy_model(a=0.9, b=0.7, e=(0.0, 0.5, -1.0, 2.0), w=(1.5, -2.0, 0.25, 1.0, 3.0)):
    """ids -> Embedding of width 1 (e[id]) -> one tanh unit h_t = tanh(a x_t + b h_{t-1}) -> logits w_k h_t."""
    from karpathy_rnn.models import autocomplete_model

    model = autocomplete_model(3, "rnn", layers=1, units=1, embedding=1, seed=0, fused_xla=False)
    embedding = np.zeros((28, 1), np.float32)
    embedding[:len(e), 0] = e
    model.get_layer("embedding").set_weights([embedding])
    model.get_layer("rnn1").set_weights([np.array([[a], [b]], np.float32), np.zeros(1, np.float32)])
    model.get_layer("logits").set_weights([np.array([w], np.float32), np.zeros(5, np.float32)])
    return model


def hand_connectivity(ids, position, target, a=0.9, b=0.7, e=(0.0, 0.5, -1.0, 2.0), w=(1.5, -2.0, 0.25, 1.0, 3.0)):
    """|d w_k h_p / d x_t| = |w_k| prod_{s=t+1..p} b (1 - h_s^2) (1 - h_t^2) |a| for t <= p, 0 after: float64."""
    x = np.array([e[i] for i in ids], np.float64)
    h, previous = np.zeros(len(ids)), 0.0
    for t, value in enumerate(x):
        previous = h[t] = np.tanh(a * value + b * previous)
    out = np.zeros(len(ids))
    for t in range(position + 1):
        chain = np.prod([b * (1 - h[s] ** 2) for s in range(t + 1, position + 1)])
        out[t] = abs(w[target] * chain * (1 - h[t] ** 2) * a)
    return out


def test_a_toy_models_connectivity_is_the_hand_written_gradient():
    ids = np.array([1, 3, 2, 2, 1, 3, 3])
    positions, targets = np.array([6, 0, 3, 5, 2]), np.array([4, 1, 0, 3, 2])
    values = Connectivity(toy_model(), group=2).values(ids, positions, targets)
    expected = np.stack([hand_connectivity(ids, p, k) for p, k in zip(positions, targets)])
    np.testing.assert_allclose(values, expected, rtol=2e-5, atol=1e-7)
    assert values[1, 1:].max() == 0 and values[0, 0] < values[0, 6]       # causal; the chain shrinks with distance


def reference(model, ids, positions, targets):
    """One GradientTape per position over the whole model (its Dense included): [P, T]."""
    import tensorflow as tf

    encoder, middle, _ = model_parts(model)
    rows = []
    for position, target in zip(positions, targets):
        x = encoder(np.asarray(ids, np.int32)[None])
        with tf.GradientTape() as tape:
            tape.watch(x)
            h = x
            for layer in middle:
                h = layer(h, training=False)
            y = model.layers[-1](h)[0, position, target]
        rows.append(tf.norm(tape.gradient(y, x)[0], axis=-1).numpy())
    return np.stack(rows)


@pytest.mark.parametrize("unit, layers, shared", [("gru", 2, True), ("lstm", 2, True), ("rnn", 2, True),
                                                 ("gru", 2, False), ("lstm", 2, False), ("nlstm", 1, False)])
def test_batched_connectivity_equals_one_tape_per_position(unit, layers, shared):
    """Every position at once (groups, each run only as far as its last position) = a tape per position, both with
    one shared forward pass and P cotangents through the fused backward loops, and with a tape over P copies."""
    from karpathy_rnn.models import autocomplete_model

    model = autocomplete_model(20, unit, layers=layers, units=8, seed=3, fused_xla=unit == "lstm")
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 28, 23)
    positions, targets = np.arange(23), rng.integers(0, 22, 23)
    connectivity = Connectivity(model, group=5, shared_forward=None if shared else False)
    assert connectivity.shared_forward == shared      # the default: shared wherever every unit is a fused one
    batched = connectivity.values(ids, positions, targets)
    np.testing.assert_allclose(batched, reference(model, ids, positions, targets), rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(Connectivity(model, group=64, shared_forward=shared).values(ids, positions, targets),
                               batched, rtol=1e-4, atol=1e-8)
    assert np.all(np.triu(batched, 1) == 0) and np.all(np.diag(batched) > 0)


def test_a_char_lm_is_read_through_its_one_hot_input():
    from karpathy_rnn.models import char_language_model

    model = char_language_model("abcde", unit="lstm", layers=2, hidden=6, seed=1, fused_xla=False)
    ids = np.array([0, 1, 2, 3, 4, 0, 1])
    values = Connectivity(model).values(ids, np.array([2, 5]), np.array([3, 1]))
    np.testing.assert_allclose(values, reference(model, ids, [2, 5], [3, 1]), rtol=1e-4, atol=1e-8)
    best, probabilities = top_predictions(model, ids, 3)
    assert best.shape == (7, 3) and np.all(np.diff(probabilities, axis=1) <= 0)


def test_positions_outside_the_text_and_other_models_are_refused():
    import keras

    connectivity = Connectivity(toy_model())
    with pytest.raises(KRNNError, match=r"position 7 is outside the text \(0 to 6\)"):
        connectivity.values(np.arange(7) % 4, np.array([1, 7]), np.array([0, 0]))
    dense = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(5, 3),
                              keras.layers.Dense(4)])
    with pytest.raises(KRNNError, match="not an autocomplete or char-LM model"):
        Connectivity(dense)


def test_a_char_lm_study_row_j_is_the_prediction_of_character_j_from_the_characters_before_it():
    """Row 0 is empty (nothing predicts the first character); row j holds j values: the gradient of the logit of
    character j at output j - 1 by inputs 0..j-1; suggestions at j are output j - 1's."""
    from karpathy_rnn.analysis.connectivity_study import NEXT_CHARACTER, StudyModel, connectivity_body
    from karpathy_rnn.models import char_language_model

    model = char_language_model("abc d", unit="gru", layers=1, hidden=5, seed=2, fused_xla=False)
    study = StudyModel("m", model, NEXT_CHARACTER, tuple("abc d"), "", {}, 0)
    body = connectivity_body([study], "here", "ab dca")
    assert body["targets"] == [None, "b", " ", "d", "c", "a"] and body["text"] == "ab dca"
    rows = body["models"][0]["values"]
    assert [len(row) for row in rows] == [0, 1, 2, 3, 4, 5]
    ids = np.array([0, 1, 3, 4, 2, 0])
    expected = reference(model, ids, [3], [2])[0]                          # 'c' (id 2) predicted at output 3
    np.testing.assert_allclose(rows[4], expected[:4], rtol=1e-3)
    suggestions = body["models"][0]["suggestions"]
    assert suggestions[0] == [] and len(suggestions[1]) == 3
    best, probabilities = top_predictions(model, ids, 3)
    assert suggestions[2][0] == {"label": "abc d"[best[1, 0]], "p": round(float(probabilities[1, 0]), 4)}


def test_an_autocomplete_study_follows_the_target_word_or_the_first_suggestion():
    from karpathy_rnn.analysis.connectivity_study import AUTOCOMPLETE, StudyModel, connectivity_body
    from karpathy_rnn.models import autocomplete_model

    model = autocomplete_model(3, "gru", 1, 4, seed=5, fused_xla=False)
    study = StudyModel("m", model, AUTOCOMPLETE, ("<pad>", "<unk>", "the", "cat", "sat"), "", {}, 0)
    body = connectivity_body([study], "user text", "the dog", positions=[2, 5])
    assert body["text"] == " the dog" and body["targets"] == ["the"] * 4 + [None] * 4
    rows = body["models"][0]["values"]
    assert [len(row) for row in rows] == [0, 0, 3, 0, 0, 6, 0, 0]
    ids = np.array([1, 21, 9, 6, 1, 5, 16, 8])
    np.testing.assert_allclose(rows[2], reference(model, ids, [2], [2])[0][:3], rtol=1e-3)
    best, _ = top_predictions(model, ids, 3)
    np.testing.assert_allclose(rows[5], reference(model, ids, [5], [best[5, 0]])[0][:6], rtol=1e-3)
    with pytest.raises(KRNNError, match="position 8 is outside the text"):
        connectivity_body([study], "user text", "the dog", positions=[8])


def test_the_long_context_share_by_hand():
    from karpathy_rnn.analysis.connectivity_study import long_context_share

    body = {"task": "autocomplete", "text": " ab cd", "targets": ["ab", "ab", "ab", "cd", "cd", None],
            "models": [{"name": "m", "values": [[1], [1, 1], [], [1, 1, 1, 1], [2, 0, 1, 1, 4], [1] * 6]}]}
    # row 3 (the space before "cd"): 3 of 4 before it; row 4: 3 of 8 before the space at 3; rows 0, 1: nothing before
    assert long_context_share(body) == [{"model": "m", "rows": 4, "long_context_share": (0 + 0 + 0.75 + 3 / 8) / 4}]


def test_a_char_lm_study_takes_evenly_spaced_excerpts_of_its_runs_corpus(tmp_path):
    from karpathy_rnn.analysis.connectivity_study import NEXT_CHARACTER, StudyModel, study_texts

    corpus = tmp_path / "digits.txt"
    corpus.write_text("".join(str(i % 10) for i in range(2000)))
    study = StudyModel("m", None, NEXT_CHARACTER, tuple("0123456789"), str(tmp_path),
                       {"corpus_source": str(corpus), "split": "50/25/25"}, 0)
    texts = study_texts(study, None, "test", 3, 100)
    assert [source for source, _ in texts] == ["test characters 0-100", "test characters 200-300",
                                               "test characters 400-500"]
    assert [text for _, text in texts] == ["".join(str(i % 10) for i in range(100))] * 3   # 1500 % 10 == 0
    assert study_texts(study, "abc", "test", 3, 100) == [("user text", "abc")]
    with pytest.raises(KRNNError, match="--text has 2,001 characters; connectivity takes at most 2,000"):
        study_texts(study, "x" * 2001, "test", 3, 100)


def test_models_with_vocabularies_of_one_size_but_other_characters_are_refused():
    """check_comparable compares the output labels themselves: the same number of different (or reordered) labels
    is refused like a different number; equal labels pass, and equal names get numbered."""
    from karpathy_rnn.analysis.connectivity_study import AUTOCOMPLETE, NEXT_CHARACTER, StudyModel, check_comparable

    def study(name, labels, task=NEXT_CHARACTER):
        return StudyModel(name, None, task, tuple(labels), "", {}, 0)

    for other in ("abd", "bac", "ab"):
        with pytest.raises(KRNNError, match="different output vocabularies"):
            check_comparable([study("m", "abc"), study("n", other)])
    with pytest.raises(KRNNError, match="different output vocabularies"):
        check_comparable([study("m", "abc"), study("n", "abc"), study("o", "abz")])     # any one, not just the 2nd
    with pytest.raises(KRNNError, match="different tasks"):
        check_comparable([study("m", "abc"), study("n", "abc", AUTOCOMPLETE)])
    same = [study("m", "abc"), study("m", "abc")]
    check_comparable(same)
    assert [m.name for m in same] == ["m (1)", "m (2)"]
