"""Char-LMs from the layers: probes, .keras round trip, SavedModel export in a fresh process."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import keras

from karpathy_rnn.data import Vocabulary
from karpathy_rnn.errors import VocabularyMismatchError
from karpathy_rnn.layers import LSTM
from karpathy_rnn.models import (char_language_model, check_vocabulary, export_saved_model,
                                 load_model, probe_model, recurrent_layers)

CHARS = "\n !,.abcdefghij"
rng = np.random.default_rng(0)
IDS = rng.integers(0, len(CHARS), (3, 12)).astype("int32")


def np_(t):
    return keras.ops.convert_to_numpy(t)


@pytest.mark.parametrize("unit", ["rnn", "lstm", "gru", "nlstm"])
def test_char_model_shapes_and_probe_shares_weights(unit):
    model = char_language_model(CHARS, unit=unit, layers=2, hidden=8, seed=1)
    logits = np_(model(IDS))
    assert logits.shape == (3, 12, len(CHARS))
    probe = probe_model(model)
    out = probe(IDS)
    np.testing.assert_allclose(np_(out["logits"]), logits, atol=1e-6)
    assert list(out["gates"]) == [f"{unit}1", f"{unit}2"]
    layer = model.get_layer(f"{unit}1")
    assert list(out["gates"][f"{unit}1"]) == list(layer.gate_names)
    # sharing, not copying: a weight change shows in the probe at once
    layer.trainable_weights[0].assign(layer.trainable_weights[0] * 2)
    np.testing.assert_allclose(np_(probe(IDS)["logits"]), np_(model(IDS)), atol=1e-6)
    assert len(probe.trainable_weights) == len(model.trainable_weights)


def test_probe_with_carried_states_runs_a_text_in_chunks():
    model = char_language_model(CHARS, unit="lstm", layers=2, hidden=8, seed=2)
    probe = probe_model(model, carry_states=True)
    states = {f"lstm{k}_{s}": np.zeros((3, 8), "float32") for k in (1, 2) for s in "hc"}
    whole = probe({"ids": IDS, **states})
    first = probe({"ids": IDS[:, :5], **states})
    carried = {f"{layer}_{s}": np_(v) for layer, d in first["states"].items() for s, v in d.items()}
    second = probe({"ids": IDS[:, 5:], **carried})
    np.testing.assert_allclose(np_(second["logits"]), np_(whole["logits"])[:, 5:], atol=1e-5)
    np.testing.assert_allclose(np_(second["gates"]["lstm2"]["c"]),
                               np_(whole["gates"]["lstm2"]["c"])[:, 5:], atol=1e-5)


def test_probe_leaves_a_stateful_models_states_alone():
    model = char_language_model(CHARS, unit="gru", layers=1, hidden=8, batch_size=3, stateful=True)
    model(IDS)
    carried = np_(model.get_layer("gru1").state_variables[0]).copy()
    out = probe_model(model)(IDS[:2])           # any batch size, starts from zeros
    assert np_(out["logits"]).shape == (2, 12, len(CHARS))
    np.testing.assert_array_equal(np_(model.get_layer("gru1").state_variables[0]), carried)


def test_keras_file_round_trip_keeps_numbers_gates_and_vocabulary(tmp_path):
    model = char_language_model(CHARS, unit="nlstm", layers=2, hidden=6, depth=3, dropout=0.2, seed=3)
    expected = np_(model(IDS))
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = load_model(path, vocabulary=Vocabulary(tuple(CHARS)))
    np.testing.assert_allclose(np_(loaded(IDS)), expected, atol=1e-6)
    layer = loaded.get_layer("nlstm2")
    assert layer.depth == 3 and layer.output_dropout == 0.2
    assert "inner2_c" in probe_model(loaded)(IDS)["gates"]["nlstm1"]


def test_a_model_on_another_vocabulary_is_refused(tmp_path):
    model = char_language_model(CHARS, unit="lstm", layers=1, hidden=4)
    path = str(tmp_path / "m.keras")
    model.save(path)
    other = Vocabulary.from_text(CHARS + "{}")
    with pytest.raises(VocabularyMismatchError, match=r"15 characters but the data has 17; 2 the model never saw: '\{\}'"):
        load_model(path, vocabulary=other)
    with pytest.raises(VocabularyMismatchError, match="missing from the data"):
        check_vocabulary(model, Vocabulary.from_text("abc"))
    with pytest.raises(FileNotFoundError, match="no saved model"):
        load_model(str(tmp_path / "missing.keras"))


def _run_fresh(code):
    """Run `code` in a fresh Python process; return its last stdout line parsed as JSON."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_saved_model_export_reloads_in_a_fresh_process(tmp_path):
    model = char_language_model(CHARS, unit="lstm", layers=2, hidden=8, seed=4)
    logits = np_(model(IDS))
    gates = probe_model(model)(IDS)["gates"]
    ours = export_saved_model(model, tmp_path / "ours")
    plain = str(tmp_path / "plain")
    model.export(plain, verbose=False)           # Keras' own export of a model with our layers
    result = _run_fresh(f"""
import json, numpy as np, tensorflow as tf
ids = tf.constant({IDS.tolist()}, tf.int32)
ours = tf.saved_model.load({ours!r})
plain = tf.saved_model.load({plain!r})
gates = ours.gates(ids)
print(json.dumps({{"serve": ours.serve(ids).numpy().tolist(), "plain": plain.serve(ids).numpy().tolist(),
                  "f": gates["lstm2/f"].numpy().tolist(), "keys": sorted(gates),
                  "vocabulary": ours.vocabulary().numpy().decode()}}))
""")
    np.testing.assert_allclose(result["serve"], logits, atol=1e-5)
    np.testing.assert_allclose(result["plain"], logits, atol=1e-5)
    np.testing.assert_allclose(result["f"], np_(gates["lstm2"]["f"]), atol=1e-6)
    assert len(result["keys"]) == 12 and result["vocabulary"] == CHARS


