"""A character language model trained in PyTorch, read from its state_dict and rebuilt as our char-LM.

The torch model is the usual one: an `nn.Embedding(K, E)` (or one-hot ids when the recurrent input size is K), one
`nn.LSTM` / `nn.GRU` / `nn.RNN` (tanh) of L layers, an `nn.Linear(H, K)` read-out. Ours is `char_language_model`
(one-hot -> L of our layers -> Dense), so every analysis, sample.py, export.py and the plugin take it as they take
ours: the embedding is folded into the first layer's input rows (one_hot(id) @ (E @ W_ih^T) = E[id] @ W_ih^T,
computed in float64), the recurrent weights go through from_torch, the read-out becomes the Dense layer. The
architecture is read from the state_dict's names and shapes; torch is imported only here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from karpathy_rnn.errors import KRNNError

_GATES = {4: "LSTM", 3: "GRU", 1: "RNN"}          # rows of weight_hh per hidden unit
_UNIT = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
_CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")   # where training scripts usually nest it


@dataclass
class TorchCharLM:
    """What a torch char-LM's state_dict holds: the recurrent module's kind and sizes, and where each part is."""

    kind: str                  # "LSTM", "GRU" or "RNN"
    layers: int
    hidden: int
    input_size: int
    vocabulary_size: int
    bias: bool
    recurrent: str             # state_dict prefix of the recurrent module ("rnn.")
    embedding: str | None      # the embedding's weight key, None for one-hot input
    readout: str               # the read-out's weight key (its bias: the same with "bias")
    state: dict                # name -> float32 NumPy array


def read_checkpoint(path: str) -> dict:
    """{name: float32 array} of a torch checkpoint: a state_dict, or a dict holding one under a usual key; read with
    weights_only=True (no code runs). KRNNError naming what was found otherwise."""
    import torch

    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise KRNNError(f"no torch checkpoint at {path!r}") from None
    except Exception as error:       # torch raises pickle, zip and RuntimeError kinds for a file it cannot read
        first = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
        raise KRNNError(f"{path!r} is not a torch checkpoint torch.load(weights_only=True) can read ({first}); save "
                        "the model's state_dict with torch.save(model.state_dict(), PATH)") from None
    if isinstance(loaded, dict):
        for key in _CHECKPOINT_KEYS:
            if isinstance(loaded.get(key), dict):
                loaded = loaded[key]
                break
    if not isinstance(loaded, dict) or not any(torch.is_tensor(v) for v in loaded.values()):
        found = type(loaded).__name__ + (f" with keys {sorted(map(str, loaded))[:8]}" if isinstance(loaded, dict)
                                         else "")
        raise KRNNError(f"{path!r} holds a {found}, not a state_dict of tensors; save the model's state_dict with "
                        "torch.save(model.state_dict(), PATH)")
    return {str(k): v.detach().to("cpu").float().numpy() for k, v in loaded.items() if torch.is_tensor(v)}


def describe(state: dict, embedding: str | None = None, readout: str | None = None) -> TorchCharLM:
    """The char-LM a state_dict holds (TorchCharLM), found by names and shapes; `embedding` / `readout`: the weight
    keys when the shapes leave a choice. KRNNError saying what is missing or what ours cannot compute."""
    heads = sorted(key[:-len("weight_ih_l0")] for key in state if key.endswith("weight_ih_l0"))
    if len(heads) != 1:
        raise KRNNError(f"the checkpoint holds {len(heads)} recurrent modules ({', '.join(heads) or 'no weight_ih_l0'});"
                        " a char-LM has one nn.LSTM, nn.GRU or nn.RNN (keys ...weight_ih_l0, weight_hh_l0, ...)")
    prefix = heads[0]
    if any(key.startswith(prefix) and key.endswith("_reverse") for key in state):
        raise KRNNError(f"{prefix!r} is bidirectional: a language model reads left to right (from_torch converts the "
                        "module itself)")
    if any(key.startswith(prefix + "weight_hr_l") for key in state):
        raise KRNNError(f"{prefix!r} has proj_size (weight_hr_l*): our LSTM keeps h at hidden_size")
    hidden = state[prefix + "weight_hh_l0"].shape[1]
    rows = state[prefix + "weight_hh_l0"].shape[0]
    if rows % hidden or rows // hidden not in _GATES:
        raise KRNNError(f"{prefix}weight_hh_l0 has shape {state[prefix + 'weight_hh_l0'].shape}: not an LSTM, GRU or "
                        "RNN's (4, 3 or 1 blocks of hidden_size rows)")
    layers = 0
    while prefix + f"weight_ih_l{layers}" in state:
        layers += 1
    input_size = state[prefix + "weight_ih_l0"].shape[1]
    others = {key: value for key, value in state.items() if not key.startswith(prefix) and value.ndim == 2}
    readout = readout or _pick([key for key, value in others.items() if value.shape[1] == hidden
                                and _bias_of(key) in state], "read-out (an nn.Linear(hidden, K) with a bias)", others,
                               "--readout")
    if readout not in state or state[readout].ndim != 2 or state[readout].shape[1] != hidden:
        raise KRNNError(f"--readout {readout!r} is not a 2-D weight of {hidden} columns in the checkpoint")
    size = state[readout].shape[0]
    if embedding is None:
        candidates = [key for key, value in others.items() if key != readout and value.shape == (size, input_size)]
        embedding = None if not candidates and input_size == size else _pick(
            candidates, f"embedding (an nn.Embedding({size}, {input_size}))", others, "--embedding")
    elif embedding not in state or state[embedding].shape != (size, input_size):
        raise KRNNError(f"--embedding {embedding!r} is not a [{size}, {input_size}] weight in the checkpoint")
    return TorchCharLM(_GATES[rows // hidden], layers, hidden, input_size, size, prefix + "bias_ih_l0" in state,
                       prefix, embedding, readout, state)


def _bias_of(weight_key: str) -> str:
    return weight_key[:-len("weight")] + "bias" if weight_key.endswith("weight") else weight_key + ".bias"


def _pick(candidates: list[str], what: str, others: dict, flag: str) -> str:
    if len(candidates) == 1:
        return candidates[0]
    shapes = ", ".join(f"{key} {tuple(value.shape)}" for key, value in others.items()) or "none"
    raise KRNNError(f"found {len(candidates)} candidates for the {what}: {', '.join(candidates) or 'none'} (2-D weights "
                    f"outside the recurrent module: {shapes}); name it with {flag}")


def torch_modules(model: TorchCharLM):
    """(embedding or None, recurrent module, read-out) as torch modules holding the state_dict's weights (eval mode)."""
    import torch

    recurrent = getattr(torch.nn, model.kind)(model.input_size, model.hidden, num_layers=model.layers,
                                              bias=model.bias, batch_first=True)
    recurrent.load_state_dict({key[len(model.recurrent):]: torch.from_numpy(value)
                               for key, value in model.state.items() if key.startswith(model.recurrent)})
    readout = torch.nn.Linear(model.hidden, model.vocabulary_size, bias=_bias_of(model.readout) in model.state)
    with torch.no_grad():
        readout.weight.copy_(torch.from_numpy(model.state[model.readout]))
        if readout.bias is not None:
            readout.bias.copy_(torch.from_numpy(model.state[_bias_of(model.readout)]))
    embedding = None
    if model.embedding is not None:
        embedding = torch.nn.Embedding.from_pretrained(torch.from_numpy(model.state[model.embedding]))
    return embedding, recurrent.eval(), readout.eval()


