"""The paper's Figure 1 (left) as data, the grid of its cells, and our table laid out like it.

Source: Karpathy, Johnson, Fei-Fei, "Visualizing and Understanding Recurrent Networks", ICLR 2016,
Figure 1 (left): test-set cross-entropy in nats per character; rows are the four parameter budgets
(named by the 1-layer LSTM's cells, 64/128/256/512), columns unit x layers. "-": not trained there.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from dataclasses import dataclass

from karpathy_rnn.training.budget import BUDGET_LSTM_CELLS, BUDGETS

FIGURE1_SOURCE = "Karpathy, Johnson, Fei-Fei, ICLR 2016, Figure 1 (left), test cross-entropy (nats/char)"
FIGURE1_UNITS = ("lstm", "rnn", "gru")          # the paper's column order
FIGURE1_LAYERS = (1, 2, 3)
FIGURE1_CORPORA = ("war_and_peace", "linux_kernel")

# one row per budget: LSTM 1 2 3, RNN 1 2 3, GRU 1 2 3 (None where the paper has "-")
_PAPER_ROWS = {
    "war_and_peace": {
        "50k": (1.449, 1.442, 1.540, 1.446, 1.401, 1.396, 1.398, 1.373, 1.472),
        "130k": (1.277, 1.227, 1.279, 1.417, 1.286, 1.277, 1.230, 1.226, 1.253),
        "400k": (1.189, 1.137, 1.141, 1.342, 1.256, 1.239, 1.198, 1.164, 1.138),
        "1.3m": (1.161, 1.092, 1.082, None, None, None, 1.170, 1.201, 1.077),
    },
    "linux_kernel": {
        "50k": (1.355, 1.331, 1.366, 1.407, 1.371, 1.383, 1.335, 1.298, 1.357),
        "130k": (1.149, 1.128, 1.177, 1.241, 1.120, 1.220, 1.154, 1.125, 1.150),
        "400k": (1.026, 0.972, 0.998, 1.171, 1.116, 1.116, 1.039, 0.991, 1.026),
        "1.3m": (0.952, 0.840, 0.846, None, None, None, 0.943, 0.861, 0.829),
    },
}

PAPER_TEST_LOSS = {
    (corpus, budget, unit, layers): row[3 * FIGURE1_UNITS.index(unit) + layers - 1]
    for corpus, rows in _PAPER_ROWS.items() for budget, row in rows.items()
    for unit in FIGURE1_UNITS for layers in FIGURE1_LAYERS
}


@dataclass(frozen=True)
class GridCell:
    """One model of the grid: corpus x budget x unit x layers."""

    corpus: str
    budget: str
    unit: str
    layers: int

    @property
    def name(self) -> str:
        """The run directory name, e.g. 'war_and_peace-50k-lstm-2'."""
        return f"{self.corpus}-{self.budget}-{self.unit}-{self.layers}"

    @property
    def paper_test_loss(self) -> float | None:
        """The paper's Figure 1 number for this cell (None where it has none)."""
        return PAPER_TEST_LOSS.get((self.corpus, self.budget, self.unit, self.layers))


def grid_cells(corpora=FIGURE1_CORPORA, budgets=BUDGETS, units=FIGURE1_UNITS, layers=FIGURE1_LAYERS) -> list[GridCell]:
    """Every cell of the cross product, in Figure 1's order (corpus, budget, unit, layers)."""
    return [GridCell(c, b, u, n) for c, b, u, n in itertools.product(corpora, budgets, units, layers)]


def shard(cells: list, index: int, count: int) -> list:
    """The index-th (1-based) of `count` disjoint slices of `cells`, dealt round-robin so shards cost alike."""
    return cells[index - 1::count]


def _format(value, digits=3, signed=False) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


DIFFERS_BY = 2.0    # standard deviations (block bootstrap) beyond which ours and the paper's number differ


def differs(difference: float | None, result: dict) -> bool:
    """Whether ours differs from the paper's by more than DIFFERS_BY block-bootstrap standard deviations (the i.i.d.
    figure of the paper's caption understates the error); False when either is unknown."""
    spread = result.get("test_loss_std_block")
    return difference is not None and spread is not None and abs(difference) > DIFFERS_BY * spread


