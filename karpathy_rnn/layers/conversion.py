"""Layers both ways between ours and keras.layers.LSTM / GRU / SimpleRNN.

The maths coincide exactly: Keras' LSTM orders its column blocks i, f, c, o where ours are
i, f, o, g; Keras' GRU interpolates h = z * h_prev + (1 - z) * candidate, the paper
h = (1 - z) * h_prev + z * candidate, so the paper's z is sigm(-a) of Keras' pre-activation a
(the z columns and bias change sign); with reset_after=True (Keras' default GRU) Keras' second bias row,
the recurrent products' own, is our recurrent_bias. Options travel with the weights: direction, masking output,
unroll, dropouts (Keras' dropout is our dropout_mask='per_sequence'), use_bias, initializers,
regularizers and constraints (those that the column reordering or the sign change would alter
are refused with the reason), activity regularizer, dtype policy and seed. What has no
counterpart (our output_dropout, per-step dropout, gates) is refused, never dropped.
"""

import warnings

import numpy as np

import keras

from karpathy_rnn.layers.base import RecurrentLayer
from karpathy_rnn.layers.gru import GRU
from karpathy_rnn.layers.lstm import LSTM
from karpathy_rnn.layers.nested_lstm import NestedLSTM
from karpathy_rnn.layers.vanilla import VanillaRNN

_LSTM_BLOCKS = [0, 1, 3, 2]   # keras i, f, c, o <-> ours i, f, o, g (the permutation is its own inverse)
_PAIRS = {keras.layers.LSTM: LSTM, keras.layers.GRU: GRU, keras.layers.SimpleRNN: VanillaRNN}
# options with the same meaning on both sides, read as attributes
_SAME = ("units", "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
         "zero_output_for_mask", "recurrent_dropout", "use_bias", "name", "trainable")
# options that survive reordering columns (LSTM) and, marked True, negating some (GRU)
_SIGN_SAFE = {"L1": True, "L2": True, "L1L2": True, "OrthogonalRegularizer": False,
              "MaxNorm": True, "UnitNorm": True, "MinMaxNorm": True, "NonNeg": False}
_KERNEL_OPTIONS = ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                   "kernel_constraint", "recurrent_constraint", "bias_constraint")
_INITIALIZERS = ("kernel_initializer", "recurrent_initializer", "bias_initializer")
_SYMMETRIC_INITIALIZERS = {"Zeros", "RandomUniform", "RandomNormal", "TruncatedNormal",
                           "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
                           "LecunUniform", "LecunNormal", "Orthogonal", "VarianceScaling"}


def _blocks(array, count):
    return np.split(np.asarray(array), count, axis=-1)


def _numpy(variable):
    return None if variable is None else np.asarray(keras.ops.convert_to_numpy(variable))


def _options_of(holder):
    """{name: value} of the carried kernel/bias options of a keras cell or one of our layers."""
    return {name: getattr(holder, name, None) for name in _KERNEL_OPTIONS + _INITIALIZERS}


def _gru_split_problem(name, value):
    """Why a norm constraint cannot follow Keras' GRU weights split in two (ours: gate and
    candidate parts), or None: Keras' bias is one vector, its kernel rows span all three blocks."""
    if not name.endswith("constraint") or type(value).__name__ not in ("MaxNorm", "UnitNorm",
                                                                        "MinMaxNorm"):
        return None
    if name == "bias_constraint":
        return "a norm over Keras' one GRU bias, which is gate_bias and candidate_bias here"
    axis = getattr(value, "axis", 0)
    if axis not in (0, [0], (0,), -2):
        return f"axis={axis}: a norm across Keras' gate blocks, which are two kernels here"
    return None


def _check_reorder_safe(options, is_gru, what):
    """Refuse regularizers/constraints that reordering (LSTM) or negating and splitting (GRU)
    columns would change."""
    problems = []
    for name in _KERNEL_OPTIONS:
        value = options.get(name)
        if value is None:
            continue
        kind = type(value).__name__
        if kind not in _SIGN_SAFE or (is_gru and not _SIGN_SAFE[kind]):
            reason = ("the GRU's z columns change sign" if is_gru and kind in _SIGN_SAFE
                      else "it may depend on the order of the gate columns")
            problems.append(f"{name}={kind} ({reason})")
        elif is_gru and _gru_split_problem(name, value):
            problems.append(f"{name}={kind} ({_gru_split_problem(name, value)})")
    if problems:
        raise ValueError(f"{what} cannot be converted exactly: " + "; ".join(problems) + ".")


