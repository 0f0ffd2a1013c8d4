"""Our layers keep the promises Keras' own recurrent-layer tests make, checked against the built-ins.

Each case builds keras.layers.LSTM / GRU (reset_after False, the paper's, and True, Keras' default) / SimpleRNN,
converts it with
`from_keras` (exact weights), and compares outputs, states and gradients: masking (right- and
left-padded, all-masked rows, initial states), go_backwards, Bidirectional, the constructor
arguments, dropout with the same seed, unroll, registration and the stateful-state API.
"""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tensorflow as tf

import keras

from karpathy_rnn.layers import GRU, LSTM, NestedLSTM, VanillaRNN, convert_model, from_keras, to_keras

B, T, D, N = 4, 7, 3, 5
rng = np.random.default_rng(0)
X = rng.normal(size=(B, T, D)).astype("float32")
# row 0 right-padded, row 1 left-padded, row 2 all masked, row 3 a hole in the middle
MASK = np.ones((B, T), bool)
MASK[0, 5:] = False
MASK[1, :2] = False
MASK[2] = False
MASK[3, 3] = False

BUILT_INS = {
    "lstm": lambda **kw: keras.layers.LSTM(N, **kw),
    "gru": lambda **kw: keras.layers.GRU(N, reset_after=False, **kw),
    "gru_reset_after": lambda **kw: keras.layers.GRU(N, **kw),          # Keras' default GRU
    "rnn": lambda **kw: keras.layers.SimpleRNN(N, **kw),
}
OURS = {"lstm": LSTM, "gru": GRU, "gru_reset_after": GRU, "rnn": VanillaRNN}
UNIT_OPTIONS = {"gru_reset_after": {"reset_after": True}}
STATES = {"lstm": 2, "gru": 1, "gru_reset_after": 1, "rnn": 1}


def np_(t):
    return keras.ops.convert_to_numpy(t)


def built_pair(unit, weights_seed=0, **options):
    """A built keras layer with random weights and our converted copy."""
    rng = np.random.default_rng(weights_seed)
    theirs = BUILT_INS[unit](**options)
    theirs.build((B, T, D))
    for w in theirs.trainable_weights:
        w.assign(rng.uniform(-0.6, 0.6, w.shape))
    return theirs, from_keras(theirs)


def assert_all_close(got, expected, atol=2e-6):
    got = got if isinstance(got, (list, tuple)) else [got]
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(np_(a), np_(b), rtol=1e-5, atol=atol)


# ---- 1. masking --------------------------------------------------------------------------------
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("zero_output", [False, True])
@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("unit", sorted(BUILT_INS))
def test_masked_outputs_states_match_keras(unit, backwards, zero_output, fused):
    theirs, ours = built_pair(unit, return_sequences=True, return_state=True,
                              go_backwards=backwards)
    theirs.zero_output_for_mask = ours.zero_output_for_mask = zero_output
    ours.fused = fused
    initial = [rng.uniform(-0.5, 0.5, (B, N)).astype("float32") for _ in range(STATES[unit])]
    assert_all_close(ours(X, mask=MASK, initial_state=initial),
                     theirs(X, mask=MASK, initial_state=initial))
    assert_all_close(ours(X, mask=MASK), theirs(X, mask=MASK))