def test_layer_in_a_users_model_exports_as_saved_model(tmp_path):
    """The README example: a layer with gates inside a user's own functional model."""
    inputs = keras.Input((None, 3))
    output, gates = LSTM(8, return_sequences=True, return_gates=True)(inputs)
    model = keras.Model(inputs, {"y": keras.layers.Dense(1)(output), "forget": gates["f"]})
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    expected = {k: np_(v) for k, v in model(x).items()}
    path = str(tmp_path / "user")
    model.export(path, verbose=False)
    result = _run_fresh(f"""
import json, numpy as np, tensorflow as tf
m = tf.saved_model.load({path!r})
out = m.serve(tf.constant({x.tolist()}, tf.float32))
print(json.dumps({{k: v.numpy().tolist() for k, v in out.items()}}))
""")
    for key in ("y", "forget"):
        np.testing.assert_allclose(result[key], expected[key], atol=1e-5)


def test_fused_xla_is_a_saved_layer_option_passed_by_the_model_builder(tmp_path):
    model = char_language_model("abc", unit="gru", layers=2, hidden=4, fused_xla=False, seed=0)
    assert [layer.fused_xla for layer in recurrent_layers(model)] == [False, False]
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = keras.models.load_model(path)
    assert [layer.fused_xla for layer in recurrent_layers(again)] == [False, False]
    ids = np.array([[0, 1, 2, 1]])
    with_xla = char_language_model("abc", unit="gru", layers=2, hidden=4, seed=0)
    with_xla.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(model(ids)), np.asarray(with_xla(ids)), atol=1e-6)


@pytest.mark.parametrize("seed", [None, 0, 7])
@pytest.mark.parametrize("unit,depth", [("rnn", 2), ("lstm", 2), ("gru", 2), ("nlstm", 2), ("nlstm", 3)])
def test_every_parameter_tensor_starts_independent_of_every_other(unit, depth, seed):
    """Issue 17.1: a Keras initializer with an integer seed returns the same values on every call, so NestedLSTM's
    kernel and inner1_kernel started equal, GRU's candidate_kernel was the first half of gate_kernel, and the
    output bias was row 0 of its kernel. No two tensors may share values or correlate beyond chance."""
    chars = "abcdefghijklmnop"                                     # 16 characters = hidden: same-shape kernels
    model = char_language_model(chars, unit=unit, layers=2, hidden=16, depth=depth, seed=seed)
    weights = [(w.path, np.asarray(w.numpy(), np.float64).ravel()) for w in model.weights]
    assert all(np.all(np.abs(v) <= 0.08) for _, v in weights)    # still the paper's uniform [-0.08, 0.08]
    for i, (name_a, a) in enumerate(weights):
        for name_b, b in weights[i + 1:]:
            shared = len(np.intersect1d(a, b))      # float32 uniforms take about 2^23 values: a few meet by chance
            chance = len(a) * len(b) / 2**23
            assert shared <= chance + 5 * np.sqrt(chance) + 3, f"{name_a} and {name_b} share {shared} values"
            n = min(len(a), len(b))
            r = np.corrcoef(a[:n], b[:n])[0, 1]                     # a prefix of one stream, reshaped
            assert abs(r) < 6 / np.sqrt(n), f"{name_a} and {name_b}: r = {r:.3f} over {n} values"
    if seed is not None:                                            # seeded: the same model twice
        again = char_language_model(chars, unit=unit, layers=2, hidden=16, depth=depth, seed=seed)
        for w, v in zip(again.weights, model.weights):
            np.testing.assert_array_equal(w.numpy(), v.numpy())
