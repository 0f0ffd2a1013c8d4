"""MinGRU and MinLSTM (issue 35.1): the paper's equations in float64 by hand, the parallel scan against the step
loop (float64 1e-9, float32 1e-5 over 1,000 steps), the layer contract, and the JAX and torch backends."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from karpathy_rnn.layers import MinGRU, MinLSTM

UNITS = 6


def _g(x):
    return np.where(x >= 0, x + 0.5, 1 / (1 + np.exp(-x)))


def reference(cls, x, kernel, bias, h0):
    """The paper's equations (Feng et al. 2024, section 3) one step at a time in float64: {gate: [B, T, n]}."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    projected = x.astype(np.float64) @ kernel + bias
    h, out = h0.astype(np.float64), {name: [] for name in cls.gate_names}
    for t in range(x.shape[1]):
        if cls is MinGRU:
            x_z, x_h = np.split(projected[:, t], 2, axis=-1)
            z, candidate = sigmoid(x_z), _g(x_h)
            h = (1 - z) * h + z * candidate
            values = {"z": z, "candidate": candidate, "h": h}
        else:
            x_f, x_i, x_h = np.split(projected[:, t], 3, axis=-1)
            f, i, candidate = sigmoid(x_f), sigmoid(x_i), _g(x_h)
            h = f / (f + i) * h + i / (f + i) * candidate
            values = {"f": f, "i": i, "f_norm": f / (f + i), "i_norm": i / (f + i), "candidate": candidate, "h": h}
        for name, value in values.items():
            out[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in out.items()}