@pytest.mark.parametrize("unit", sorted(BUILT_INS))
def test_masked_last_output_matches_keras(unit):
    theirs, ours = built_pair(unit)
    assert_all_close(ours(X, mask=MASK), theirs(X, mask=MASK))
    assert np.all(np_(ours(X, mask=MASK))[2] == 0)      # the all-masked row: zeros, as Keras


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("unit", sorted(BUILT_INS))
def test_masked_gradients_match_keras(unit, fused):
    """The fused op's hand-written backward with a mask equals Keras' autodiff, inputs and weights."""
    theirs, ours = built_pair(unit, return_sequences=True, return_state=True)
    ours.fused = fused
    x = tf.constant(X)
    weights = rng.normal(size=(B, T, N)).astype("float32")

    def loss_and_grads(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out, *states = layer(x, mask=MASK)
            loss = tf.reduce_sum(out * weights) + sum(tf.reduce_sum(s * s) for s in states)
        return tape.gradient(loss, [x] + layer.trainable_weights)

    theirs_grads, ours_grads = loss_and_grads(theirs), loss_and_grads(ours)
    assert_all_close(ours_grads[0], theirs_grads[0], atol=1e-5)
    # map Keras' weight gradients into our layout: the same conversion as the weights
    probe = BUILT_INS[unit](return_sequences=True)
    probe.build((B, T, D))
    for w, g in zip(probe.trainable_weights, theirs_grads[1:]):
        w.assign(g)
    expected = [np_(w) for w in from_keras(probe).trainable_weights]
    assert_all_close(ours_grads[1:], expected, atol=1e-5)


@pytest.mark.parametrize("cls", [LSTM, GRU, VanillaRNN, NestedLSTM])
def test_mask_equals_running_each_row_on_its_real_steps(cls):
    """Every unit, NestedLSTM included: a masked row ends where the same row, unpadded, ends."""
    layer = cls(N, return_state=True)
    padded = X.copy()
    lengths = [5, 7, 1, 3]
    mask = np.arange(T)[None] < np.array(lengths)[:, None]
    got = layer(padded, mask=mask)
    for row, length in enumerate(lengths):
        alone = layer(padded[row:row + 1, :length])
        for a, b in zip(got, alone):
            np.testing.assert_allclose(np_(a)[row], np_(b)[0], atol=2e-6)


@pytest.mark.parametrize("cls", [LSTM, GRU, VanillaRNN, NestedLSTM])
def test_gates_are_zero_at_masked_steps_and_unchanged_elsewhere(cls):
    layer = cls(N, return_sequences=True, return_gates=True)
    _, gates = layer(X, mask=MASK)
    _, unmasked = layer(X[3:4, :3])                       # row 3 before its hole
    for name, value in gates.items():
        value = np_(value)
        assert np.all(value[~MASK] == 0), name
        np.testing.assert_allclose(value[3, :3], np_(unmasked[name])[0], atol=2e-6)


@pytest.mark.parametrize("cls", [LSTM, GRU, VanillaRNN, NestedLSTM])
def test_mask_from_embedding_and_masking_propagates_downstream(cls):
    ids = np.array([[3, 4, 5, 0, 0], [1, 2, 0, 0, 0]])
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              keras.layers.Embedding(8, 3, mask_zero=True),
                              cls(N, return_sequences=True), cls(N)])
    short = keras.Sequential([keras.Input((None,), dtype="int32"), *model.layers])
    for row, length in enumerate([3, 2]):
        np.testing.assert_allclose(np_(model(ids))[row], np_(short(ids[row:row + 1, :length]))[0],
                                   atol=2e-6)
    values = X.copy()
    values[0, 5:] = 0.0
    masked = keras.Sequential([keras.Input((None, D)), keras.layers.Masking(0.0), cls(N)])
    np.testing.assert_allclose(np_(masked(values))[0], np_(masked(values[:1, :5]))[0], atol=2e-6)
    layer = cls(N, return_sequences=True)
    layer(X)
    assert layer.supports_masking
    np.testing.assert_array_equal(np_(layer.compute_mask(X, MASK)), MASK)
    assert cls(N).compute_mask(X, MASK) is None


def test_a_mask_with_every_step_real_changes_nothing():
    layer = LSTM(N, return_sequences=True, return_state=True)
    assert_all_close(layer(X, mask=np.ones((B, T), bool)), layer(X), atol=1e-7)


