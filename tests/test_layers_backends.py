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