def _carried_initializers(options, is_gru):
    """The initializers to carry; a GRU drops (with a warning) those not symmetric about 0."""
    carried = {}
    for name in _INITIALIZERS:
        value = options.get(name)
        if value is None:
            continue
        if is_gru and type(value).__name__ not in _SYMMETRIC_INITIALIZERS:
            warnings.warn(f"{name}={type(value).__name__} is not carried across: negating the GRU's "
                          "z columns would change what it draws; the converted layer re-initializes "
                          "with the default.", stacklevel=3)
            continue
        carried[name] = keras.initializers.get(keras.initializers.serialize(value))
    return carried


def _serialized_options(options):
    """Fresh copies of regularizers and constraints (not shared objects between two layers)."""
    out = {}
    for name in _KERNEL_OPTIONS:
        value = options.get(name)
        if value is None:
            continue
        module = keras.regularizers if name.endswith("regularizer") else keras.constraints
        out[name] = module.get(module.serialize(value))
    return out


def _activity_regularizer(layer):
    """A fresh copy of a layer's activity regularizer (ours keep it as `output_regularizer`)."""
    value = getattr(layer, "output_regularizer", layer.activity_regularizer)
    return None if value is None else keras.regularizers.get(keras.regularizers.serialize(value))


def _copy_states(source, target):
    """A stateful layer's carried states, so that the copy continues the same streams."""
    for old, new in zip(source.states, target.states):
        new.assign(keras.ops.convert_to_numpy(old))


def _check_keras_layer(layer):
    """Refuse built-in layers whose maths differ from the paper's (activation, GRU variant)."""
    config = layer.get_config()
    problems = []
    if config.get("activation") != "tanh":
        problems.append(f"activation={config.get('activation')!r} (needs 'tanh')")
    if "recurrent_activation" in config and config["recurrent_activation"] != "sigmoid":
        problems.append(f"recurrent_activation={config['recurrent_activation']!r} (needs 'sigmoid')")
    if problems:
        raise ValueError(f"keras layer '{layer.name}' cannot be converted exactly: "
                         + "; ".join(problems) + ".")
    _check_reorder_safe(_options_of(layer.cell), isinstance(layer, keras.layers.GRU),
                        f"keras layer '{layer.name}'")
    if not layer.built:
        raise ValueError(f"keras layer '{layer.name}' is not built yet: call it on data first.")


def weights_from_keras(layer):
    """Our weight list (in `trainable_weights` order) for a built keras LSTM/GRU/SimpleRNN."""
    if type(layer) not in _PAIRS:
        raise TypeError(f"cannot convert {type(layer).__name__}: give keras.layers.LSTM, GRU or "
                        "SimpleRNN.")
    _check_keras_layer(layer)
    cell = layer.cell
    kernel, recurrent, bias = (_numpy(w) for w in (cell.kernel, cell.recurrent_kernel, cell.bias))
    if isinstance(layer, keras.layers.LSTM):
        blocks = _blocks(np.concatenate([kernel, recurrent], axis=0), 4)
        weights = [np.concatenate([blocks[k] for k in _LSTM_BLOCKS], axis=1)]
        if bias is not None:
            bias_blocks = _blocks(bias, 4)
            weights.append(np.concatenate([bias_blocks[k] for k in _LSTM_BLOCKS]))
        return weights
    if isinstance(layer, keras.layers.GRU):
        (wz, wr, wh), (uz, ur, uh) = _blocks(kernel, 3), _blocks(recurrent, 3)
        gate_kernel = np.concatenate([np.concatenate([wr, -wz], axis=1),
                                      np.concatenate([ur, -uz], axis=1)], axis=0)
        candidate_kernel = np.concatenate([wh, uh], axis=0)
        if bias is None:
            return [gate_kernel, candidate_kernel]
        if cell.reset_after:                       # bias [2, 3n]: the input row, then the recurrent row
            (bz, br, bh), (rz, rr, rh) = _blocks(bias[0], 3), _blocks(bias[1], 3)
            return [gate_kernel, np.concatenate([br, -bz]), candidate_kernel, bh, np.concatenate([rr, -rz, rh])]
        bz, br, bh = _blocks(bias, 3)
        return [gate_kernel, np.concatenate([br, -bz]), candidate_kernel, bh]
    return [np.concatenate([kernel, recurrent], axis=0)] + ([] if bias is None else [bias])