@pytest.mark.parametrize("mask, message", [
    (np.ones((B, T + 1), bool), r"mask has shape \(4, 8\); expected \(4, 7\)"),
    (np.ones((B,), bool), r"mask has shape \(4,\)"),
    (np.full((B, T), "x"), "mask has dtype string; give a boolean mask"),
])
def test_bad_masks_are_named(mask, message):
    with pytest.raises(ValueError, match=message):
        LSTM(N)(X, mask=mask)


def test_integer_and_float_masks_count_as_booleans_as_in_keras():
    layer = GRU(N)
    assert_all_close(layer(X, mask=MASK.astype("int32")), layer(X, mask=MASK), atol=0)
    assert_all_close(layer(X, mask=MASK.astype("float32")), layer(X, mask=MASK), atol=0)


# ---- 2. direction: go_backwards and Bidirectional ---------------------------------------------
@pytest.mark.parametrize("unit", sorted(BUILT_INS))
def test_go_backwards_matches_keras(unit):
    theirs, ours = built_pair(unit, return_sequences=True, return_state=True, go_backwards=True)
    assert_all_close(ours(X), theirs(X))
    forward = OURS[unit].from_config({**ours.get_config(), "go_backwards": False})
    forward.build(X.shape)
    forward.set_weights(ours.get_weights())
    assert_all_close(ours(X)[1:], forward(X[:, ::-1])[1:])


def _bidirectional_pair(unit, merge_mode, return_sequences, return_state, custom_backward):
    options = dict(return_sequences=return_sequences, return_state=return_state)
    backward = BUILT_INS[unit](go_backwards=True, **options) if custom_backward else None
    theirs = keras.layers.Bidirectional(BUILT_INS[unit](**options), merge_mode=merge_mode,
                                        backward_layer=backward)
    theirs.build((B, T, D))
    for w in theirs.trainable_weights:
        w.assign(rng.uniform(-0.6, 0.6, w.shape))
    ours_backward = from_keras(theirs.backward_layer) if custom_backward else None
    ours = keras.layers.Bidirectional(from_keras(theirs.forward_layer), merge_mode=merge_mode,
                                      backward_layer=ours_backward)
    ours.build((B, T, D))
    ours.forward_layer.set_weights(from_keras(theirs.forward_layer).get_weights())
    ours.backward_layer.set_weights(from_keras(theirs.backward_layer).get_weights())
    return theirs, ours


@pytest.mark.parametrize("unit, merge_mode, return_sequences, return_state, custom_backward", [
    ("lstm", "concat", True, False, False),
    ("lstm", "sum", False, True, True),
    ("lstm", None, True, True, False),
    ("gru", "ave", True, True, False),
    ("gru", "mul", False, False, True),
    ("rnn", "concat", False, True, False),
    ("rnn", None, True, False, True),
])
def test_bidirectional_matches_keras(unit, merge_mode, return_sequences, return_state,
                                     custom_backward):
    theirs, ours = _bidirectional_pair(unit, merge_mode, return_sequences, return_state,
                                       custom_backward)
    assert isinstance(ours.forward_layer, OURS[unit]) and ours.backward_layer.go_backwards
    assert_all_close(ours(X), theirs(X))
    assert_all_close(ours(X, mask=MASK), theirs(X, mask=MASK))


def test_bidirectional_in_a_functional_model_trains_saves_and_reloads(tmp_path):
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 4, mask_zero=True)(inputs)
    x = keras.layers.Bidirectional(LSTM(6, return_sequences=True))(x)
    x = keras.layers.Bidirectional(GRU(5), merge_mode="sum")(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile("rmsprop", "mse")
    ids = np.array([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]])
    model.fit(ids, np.ones((3, 1)), epochs=2, verbose=0)
    path = tmp_path / "bidi.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(ids, verbose=0), model.predict(ids, verbose=0),
                               atol=1e-6)


