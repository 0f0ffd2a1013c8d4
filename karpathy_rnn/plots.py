"""Matplotlib figures of the analyses as PNG/SVG: Figure 2 (text coloured by a cell), Figure 3 (gate saturation),
Figure 4 (error overlap, per-character advantage), Figure 5 left (the closing-brace study), Figure 6 left (the
oracle pies) and Figure 1 right (the model-agreement t-SNE)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from karpathy_rnn.render import activation_colors, scale_ends, text_colors, text_grid  # noqa: E402

FONT_SIZE = 9                    # points
ADVANCE = 1233 / 2048            # DejaVu Sans Mono's character advance, in em
LINE_HEIGHT = 1.35               # em
LAYER_COLORS = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b")


def draw_colored_text(ax, text: str, values: np.ndarray, width: int = 100, title: str = "",
                      value_range=(-1.0, 1.0)) -> None:
    """Draw `text` on `ax` with each character's background coloured by its value on `value_range` (its low end red,
    its middle white, its high end blue: -1, 0, +1 for a state, 0, 0.5, 1 for a gate); the title names the scale."""
    lines, grid = text_grid(text, values, width)
    rows = max(len(lines), 1)
    colors = (activation_colors(grid.reshape(-1), value_range).reshape(*grid.shape, 3) if len(lines)
              else np.full((1, width, 3), 255))
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
        low, middle, high = scale_ends(value_range)
        ax.set_title(f"{title}  [red {low}, white {middle}, blue {high}]", fontsize=FONT_SIZE + 1, loc="left",
                      parse_math=False)


def colored_text_figure(panels: list[tuple], width: int = 100):
    """A figure of stacked panels (title, text, values [N][, value_range]), each drawn by draw_colored_text at 1 data
    unit = 1 em (the range -1..+1 when a panel gives none)."""
    panels = [tuple(panel) + ((-1.0, 1.0),) * (4 - len(panel)) for panel in panels]
    title_space, gap, margin = 2.0, 1.0, 0.6                       # em
    rows = [max(len(text_grid(text, values, width)[0]), 1) for _, text, values, _ in panels]
    total = sum(title_space + r * LINE_HEIGHT + gap for r in rows) + margin
    wide = width * ADVANCE + 2 * margin
    inch_per_em = FONT_SIZE / 72
    figure = plt.figure(figsize=(wide * inch_per_em, total * inch_per_em))
    top = total - margin / 2
    for count, (title, text, values, value_range) in zip(rows, panels):
        top -= title_space
        height = count * LINE_HEIGHT
        ax = figure.add_axes((margin / wide, (top - height) / total, width * ADVANCE / wide, height / total))
        draw_colored_text(ax, text, values, width, title, value_range)
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


# where each region's count goes in a three-circle overlap figure: bits of the models that err there
_CIRCLES = ((-0.55, 0.35), (0.55, 0.35), (0.0, -0.55))          # centres, radius 1
_REGION_SPOTS = {0b001: (-1.0, 0.65), 0b010: (1.0, 0.65), 0b100: (0.0, -1.05), 0b011: (0.0, 0.85),
                 0b101: (-0.75, -0.35), 0b110: (0.75, -0.35), 0b111: (0.0, 0.05)}


def error_overlap_figure(regions: dict[tuple[str, ...], int], title: str = ""):
    """Figure 4 (left): three circles, one per model's errors, each region labelled with its count (the
    `regions` of longrange.error_overlap, three models)."""
    from matplotlib.patches import Circle

    names = [name for key in regions if len(key) == 1 for name in key]
    if len(names) != 3:
        raise ValueError(f"the overlap figure draws three models, got {names}")
    figure, ax = plt.subplots(figsize=(4.6, 4.4))
    for (x, y), name, color in zip(_CIRCLES, names, LAYER_COLORS):
        ax.add_patch(Circle((x, y), 1.0, facecolor=color, alpha=0.25, edgecolor=color, linewidth=1.5))
        ax.text(x * 2.1, y * 1.95 + (0.2 if y > 0 else -0.25), name, ha="center", va="center", fontsize=10,
                color=color, parse_math=False)
    for key, count in regions.items():
        if key:
            bits = sum(1 << names.index(name) for name in key)
            ax.text(*_REGION_SPOTS[bits], f"{count:,}", ha="center", va="center", fontsize=9)
    ax.text(1.55, -1.55, f"no model errs: {regions.get((), 0):,}", ha="right", fontsize=8, color="0.4")
    ax.set_xlim(-1.9, 1.9)
    ax.set_ylim(-1.9, 1.9)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title or "test-set errors (p < 0.5) of each model", fontsize=10, parse_math=False)
    return figure


def advantage_figure(labels: list[list[str]], means: list[np.ndarray], names: tuple[str, str], title: str = ""):
    """Figure 4 (middle/right): two panels of grouped bars, the characters where model A leads most and where
    model B leads most; `labels` [2][top] character labels, `means` [2] arrays [top, 2] of (A, B) means."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.2), squeeze=False)
    for ax, shown, values, leader in zip(axes[0], labels, means, names):
        values = np.asarray(values, np.float64).reshape(-1, 2)
        x = np.arange(len(shown))
        for column, (name, color) in enumerate(zip(names, ("#d62728", "#1f77b4"))):   # the paper: LSTM red
            ax.bar(x + (column - 0.5) * 0.4, values[:, column], 0.4, color=color, label=name)
        ax.set_xticks(x, shown)
        for tick in ax.get_xticklabels():
            tick.set_parse_math(False)                   # user characters: a $ is a dollar
        ax.set_ylim(0, 1)
        ax.set_ylabel("mean probability of the correct character")
        ax.set_title(f"where {leader} leads most", fontsize=10, parse_math=False)
    axes[0][0].legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def brace_figure(starts: np.ndarray, means: dict[str, np.ndarray], counts: np.ndarray, width: int = 20, title: str = ""):
    """Figure 5 (left): per distance bucket [B] to the matching `{`, each model's mean probability of `}`, with
    the number of braces in each bucket written above it."""
    figure, ax = plt.subplots(figsize=(6.4, 3.6))
    centres = np.asarray(starts) + (width - 1) / 2
    for (name, values), color in zip(means.items(), ("#d62728", "#1f77b4", "#2ca02c")):
        ax.plot(centres, values, marker="o", markersize=3, color=color, label=name)
    for x, count in zip(centres, counts):
        ax.text(x, 1.02, f"{int(count):,}", ha="center", va="bottom", fontsize=6, rotation=90, color="0.4")
    ax.set_ylim(0, 1.15)
    ax.set_xlabel(f"distance to the matching {{ (characters, bins of {width})")
    ax.set_ylabel("mean probability of }")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title or "closing brace by distance to its opening brace", fontsize=10, parse_math=False)
    figure.tight_layout()
    return figure


