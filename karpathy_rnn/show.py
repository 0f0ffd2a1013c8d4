"""Views in a notebook: the plugin's self-contained figures as inline HTML (Jupyter shows `_repr_html_`).

    from karpathy_rnn import show
    show.colored_text("runs/war_and_peace-lstm-2x128", "The quick brown fox", layer=2, cell=26)

`colored_text` takes a run directory, a .keras file, a SavedModel folder or a Keras char-LM in memory; the cell is
coloured on its own scale (a gate 0..1, a state -1..+1) with the same key and escaping as `analyze.py color` and the
plugin's export. The other views: `saturation(trace)` (Figure 3 and the paper's claims as numbers, from any trace:
a run's analysis, imported states), `oracles(path)` (Figure 6's pies and shares from `analyze.py oracles`'
oracles.json) and `connectivity(run_or_model, text, position)` (Distill 2019: each character's pull on the most
likely prediction at `position`, shaded green as the plugin does). Figures are embedded PNGs: each fragment is
self-contained.
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


def figure_html(figure, title: str = "", caption: str = "") -> InlineHTML:
    """A matplotlib figure as a self-contained fragment: the PNG embedded (base64), the title and caption escaped."""
    import base64
    import html
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=120)
    finally:
        plt.close(figure)
    image = base64.b64encode(buffer.getvalue()).decode("ascii")
    heading = f"<h3>{html.escape(title)}</h3>\n" if title else ""
    text = f"<figcaption>{caption}</figcaption>" if caption else ""
    return InlineHTML(f'{heading}<figure class="krnn-figure"><img alt="{html.escape(title, quote=True)}" '
                      f'src="data:image/png;base64,{image}">{text}</figure>\n', title)


def open_trace(trace_or_folder):
    """A Trace from a Trace, a trace folder, or a folder holding one as trace/ (an analysis' or import-states' OUT),
    or a run directory analysed on its test split (RUN/analysis/test/trace)."""
    from karpathy_rnn.analysis.trace import TRACE_META, Trace
    from karpathy_rnn.errors import KRNNError

    if isinstance(trace_or_folder, Trace):
        return trace_or_folder
    folder = os.fspath(trace_or_folder)
    for candidate in (folder, os.path.join(folder, "trace"), os.path.join(folder, "analysis", "test", "trace")):
        if os.path.isfile(os.path.join(candidate, TRACE_META)):
            return Trace(candidate)
    raise KRNNError(f"{folder!r} holds no trace (nor trace/ or analysis/test/trace under it); write one with "
                    "`python scripts/analyze.py RUN` or `analyze.py import-states`")


def saturation(trace_or_folder, title: str = "") -> InlineHTML:
    """Figure 3 of a trace (every gate unit's fractions of time left- and right-saturated, per layer) with the
    section 4.2 claims as numbers: the Saturation view's figure, as analyze.py writes figure3.png."""
    import html

    from karpathy_rnn.analysis.saturation import describe_claims, trace_saturation
    from karpathy_rnn.plots import saturation_figure

    trace = open_trace(trace_or_folder)
    report = trace_saturation(trace)
    title = title or f"Gate saturation: {trace.meta.get('source', '')}"
    claims = "".join(f"<li>{html.escape(claim)}</li>" for claim in describe_claims(report))
    return figure_html(saturation_figure(report.fractions, title), title, f"<ul>{claims}</ul>")


def oracles(path: str | os.PathLike, title: str = "") -> InlineHTML:
    """Figure 6's pies and each slice's share of the errors, from the oracles.json `analyze.py oracles` wrote (its
    path or its folder): the Error oracles view's figure."""
    import html
    import json

    from karpathy_rnn.errors import KRNNError
    from karpathy_rnn.plots import oracle_pie_figure

    path = os.fspath(path)
    path = os.path.join(path, "oracles.json") if os.path.isdir(path) else path
    try:
        with open(path, encoding="utf-8") as handle:
            models = json.load(handle)["models"]
        pies = {name: [(row["name"], row["group"], int(row["errors"])) for row in body["slices"]]
                for name, body in models.items()}
    except FileNotFoundError:
        raise KRNNError(f"{path!r} does not exist; write it with `python scripts/analyze.py oracles RUN`") from None
    except (ValueError, KeyError, TypeError) as error:
        raise KRNNError(f"{path} is not an oracles.json of analyze.py oracles ({error}); write it again") from None
    title = title or "Errors removed by each oracle, in order"
    rows = "".join(f"<tr><td>{html.escape(name)}</td><td>{html.escape(row['name'])}</td><td>{row['errors']:,}</td>"
                   f"<td>{100 * row['share']:.1f}%</td></tr>"
                   for name, body in models.items() for row in body["slices"])
    table = (f"<table><tr><th>model</th><th>oracle</th><th>errors removed</th><th>share</th></tr>{rows}</table>")
    return figure_html(oracle_pie_figure(pies, title), title, table)


CONNECTIVITY_GREEN = (53, 183, 121)    # the plugin's (and the article's) colour of the largest connectivity


def connectivity(run_or_model, text: str, position: int) -> InlineHTML:
    """How strongly each character of `text` up to `position` drives the model's most likely prediction after it
    (|d logit / d one-hot input|, over the largest: white to the article's green), the character at `position`
    outlined: the Connectivity view's shading for any text, in the notebook."""
    import html

    from karpathy_rnn.analysis.connectivity import Connectivity, top_predictions
    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.errors import KRNNError

    if isinstance(run_or_model, (str, os.PathLike)):
        from karpathy_rnn.models import load_model
        from karpathy_rnn.sampling import resolve_model_path

        kind, path = resolve_model_path(run_or_model)
        if kind != "keras":
            raise KRNNError(f"{run_or_model!r} is a SavedModel; connectivity needs the Keras model (best.keras)")
        model = load_model(path)
    else:
        model = run_or_model
    if not text:
        raise KRNNError("the text is empty; give at least one character")
    if not 0 <= position < len(text):
        raise KRNNError(f"position {position} is outside the text's 0..{len(text) - 1}")
    from karpathy_rnn.models import model_characters

    characters = model_characters(model)
    ids = Vocabulary(tuple(characters)).encode(text)
    best, _ = top_predictions(model, ids[:position + 1], 1)
    target = int(best[position, 0])
    values = Connectivity(model).values(ids[:position + 1], [position], [target])[0]
    shade = values / max(float(values.max()), 1e-30)
    spans = []
    for index, character in enumerate(text):
        v = float(shade[index]) if index <= position else 0.0
        r, g, b = (round(255 + (c - 255) * v) for c in CONNECTIVITY_GREEN)
        outline = ";outline:2px solid #e8710a" if index == position else ""
        shown = "\u21b5\n" if character == "\n" else character
        spans.append(f'<span style="background:#{r:02x}{g:02x}{b:02x}{outline}" '
                     f'title="{float(values[index]) if index <= position else 0.0:.4g}">{html.escape(shown)}</span>')
    title = (f"Connectivity of the prediction after character {position} (most likely next: "
             f"{characters[target]!r})")
    return InlineHTML(f"<h3>{html.escape(title)}</h3>\n<pre class=\"krnn-cell\">{''.join(spans)}</pre>\n", title)
