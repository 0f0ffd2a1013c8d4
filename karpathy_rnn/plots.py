"""Matplotlib figures of the analyses as PNG/SVG: Figure 2 (text coloured by a cell) and Figure 3 (gate saturation)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from karpathy_rnn.render import activation_colors, text_colors, text_grid  # noqa: E402

FONT_SIZE = 9                    # points
ADVANCE = 1233 / 2048            # DejaVu Sans Mono's character advance, in em
LINE_HEIGHT = 1.35               # em
LAYER_COLORS = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b")


def draw_colored_text(ax, text: str, values: np.ndarray, width: int = 100, title: str = "") -> None:
    """Draw `text` on `ax` with each character's background coloured by its value (-1 red, 0 white, +1 blue)."""
    lines, grid = text_grid(text, values, width)
    rows = max(len(lines), 1)
    colors = activation_colors(grid.reshape(-1)).reshape(*grid.shape, 3) if len(lines) else np.full((1, width, 3), 255)
    ax.imshow(colors, extent=(0, width * ADVANCE, rows * LINE_HEIGHT, 0), aspect="auto", interpolation="nearest")
    white = text_colors(colors.reshape(-1, 3))[:, 0].reshape(colors.shape[:2]) == 255 if len(lines) else None
    for row, line in enumerate(lines):      # two text artists per line: black, and white over dark backgrounds;
        for ink, keep in (("black", False), ("white", True)):      # monospace, so blanks keep the columns
            shown = "".join(c if white[row, col] == keep else " " for col, c in enumerate(line))
            if shown.strip():
                ax.text(0, (row + 0.78) * LINE_HEIGHT, shown, family="DejaVu Sans Mono", fontsize=FONT_SIZE,
                        va="baseline", color=ink, parse_math=False)   # user text: a $ is a dollar, not mathtext
    ax.set_xlim(0, width * ADVANCE)
    ax.set_ylim(rows * LINE_HEIGHT, 0)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=FONT_SIZE + 1, loc="left", parse_math=False)


def colored_text_figure(panels: list[tuple[str, str, np.ndarray]], width: int = 100):
    """A figure of stacked panels (title, text, values [N]), each drawn by draw_colored_text at 1 data unit = 1 em."""
    title_space, gap, margin = 2.0, 1.0, 0.6                       # em
    rows = [max(len(text_grid(text, values, width)[0]), 1) for _, text, values in panels]
    total = sum(title_space + r * LINE_HEIGHT + gap for r in rows) + margin
    wide = width * ADVANCE + 2 * margin
    inch_per_em = FONT_SIZE / 72
    figure = plt.figure(figsize=(wide * inch_per_em, total * inch_per_em))
    top = total - margin / 2
    for count, (title, text, values) in zip(rows, panels):
        top -= title_space
        height = count * LINE_HEIGHT
        ax = figure.add_axes((margin / wide, (top - height) / total, width * ADVANCE / wide, height / total))
        draw_colored_text(ax, text, values, width, title)
        top -= height + gap
    return figure


def saturation_figure(fractions: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]], title: str = ""):
    """Figure 3: one panel per gate type; a point per unit at (fraction right-, fraction left-saturated), coloured by layer."""
    gates = list(next(iter(fractions.values())))
    figure, axes = plt.subplots(1, len(gates), figsize=(3.4 * len(gates), 3.6), squeeze=False)
    for ax, gate in zip(axes[0], gates):
        for index, (layer, by_gate) in enumerate(fractions.items()):
            left, right = by_gate[gate]
            ax.scatter(right, left, s=9, alpha=0.6, color=LAYER_COLORS[index % len(LAYER_COLORS)],
                       label=f"layer {index + 1}", linewidths=0)
        ax.plot([0, 1], [1, 0], color="0.6", linewidth=0.8)       # left + right <= 1
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_aspect("equal")
        ax.set_xlabel("fraction right saturated")
        ax.set_ylabel("fraction left saturated")
        ax.set_title({"i": "input gate i", "f": "forget gate f", "o": "output gate o",
                      "r": "reset gate r", "z": "update gate z"}.get(gate, gate))
    axes[0][-1].legend(loc="upper right", fontsize=8, markerscale=2)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def save_figure(figure, path: str) -> str:
    """Write `figure` to `path` (.png at 120 dpi or .svg) and close it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
