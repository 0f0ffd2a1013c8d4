"""Views in a notebook: the plugin's self-contained figures as inline HTML (Jupyter shows `_repr_html_`).

    from karpathy_rnn import show
    show.colored_text("runs/war_and_peace-lstm-2x128", "The quick brown fox", layer=2, cell=26)

`colored_text` takes a run directory, a .keras file, a SavedModel folder or a Keras char-LM in memory; the cell is
coloured on its own scale (a gate 0..1, a state -1..+1) with the same key and escaping as `analyze.py color` and the
plugin's export.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

CHUNK = 1000     # characters run per step of the carried-state model


class InlineHTML:
    """An HTML fragment a notebook renders inline (`_repr_html_`); `save(path)` writes it as a standalone page."""

    def __init__(self, fragment: str, title: str = ""):
        self.fragment, self.title = fragment, title

    def _repr_html_(self) -> str:
        return self.fragment

    def __str__(self) -> str:
        return self.fragment

    def save(self, path: str | os.PathLike) -> str:
        """Write a standalone UTF-8 page (atomically); returns the path."""
        from karpathy_rnn.atomic import atomic_file
        from karpathy_rnn.render import html_page

        with atomic_file(str(path), "w", encoding="utf-8") as handle:
            handle.write(html_page(self.title, self.fragment))
        return str(path)


@dataclass
class CellActivations:
    """One cell over a text: values [N] (tanh(c) for an LSTM's c) on `scale` (lo, hi), and a title naming it."""

    title: str
    text: str
    values: np.ndarray
    scale: tuple[float, float]


def open_model(run_or_model):
    """A GateModel (karpathy_rnn.analysis.extract) of a run directory, .keras file, SavedModel folder or Keras model."""
    from karpathy_rnn.analysis.extract import keras_gate_model, open_gate_model

    if isinstance(run_or_model, (str, os.PathLike)):
        return open_gate_model(run_or_model)
    return keras_gate_model(run_or_model)


def check_cell(layer, cell: int) -> None:
    """KRNNError unless `cell` is a cell of `layer` (anything with name and units)."""
    from karpathy_rnn.errors import KRNNError

    if not 0 <= cell < layer.units:
        raise KRNNError(f"cell {cell} is out of range: layer {layer.name} has {layer.units} cells, "
                        f"0..{layer.units - 1}")


def cell_activations(run_or_model, text: str, layer: str | int = 1, cell: int = 0,
                     state: str | None = None) -> CellActivations:
    """Run `text` through the model (states carried in chunks) and read one cell of one layer: `state` is a gate or
    state name (default c for an LSTM, h otherwise). KRNNError naming a bad layer, cell, state or character."""
    from karpathy_rnn.analysis.cells import cell_values, value_range
    from karpathy_rnn.analysis.trace import find_layer
    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.errors import KRNNError

    if not text:
        raise KRNNError("the text is empty; give at least one character")
    model = open_model(run_or_model)
    info = find_layer(model.layers, layer)
    state = state or ("c" if "c" in info.gates else "h")
    if state not in info.gates:
        raise KRNNError(f"layer {info.name} ({info.unit.upper()}) has no {state!r}; it has {', '.join(info.gates)}")
    check_cell(info, cell)
    ids = Vocabulary(tuple(model.vocabulary)).encode(text)
    states, values = model.zero_states(1), []
    for start in range(0, len(ids), CHUNK):
        _, gates, states = model.step(ids[None, start:start + CHUNK], states)
        values.append(gates[(info.name, state)][0, :, cell])
    title = f"{info.name} cell {cell} ({'tanh(c)' if state == 'c' else state})"
    return CellActivations(title, text, cell_values(np.concatenate(values), state), value_range(info.unit, state))


def colored_text(run_or_model, text: str, layer: str | int = 1, cell: int = 0, state: str | None = None) -> InlineHTML:
    """The text coloured by one cell, as inline HTML with its scale's key (the Colored text view's export)."""
    from karpathy_rnn.render import colored_text_html

    shown = cell_activations(run_or_model, text, layer, cell, state)
    return InlineHTML(colored_text_html(shown.text, shown.values, shown.title, shown.scale), shown.title)
