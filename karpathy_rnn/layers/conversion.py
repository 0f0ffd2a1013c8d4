"""Weights both ways between our layers and keras.layers.LSTM / GRU(reset_after=False) / SimpleRNN.

The maths coincide exactly: Keras' LSTM orders its column blocks i, f, c, o where ours are
i, f, o, g; Keras' GRU interpolates h = z * h_prev + (1 - z) * candidate, the paper
h = (1 - z) * h_prev + z * candidate, so the paper's z is sigm(-a) of Keras' pre-activation a
(the z columns and bias change sign).
"""

import numpy as np

import keras

from karpathy_rnn.layers.gru import GRU
from karpathy_rnn.layers.lstm import LSTM
from karpathy_rnn.layers.vanilla import VanillaRNN

_LSTM_BLOCKS = [0, 1, 3, 2]   # keras i, f, c, o <-> ours i, f, o, g (the permutation is its own inverse)
_SHARED_OPTIONS = ("units", "return_sequences", "return_state", "stateful", "dropout", "name")


def _blocks(array, count):
    return np.split(np.asarray(array), count, axis=-1)


def _check_keras_layer(layer):
    """Refuse built-in layers whose maths differ from the paper's (activation, bias, GRU variant)."""
    config = layer.get_config()
    problems = []
    if config.get("activation") != "tanh":
        problems.append(f"activation={config.get('activation')!r} (needs 'tanh')")
    if "recurrent_activation" in config and config["recurrent_activation"] != "sigmoid":
        problems.append(f"recurrent_activation={config['recurrent_activation']!r} (needs 'sigmoid')")
    if not config.get("use_bias", True):
        problems.append("use_bias=False (needs True)")
    if isinstance(layer, keras.layers.GRU) and config.get("reset_after", True):
        problems.append("reset_after=True (the paper's GRU is reset_after=False)")
    if config.get("recurrent_dropout", 0.0):
        problems.append(f"recurrent_dropout={config['recurrent_dropout']} (no equivalent)")
    if config.get("go_backwards"):
        problems.append("go_backwards=True (not supported)")
    if problems:
        raise ValueError(f"keras layer '{layer.name}' cannot be converted exactly: "
                         + "; ".join(problems) + ".")
    if not layer.built:
        raise ValueError(f"keras layer '{layer.name}' is not built yet: call it on data first.")


def _new_layer(cls, config, **overrides):
    options = {k: config[k] for k in _SHARED_OPTIONS if k in config}
    options.update(overrides)
    return cls(**options)


def weights_from_keras(layer):
    """Our weight list (in `trainable_weights` order) for a built keras LSTM/GRU/SimpleRNN."""
    _check_keras_layer(layer)
    cell = layer.cell
    kernel, recurrent, bias = (np.asarray(keras.ops.convert_to_numpy(w))
                               for w in (cell.kernel, cell.recurrent_kernel, cell.bias))
    if isinstance(layer, keras.layers.LSTM):
        order = _LSTM_BLOCKS
        stack = np.concatenate([kernel, recurrent], axis=0)
        blocks = _blocks(stack, 4)
        bias_blocks = _blocks(bias, 4)
        return [np.concatenate([blocks[k] for k in order], axis=1),
                np.concatenate([bias_blocks[k] for k in order])]
    if isinstance(layer, keras.layers.GRU):
        (wz, wr, wh), (uz, ur, uh), (bz, br, bh) = (_blocks(kernel, 3), _blocks(recurrent, 3),
                                                    _blocks(bias, 3))
        gate_kernel = np.concatenate([np.concatenate([wr, -wz], axis=1),
                                      np.concatenate([ur, -uz], axis=1)], axis=0)
        return [gate_kernel, np.concatenate([br, -bz]),
                np.concatenate([wh, uh], axis=0), bh]
    if isinstance(layer, keras.layers.SimpleRNN):
        return [np.concatenate([kernel, recurrent], axis=0), bias]
    raise TypeError(f"cannot convert {type(layer).__name__}: give keras.layers.LSTM, GRU or SimpleRNN.")


