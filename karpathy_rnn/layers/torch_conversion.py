"""Layers both ways between ours and torch.nn.LSTM / GRU / RNN (tanh), weights exactly.

torch orders an LSTM's gate rows i, f, g, o (ours: columns i, f, o, g) and keeps two biases (input and
recurrent) that an LSTM and an RNN only ever add, so ours holds their sum. torch's GRU is the reset-after
form (the reset gate scales W_hn h + b_hn), which is our GRU(reset_after=True) parameter for parameter,
with z negated as for Keras (torch: h' = (1 - z) * n + z * h; the paper: h' = (1 - z) * h + z * n).
A torch module of L layers becomes L of our layers, each returning its whole sequence (a bidirectional one:
keras.layers.Bidirectional around two, merge_mode='concat' as torch concatenates); torch's dropout between
layers becomes output_dropout on every layer but the last (it acts in training only, as torch's). Inputs
are batch-major for ours whatever the module's `batch_first`. torch is imported only when called.
"""

from __future__ import annotations

import numpy as np

import keras

from karpathy_rnn.layers.gru import GRU
from karpathy_rnn.layers.lstm import LSTM
from karpathy_rnn.layers.nested_lstm import NestedLSTM
from karpathy_rnn.layers.vanilla import VanillaRNN

_LSTM_ROWS = [0, 1, 3, 2]       # torch rows i, f, g, o <-> our columns i, f, o, g (its own inverse)
_UNITS = {"LSTM": LSTM, "GRU": GRU, "RNN": VanillaRNN}


def _torch_kind(module) -> str:
    """'LSTM', 'GRU' or 'RNN' for a torch recurrent module; TypeError naming what was given otherwise."""
    import torch

    for kind in ("LSTM", "GRU", "RNN"):
        if type(module) is getattr(torch.nn, kind):
            return kind
    raise TypeError(f"from_torch takes torch.nn.LSTM, GRU or RNN, got {type(module).__module__}."
                    f"{type(module).__name__}; a whole model's recurrent part is one of these modules")


def _check_torch(module, kind: str) -> None:
    """Refuse, by name and with the reason, what our layers cannot compute."""
    problems = []
    if kind == "LSTM" and getattr(module, "proj_size", 0):
        problems.append(f"proj_size={module.proj_size} (an LSTM projecting h to a smaller size; ours keep h at "
                        "hidden_size)")
    if kind == "RNN" and module.nonlinearity != "tanh":
        problems.append(f"nonlinearity={module.nonlinearity!r} (the paper's RNN is tanh; ours has no relu form)")
    if problems:
        raise ValueError(f"torch.nn.{kind} cannot be converted exactly: " + "; ".join(problems) + ".")


def _numpy(tensor) -> np.ndarray:
    return tensor.detach().to("cpu").float().numpy()


def _ours_weights(module, kind: str, suffix: str) -> list[np.ndarray]:
    """Our weight list (trainable_weights order) for one layer and direction of a torch module."""
    w_ih, w_hh = _numpy(getattr(module, f"weight_ih{suffix}")), _numpy(getattr(module, f"weight_hh{suffix}"))
    biases = ((_numpy(getattr(module, f"bias_ih{suffix}")), _numpy(getattr(module, f"bias_hh{suffix}")))
              if module.bias else None)
    stacked = np.concatenate([w_ih.T, w_hh.T], axis=0)                  # [in + n, G * n] on [x; h]
    if kind == "LSTM":
        blocks = np.split(stacked, 4, axis=1)
        weights = [np.concatenate([blocks[k] for k in _LSTM_ROWS], axis=1)]
        if biases is not None:
            bias = np.split(biases[0].astype(np.float64) + biases[1], 4)
            weights.append(np.concatenate([bias[k] for k in _LSTM_ROWS]).astype(np.float32))
        return weights
    if kind == "RNN":
        return [stacked] + ([] if biases is None else [(biases[0].astype(np.float64) + biases[1]).astype(np.float32)])
    r, z, candidate = np.split(stacked, 3, axis=1)                      # torch's GRU rows r, z, n
    gate_kernel = np.concatenate([r, -z], axis=1)
    if biases is None:
        return [gate_kernel, candidate]
    (b_r, b_z, b_n), (h_r, h_z, h_n) = np.split(biases[0], 3), np.split(biases[1], 3)
    return [gate_kernel, np.concatenate([b_r, -b_z]), candidate, b_n, np.concatenate([h_r, -h_z, h_n])]