def dynamics_figure(rows: dict[str, dict[str, np.ndarray]], title: str = ""):
    """Figure 5 (right): per n-NN {name: {"epoch", "symmetric_kl", "delta_loss": [P]}}, the symmetric KL between
    the training model and the n-NN (left panel) and the n-NN's loss minus the model's (right panel) against
    training epochs."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(len(rows), 1)))
    for (name, values), color in zip(rows.items(), colors):
        left.plot(values["epoch"], values["symmetric_kl"], color=color, label=name, linewidth=1.2)
        right.plot(values["epoch"], values["delta_loss"], color=color, label=name, linewidth=1.2)
    right.axhline(0, color="0.5", linewidth=0.8, linestyle="--")
    left.set_ylabel("mean symmetric KL (nats)")
    right.set_ylabel("loss of n-NN - loss of model (nats/char)")
    for ax in (left, right):
        ax.set_xlabel("epoch")
    left.legend(fontsize=8)
    figure.suptitle(title or "the model against the n-NNs while it trains", fontsize=10)
    figure.tight_layout()
    return figure


def emergence_figure(body: dict, title: str = ""):
    """Interpretable cells over training (analysis.over_training.emergence's body): each feature's best |r| against
    the training step, a dashed line at the threshold, each feature's first step past it marked."""
    figure, ax = plt.subplots(figsize=(7, 3.6))
    colors = plt.get_cmap("tab10")(np.arange(max(len(body["features"]), 1)) % 10)
    for entry, color in zip(body["features"], colors):
        steps = np.array([p["step"] for p in entry["points"]], np.float64)
        best = np.array([np.nan if p["r"] is None else abs(p["r"]) for p in entry["points"]], np.float64)
        ax.plot(steps, best, marker="o", markersize=3, linewidth=1.2, color=color, label=entry["feature"])
        if entry["first_step"] is not None:
            ax.axvline(entry["first_step"], color=color, linewidth=0.6, linestyle=":")
    ax.axhline(body["threshold"], color="0.4", linewidth=0.8, linestyle="--")
    ax.set_ylim(0, 1)
    ax.set_xlabel("training step")
    ax.set_ylabel("best |r| of a cell with the feature")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(title or "interpretable cells over training", fontsize=10, parse_math=False)
    figure.tight_layout()
    return figure


# Figure 6's oracle groups (summary.ORACLE_GROUPS) as colour maps; slices within a group get lighter one by one.
ORACLE_COLORMAPS = {"n-gram": "Blues", "memory": "Greens", "rare words": "Purples", "word": "Oranges",
                    "punctuation": "GnBu", "boost": "Greys", "remaining": "Reds"}


def oracle_pie_figure(pies: dict[str, list[tuple[str, str, int]]], title: str = ""):
    """Figure 6 (left), one pie per model {model: [(slice, group, errors)]}: the slices in the order the oracles
    removed them, from the top counter-clockwise as the paper draws them, labelled with their share."""
    figure, axes = plt.subplots(1, len(pies), figsize=(5.2 * len(pies), 5.0), squeeze=False)
    for ax, (model, slices) in zip(axes[0], pies.items()):
        shown = [(name, group, errors) for name, group, errors in slices if errors > 0]
        total = sum(errors for _, _, errors in shown)
        per_group = {group: [n for n, g, _ in shown if g == group] for _, group, _ in shown}
        colors = [plt.get_cmap(ORACLE_COLORMAPS.get(group, "Greys"))(
                  0.75 - 0.45 * per_group[group].index(name) / max(len(per_group[group]) - 1, 1))
                  for name, group, _ in shown]
        labels = [name if errors / max(total, 1) >= 0.02 else "" for name, _, errors in shown]
        ax.pie([errors for _, _, errors in shown], labels=labels, colors=colors, startangle=90, counterclock=True,
               autopct=lambda pct: f"{pct:.0f}%" if pct >= 2 else "", pctdistance=0.8,
               textprops={"fontsize": 7}, wedgeprops={"linewidth": 0.5, "edgecolor": "white"})
        ax.set_title(f"{model}: {total:,} errors", fontsize=9, parse_math=False)
    figure.suptitle(title or "errors removed by each oracle, in order", fontsize=10)
    figure.tight_layout()
    return figure


UNIT_COLORS = {"lstm": "#1f77b4", "gru": "#2ca02c", "rnn": "#d62728", "nlstm": "#9467bd"}
DEPTH_MARKERS = {1: "o", 2: "s", 3: "^"}


def agreement_figure(embedding: np.ndarray, models: list[dict], title: str = ""):
    """Figure 1 (right): the t-SNE embedding [M, 2] of M models [{"name", "unit", "layers", "params"}], coloured
    by unit, sized by parameters, marked by depth (circle 1, square 2, triangle 3 or more layers)."""
    figure, ax = plt.subplots(figsize=(6.0, 5.0))
    params = np.array([max(int(m["params"]), 1) for m in models], np.float64)
    span = np.log(params.max() / params.min()) if params.max() > params.min() else 1.0
    sizes = 40 + 260 * np.log(params / params.min()) / span
    names = [m["name"] for m in models]
    common = os.path.commonprefix(names) if len(names) > 1 else ""
    cut = max(common.rfind("-"), common.rfind("_")) + 1           # "war_and_peace-50k-lstm-1" -> "50k-lstm-1"
    for (x, y), model, size in zip(np.asarray(embedding), models, sizes):
        ax.scatter([x], [y], s=size, c=UNIT_COLORS.get(model["unit"], "0.5"),
                   marker=DEPTH_MARKERS.get(min(int(model["layers"]), 3), "o"), alpha=0.8, edgecolors="black",
                   linewidths=0.5)
        ax.annotate(model["name"][cut:], (x, y), fontsize=7, xytext=(5, 5), textcoords="offset points",
                    annotation_clip=False)
    handles = [plt.Line2D([], [], linestyle="", marker="o", color=color, label=unit.upper())
               for unit, color in UNIT_COLORS.items() if any(m["unit"] == unit for m in models)]
    handles += [plt.Line2D([], [], linestyle="", marker=marker, color="0.4", label=f"{depth} layer{'s' * (depth > 1)}")
                for depth, marker in DEPTH_MARKERS.items() if any(min(int(m["layers"]), 3) == depth for m in models)]
    ax.legend(handles=handles, fontsize=7, loc="best")
    ax.margins(0.25)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or "t-SNE of model agreement on the most likely character", fontsize=10, parse_math=False)
    figure.tight_layout()
    return figure


