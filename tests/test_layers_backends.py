"""The layers on Keras' JAX and PyTorch backends (written with keras.ops), in fresh processes."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))

SCRIPT = r"""
import json, sys
import numpy as np
import keras
sys.path.insert(0, {tests!r})
import rnn_reference as ref
from karpathy_rnn.layers import GRU, LSTM, NestedLSTM, VanillaRNN
assert keras.backend.backend() == {backend!r}, keras.backend.backend()
rng = np.random.default_rng(0)
x = rng.normal(size=(3, 6, 5)).astype("float32")
errors = {{}}
for cls in (LSTM, GRU, VanillaRNN, NestedLSTM):
    layer = cls(4, return_sequences=True, return_gates=True)
    layer.build(x.shape)
    values = [rng.uniform(-0.5, 0.5, w.shape) for w in layer.trainable_weights]
    for w, v in zip(layer.trainable_weights, values):
        w.assign(v)
    w = {{v.path.split("/")[-1]: a for v, a in zip(layer.trainable_weights, values)}}
    zeros = np.zeros((3, 4))
    if cls is LSTM:
        expected = ref.lstm(x, w["kernel"], w["bias"], zeros, zeros)
    elif cls is GRU:
        expected = ref.gru(x, w["gate_kernel"], w["gate_bias"], w["candidate_kernel"], w["candidate_bias"], zeros)
    elif cls is VanillaRNN:
        expected = ref.vanilla(x, w["kernel"], w["bias"], zeros)
    else:
        expected = ref.nested_lstm_depth2(x, w["kernel"], w["bias"], w["inner1_kernel"], w["inner1_bias"],
                                          zeros, zeros, zeros)
    _, gates = layer(x)
    errors[cls.__name__] = max(float(np.max(np.abs(keras.ops.convert_to_numpy(gates[k]) - expected[k])))
                               for k in layer.gate_names)
# masking, go_backwards, Bidirectional and Keras-seeded dropout against this backend's built-ins
from karpathy_rnn.layers import from_keras
mask = np.ones((3, 6), bool); mask[0, 4:] = False; mask[1, :2] = False; mask[2] = False
built_ins = {{"LSTM": lambda **kw: keras.layers.LSTM(4, **kw),
             "GRU": lambda **kw: keras.layers.GRU(4, reset_after=False, **kw),
             "GRU reset_after": lambda **kw: keras.layers.GRU(4, **kw),
             "SimpleRNN": lambda **kw: keras.layers.SimpleRNN(4, **kw)}}
for name, make in built_ins.items():
    for options in (dict(go_backwards=False), dict(go_backwards=True),
                    dict(dropout=0.3, recurrent_dropout=0.4, seed=5)):
        theirs = make(return_sequences=True, return_state=True, **options)
        theirs.build(x.shape)
        for w in theirs.trainable_weights:
            w.assign(rng.uniform(-0.6, 0.6, w.shape))
        ours = from_keras(theirs)
        training = "dropout" in options
        got = ours(x, mask=mask, training=training)
        expected = theirs(x, mask=mask, training=training)
        key = name + ("-dropout" if training else "-backwards" if options["go_backwards"] else "-mask")
        errors[key] = max(float(np.max(np.abs(keras.ops.convert_to_numpy(a) - keras.ops.convert_to_numpy(b))))
                          for a, b in zip(got, expected))
    theirs = keras.layers.Bidirectional(make(return_sequences=True))
    theirs.build(x.shape)
    for w in theirs.trainable_weights:
        w.assign(rng.uniform(-0.6, 0.6, w.shape))
    ours = keras.layers.Bidirectional(from_keras(theirs.forward_layer))
    ours.build(x.shape)
    ours.forward_layer.set_weights(from_keras(theirs.forward_layer).get_weights())
    ours.backward_layer.set_weights(from_keras(theirs.backward_layer).get_weights())
    errors[name + "-bidirectional"] = float(np.max(np.abs(
        keras.ops.convert_to_numpy(ours(x, mask=mask)) - keras.ops.convert_to_numpy(theirs(x, mask=mask)))))
_, nested_gates = NestedLSTM(4, return_sequences=True, return_gates=True)(x, mask=mask)
errors["NestedLSTM-masked-gates-zero"] = float(np.abs(keras.ops.convert_to_numpy(nested_gates["inner1_c"])[~mask]).max())
model = keras.Sequential([keras.Input((6, 5)), LSTM(8, return_sequences=True, dropout=0.1),
                          GRU(8, output_dropout=0.1), keras.layers.Dense(1)])
model.compile(keras.optimizers.RMSprop(0.01), "mse")
y = rng.normal(size=(3, 1)).astype("float32")
history = model.fit(x, y, epochs=15, verbose=0).history["loss"]
print(json.dumps({{"errors": errors, "first": history[0], "last": history[-1]}}))
"""


@pytest.mark.parametrize("backend, module", [("jax", "jax"), ("torch", "torch")])
def test_layers_run_and_train_on_another_backend(backend, module):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed: `pip install -e .[backends]` adds JAX and PyTorch")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(tests=TESTS, backend=backend)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for name, error in result["errors"].items():
        assert error < 1e-5, (backend, name, error)
    assert result["last"] < result["first"]
