"""Weights both ways with keras.layers.LSTM / GRU (either reset_after) / SimpleRNN: same outputs."""

import numpy as np
import pytest

import keras

from karpathy_rnn.layers import GRU, LSTM, NestedLSTM, VanillaRNN, convert_model, from_keras, to_keras

BUILT_INS = {
    "lstm": lambda: keras.layers.LSTM(6, return_sequences=True, return_state=True),
    "gru": lambda: keras.layers.GRU(6, reset_after=False, return_sequences=True, return_state=True),
    "gru_reset_after": lambda: keras.layers.GRU(6, return_sequences=True, return_state=True),
    "rnn": lambda: keras.layers.SimpleRNN(6, return_sequences=True, return_state=True),
}


def _randomise(layer, rng):
    for w in layer.trainable_weights:
        w.assign(rng.uniform(-0.6, 0.6, w.shape))


@pytest.mark.parametrize("unit", sorted(BUILT_INS))
def test_from_keras_and_back_give_the_same_outputs(unit):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 9, 5)).astype("float32")
    built_in = BUILT_INS[unit]()
    built_in(x)
    _randomise(built_in, rng)
    expected = [keras.ops.convert_to_numpy(t) for t in built_in(x)]
    ours = from_keras(built_in)
    assert type(ours) is {"lstm": LSTM, "gru": GRU, "gru_reset_after": GRU, "rnn": VanillaRNN}[unit]
    assert getattr(ours, "reset_after", False) == (unit == "gru_reset_after")
    got = [keras.ops.convert_to_numpy(t) for t in ours(x)]
    # keras returns [sequence, h, (c)]; ours [sequence, h, (c)] in the same order
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)
    back = to_keras(ours)
    for a, b in zip([keras.ops.convert_to_numpy(t) for t in back(x)], expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)
    for a, b in zip(back.get_weights(), built_in.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)


def test_a_whole_keras_model_converts_and_its_gates_can_be_read():
    rng = np.random.default_rng(1)
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(11, 7),
                              keras.layers.LSTM(8, return_sequences=True),
                              keras.layers.GRU(8, reset_after=False, return_sequences=True),
                              keras.layers.Dense(11)])
    ids = rng.integers(0, 11, (3, 12))
    for layer in model.layers:
        _randomise(layer, rng)
    ours = convert_model(model)
    assert [type(l).__name__ for l in ours.layers] == ["Embedding", "LSTM", "GRU", "Dense"]
    assert isinstance(ours.layers[1], LSTM)
    np.testing.assert_allclose(ours.predict(ids, verbose=0), model.predict(ids, verbose=0),
                               rtol=1e-5, atol=1e-5)
    back = convert_model(ours, to="keras")
    assert isinstance(back.layers[1], keras.layers.LSTM)
    np.testing.assert_allclose(back.predict(ids, verbose=0), model.predict(ids, verbose=0),
                               rtol=1e-5, atol=1e-5)
    # the converted LSTM exposes its gates on the built-in model's weights
    emb = ours.layers[0](ids)
    _, gates = ours.layers[1](emb, return_gates=True)
    assert set(gates) == {"i", "f", "o", "g", "c", "h"}


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_convert_model_keeps_a_bidirectionals_merge_mode(merge_mode):
    """Issue 32.11: a planted bug rebuilding Bidirectional without its merge_mode passed every test (only concat was
    tried); each mode gives the built-in's outputs both ways, and None its two sequences."""
    rng = np.random.default_rng(2)
    inputs = keras.Input((None, 5))
    merged = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), merge_mode=merge_mode)(inputs)
    model = keras.Model(inputs, merged)
    for layer in model.layers:
        _randomise(layer, rng)
    x = rng.normal(size=(3, 7, 5)).astype("float32")
    expected = model.predict(x, verbose=0)
    for converted in (convert_model(model), convert_model(convert_model(model), to="keras")):
        bidirectional = converted.layers[1]
        assert bidirectional.merge_mode == merge_mode
        got = converted.predict(x, verbose=0)
        for a, b in (zip(got, expected) if merge_mode is None else [(got, expected)]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert isinstance(convert_model(model).layers[1].forward_layer, LSTM)


@pytest.mark.parametrize("make, message", [
    (lambda: keras.layers.GRU(4, activation="relu"), "activation='relu'"),
    (lambda: keras.layers.LSTM(4, activation="relu"), "activation='relu'"),
    (lambda: keras.layers.GRU(4, reset_after=False, recurrent_activation="hard_sigmoid"),
     "recurrent_activation='hard_sigmoid'"),
])
def test_inexact_built_ins_are_refused_with_the_reason(make, message):
    layer = make()
    layer(np.zeros((1, 2, 3), "float32"))
    with pytest.raises(ValueError, match=message):
        from_keras(layer)


def test_nested_lstm_has_no_built_in_equivalent():
    layer = NestedLSTM(4)
    layer.build((None, None, 3))
    with pytest.raises(TypeError, match="no keras built-in"):
        to_keras(layer)
    with pytest.raises(ValueError, match="'karpathy_rnn' or 'keras'"):
        convert_model(keras.Sequential([keras.Input((2, 3)), layer]), to="torch")


def _padded_ids(rng):
    """[3, 8] ids in 1..10 with 0 = padding: after, before and between the real steps."""
    ids = rng.integers(1, 11, (3, 8))
    ids[0, 5:], ids[1, :3], ids[2, 2:4] = 0, 0, 0
    return ids


MASKED_MODELS = {
    "embedding-functional": lambda: _masked_functional(keras.layers.Embedding(11, 5, mask_zero=True), "int32"),
    "masking-functional": lambda: _masked_functional(keras.layers.Masking(), "float32"),
    "embedding-sequential": lambda: keras.Sequential([
        keras.Input((None,), dtype="int32"), keras.layers.Embedding(11, 5, mask_zero=True),
        keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True)),
        keras.layers.GRU(4, reset_after=False, return_sequences=True), keras.layers.Dense(2)]),
    "masking-sequential": lambda: keras.Sequential([
        keras.Input((None, 5)), keras.layers.Masking(), keras.layers.SimpleRNN(4, return_sequences=True),
        keras.layers.Bidirectional(keras.layers.LSTM(4)), keras.layers.Dense(2)]),
}