def accuracy_by_seen_figure(tables: dict[str, dict], longest: int = 12, title: str = ""):
    """Distill 2019's accuracy graph: per model {"seen": [S], "accuracy": [S, 3]} (analysis.autocomplete
    accuracy_by_seen), accuracy against characters of the word seen (0: only the space before it), top-1 solid,
    top-2 dashed, top-3 dotted; rows past `longest` left out (few words are that long)."""
    figure, ax = plt.subplots(figsize=(6.4, 4.2))
    styles = ("-", "--", ":")
    for index, (name, table) in enumerate(tables.items()):
        seen = np.asarray(table["seen"])[: longest + 1]
        accuracy = np.asarray(table["accuracy"], np.float64)[: longest + 1]
        color = UNIT_COLORS.get(next((u for u in UNIT_COLORS if f"-{u}-" in f"-{name}-"), ""), f"C{index}")
        for k in range(accuracy.shape[1]):
            ax.plot(seen, 100 * accuracy[:, k], styles[k % 3], color=color, marker="o", markersize=2.5,
                    label=f"{name}, top {k + 1}")
    ax.set_xlabel("characters of the word seen (0: only the space before it)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, ncol=2, loc="lower right")
    ax.set_title(title or "Autocomplete accuracy against characters seen", fontsize=10, parse_math=False)
    figure.tight_layout()
    return figure


def save_figure(figure, path: str) -> str:
    """Write `figure` to `path` (.png at 120 dpi or .svg), atomically (a killed write leaves the earlier file), and
    close it."""
    from karpathy_rnn.atomic import atomic_file

    try:
        with atomic_file(path, "wb") as handle:
            figure.savefig(handle, dpi=120, format=os.path.splitext(path)[1].lstrip(".").lower() or "png")
    finally:
        plt.close(figure)
    return path