def figure1_markdown(results: dict) -> str:
    """A Markdown table like Figure 1: per cell 'ours (paper, ours - paper)'; `results` maps GridCell -> dict."""
    corpora = [c for c in FIGURE1_CORPORA if any(cell.corpus == c for cell in results)] or list(FIGURE1_CORPORA)
    corpora += sorted({cell.corpus for cell in results} - set(corpora))
    header = "| size | " + " | ".join(f"{u.upper()} {n}" for u in FIGURE1_UNITS for n in FIGURE1_LAYERS) + " |"
    lines = [f"Test cross-entropy (nats/char): ours (paper; ours - paper). Paper: {FIGURE1_SOURCE}. "
             f"*: ours and the paper's differ by more than {DIFFERS_BY} block-bootstrap standard deviations of ours "
             "(blocks of 1,000 characters: neighbouring characters' losses are correlated).", ""]
    for corpus in corpora:
        lines += [f"**{corpus}**", "", header, "|---" * (1 + len(FIGURE1_UNITS) * len(FIGURE1_LAYERS)) + "|"]
        for budget in BUDGETS:
            cells = []
            for unit, layers in itertools.product(FIGURE1_UNITS, FIGURE1_LAYERS):
                cell = GridCell(corpus, budget, unit, layers)
                ours = results.get(cell, {}).get("test_loss_nats")
                paper = cell.paper_test_loss
                diff = None if ours is None or paper is None else ours - paper
                chosen = results.get(cell, {})
                dropout = chosen.get("config", {}).get("dropout")
                cells.append(f"{_format(ours)} ({_format(paper)}; {_format(diff, signed=True)})"
                             + ("*" if differs(diff, chosen) else "")
                             + (f" d={dropout:g}" if len(chosen.get("dropout_tried", [])) > 1 or dropout else ""))
            lines.append(f"| {budget} ({BUDGET_LSTM_CELLS[budget]}) | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


DIFFERENCE_TOLERANCE = 0.02   # nats: issue 33's goal for differences between models, ours against the paper's


def model_differences(results: dict) -> list[dict]:
    """Each finished cell minus its budget's 1-layer LSTM and minus the same model one budget below (Figure 1's two
    readings), ours beside the paper's: dicts with cell, minus, ours, paper, gap (ours - paper) and std (the two
    block-bootstrap deviations added in quadrature: an upper bound, as both models read the same test text)."""
    rows = []
    for cell in grid_order(results):
        below = BUDGETS.index(cell.budget) - 1 if cell.budget in BUDGETS else -1
        others = [GridCell(cell.corpus, cell.budget, "lstm", 1),
                  GridCell(cell.corpus, BUDGETS[below], cell.unit, cell.layers) if below >= 0 else None]
        for other in others:
            if other is None or other == cell or results.get(other, {}).get("test_loss_nats") is None:
                continue
            mine, theirs = results[cell], results[other]
            if mine.get("test_loss_nats") is None:
                continue
            ours = mine["test_loss_nats"] - theirs["test_loss_nats"]
            paper = (None if cell.paper_test_loss is None or other.paper_test_loss is None
                     else cell.paper_test_loss - other.paper_test_loss)
            spreads = (mine.get("test_loss_std_block"), theirs.get("test_loss_std_block"))
            rows.append({"cell": cell, "minus": other, "ours": ours, "paper": paper,
                         "gap": None if paper is None else ours - paper,
                         "std": None if None in spreads else math.hypot(*spreads)})
    return rows


def grid_order(results: dict) -> list:
    """The cells of `results` in Figure 1's order: corpus, budget, then the paper's unit columns and depth."""
    def key(cell):
        return (FIGURE1_CORPORA.index(cell.corpus) if cell.corpus in FIGURE1_CORPORA else 99, cell.corpus,
                BUDGETS.index(cell.budget) if cell.budget in BUDGETS else 99,
                FIGURE1_UNITS.index(cell.unit) if cell.unit in FIGURE1_UNITS else 99, cell.unit, cell.layers)
    return sorted(results, key=key)


def differences_markdown(results: dict) -> str:
    """model_differences as a Markdown table, each gap judged against DIFFERENCE_TOLERANCE."""
    lines = [f"Differences between models (test nats/char): each cell minus its budget's 1-layer LSTM and minus the "
             f"same model one budget below, ours and the paper's; goal: ours - paper within {DIFFERENCE_TOLERANCE} "
             "nats. +-: the two models' block-bootstrap deviations in quadrature (an upper bound: both read the "
             "same text).", "",
             "| corpus | model | minus | ours | paper | ours - paper | +- | within 0.02 |",
             "|---|---|---|---:|---:|---:|---:|---|"]
    for row in model_differences(results):
        cell, other, gap = row["cell"], row["minus"], row["gap"]
        verdict = "-" if gap is None else ("yes" if abs(gap) <= DIFFERENCE_TOLERANCE else "no")
        lines.append(f"| {cell.corpus} | {cell.budget} {cell.unit.upper()} {cell.layers} | {other.budget} "
                     f"{other.unit.upper()} {other.layers} | {_format(row['ours'], signed=True)} | "
                     f"{_format(row['paper'], signed=True)} | {_format(gap, signed=True)} | "
                     f"{_format(row['std'])} | {verdict} |")
    return "\n".join(lines)


CSV_COLUMNS = ("corpus", "budget", "unit", "layers", "hidden", "params", "epochs", "dropout", "test_loss_nats",
               "test_loss_std", "test_loss_std_block", "paper_test_loss_nats", "difference")


def figure1_csv(results: dict) -> str:
    """One CSV row per finished cell (ours, the paper's number and the difference)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for cell in sorted(results, key=lambda c: (c.corpus, BUDGETS.index(c.budget) if c.budget in BUDGETS else 99,
                                                c.unit, c.layers)):
        result, paper = results[cell], cell.paper_test_loss
        ours = result.get("test_loss_nats")
        writer.writerow([cell.corpus, cell.budget, cell.unit, cell.layers, result.get("hidden"), result.get("params"),
                         result.get("epochs_completed"), result.get("config", {}).get("dropout", ""),
                         _format(ours, 4), _format(result.get("test_loss_std"), 4),
                         _format(result.get("test_loss_std_block"), 4), _format(paper), _format(None if ours is None or paper is None else ours - paper, 4,
                                                 signed=True)])
    return out.getvalue()


def parse_shard(text: str) -> tuple[int, int]:
    """'I/N' -> (I, N) with 1 <= I <= N, or a clear error."""
    from karpathy_rnn.errors import KRNNError

    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise KRNNError(f"--shard {text!r} must be I/N, e.g. 2/4 for the second of four machines") from None
    if not 1 <= index <= count:
        raise KRNNError(f"--shard {text!r} needs 1 <= I <= N (the first of four is 1/4)")
    return index, count


def collect_results(*folders: str) -> dict:
    """{GridCell: results dict} of every run directory under the folders (LOGDIR, a --keep folder) with a results.json
    of a budgeted run; a run name found in several folders is read from the first. Where a cell was trained at several
    dropout rates (grid.py --dropout 0 0.25 0.5), the run with the lowest validation loss, with "dropout_tried": every
    rate tried (the paper cross-validates dropout per model, section 3.3)."""
    import os

    from karpathy_rnn.training.run_dir import read_results

    found, seen = {}, set()
    for folder in folders:
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if name in seen:
                continue
            result = read_results(os.path.join(folder, name))
            if result is None:
                continue
            seen.add(name)
            config = result.get("config", {})
            if config.get("budget") is None:
                continue
            cell = GridCell(config["corpus_name"], config["budget"], config["unit"], config["layers"])
            tried = sorted({*found.get(cell, {}).get("dropout_tried", []), float(config.get("dropout", 0.0))})
            if cell not in found or (result.get("val_loss_nats", float("inf"))
                                     < found[cell].get("val_loss_nats", float("inf"))):
                found[cell] = result
            found[cell] = {**found[cell], "dropout_tried": tried}
    return found


def keep_results(run_dir: str, keep_dir: str) -> str | None:
    """Copy a finished run's results.json to KEEP_DIR/<run name>/results.json (small JSON a repository can hold, so
    that later sittings and other machines skip the cell without its checkpoints); the path, or None if unfinished."""
    import os

    from karpathy_rnn.training.run_dir import RESULTS_FILE, read_results, write_json

    result = read_results(run_dir)
    if result is None:
        return None
    folder = os.path.join(keep_dir, os.path.basename(os.path.normpath(run_dir)))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, RESULTS_FILE)
    write_json(path, result)
    return path


def dropout_run_name(cell: GridCell, dropout: float) -> str:
    """A cell's run directory at one dropout rate: the cell's name without dropout, '<name>-dropout0.25' with."""
    return cell.name if not dropout else f"{cell.name}-dropout{dropout:g}"