def test_return_gates_inside_bidirectional_is_refused_with_the_way_out():
    with pytest.raises(ValueError, match=r"return_gates=True.*bidi.forward_layer\(x, return_gates=True\)"):
        keras.Sequential([keras.Input((T, D)),
                          keras.layers.Bidirectional(LSTM(N, return_gates=True))])
    bidi = keras.layers.Bidirectional(LSTM(N, return_sequences=True))
    bidi(X)
    _, forward_gates = bidi.forward_layer(X, return_gates=True)
    _, backward_gates = bidi.backward_layer(X, return_gates=True)
    assert forward_gates["f"].shape == backward_gates["f"].shape == (B, T, N)


# ---- 3. the constructor arguments ---------------------------------------------------------------
def _keras_arguments(cls):
    import inspect
    return [name for name in inspect.signature(cls.__init__).parameters
            if name not in ("self", "kwargs", "cell")]


@pytest.mark.parametrize("unit", sorted(BUILT_INS))
def test_every_keras_argument_is_accepted_and_saved_or_refused_by_name(unit):
    """Each argument of the built-in's constructor, given its default there: ours keeps it in
    get_config, or refuses it with a message that names it."""
    import inspect
    built_in_class = type(BUILT_INS[unit]())
    defaults = {name: p.default for name, p in inspect.signature(built_in_class.__init__).parameters.items()}
    for name in _keras_arguments(built_in_class) + ["zero_output_for_mask", "implementation"]:
        if name == "units":
            continue
        value = defaults.get(name, {"zero_output_for_mask": True, "implementation": 2}.get(name))
        try:
            layer = OURS[unit](N, **{**UNIT_OPTIONS.get(unit, {}), name: value})
        except ValueError as error:
            assert name in str(error), (name, str(error))
            continue
        config = layer.get_config()
        if name not in ("use_cudnn", "reset_after", "implementation"):
            assert name in config, name
            again = OURS[unit].from_config(config)
            assert again.get_config() == config