def _ours_layer(module, kind: str, layer: int, reverse: bool, output_dropout: float, input_dim: int):
    """One direction of one torch layer as a built layer of ours with torch's weights."""
    options = dict(return_sequences=True, use_bias=bool(module.bias), go_backwards=reverse,
                   output_dropout=output_dropout)
    if kind == "GRU":
        options["reset_after"] = True
    ours = _UNITS[kind](module.hidden_size, **options)
    ours.build((None, None, input_dim))
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    for variable, value in zip(ours.trainable_weights, _ours_weights(module, kind, suffix)):
        variable.assign(value)
    return ours


def from_torch(module) -> list:
    """Our layers computing what a torch.nn.LSTM / GRU / RNN(tanh) computes: one per torch layer, each returning its
    whole sequence [batch, time, units] (a bidirectional layer: keras.layers.Bidirectional, merge_mode='concat',
    both directions' outputs aligned by time step, as torch's); chain them in a keras.Sequential.

    Example:
        ```python
        lstm = torch.nn.LSTM(8, 64, num_layers=2, batch_first=True)
        model = keras.Sequential([keras.Input((None, 8)), *from_torch(lstm)])   # same outputs as lstm(x)[0]
        ```
    """
    kind = _torch_kind(module)
    _check_torch(module, kind)
    layers, input_dim = [], module.input_size
    for layer in range(module.num_layers):
        dropout = float(module.dropout) if layer < module.num_layers - 1 else 0.0
        forward = _ours_layer(module, kind, layer, False, dropout, input_dim)
        if module.bidirectional:
            backward = _ours_layer(module, kind, layer, True, dropout, input_dim)
            wrapped = keras.layers.Bidirectional(forward, backward_layer=backward, merge_mode="concat")
            wrapped.build((None, None, input_dim))
            forward_weights, backward_weights = forward.get_weights(), backward.get_weights()
            wrapped.forward_layer.set_weights(forward_weights)
            wrapped.backward_layer.set_weights(backward_weights)
            layers.append(wrapped)
        else:
            layers.append(forward)
        input_dim = module.hidden_size * (2 if module.bidirectional else 1)
    return layers


def _directions(layer) -> tuple:
    """(forward, backward or None) of one of ours or of a Bidirectional around two."""
    if isinstance(layer, keras.layers.Bidirectional):
        if layer.merge_mode != "concat":
            raise ValueError(f"Bidirectional '{layer.name}' has merge_mode={layer.merge_mode!r}; torch concatenates "
                             "the two directions (merge_mode='concat')")
        return layer.forward_layer, layer.backward_layer
    return layer, None


