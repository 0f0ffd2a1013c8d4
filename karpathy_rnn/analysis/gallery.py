"""The Figure 2 gallery: for each probe feature, its top cells, each drawn as text coloured by the cell (HTML and PNG)."""

from __future__ import annotations

import html
import os

import numpy as np

from karpathy_rnn.analysis.cells import CellScore, cell_values
from karpathy_rnn.analysis.features import FEATURE_DESCRIPTIONS
from karpathy_rnn.analysis.trace import Trace
from karpathy_rnn.render import colored_text_html, html_page

SNIPPET_CHARS = 600


def choose_snippet(feature: np.ndarray, length: int = SNIPPET_CHARS, text: str | None = None) -> tuple[int, int]:
    """[start, stop) of the `length`-character window where `feature` [N] varies most (starting a line if `text`)."""
    feature = np.asarray(feature, np.float64)
    n = len(feature)
    if n <= length:
        return 0, n
    sums = np.concatenate([[0.0], np.cumsum(feature)])
    squares = np.concatenate([[0.0], np.cumsum(feature ** 2)])
    window_sum = sums[length:] - sums[:-length]
    variance = (squares[length:] - squares[:-length]) / length - (window_sum / length) ** 2
    start = int(np.argmax(variance))
    if text is not None:                              # back up to the start of the line, by at most 100 characters
        line_start = text.rfind("\n", max(0, start - 100), start + 1)
        start = line_start + 1 if line_start >= 0 else start
    return start, min(start + length, n)


def cell_snippet_values(trace: Trace, layer: str, cell: int, start: int, stop: int) -> np.ndarray:
    """The colouring values [stop-start] of one cell (tanh(c) for LSTM, h otherwise) over characters [start, stop)."""
    state = trace.cell_state_name(layer)
    return cell_values(trace.gate(layer, state)[start:stop, cell], state)


def write_gallery(trace: Trace, ranking: dict[str, list[CellScore]], features: dict[str, np.ndarray],
                  out_dir: str, snippet: int = SNIPPET_CHARS, png: bool = True) -> list[str]:
    """figure2.html (every feature's top cells) and figure2_<feature>.png per feature; returns the paths written."""
    from karpathy_rnn.plots import colored_text_figure, save_figure

    os.makedirs(out_dir, exist_ok=True)
    text = trace.text
    sections, written = [], []
    for feature, cells in ranking.items():
        start, stop = choose_snippet(features[feature], snippet, text)
        panels = []
        for score in cells:
            values = cell_snippet_values(trace, score.layer, score.cell, start, stop)
            title = f"{score.layer} cell {score.cell}: r = {score.correlation:+.3f} with {feature}"
            panels.append((title, text[start:stop], values))
        sections.append(f"<h2>{html.escape(feature)}: {html.escape(FEATURE_DESCRIPTIONS.get(feature, ''))}</h2>\n"
                        f"<p>characters {start:,} to {stop:,} of the trace</p>\n" +
                        "".join(colored_text_html(text_, values, title) for title, text_, values in panels))
        if png:
            written.append(save_figure(colored_text_figure(panels), os.path.join(out_dir, f"figure2_{feature}.png")))
    page = html_page("Interpretable cells (Figure 2): tanh(c), -1 red, +1 blue", "".join(sections))
    html_path = os.path.join(out_dir, "figure2.html")
    with open(html_path, "w", encoding="utf-8") as handle:
        handle.write(page)
    return [html_path, *written]