def from_keras(layer):
    """A built karpathy_rnn layer computing exactly what a built keras LSTM/GRU/SimpleRNN computes,
    in inference and (with the same seed) in training: Keras' dropout becomes
    dropout_mask='per_sequence'."""
    weights = weights_from_keras(layer)
    cell = layer.cell
    is_gru = isinstance(layer, keras.layers.GRU)
    options = {name: getattr(layer, name) for name in _SAME if hasattr(layer, name)}
    options.update(dropout=cell.dropout, recurrent_dropout=cell.recurrent_dropout,
                   dropout_mask="per_sequence", seed=cell.seed, dtype=layer.dtype_policy,
                   activity_regularizer=_activity_regularizer(layer))
    options.update(_serialized_options(_options_of(cell)))
    options.update(_carried_initializers(_options_of(cell), is_gru))
    if isinstance(layer, keras.layers.LSTM):
        options["unit_forget_bias"] = cell.unit_forget_bias
    if is_gru:
        options["reset_after"] = cell.reset_after
    ours = _PAIRS[type(layer)](**options)
    input_dim = int(cell.kernel.shape[0])
    batch = layer.states[0].shape[0] if ours.stateful else None
    ours.build((batch, None, input_dim))
    for variable, value in zip(ours.trainable_weights, weights):
        variable.assign(value)
    if ours.stateful:
        _copy_states(layer, ours)
    return ours


def _check_ours(layer):
    """Refuse what a keras built-in cannot express, naming it."""
    if isinstance(layer, NestedLSTM) or not isinstance(layer, (LSTM, GRU, VanillaRNN)):
        raise TypeError(f"{type(layer).__name__} has no keras built-in equivalent "
                        "(only LSTM, GRU and VanillaRNN do).")
    problems = []
    if layer.return_gates:
        problems.append("return_gates=True (a keras layer cannot return its gates; set it False "
                        "and call the converted layer for outputs only)")
    if layer.output_dropout:
        problems.append(f"output_dropout={layer.output_dropout} (no keras option; add a "
                        "keras.layers.Dropout after the layer instead)")
    if layer.dropout and layer.dropout_mask == "per_step":
        problems.append(f"dropout={layer.dropout} with dropout_mask='per_step' (keras draws one "
                        "mask per sequence; set dropout_mask='per_sequence' or dropout=0)")
    if problems:
        raise ValueError(f"layer '{layer.name}' cannot be converted exactly: "
                         + "; ".join(problems) + ".")
    _check_reorder_safe(_options_of(layer), isinstance(layer, GRU), f"layer '{layer.name}'")
    if not layer.built:
        raise ValueError(f"layer '{layer.name}' is not built yet: call it on data first.")


def weights_to_keras(layer):
    """[kernel, recurrent_kernel, (bias)] for the keras built-in equivalent of a built layer of ours."""
    _check_ours(layer)
    d = layer.input_dim
    if isinstance(layer, LSTM):
        blocks = _blocks(_numpy(layer.kernel), 4)
        stack = np.concatenate([blocks[k] for k in _LSTM_BLOCKS], axis=1)
        weights = [stack[:d], stack[d:]]
        if layer.use_bias:
            bias_blocks = _blocks(_numpy(layer.bias), 4)
            weights.append(np.concatenate([bias_blocks[k] for k in _LSTM_BLOCKS]))
        return weights
    if isinstance(layer, GRU):
        r, z = _blocks(_numpy(layer.gate_kernel), 2)
        stack = np.concatenate([-z, r, _numpy(layer.candidate_kernel)], axis=1)   # keras z, r, h
        weights = [stack[:d], stack[d:]]
        if layer.use_bias:
            br, bz = _blocks(_numpy(layer.gate_bias), 2)
            bias = np.concatenate([-bz, br, _numpy(layer.candidate_bias)])
            if layer.reset_after:             # Keras' second row: the recurrent products' biases
                rr, rz, rh = _blocks(_numpy(layer.recurrent_bias), 3)
                bias = np.stack([bias, np.concatenate([-rz, rr, rh])])
            weights.append(bias)
        return weights
    kernel = _numpy(layer.kernel)
    return [kernel[:d], kernel[d:]] + ([_numpy(layer.bias)] if layer.use_bias else [])