def _check_ours(layers: list) -> tuple:
    """(our unit class, units, use_bias, bidirectional, dropout) shared by `layers`, or ValueError/TypeError saying
    what torch cannot express."""
    pairs = [_directions(layer) for layer in layers]
    ours = [layer for pair in pairs for layer in pair if layer is not None]
    for layer in ours:
        if isinstance(layer, NestedLSTM) or type(layer) not in (LSTM, GRU, VanillaRNN):
            raise TypeError(f"{type(layer).__name__} '{layer.name}' has no torch counterpart; give LSTM, GRU or "
                            "VanillaRNN layers (or Bidirectional around them)")
        if not layer.built:
            raise ValueError(f"layer '{layer.name}' is not built yet: call it on data first")
    problems = []
    if len({type(layer) for layer in ours}) > 1 or len({layer.units for layer in ours}) > 1 \
            or len({layer.use_bias for layer in ours}) > 1:
        problems.append("the layers differ in unit, units or use_bias (one torch module has one of each)")
    if len({backward is None for _, backward in pairs}) > 1:
        problems.append("some layers are bidirectional and some not")
    gru = [layer for layer in ours if isinstance(layer, GRU)]
    if any(not layer.reset_after for layer in gru):
        problems.append("a GRU with reset_after=False (the paper's form; torch's GRU is reset_after=True)")
    for layer in ours:
        if layer.dropout or layer.recurrent_dropout:
            problems.append(f"'{layer.name}' has dropout={layer.dropout}, recurrent_dropout={layer.recurrent_dropout} "
                            "(torch has neither; its dropout acts between layers)")
        if layer.stateful or not layer.return_sequences:
            problems.append(f"'{layer.name}' has stateful={layer.stateful}, return_sequences="
                            f"{layer.return_sequences} (a torch module returns every step and keeps no state)")
    dropouts = {forward.output_dropout for forward, _ in pairs[:-1]}
    if len(dropouts) > 1 or pairs[-1][0].output_dropout:
        problems.append("output_dropout differs between layers or is set on the last (torch's one dropout acts "
                        "between layers)")
    if problems:
        raise ValueError("cannot be expressed as one torch module: " + "; ".join(problems) + ".")
    first = ours[0]
    return type(first), first.units, first.use_bias, pairs[0][1] is not None, (dropouts.pop() if dropouts else 0.0)


def to_torch(layers, batch_first: bool = True):
    """A torch.nn.LSTM / GRU / RNN computing what `layers` (ours, or Bidirectional around ours, as from_torch
    returns) compute one after the other; `batch_first` is the module's, for its callers."""
    import torch

    layers = list(layers) if isinstance(layers, (list, tuple)) else [layers]
    if not layers:
        raise ValueError("to_torch needs at least one layer")
    unit, units, use_bias, bidirectional, dropout = _check_ours(layers)
    kind = {LSTM: "LSTM", GRU: "GRU", VanillaRNN: "RNN"}[unit]
    first = _directions(layers[0])[0]
    module = getattr(torch.nn, kind)(first.input_dim, units, num_layers=len(layers), bias=use_bias,
                                     batch_first=batch_first, dropout=dropout, bidirectional=bidirectional)
    with torch.no_grad():
        for index, layer in enumerate(layers):
            for direction, ours in zip(("", "_reverse"), _directions(layer)):
                if ours is None:
                    continue
                for name, value in _torch_weights(ours, kind).items():
                    getattr(module, f"{name}_l{index}{direction}").copy_(torch.from_numpy(value))
    return module


def _torch_weights(layer, kind: str) -> dict:
    """{'weight_ih': [G*n, in], 'weight_hh': [G*n, n], ('bias_ih', 'bias_hh')} of one layer of ours."""
    values = [np.asarray(keras.ops.convert_to_numpy(w), np.float32) for w in layer.trainable_weights]
    d, n = layer.input_dim, layer.units
    if kind == "GRU":
        r, z = np.split(values[0], 2, axis=1)
        stacked = np.concatenate([r, -z, values[2 if layer.use_bias else 1]], axis=1)
    elif kind == "LSTM":
        blocks = np.split(values[0], 4, axis=1)
        stacked = np.concatenate([blocks[k] for k in _LSTM_ROWS], axis=1)
    else:
        stacked = values[0]
    out = {"weight_ih": np.ascontiguousarray(stacked[:d].T), "weight_hh": np.ascontiguousarray(stacked[d:].T)}
    if not layer.use_bias:
        return out
    if kind == "GRU":
        b_r, b_z = np.split(values[1], 2)
        h_r, h_z, h_n = np.split(values[4], 3)
        out.update(bias_ih=np.concatenate([b_r, -b_z, values[3]]), bias_hh=np.concatenate([h_r, -h_z, h_n]))
    elif kind == "LSTM":
        bias = np.split(values[1], 4)
        out.update(bias_ih=np.concatenate([bias[k] for k in _LSTM_ROWS]), bias_hh=np.zeros(4 * n, np.float32))
    else:
        out.update(bias_ih=values[1], bias_hh=np.zeros(n, np.float32))
    return out