def _masked_functional(masker, dtype):
    """Input -> masker -> LSTM and Bidirectional(LSTM) -> Dense, the mask reaching both recurrent layers."""
    inputs = keras.Input((None,) if dtype == "int32" else (None, 5), dtype=dtype)
    x = masker(inputs)
    x = keras.layers.LSTM(4, return_sequences=True)(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def _unwrapped_layers(model):
    """The model's layers, each Bidirectional as its forward and backward layers."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            yield from (layer.forward_layer, layer.backward_layer)
        else:
            yield layer


@pytest.mark.parametrize("kind", sorted(MASKED_MODELS))
def test_convert_model_keeps_the_mask_of_embedding_and_masking(kind):
    """Issue 32.10: a model computing a mask crashed convert_model ('NotEqual' object has no attribute
    'set_weights': the mask is a graph op, not a layer); both ways, the padded steps are masked as before."""
    rng = np.random.default_rng(3)
    model = MASKED_MODELS[kind]()
    for layer in model.layers:
        _randomise(layer, rng)
    ids = _padded_ids(rng)
    x = ids if kind.startswith("embedding") else np.where(ids[..., None] > 0, rng.normal(size=(3, 8, 5)), 0)
    x = x.astype("int32" if kind.startswith("embedding") else "float32")
    expected = model.predict(x, verbose=0)
    ours = convert_model(model)
    assert any(isinstance(l, LSTM) for l in _unwrapped_layers(ours))
    assert not any(isinstance(l, keras.layers.RNN) for l in _unwrapped_layers(ours))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=0, atol=1e-6)
    back = convert_model(ours, to="keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), expected, rtol=0, atol=1e-6)


def test_the_readmes_embedding_and_bidirectional_model_converts_both_ways():
    """Issue 32.10: the README's model (Embedding(mask_zero=True), Bidirectional(our LSTM), our GRU returning
    its gates) goes to keras and back, its gated GRU left with a warning, its outputs unchanged."""
    rng = np.random.default_rng(4)
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(11, 5, mask_zero=True)(inputs)
    x = keras.layers.Bidirectional(LSTM(4, return_sequences=True))(x)
    output, gates = GRU(3, return_sequences=True, return_gates=True)(x)
    model = keras.Model(inputs, {"y": keras.layers.Dense(1)(output), "update": gates["z"]})
    for layer in model.layers:
        _randomise(layer, rng)
    ids = _padded_ids(rng)
    expected = model.predict(ids, verbose=0)
    with pytest.warns(UserWarning, match="return_gates=True"):
        built_in = convert_model(model, to="keras")
    assert isinstance(built_in.layers[2].forward_layer, keras.layers.LSTM)
    again = convert_model(built_in)
    for converted in (built_in, again):
        got = converted.predict(ids, verbose=0)
        for key in expected:
            np.testing.assert_allclose(got[key], expected[key], rtol=0, atol=1e-6)
