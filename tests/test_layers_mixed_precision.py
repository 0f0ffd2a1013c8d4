"""Keras' mixed-precision contract for our layers (`mixed_bfloat16`): the matrix products in bfloat16, the states,
the cell, the gates and every sum in float32, the weights float32.

The reference is the float64 NumPy unit of tests/rnn_reference.py with exactly the products' operands and results
rounded to bfloat16 (round to nearest even): the layer must match it to float32 rounding, and must differ from the
unrounded reference by what bfloat16 costs (so a path that silently ran in float32, or rounded the cell to bfloat16,
fails one side or the other).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from karpathy_rnn.layers import GRU, LSTM, NestedLSTM, VanillaRNN
from tests import rnn_reference

B, T, D, N = 3, 6, 5, 8


def to_bf16(values):
    """float values -> the nearest bfloat16 (ties to even), as float64."""
    bits = np.ascontiguousarray(values, np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return rounded.view(np.float32).astype(np.float64)


def bf16_product(a, w):
    """a @ w as the layers compute it under mixed_bfloat16: operands and result rounded to bfloat16."""
    return to_bf16(to_bf16(a) @ to_bf16(w))


def reference(unit, weights, x, bf16):
    """The float64 unit of tests/rnn_reference.py over x [B, T, D] from zero states, with bf16 products (and the
    biases bf16-rounded, as Keras autocasts every weight) or exact ones."""
    weights = [np.asarray(w, np.float64) for w in weights]
    if bf16:
        weights = [to_bf16(w) if w.ndim == 1 else w for w in weights]
    zeros = np.zeros((x.shape[0], N))
    product = bf16_product if bf16 else None
    states = {"lstm": (zeros, zeros), "gru": (zeros,), "rnn": (zeros,)}[unit]
    return getattr(rnn_reference, {"lstm": "lstm", "gru": "gru", "rnn": "vanilla"}[unit])(
        x, *weights, *states, product=product)


def dtype_name(tensor) -> str:
    return keras.backend.standardize_dtype(tensor.dtype)


def _inputs(seed=0):
    return np.random.default_rng(seed).normal(size=(B, T, D)).astype("float32")


def _layer(cls, fused, **kwargs):
    # weights large enough that bfloat16's rounding (2^-8 relative) shows clearly against float32's
    init = keras.initializers.RandomUniform(-0.6, 0.6, seed=3)
    layer = cls(N, return_sequences=True, return_gates=True, fused=fused, kernel_initializer=init,
                bias_initializer=keras.initializers.RandomUniform(-0.6, 0.6, seed=4), dtype="mixed_bfloat16",
                **kwargs)
    return layer


REFERENCES = {     # the reference of each unit from its layer's weights
    LSTM: lambda layer, x, bf16: reference("lstm", (layer.kernel, layer.bias), x, bf16),
    GRU: lambda layer, x, bf16: reference("gru", (layer.gate_kernel, layer.gate_bias, layer.candidate_kernel,
                                                  layer.candidate_bias), x, bf16),
    VanillaRNN: lambda layer, x, bf16: reference("rnn", (layer.kernel, layer.bias), x, bf16),
}


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "step-loop"])
@pytest.mark.parametrize("cls", [LSTM, GRU, VanillaRNN])
def test_bf16_layer_matches_the_reference_with_bf16_products_and_float32_sums(cls, fused):
    x = _inputs()
    layer = _layer(cls, fused)
    sequence, gates = layer(x)
    assert dtype_name(sequence) == "bfloat16"                       # a Keras layer's output: the compute dtype
    assert all(dtype_name(v) == "float32" for v in gates.values())  # gates and states: float32
    assert all(w.dtype == "float32" for w in layer.weights)
    exact = REFERENCES[cls](layer, x.astype(np.float64), bf16=True)
    plain = REFERENCES[cls](layer, x.astype(np.float64), bf16=False)
    for name, value in gates.items():
        value = np.asarray(value, np.float64)
        assert np.abs(value - exact[name]).max() < 2e-4, name     # bf16 products, float32 everywhere else
        assert np.abs(value - plain[name]).max() > 1e-3, name     # ... and the products really were bf16
    np.testing.assert_allclose(np.asarray(tf.cast(sequence, tf.float32)), to_bf16(exact["h"]), atol=8e-3)


def test_bf16_cell_is_carried_in_float32_not_rounded_to_bf16():
    """The cell (and h) keep float32 detail: were they carried in bfloat16, every value would be a bf16 number."""
    _, gates = _layer(LSTM, True)(_inputs())
    for name in ("c", "h", "f"):
        value = np.asarray(gates[name], np.float64)
        assert np.mean(value != to_bf16(value)) > 0.9, name


def test_bf16_nested_lstm_runs_with_float32_states_near_its_float32_twin():
    x = _inputs()
    mixed = NestedLSTM(N, return_sequences=True, return_gates=True, dtype="mixed_bfloat16", seed=5)
    plain = NestedLSTM(N, return_sequences=True, return_gates=True, seed=5)
    _, mixed_gates = mixed(x)
    _, plain_gates = plain(x)
    for name, value in mixed_gates.items():
        assert dtype_name(value) == "float32", name
        np.testing.assert_allclose(np.asarray(value), np.asarray(plain_gates[name]), atol=2e-2, err_msg=name)


@pytest.mark.parametrize("cls", [LSTM, GRU, VanillaRNN])
def test_bf16_fused_gradients_match_the_step_loops_autodiff(cls):
    """The fused op's hand-written backward in bf16 against TensorFlow's autodiff of the step loop under the same
    policy: the same maths, so the same gradients up to bf16 rounding of the products."""
    x = tf.constant(_inputs(1))
    grads = {}
    for fused in (True, False):
        layer = _layer(cls, fused, return_state=True)
        with tf.GradientTape() as tape:
            sequence, *states, _ = layer(x)
            loss = tf.reduce_sum(tf.cast(sequence, tf.float32) ** 2) + tf.reduce_sum(states[-1] * 0.5)
        grads[fused] = [np.asarray(g, np.float64) for g in tape.gradient(loss, layer.trainable_weights)]
        assert all(g.dtype == np.float64 and np.isfinite(g).all() for g in grads[fused])
    for fused_grad, loop_grad in zip(grads[True], grads[False]):
        scale = np.abs(loop_grad).max()
        assert np.abs(fused_grad - loop_grad).max() < 0.03 * scale


def test_bf16_states_round_trip_in_float32_between_calls():
    """Truncated BPTT hands the final states back as initial states: they stay float32 (no bf16 rounding)."""
    layer = LSTM(N, return_sequences=True, return_state=True, dtype="mixed_bfloat16", seed=1)
    x = _inputs()
    _, h, c = layer(x)
    assert dtype_name(h) == dtype_name(c) == "float32"
    _, h2, c2 = layer(x, initial_state=[h, c])
    assert dtype_name(h2) == "float32"
    assert np.mean(np.asarray(c) != to_bf16(np.asarray(c))) > 0.9


def test_bf16_model_saves_and_loads_with_its_policy(tmp_path):
    inputs = keras.Input((T, D))
    outputs = keras.layers.Dense(3, dtype="float32")(LSTM(N, return_sequences=True, dtype="mixed_bfloat16",
                                                              seed=2)(inputs))
    model = keras.Model(inputs, outputs)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.layers[1].dtype_policy.name == "mixed_bfloat16"
    np.testing.assert_array_equal(np.asarray(loaded(_inputs())), np.asarray(model(_inputs())))


def test_a_bf16_char_lm_has_a_float32_twin_with_its_weights():
    from karpathy_rnn.models import char_language_model, with_dtype_policy

    model = char_language_model("abcdef", hidden=8, seed=4, dtype="mixed_bfloat16")
    assert model.get_layer("logits").dtype_policy.name == "float32"      # softmax and loss in float32
    twin = with_dtype_policy(model, "float32")
    assert {layer.dtype_policy.name for layer in twin.layers[1:]} == {"float32"}
    ids = np.random.default_rng(0).integers(0, 6, (2, 12)).astype("int32")
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)
    bf16, fp32 = np.asarray(model(ids)), np.asarray(twin(ids))
    assert 0 < np.abs(bf16 - fp32).max() < 0.05