@pytest.mark.parametrize("make, message", [
    (lambda: LSTM(4, activation="relu"), "activation='relu' is not supported.*keras.layers.LSTM"),
    (lambda: GRU(4, recurrent_activation="hard_sigmoid"), "recurrent_activation='hard_sigmoid'"),
    (lambda: VanillaRNN(4, recurrent_activation="sigmoid"), "VanillaRNN has no gates"),
    (lambda: LSTM(4, reset_after=True), "reset_after=True places a GRU's reset gate"),
    (lambda: LSTM(4, use_cudnn=True), "use_cudnn=True"),
    (lambda: LSTM(4, implementation=1), "implementation=1"),
    (lambda: LSTM(4, dropout_mask="sometimes"), "dropout_mask='sometimes'"),
    (lambda: LSTM(4, recurrent_dropout=1.0), "recurrent_dropout=1.0"),
    (lambda: GRU(4, unit_forget_bias=True), "unit_forget_bias"),
])
def test_refused_arguments_name_themselves(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_the_papers_defaults_stay_the_defaults():
    layer = LSTM(4, seed=1)
    layer.build((None, None, 3))
    kernel, bias = np_(layer.kernel), np_(layer.bias)
    assert np.abs(kernel).max() <= 0.08 and np.abs(bias).max() <= 0.08 and np.abs(bias).min() > 0
    assert layer.activation == "tanh" and layer.recurrent_activation == "sigmoid"
    assert not layer.unit_forget_bias and layer.dropout_mask == "per_step"
    assert layer.recurrent_initializer is None and layer.use_bias


@pytest.mark.parametrize("unit", sorted(BUILT_INS))
def test_use_bias_false_converts_exactly(unit):
    theirs, ours = built_pair(unit, use_bias=False, return_sequences=True)
    assert len(ours.trainable_weights) == len(theirs.trainable_weights) - 1 + unit.startswith("gru")
    assert_all_close(ours(X), theirs(X))
    assert_all_close(to_keras(ours)(X), theirs(X))


def test_initializers_per_row_block_and_unit_forget_bias_as_keras():
    ours = LSTM(N, kernel_initializer="zeros", recurrent_initializer="orthogonal",
                bias_initializer=keras.initializers.RandomUniform(-1, 1, seed=3),
                unit_forget_bias=True)
    ours.build((None, None, D))
    kernel = np_(ours.kernel)
    assert np.all(kernel[:D] == 0)
    np.testing.assert_allclose(kernel[D:] @ kernel[D:].T, np.eye(N), atol=1e-5)   # orthogonal rows
    theirs = keras.layers.LSTM(N, bias_initializer=keras.initializers.RandomUniform(-1, 1, seed=3),
                               unit_forget_bias=True)
    theirs.build((None, None, D))
    np.testing.assert_array_equal(np_(from_keras(theirs).bias), np_(ours.bias))
    assert np.all(np_(ours.bias)[N:2 * N] == 1)


@pytest.mark.parametrize("unit", sorted(BUILT_INS))
def test_regularizers_and_constraints_act_on_the_row_blocks_as_keras(unit):
    """One SGD step on the same data, regularizers and constraints on: the same weights after."""
    # Keras' GRU bias is one vector, ours two: a norm over it cannot be split (refused below)
    bias_constraint = None if unit.startswith("gru") else keras.constraints.MaxNorm(0.5)
    theirs, ours = built_pair(unit, return_sequences=True,
                              kernel_regularizer=keras.regularizers.L2(0.3),
                              recurrent_regularizer=keras.regularizers.L1(0.2),
                              bias_regularizer=keras.regularizers.L2(0.1),
                              kernel_constraint=keras.constraints.MaxNorm(0.4),
                              recurrent_constraint=keras.constraints.UnitNorm(),
                              bias_constraint=bias_constraint)
    np.testing.assert_allclose(float(sum(np_(l) for l in ours.losses)),
                               float(sum(np_(l) for l in theirs.losses)), rtol=1e-5)
    y = rng.normal(size=(B, T, N)).astype("float32")
    for layer in (theirs, ours):
        model = keras.Sequential([keras.Input((T, D)), layer])
        model.compile(keras.optimizers.SGD(0.5), "mse")
        model.train_on_batch(X, y)
    for a, b in zip(ours.trainable_weights, from_keras(theirs).trainable_weights):
        np.testing.assert_allclose(np_(a), np_(b), atol=1e-5)


def test_conversion_refuses_what_the_column_changes_would_alter():
    gru = keras.layers.GRU(N, reset_after=False, kernel_constraint=keras.constraints.NonNeg())
    gru.build((B, T, D))
    with pytest.raises(ValueError, match="kernel_constraint=NonNeg .*z columns change sign"):
        from_keras(gru)
    gru = keras.layers.GRU(N, reset_after=False, bias_constraint=keras.constraints.MaxNorm(1.0))
    gru.build((B, T, D))
    with pytest.raises(ValueError, match="bias_constraint=MaxNorm .*gate_bias and candidate_bias"):
        from_keras(gru)
    lstm = keras.layers.LSTM(N, kernel_regularizer=lambda w: keras.ops.sum(w[:, :2]))
    lstm.build((B, T, D))
    with pytest.raises(ValueError, match="kernel_regularizer=function .*order of the gate columns"):
        from_keras(lstm)


# ---- 4. conversion carries options, or refuses -----------------------------------------------
def test_conversion_carries_regularizers_constraints_dropouts_both_ways():
    theirs = keras.layers.LSTM(N, kernel_regularizer="l2", recurrent_constraint="max_norm",
                               dropout=0.2, recurrent_dropout=0.3, go_backwards=True, unroll=True,
                               seed=4)
    theirs.build((B, T, D))
    ours = from_keras(theirs)
    assert (ours.dropout, ours.recurrent_dropout, ours.dropout_mask) == (0.2, 0.3, "per_sequence")
    assert type(ours.kernel_regularizer).__name__ == "L2"
    assert type(ours.recurrent_constraint).__name__ == "MaxNorm"
    assert ours.go_backwards and ours.unroll and ours.seed == 4
    back = to_keras(ours)
    config = back.get_config()
    assert config["dropout"] == 0.2 and config["recurrent_dropout"] == 0.3
    assert config["kernel_regularizer"]["class_name"] == "L2"
    assert config["recurrent_constraint"]["class_name"] == "MaxNorm"
    assert config["go_backwards"] and config["unroll"]


@pytest.mark.parametrize("make, message", [
    (lambda: LSTM(N, return_gates=True), "return_gates=True"),
    (lambda: GRU(N, output_dropout=0.1), "output_dropout=0.1"),
    (lambda: VanillaRNN(N, dropout=0.2), "dropout_mask='per_step'"),
])
def test_to_keras_refuses_what_keras_cannot_express(make, message):
    layer = make()
    layer.build((B, T, D))
    with pytest.raises(ValueError, match=message):
        to_keras(layer)


def test_convert_model_handles_bidirectional_and_names_what_it_left():
    model = keras.Sequential([
        keras.Input((T, D)),
        keras.layers.Bidirectional(keras.layers.LSTM(N, return_sequences=True)),
        keras.layers.GRU(N, return_sequences=True, activation="relu"),      # not the paper's: not convertible
        keras.layers.Bidirectional(keras.layers.SimpleRNN(N)),
    ])
    for w in model.trainable_weights:
        w.assign(rng.uniform(-0.5, 0.5, w.shape))
    with pytest.warns(UserWarning, match=r"left unconverted: 'gru.*activation='relu'"):
        ours = convert_model(model)
    assert isinstance(ours.layers[0].forward_layer, LSTM)
    assert isinstance(ours.layers[0].backward_layer, LSTM) and ours.layers[0].backward_layer.go_backwards
    assert isinstance(ours.layers[2].forward_layer, VanillaRNN)
    np.testing.assert_allclose(np_(ours(X)), np_(model(X)), atol=1e-5)
    with pytest.raises(ValueError, match="left unconverted"):
        convert_model(model, strict=True)
    convertible = keras.Sequential([keras.Input((T, D)), model.layers[0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)          # nothing left: no warning
        back = convert_model(convert_model(convertible), to="keras")
    assert isinstance(back.layers[0].forward_layer, keras.layers.LSTM)
    np.testing.assert_allclose(np_(back(X)), np_(convertible(X)), atol=1e-5)


def test_a_default_keras_gru_converts_exactly_both_ways():
    """Issue 34.2: keras.layers.GRU() (reset_after=True, cuDNN's form) is our GRU(reset_after=True), gates exposed."""
    model = keras.Sequential([keras.Input((T, D)), keras.layers.GRU(N, return_sequences=True),
                              keras.layers.GRU(N)])
    for w in model.trainable_weights:
        w.assign(rng.uniform(-0.6, 0.6, w.shape))
    ours = convert_model(model, strict=True)
    assert all(isinstance(layer, GRU) and layer.reset_after for layer in ours.layers)
    np.testing.assert_allclose(np_(ours(X)), np_(model(X)), rtol=1e-5, atol=1e-6)
    back = convert_model(ours, to="keras", strict=True)
    assert all(layer.cell.reset_after for layer in back.layers)
    np.testing.assert_allclose(np_(back(X)), np_(model(X)), rtol=1e-5, atol=1e-6)
    first = ours.layers[0]
    _, gates = first(X, return_gates=True)
    np.testing.assert_allclose(np_(gates["h"]), np_(model.layers[0](X)), rtol=1e-5, atol=1e-6)
    assert set(gates) == {"r", "z", "candidate", "h"}
    again = GRU.from_config(first.get_config())
    assert again.reset_after and [w.name for w in first.weights] == ["gate_kernel", "gate_bias", "candidate_kernel",
                                                                      "candidate_bias", "recurrent_bias"]


def test_reset_after_gru_step_is_its_formula_in_float64():
    """The reset_after=True step against its equations written out in NumPy float64 (the docstring's)."""
    layer = GRU(N, reset_after=True, return_sequences=True, dtype="float64")
    layer.build((B, T, D))
    weights = [np.random.default_rng(5).uniform(-0.7, 0.7, w.shape) for w in layer.weights]
    layer.set_weights(weights)
    gate_kernel, gate_bias, candidate_kernel, candidate_bias, recurrent_bias = weights
    sigm = lambda a: 1 / (1 + np.exp(-a))                                                     # noqa: E731
    h, expected = np.zeros((B, N)), []
    for t in range(T):
        x = X[:, t].astype(np.float64)
        rz = sigm(x @ gate_kernel[:D] + gate_bias + h @ gate_kernel[D:] + recurrent_bias[:2 * N])
        r, z = rz[:, :N], rz[:, N:]
        candidate = np.tanh(x @ candidate_kernel[:D] + candidate_bias
                            + r * (h @ candidate_kernel[D:] + recurrent_bias[2 * N:]))
        h = (1 - z) * h + z * candidate
        expected.append(h)
    np.testing.assert_allclose(np_(layer(X.astype(np.float64))), np.stack(expected, axis=1), rtol=1e-12, atol=1e-12)


# ---- 5. dropout semantics ----------------------------------------------------------------------
@pytest.mark.parametrize("unit", sorted(BUILT_INS))
def test_keras_dropout_and_recurrent_dropout_with_the_same_seed_give_keras_numbers(unit):
    """dropout_mask='per_sequence' draws Keras' masks in Keras' order: training outputs agree."""
    for options in (dict(dropout=0.4), dict(dropout=0.3, recurrent_dropout=0.4),
                    dict(recurrent_dropout=0.5)):
        theirs, ours = built_pair(unit, return_sequences=True, seed=7, **options)
        assert ours.dropout_mask == "per_sequence"
        expected = theirs(X, training=True)
        got = ours(X, training=True)
        assert_all_close(got, expected, atol=1e-5)
        assert not np.allclose(np_(got), np_(ours(X)))        # the masks did something


def test_per_step_dropout_draws_a_new_mask_each_step_per_sequence_one():
    ones = np.ones((2, 50, 16), "float32")
    for mode, same_over_time in (("per_step", False), ("per_sequence", True)):
        layer = VanillaRNN(1, dropout=0.5, dropout_mask=mode, seed=0, return_sequences=True)
        layer.build(ones.shape)
        seen = []                                    # the inputs the projection sees, dropout applied
        project = layer.project_inputs

        def spy(x, masks=None):
            seen.append(np_(x if masks is None else x * masks[0][None]))
            return project(x, masks)
        layer.project_inputs = spy
        layer(ones, training=True)
        dropped = seen[0] == 0                       # [T, B, D] time-major
        if same_over_time:
            assert np.all(dropped == dropped[:1]), mode
        else:
            assert not np.all(dropped == dropped[:1]), mode


# ---- unroll, stateful API, registration --------------------------------------------------------
@pytest.mark.parametrize("cls", [LSTM, GRU, VanillaRNN, NestedLSTM])
def test_unroll_gives_the_loops_numbers_and_needs_known_steps(cls):
    layer = cls(N, return_sequences=True, return_state=True, return_gates=True)
    unrolled = cls.from_config({**layer.get_config(), "unroll": True})
    unrolled.build(X.shape)
    layer.build(X.shape)
    unrolled.set_weights(layer.get_weights())
    got, expected = unrolled(X, mask=MASK), layer(X, mask=MASK)
    assert_all_close(got[:-1], expected[:-1])
    assert_all_close([got[-1][k] for k in layer.gate_names], [expected[-1][k] for k in layer.gate_names])
    with pytest.raises(ValueError, match="unroll=True needs a known number of time steps"):
        keras.Sequential([keras.Input((None, D)), cls(N, unroll=True)])


def test_stateful_keeps_final_states_after_an_initial_state_as_keras_unless_told_not_to():
    theirs, ours = built_pair("lstm", stateful=True)
    initial = [np.full((B, N), 0.5, "float32")] * 2
    theirs(X, initial_state=initial)
    ours(X, initial_state=initial)
    assert_all_close(ours.states, theirs.states)
    assert np.abs(np_(ours.states[0])).max() > 0
    before = [np_(s).copy() for s in ours.states]
    ours(X, initial_state=initial, update_states=False)        # a probe's read
    assert_all_close(ours.states, before, atol=0)
    assert_all_close(to_keras(ours).states, ours.states, atol=0)   # conversion keeps the streams
    assert_all_close(from_keras(theirs).states, theirs.states, atol=0)


def test_activity_regularizer_on_outputs_and_states_as_keras_never_on_gates():
    theirs, ours = built_pair("lstm", return_state=True, activity_regularizer="l2")
    theirs(X)
    ours(X)
    np.testing.assert_allclose(sum(float(np_(l)) for l in ours.losses),
                               sum(float(np_(l)) for l in theirs.losses), rtol=1e-5)
    with_gates = sum(float(np_(l)) for l in (ours(X, return_gates=True), ours.losses)[1])
    np.testing.assert_allclose(with_gates, sum(float(np_(l)) for l in theirs.losses), rtol=1e-5)
    assert ours.get_config()["activity_regularizer"]["class_name"] == "L2"


def test_states_and_reset_state_as_keras():
    layer = GRU(N, stateful=True)
    model = keras.Sequential([keras.Input((None, D), batch_size=B), layer])
    assert LSTM(N).states is None
    model(X)
    assert len(layer.states) == 1 and np.abs(np_(layer.states[0])).max() > 0
    layer.reset_state()
    assert np.abs(np_(layer.states[0])).max() == 0
    model(X)
    layer.reset_states()
    assert np.abs(np_(layer.states[0])).max() == 0
    bidi = keras.layers.Bidirectional(LSTM(N, stateful=True))
    keras.Sequential([keras.Input((None, D), batch_size=B), bidi])(X)
    assert len(bidi.states) == 4
    bidi.reset_state()
    assert all(np.abs(np_(s)).max() == 0 for s in bidi.states)
    with pytest.raises(ValueError, match=r"stateful with batch size 4; got a batch of 2"):
        model(X[:2])


def test_import_karpathy_rnn_is_enough_to_load_a_saved_model(tmp_path):
    model = keras.Sequential([keras.Input((None, D)), LSTM(N, return_sequences=True),
                              NestedLSTM(N, return_sequences=True),
                              keras.layers.Bidirectional(GRU(N)), keras.layers.Dense(2)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    expected = np_(model(X))
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "e.npy", expected)
    for imports in ("import numpy as np, keras, karpathy_rnn",       # Keras first
                    "import sys, karpathy_rnn\n"                     # ours first: Keras not loaded
                    "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules\n"
                    "import numpy as np, keras",
                    # TensorFlow's import looks Keras up (find_spec) without importing it
                    "import karpathy_rnn, tensorflow, importlib.util\n"
                    "importlib.util.find_spec('keras')\n"
                    "import numpy as np, keras"):
        code = (f"{imports}\n"
                f"m = keras.models.load_model({path!r})\n"
                f"print(float(np.abs(keras.ops.convert_to_numpy(m(np.load({str(tmp_path / 'x.npy')!r}))) "
                f"- np.load({str(tmp_path / 'e.npy')!r})).max()))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        assert done.returncode == 0, done.stderr[-2000:]
        assert float(done.stdout.split()[-1]) < 1e-6