def from_keras(layer):
    """A built karpathy_rnn layer computing exactly what a built keras LSTM/GRU/SimpleRNN computes."""
    weights = weights_from_keras(layer)
    config = layer.get_config()
    cls = {keras.layers.LSTM: LSTM, keras.layers.GRU: GRU, keras.layers.SimpleRNN: VanillaRNN}[type(layer)]
    ours = _new_layer(cls, config)
    input_dim = np.asarray(layer.cell.kernel.shape)[0]
    batch = layer.states[0].shape[0] if ours.stateful else None
    ours.build((batch, None, int(input_dim)))
    for variable, value in zip(ours.trainable_weights, weights):
        variable.assign(value)
    return ours


def weights_to_keras(layer):
    """[kernel, recurrent_kernel, bias] for the keras built-in equivalent of a built layer of ours."""
    d = layer.input_dim
    if isinstance(layer, LSTM):
        blocks = _blocks(keras.ops.convert_to_numpy(layer.kernel), 4)
        bias_blocks = _blocks(keras.ops.convert_to_numpy(layer.bias), 4)
        order = _LSTM_BLOCKS
        stack = np.concatenate([blocks[k] for k in order], axis=1)
        return [stack[:d], stack[d:], np.concatenate([bias_blocks[k] for k in order])]
    if isinstance(layer, GRU):
        gk = keras.ops.convert_to_numpy(layer.gate_kernel)
        gb = keras.ops.convert_to_numpy(layer.gate_bias)
        ck = keras.ops.convert_to_numpy(layer.candidate_kernel)
        cb = keras.ops.convert_to_numpy(layer.candidate_bias)
        (r, z), (br, bz) = _blocks(gk, 2), _blocks(gb, 2)
        stack = np.concatenate([-z, r, ck], axis=1)   # keras blocks z, r, h
        return [stack[:d], stack[d:], np.concatenate([-bz, br, cb])]
    if isinstance(layer, VanillaRNN):
        kernel = keras.ops.convert_to_numpy(layer.kernel)
        return [kernel[:d], kernel[d:], keras.ops.convert_to_numpy(layer.bias)]
    raise TypeError(f"{type(layer).__name__} has no keras built-in equivalent "
                    "(only LSTM, GRU and VanillaRNN do).")


def to_keras(layer):
    """A built keras LSTM / GRU(reset_after=False) / SimpleRNN computing exactly what `layer` does."""
    weights = weights_to_keras(layer)
    config = layer.get_config()
    if isinstance(layer, LSTM):
        built_in = _new_layer(keras.layers.LSTM, config)
    elif isinstance(layer, GRU):
        built_in = _new_layer(keras.layers.GRU, config, reset_after=False)
    else:
        built_in = _new_layer(keras.layers.SimpleRNN, config)
    batch = layer.state_variables[0].shape[0] if layer.stateful else None
    built_in.build((batch, None, layer.input_dim))
    built_in.set_weights(weights)
    return built_in


def convert_model(model, to="karpathy_rnn"):
    """A copy of `model` with every convertible recurrent layer swapped ('karpathy_rnn' or 'keras').

    Other layers are cloned with their weights; the copy computes the same function.
    """
    if to not in ("karpathy_rnn", "keras"):
        raise ValueError(f"to={to!r}: give 'karpathy_rnn' or 'keras'.")
    convertible = ((keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN)
                   if to == "karpathy_rnn" else (LSTM, GRU, VanillaRNN))
    converter = from_keras if to == "karpathy_rnn" else to_keras
    pairs = []

    def clone(layer):
        if isinstance(layer, convertible):
            new = converter(layer)
        else:
            new = layer.__class__.from_config(layer.get_config())
            pairs.append((layer, new))
        return new

    copy = keras.models.clone_model(model, clone_function=clone)
    for old, new in pairs:
        new.set_weights(old.get_weights())
    return copy