def sorted_order(characters: str) -> np.ndarray:
    """int [K]: the torch id of each character of our vocabulary, which is `characters` sorted by code point."""
    return np.array(sorted(range(len(characters)), key=lambda i: characters[i]), dtype=np.int64)


def to_char_lm(model: TorchCharLM, characters: str):
    """Our char-LM (`char_language_model`) computing the torch model's logits over `characters` (K of them, in the
    torch model's id order); its vocabulary is theirs sorted by code point (ours always is), the embedding's and the
    read-out's rows reordered to match."""
    from karpathy_rnn.layers import from_torch
    from karpathy_rnn.models import char_language_model

    if len(characters) != model.vocabulary_size:
        raise KRNNError(f"the vocabulary has {len(characters)} characters but the model's read-out {model.readout!r} "
                        f"has {model.vocabulary_size} rows; give the vocabulary the model was trained with")
    _, recurrent, _ = torch_modules(model)
    converted = from_torch(recurrent)
    order = sorted_order(characters)
    ours = char_language_model("".join(characters[i] for i in order), unit=_UNIT[model.kind], layers=model.layers,
                               hidden=model.hidden, reset_after=model.kind == "GRU")
    layers = [layer for layer in ours.layers if layer.name.startswith(_UNIT[model.kind])]
    embedding = (np.eye(model.vocabulary_size) if model.embedding is None
                 else model.state[model.embedding].astype(np.float64))[order]
    for index, (mine, theirs) in enumerate(zip(layers, converted)):
        values = theirs.get_weights()
        if index == 0:                    # fold the embedding into the input rows of every stacked kernel
            values = [np.concatenate([embedding @ value[:model.input_size].astype(np.float64),
                                      value[model.input_size:]]).astype(np.float32)
                      if value.ndim == 2 and value.shape[0] == model.input_size + model.hidden else value
                      for value in values]
        mine.set_weights(values)
    bias = model.state.get(_bias_of(model.readout), np.zeros(model.vocabulary_size, np.float32))
    ours.get_layer("logits").set_weights([model.state[model.readout][order].T.copy(), bias[order]])
    return ours


def torch_loss(model: TorchCharLM, ids: np.ndarray, chunk: int = 10_000) -> float:
    """Mean cross-entropy (nats per character) of the torch model on `ids` read as one stream from a zero state, each
    character predicted from those before it (the first is not scored)."""
    import torch

    embedding, recurrent, readout = torch_modules(model)
    total, count, states = 0.0, 0, None
    inputs, targets = ids[:-1], ids[1:]
    with torch.no_grad():
        for start in range(0, len(inputs), chunk):
            x = torch.from_numpy(inputs[start:start + chunk].astype(np.int64))[None]
            x = embedding(x) if embedding is not None else torch.nn.functional.one_hot(
                x, model.vocabulary_size).float()
            out, states = recurrent(x, states)
            logits = readout(out)[0].double()
            y = torch.from_numpy(targets[start:start + chunk].astype(np.int64))
            total += float(torch.nn.functional.cross_entropy(logits, y, reduction="sum"))
            count += len(y)
    return total / max(count, 1)


def keras_loss(char_lm, ids: np.ndarray, chunk: int = 10_000) -> float:
    """The same mean cross-entropy for our char-LM, read by its sampling Stepper (states carried from chunk to chunk)."""
    from karpathy_rnn.sampling import keras_stepper

    stepper = keras_stepper(char_lm)
    states, total, count = stepper.zero_states(1), 0.0, 0
    inputs, targets = ids[:-1], ids[1:]
    for start in range(0, len(inputs), chunk):
        logits, states = stepper.step(inputs[None, start:start + chunk], states)
        logits = np.asarray(logits, np.float64)[0]
        logits -= logits.max(axis=1, keepdims=True)
        log_probabilities = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        y = targets[start:start + chunk]
        total -= float(log_probabilities[np.arange(len(y)), y].sum())
        count += len(y)
    return total / count if count else math.nan