def to_keras(layer):
    """A built keras LSTM / GRU / SimpleRNN computing exactly what `layer` does."""
    weights = weights_to_keras(layer)
    is_gru = isinstance(layer, GRU)
    options = {name: getattr(layer, name) for name in _SAME}
    options.update(dropout=layer.dropout, seed=layer.seed, dtype=layer.dtype_policy,
                   activity_regularizer=_activity_regularizer(layer))
    options.update(_serialized_options(_options_of(layer)))
    initializers = _carried_initializers(_options_of(layer), is_gru)
    initializers.setdefault("recurrent_initializer", initializers.get("kernel_initializer"))
    options.update({k: v for k, v in initializers.items() if v is not None})
    if isinstance(layer, LSTM):
        built_in = keras.layers.LSTM(unit_forget_bias=layer.unit_forget_bias, **options)
    elif is_gru:
        built_in = keras.layers.GRU(reset_after=layer.reset_after, **options)
    else:
        built_in = keras.layers.SimpleRNN(**options)
    batch = layer.state_variables[0].shape[0] if layer.stateful else None
    built_in.build((batch, None, layer.input_dim))
    built_in.set_weights(weights + [np.zeros(v.shape, v.dtype) for v in built_in.weights[len(weights):]])
    if layer.stateful:
        _copy_states(layer, built_in)
    return built_in


def _convertible(layer, to):
    """The converter for `layer` in direction `to`, or None when it is not a recurrent layer there."""
    if to == "karpathy_rnn":
        return from_keras if isinstance(layer, keras.layers.RNN) else None
    return to_keras if isinstance(layer, RecurrentLayer) else None


def convert_model(model, to="karpathy_rnn", strict=False):
    """A copy of `model` with every convertible recurrent layer swapped ('karpathy_rnn' or 'keras'),
    inside keras.layers.Bidirectional too; the copy computes the same function.

    Other layers are cloned with their weights. A recurrent layer that cannot be converted exactly
    stays as it is, and one warning names each such layer and why; `strict=True` raises instead.
    """
    if to not in ("karpathy_rnn", "keras"):
        raise ValueError(f"to={to!r}: give 'karpathy_rnn' or 'keras'.")
    copied, bidirectional, left = [], [], []

    def convert(layer):
        try:
            return _convertible(layer, to)(layer)
        except (TypeError, ValueError) as error:
            left.append(f"'{layer.name}' ({type(layer).__name__}): {error}")
            return None

    def clone(layer):
        converter = _convertible(layer, to)
        if converter is not None:
            new = convert(layer)
            if new is not None:
                return new
        elif isinstance(layer, keras.layers.Bidirectional) and _convertible(layer.forward_layer, to):
            forward, backward = convert(layer.forward_layer), convert(layer.backward_layer)
            if forward is not None and backward is not None:
                new = keras.layers.Bidirectional(forward, backward_layer=backward,
                                                 merge_mode=layer.merge_mode, name=layer.name)
                bidirectional.append((new, forward, backward))
                return new
        new = layer.__class__.from_config(layer.get_config())
        if isinstance(layer, keras.layers.Layer):   # not a graph op such as the NotEqual of a mask
            copied.append((layer, new))
        return new

    copy = keras.models.clone_model(model, clone_function=clone)
    if left:
        message = "convert_model left unconverted: " + " | ".join(left)
        if strict:
            raise ValueError(message)
        warnings.warn(message, stacklevel=2)
    for old, new in copied:
        new.set_weights(old.get_weights())
    for new, forward, backward in bidirectional:
        new.forward_layer.set_weights(forward.get_weights())
        new.backward_layer.set_weights(backward.get_weights())
    return copy
