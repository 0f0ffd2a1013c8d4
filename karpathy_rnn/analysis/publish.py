"""Write an analysed trace as the plugin's TensorBoard summaries (karpathy_rnn.summary) and as JSON/CSV files."""

from __future__ import annotations

import csv
import json
import os
import shutil

import numpy as np

from karpathy_rnn.analysis.cells import TRACKED_R, CellScore, cell_values, value_range
from karpathy_rnn.analysis.features import FEATURE_DESCRIPTIONS
from karpathy_rnn.analysis.saturation import LEFT, RIGHT, SaturationReport
from karpathy_rnn.analysis.trace import Trace
from karpathy_rnn.atomic import atomic_file
from karpathy_rnn.errors import KRNNError

EVENTS_SUFFIX = ".karpathy_rnn"
CELL_STATISTIC = "Pearson r of tanh(c) (LSTM) or h (GRU, RNN) with the feature, over every character"


def ranking_json(ranking: dict[str, list[CellScore]]) -> dict[str, list[dict]]:
    """{feature: [{"layer", "cell", "r"}]}: the JSON form of top_cells' result."""
    return {feature: [{"layer": s.layer, "cell": s.cell, "r": round(s.correlation, 6)} for s in cells]
            for feature, cells in ranking.items()}


def write_scores_csv(scores: dict[str, dict[str, np.ndarray]], path: str) -> str:
    """Every cell's r with every feature: rows layer, cell, then one column per feature."""
    features = list(next(iter(scores.values())))
    with atomic_file(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["layer", "cell", *features])
        for layer, by_feature in scores.items():
            table = np.stack([by_feature[f] for f in features], axis=1)
            for cell, row in enumerate(table.tolist()):
                writer.writerow([layer, cell, *("" if np.isnan(r) else f"{r:.6f}" for r in row)])
    return path


def ranking_coverage(features: dict[str, np.ndarray], ranked: list[str], stored: int, split: str = "") -> dict:
    """How much of the ranked text (features [N] each) the text summary's first `stored` characters hold, and per
    ranked feature the characters where it is non-zero in all N and in the stored ones, and the first stored one
    (None when it never occurs there): so the view can open a cell where its feature is and say when it is not."""
    length = len(next(iter(features.values()))) if features else 0
    stored = min(int(stored), length)
    counts = {}
    for name in ranked:
        on = np.asarray(features[name]) != 0
        hits = np.flatnonzero(on[:stored])
        counts[name] = {"ranked": int(on.sum()), "stored": int(hits.size), "first": int(hits[0]) if hits.size else None}
    return {"ranked": int(length), "stored": stored, "split": split, "features": counts}


def saturation_json(report: SaturationReport) -> dict:
    """The report as JSON: thresholds, claims, and per layer and gate the left/right fractions [units]."""
    return {"unit": report.unit, "left_below": LEFT, "right_above": RIGHT, "claims": report.claims,
            "fractions": {layer: {gate: {"left": np.round(left, 6).tolist(), "right": np.round(right, 6).tolist()}
                                  for gate, (left, right) in gates.items()} for layer, gates in report.fractions.items()}}