def _layer(cls, dtype, scale, steps, inputs=5, **options):
    layer = cls(UNITS, return_sequences=True, return_state=True, return_gates=True, dtype=dtype, **options)
    layer.build((3, steps, inputs))
    rng = np.random.default_rng(1)
    kernel = rng.uniform(-scale, scale, layer.kernel.shape)
    bias = rng.uniform(-scale, scale, layer.bias.shape)
    layer.kernel.assign(kernel)
    layer.bias.assign(bias)
    return layer, kernel, bias


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
@pytest.mark.parametrize("scale", [0.08, 3.0])            # the paper's initialisation, and saturated gates
def test_the_scan_and_the_step_loop_are_the_papers_equations_in_float64(cls, scale):
    steps = 1000
    x = np.random.default_rng(0).normal(size=(3, steps, 5))
    h0 = np.random.default_rng(2).normal(size=(3, UNITS))                # negative states too
    layer, kernel, bias = _layer(cls, "float64", scale, steps)
    expected = reference(cls, x, kernel, bias, h0)
    _, final, scanned = layer(x, initial_state=[h0])                      # the parallel scan
    _, _, stepped = layer(x, initial_state=[h0], mask=np.ones((3, steps), bool))     # the step loop
    for name in cls.gate_names:
        np.testing.assert_allclose(np.asarray(scanned[name]), expected[name], rtol=0, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(np.asarray(stepped[name]), expected[name], rtol=0, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(np.asarray(final), expected["h"][:, -1], atol=1e-9)


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
def test_float32_scan_agrees_with_the_step_loop_over_1000_steps(cls):
    steps = 1000
    x = np.random.default_rng(3).normal(size=(3, steps, 5)).astype(np.float32)
    layer, _, _ = _layer(cls, "float32", 1.0, steps)
    output, _, scanned = layer(x)
    _, _, stepped = layer(x, mask=np.ones((3, steps), bool))
    for name in cls.gate_names:
        np.testing.assert_allclose(np.asarray(scanned[name]), np.asarray(stepped[name]), atol=1e-5, err_msg=name)
    np.testing.assert_allclose(np.asarray(output), np.asarray(scanned["h"]), atol=0)
    if cls is MinLSTM:
        np.testing.assert_allclose(np.asarray(scanned["f_norm"]) + np.asarray(scanned["i_norm"]), 1.0, atol=1e-6)


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
def test_the_layer_contract(cls, tmp_path):
    x = np.random.default_rng(4).normal(size=(2, 30, 5)).astype(np.float32)
    layer, _, _ = _layer(cls, "float32", 1.0, 30)
    sequence, _, _ = layer(x)
    # a stateful layer over two halves equals one call over the whole window
    stateful = cls(UNITS, stateful=True, return_sequences=True)
    stateful.build((2, 15, 5))
    stateful.set_weights(layer.get_weights()[:2] + stateful.get_weights()[2:])
    halves = np.concatenate([np.asarray(stateful(x[:, :15])), np.asarray(stateful(x[:, 15:]))], axis=1)
    np.testing.assert_allclose(halves, np.asarray(sequence), atol=1e-6)
    # masked steps keep the state: trailing padding leaves the final state of the real steps
    mask = np.ones((2, 30), bool)
    mask[1, 20:] = False
    _, masked_final, gates = layer(x, mask=mask)
    _, short_final, _ = layer(x[1:, :20])
    np.testing.assert_allclose(np.asarray(masked_final)[1], np.asarray(short_final)[0], atol=1e-6)
    assert not np.asarray(gates["h"])[1, 20:].any()
    # go_backwards reads the window last step first; Bidirectional around it
    backwards = cls(UNITS, go_backwards=True)
    backwards.build(x.shape)
    backwards.set_weights(layer.get_weights())
    _, reversed_final, _ = layer(x[:, ::-1])
    np.testing.assert_allclose(np.asarray(backwards(x)), np.asarray(reversed_final), atol=1e-6)
    both = keras.layers.Bidirectional(cls(UNITS, return_sequences=True))(x)
    assert both.shape == (2, 30, 2 * UNITS)
    # saved and loaded with every option
    inputs = keras.Input((None, 5))
    model = keras.Model(inputs, cls(UNITS, return_sequences=True, dropout=0.1, seed=3, name="unit")(inputs))
    model.get_layer("unit").set_weights(layer.get_weights())
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.get_layer("unit").get_config() == model.get_layer("unit").get_config()
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(sequence), atol=1e-6)


@pytest.mark.parametrize("option", ["recurrent_dropout", "recurrent_initializer", "recurrent_regularizer",
                                    "recurrent_constraint"])
def test_options_with_nothing_recurrent_are_refused_by_name(option):
    value = {"recurrent_dropout": 0.2, "recurrent_initializer": "zeros", "recurrent_regularizer": "l2",
             "recurrent_constraint": "non_neg"}[option]
    for cls in (MinGRU, MinLSTM):
        with pytest.raises(ValueError, match=f"{cls.__name__}: {option}=.*gates read only the input"):
            cls(4, **{option: value})


def test_training_through_the_scan_has_finite_gradients():
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(5).normal(size=(4, 200, 5)), tf.float32)
    for cls in (MinGRU, MinLSTM):
        layer = cls(UNITS, return_sequences=True)
        layer.build(x.shape)
        layer.kernel.assign(layer.kernel * 40)                   # saturated gates: where log space matters
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x) ** 2)
        gradients = tape.gradient(loss, layer.trainable_weights)
        assert all(np.isfinite(g.numpy()).all() for g in gradients), cls.__name__


BACKEND_SCRIPT = r"""
import numpy as np, keras
from karpathy_rnn.layers import MinGRU, MinLSTM
assert keras.backend.backend() == "{backend}"
x = np.random.default_rng(0).normal(size=(2, 300, 5)).astype("float32")
for cls in (MinGRU, MinLSTM):
    layer = cls(4, return_sequences=True, return_gates=True)
    layer.build(x.shape)
    out, scanned = layer(x)
    _, stepped = layer(x, mask=np.ones((2, 300), bool))
    error = max(float(np.abs(keras.ops.convert_to_numpy(scanned[k]) - keras.ops.convert_to_numpy(stepped[k])).max())
                for k in cls.gate_names)
    assert error < 1e-5, (cls.__name__, error)
print("ok")
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_the_scan_on_jax_and_torch(backend):
    import importlib.util

    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install -e .[backends])")
    done = subprocess.run([sys.executable, "-c", BACKEND_SCRIPT.format(backend=backend)], capture_output=True,
                          text=True, env={**os.environ, "KERAS_BACKEND": backend}, timeout=600, check=False)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-3000:]
