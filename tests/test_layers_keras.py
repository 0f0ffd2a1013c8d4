"""The layers behave like Keras recurrent layers: models, states, stateful BPTT, dropout, bad input."""

import numpy as np
import pytest

import keras

from karpathy_rnn.layers import GRU, LSTM, NestedLSTM, VanillaRNN

UNITS = [LSTM, GRU, VanillaRNN, NestedLSTM]
rng = np.random.default_rng(0)
X = rng.normal(size=(4, 7, 3)).astype("float32")


def np_(t):
    return keras.ops.convert_to_numpy(t)


@pytest.mark.parametrize("cls", UNITS)
def test_sequential_and_functional_models_train(cls):
    model = keras.Sequential([keras.Input((None, 3)), cls(8, return_sequences=True), cls(8),
                              keras.layers.Dense(2)])
    model.compile("rmsprop", "mse")
    y = rng.normal(size=(4, 2)).astype("float32")
    before = model.evaluate(X, y, verbose=0)
    model.fit(X, y, epochs=20, verbose=0)
    assert model.evaluate(X, y, verbose=0) < before
    inp = keras.Input((None, 3))
    out, *states = cls(5, return_state=True)(inp)
    functional = keras.Model(inp, [out, *states])
    result = functional(X)
    assert len(result) == 1 + len(cls(1).state_names)
    np.testing.assert_allclose(np_(result[0]), np_(result[1]))   # output == final h


@pytest.mark.parametrize("cls", UNITS)
def test_output_structure_with_gates_last(cls):
    layer = cls(6, return_sequences=True, return_state=True, return_gates=True)
    result = layer(X)
    assert isinstance(result[-1], dict)
    assert tuple(result[0].shape) == (4, 7, 6)
    assert all(tuple(v.shape) == (4, 7, 6) for v in result[-1].values())
    assert len(result) == 2 + len(layer.state_names)
    output, gates = cls(6, return_sequences=True, return_gates=True)(X)
    assert list(gates) == list(layer.gate_names)
    assert tuple(cls(6)(X).shape) == (4, 6)


@pytest.mark.parametrize("cls", UNITS)
def test_initial_state_continues_a_split_sequence(cls):
    """Running [0:3] then [3:7] from the carried state equals running [0:7] at once."""
    layer = cls(5, return_sequences=True, return_state=True)
    whole = layer(X)
    first = layer(X[:, :3])
    second = layer(X[:, 3:], initial_state=first[1:])
    np.testing.assert_allclose(np_(second[0]), np_(whole[0])[:, 3:], atol=1e-6)
    for a, b in zip(second[1:], whole[1:]):
        np.testing.assert_allclose(np_(a), np_(b), atol=1e-6)


@pytest.mark.parametrize("cls", UNITS)
def test_stateful_carries_state_across_batches_and_resets(cls):
    layer = cls(5, return_sequences=True, stateful=True)
    model = keras.Sequential([keras.Input((None, 3), batch_size=4), layer])
    whole = keras.Sequential([keras.Input((None, 3), batch_size=4),
                              cls.from_config({**layer.get_config(), "stateful": False})])
    whole.set_weights(model.get_weights()[: len(whole.get_weights())])
    expected = np_(whole(X))
    got = np.concatenate([np_(model(X[:, :4])), np_(model(X[:, 4:]))], axis=1)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert np.abs(np_(layer.state_variables[0])).max() > 0
    layer.reset_states()
    assert np.abs(np_(layer.state_variables[0])).max() == 0
    np.testing.assert_allclose(np_(model(X[:, :4])), expected[:, :4], atol=1e-6)


def test_stateful_state_is_carried_by_fit_and_predict():
    layer = LSTM(4, stateful=True)
    model = keras.Sequential([keras.Input((5, 3), batch_size=4), layer, keras.layers.Dense(1)])
    model.compile("rmsprop", "mse")
    model.fit(X[:, :5], np.zeros((4, 1)), batch_size=4, epochs=1, verbose=0, shuffle=False)
    assert np.abs(np_(layer.state_variables[1])).max() > 0


def test_dropout_only_in_training_and_reproducible_with_a_seed():
    layer = LSTM(16, return_sequences=True, dropout=0.5, output_dropout=0.5, seed=3)
    inference = np_(layer(X))
    np.testing.assert_allclose(np_(layer(X, training=False)), inference)
    train = np_(layer(X, training=True))
    assert not np.allclose(train, inference)
    assert (train == 0).mean() > 0.3          # output dropout zeroes about half
    second = np_(layer(X, training=True))
    assert not np.allclose(second, train)        # a new mask each call

    def twin(seed):                             # the same layer and weights, its dropout seeded with `seed`
        again = LSTM.from_config({**layer.get_config(), "seed": seed})
        again.build(X.shape)
        again.set_weights(layer.get_weights())
        return again

    same = twin(3)
    assert np.abs(np_(same(X)) - inference).max() < 1e-6
    np.testing.assert_array_equal(np_(same(X, training=True)), train)     # the same seed: the same masks,
    np.testing.assert_array_equal(np_(same(X, training=True)), second)    # call after call
    other = np_(twin(4)(X, training=True))
    assert not np.allclose(other, train) and (other == 0).mean() > 0.3    # another seed: other masks


@pytest.mark.parametrize("make, message", [
    (lambda: LSTM(0), "units=0"),
    (lambda: LSTM(4, dropout=1.5), "dropout=1.5"),
    (lambda: GRU(4, output_dropout=-0.1), "output_dropout=-0.1"),
    (lambda: VanillaRNN(4, return_gates="yes"), "return_gates='yes'"),
    (lambda: NestedLSTM(4, depth=1), "depth=1"),
])
def test_bad_options_name_the_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_option_is_refused():
    with pytest.raises(ValueError, match="recurrent_dropot"):
        LSTM(4, recurrent_dropot=0.1)


def test_wrong_rank_and_state_shapes_are_named():
    layer = LSTM(4)
    with pytest.raises(ValueError, match=r"rank 3 \[batch, time, features\]; got shape \(4, 3\)"):
        layer(X[:, 0])
    with pytest.raises(ValueError, match=r"carries 2 state\(s\) \['h', 'c'\]; initial_state has 1"):
        LSTM(4)(X, initial_state=[np.zeros((4, 4), "float32")])
    with pytest.raises(ValueError, match=r"initial state 'c' has shape \(4, 5\); expected \(4, 4\)"):
        LSTM(4)(X, initial_state=[np.zeros((4, 4), "float32"), np.zeros((4, 5), "float32")])
    with pytest.raises(ValueError, match="built for 3 input features; got 5"):
        built = LSTM(4)
        built(X)
        built(np.zeros((2, 3, 5), "float32"))
    with pytest.raises(ValueError, match="stateful, so it needs a fixed batch size"):
        keras.Sequential([keras.Input((None, 3)), LSTM(4, stateful=True)])
    LSTM(4).reset_states()       # nothing to reset: a no-op, as keras.layers.LSTM.reset_state()


@pytest.mark.parametrize("cls", UNITS)
def test_mixed_precision_stateful_layer_runs_and_keeps_float32_states(cls):
    layer = cls(4, return_sequences=True, stateful=True, dtype="mixed_float16")
    model = keras.Sequential([keras.Input((None, 3), batch_size=4), layer])
    out = model(X)
    assert str(out.dtype) == "float16" or "float16" in str(out.dtype)
    assert "float32" in str(layer.state_variables[0].dtype)
    assert np.abs(np_(layer.state_variables[0])).max() > 0