def write_csv(path: str, header: list[str], rows: list[list]) -> str:
    """A CSV file of `header` and `rows` at `path`, atomically."""
    with atomic_file(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerows(rows)
    return path


def write_json(data: dict, path: str) -> str:
    """`data` as indented JSON at `path`, atomically."""
    with atomic_file(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    return path


def fresh_events_writer(logdir: str, suffix: str):
    """A summary writer of a new events file ending in `suffix` in `logdir`; earlier events files with that suffix
    (an earlier analysis of the same kind) are removed first, so the plugin shows each summary once."""
    import tensorflow as tf

    os.makedirs(logdir, exist_ok=True)
    for name in os.listdir(logdir):
        if "tfevents" in name and name.endswith(suffix):
            os.remove(os.path.join(logdir, name))
    return tf.summary.create_file_writer(logdir, filename_suffix=suffix)


def replace_events(staging: str, logdir: str, suffix: str) -> None:
    """Move the events files written in `staging` into `logdir`, then remove `logdir`'s earlier ones ending in
    `suffix`: an analysis that fails or is killed before this leaves the earlier one whole (issue 32.7)."""
    os.makedirs(logdir, exist_ok=True)
    earlier = [name for name in os.listdir(logdir) if "tfevents" in name and name.endswith(suffix)]
    for name in sorted(os.listdir(staging)):
        if "tfevents" in name:
            incoming = os.path.join(logdir, f".incoming-{os.getpid()}")   # not an events file until renamed
            shutil.copyfile(os.path.join(staging, name), incoming)
            os.replace(incoming, os.path.join(logdir, name))
    for name in earlier:
        os.remove(os.path.join(logdir, name))


def write_summaries(trace: Trace, logdir: str, step: int, ranking: dict[str, list[CellScore]] | None,
                    saturation: SaturationReport | None, characters: int = 5000,
                    states: tuple[str, ...] | None = None, features: dict[str, np.ndarray] | None = None) -> str:
    """The plugin's summaries of `trace` into a new events file in `logdir` (an earlier analysis' removed), at `step`:
    see write_step_summaries."""
    check_states(trace, states)
    writer = fresh_events_writer(logdir, EVENTS_SUFFIX)
    with writer.as_default():
        write_step_summaries(trace, step, ranking, saturation, characters, states, features)
    writer.flush()
    writer.close()
    return logdir


def check_states(trace: Trace, states: tuple[str, ...] | None) -> None:
    """A KRNNError naming the layer and what it has unless every layer has each of `states`."""
    for layer in trace.layers:
        missing = [name for name in states or () if name not in layer.gates]
        if missing:
            raise KRNNError(f"layer {layer.name} ({layer.unit.upper()}) has no {', '.join(missing)}; "
                            f"its states and gates are {', '.join(layer.gates)}")


def write_step_summaries(trace: Trace, step: int, ranking: dict[str, list[CellScore]] | None,
                         saturation: SaturationReport | None, characters: int = 5000,
                         states: tuple[str, ...] | None = None, features: dict[str, np.ndarray] | None = None,
                         snapshots: int | None = None) -> None:
    """Into the default summary writer at `step`: the first `characters` characters of `trace` and each layer's
    `states` over them (default: its cell state and h), the cell ranking (with its coverage when the ranked
    `features` [N] are given, and the number of steps an analysis over training writes), the saturation."""
    from karpathy_rnn import summary

    characters = min(characters, trace.length)
    summary.write_text(trace.text[:characters], step, source=trace.meta.get("split", ""), start=0)
    for layer in trace.layers:
        for name in states or [name for name in dict.fromkeys([trace.cell_state_name(layer.name), "h"])
                               if name in layer.gates]:
            values = np.asarray(trace.gate(layer.name, name)[:characters], np.float32)
            summary.write_activations(layer.name, name, cell_values(values, name), step, layer.unit,
                                      value_range(layer.unit, name), "tanh" if name == "c" else "none")
    if ranking is not None:
        coverage = (ranking_coverage(features, list(ranking), characters, trace.meta.get("split", ""))
                    if features is not None else None)
        summary.write_cell_ranking(ranking_json(ranking), step, CELL_STATISTIC, FEATURE_DESCRIPTIONS, coverage,
                                   snapshots)
    if saturation is not None:
        for index, (layer, gates) in enumerate(saturation.fractions.items(), start=1):
            for gate, (left, right) in gates.items():
                summary.write_saturation(layer, gate, left, right, step, saturation.unit, index, (LEFT, RIGHT))


def write_report(path: str, trace: Trace, ranking: dict[str, list[CellScore]], claims: list[str], figures: list[str],
                 untracked: dict[str, float] | None = None, kind: str = "") -> str:
    """report.md: the trace, the top cells per feature, the saturation claims and links to the figures."""
    meta = trace.meta
    lines = [f"# Analysis of {meta.get('source', '?')}", "",
             f"{trace.length:,} characters of {meta.get('corpus', '?')} ({meta.get('split', '?')} split); "
             f"layers: {', '.join(f'{l.name} ({l.unit.upper()} x{l.units})' for l in trace.layers)}.", "",
             "## Interpretable cells (section 4.2, Figure 2)", "", f"Statistic: {CELL_STATISTIC}.", "",
             "| feature | top cells (layer cell: r) |", "|---|---|"]
    for feature, cells in ranking.items():
        lines.append(f"| {feature} | " + ", ".join(f"{s.layer} {s.cell}: {s.correlation:+.3f}" for s in cells) + " |")
    for feature, best in (untracked or {}).items():
        lines.append(f"| {feature} | " + (f"no cell tracks it (best \\|r\\| {best:.3f} < {TRACKED_R})" if best == best
                                          else "constant in this text (no r)") + " |")
    if kind:
        lines += ["", f"Features for {kind} text (karpathy_rnn.analysis.features.FEATURES_BY_KIND)."]
    if claims:
        lines += ["", "## Gate saturation (section 4.2, Figure 3)", ""] + [f"- {claim}" for claim in claims]
    lines += ["", "## Figures", ""] + [f"- [{os.path.basename(f)}]({os.path.basename(f)})" for f in figures]
    with atomic_file(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path
