"""The section 4.2 analyses at several training steps: for each weight snapshot a run kept (training/history.py), the
split traced, every cell ranked by its Pearson r with each probe feature, the gates' saturation, and the plugin's
summaries at that step (a fixed probe text: the split's first characters); then when each feature's best cell
emerges (its |r| first reaches 0.5). train.py --analyze-every N and analyze.py RUN --checkpoints all|LIST run it."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time

from karpathy_rnn.atomic import FolderLock
from karpathy_rnn.errors import KRNNError

EMERGENCE_R = 0.5            # a feature's cell has "emerged" once its |r| reaches this


def emergence(rankings: list[tuple[int, dict]], threshold: float = EMERGENCE_R, most: int | None = None) -> dict:
    """The best cell per feature at each step of [(step, cell ranking body {"features": {feature: [{"layer", "cell",
    "r"}]}, "descriptions", "statistic"})], oldest first, and the first step whose best |r| reaches `threshold` (None:
    never); a feature absent at a step (no cell listed) has r None there. With `most`, only the `most` features whose
    best |r| at any step is largest (ties: the first to appear), so an answer stays bounded whatever a file names.

    Returns {"threshold", "statistic", "steps", "features": [{"feature", "description", "first_step", "points":
    [{"step", "r", "layer", "cell"}]}], "features_total"}, features in the order they first appear."""
    strongest: dict[str, float] = {}
    for _, ranking in rankings:
        for feature, cells in ranking["features"].items():
            best = max((abs(c["r"]) for c in cells if math.isfinite(c["r"])), default=-1.0)
            strongest[feature] = max(strongest.get(feature, -1.0), best)
    kept = set(strongest if most is None else sorted(strongest, key=lambda f: -strongest[f])[:most])
    features: dict[str, dict] = {}
    for _, ranking in rankings:
        for feature in ranking["features"]:
            if feature in kept:
                features.setdefault(feature, {"feature": feature, "description": ranking["descriptions"].get(
                    feature, ""), "first_step": None, "points": []})
    for step, ranking in rankings:
        for feature, entry in features.items():
            cells = ranking["features"].get(feature) or []
            best = max(cells, key=lambda c: abs(c["r"]) if math.isfinite(c["r"]) else -1.0, default=None)
            r = best["r"] if best is not None and math.isfinite(best["r"]) else None
            entry["points"].append({"step": step, "r": r, "layer": best["layer"] if r is not None else None,
                                    "cell": best["cell"] if r is not None else None})
            if entry["first_step"] is None and r is not None and abs(r) >= threshold:
                entry["first_step"] = step
    return {"threshold": threshold, "statistic": rankings[-1][1].get("statistic", "") if rankings else "",
            "steps": [step for step, _ in rankings], "features": list(features.values()),
            "features_total": len(strongest)}


def ranking_at_step(scores: dict, top: int) -> dict:
    """The top cells of every feature with a finite r, however weak (cells.top_cells leaves out features below
    TRACKED_R, but a chart of |r| against step needs the weak early steps too)."""
    from karpathy_rnn.analysis.cells import top_cells

    return top_cells(scores, top, min_abs_r=0.0)


def emergence_rows(body: dict) -> list[list]:
    """emergence.csv's rows: step, feature, layer, cell, r, |r| (empty where no cell was listed)."""
    rows = []
    for entry in body["features"]:
        for point in entry["points"]:
            r = point["r"]
            rows.append([point["step"], entry["feature"], point["layer"] or "", "" if point["cell"] is None
                         else point["cell"], "" if r is None else f"{r:.6f}", "" if r is None else f"{abs(r):.6f}"])
    return rows


def report_lines(body: dict) -> list[str]:
    """Markdown: when each feature's cell emerged, its best cell at the last step, and (when the body has them) the
    mean saturated fraction of each layer's gates at each step."""
    lines = [f"| feature | first step with best \\|r\\| >= {body['threshold']} | best cell at step "
             f"{body['steps'][-1] if body['steps'] else '-'} |", "|---|---:|---|"]
    for entry in body["features"]:
        last = entry["points"][-1] if entry["points"] else {"r": None}
        best = "none" if last["r"] is None else f"{last['layer']} {last['cell']}: r {last['r']:+.3f}"
        lines.append(f"| {entry['feature']} | {'not yet' if entry['first_step'] is None else entry['first_step']} "
                     f"| {best} |")
    if body.get("saturated"):
        layers = list(body["saturated"][0]["layers"])
        lines += ["", "| step | " + " | ".join(f"{layer}: gates saturated (mean fraction)" for layer in layers) + " |",
                  "|---:|" + "---:|" * len(layers)]
        lines += [f"| {row['step']} | " + " | ".join(f"{row['layers'][layer]:.1%}" for layer in layers) + " |"
                  for row in body["saturated"]]
    return lines


def history_model(run_dir: str):
    """The run's char-LM built from its config.json (no weights loaded yet), ready for a snapshot's load_weights."""
    from karpathy_rnn.models import char_language_model
    from karpathy_rnn.training.config import TrainConfig
    from karpathy_rnn.training.run_dir import read_config
    from karpathy_rnn.training.trainer import model_size

    saved = read_config(run_dir)
    if not saved or not saved.get("vocabulary"):
        raise KRNNError(f"{run_dir} has no config.json with a vocabulary: is it a run directory of scripts/train.py?")
    config = TrainConfig.from_dict(saved)
    hidden, _ = model_size(config, len(saved["vocabulary"]))
    return char_language_model(saved["vocabulary"], config.unit, config.layers, hidden, depth=config.depth,
                               fused_xla=config.xla)


def analyze_history(run_dir: str, corpus, checkpoints: str = "all", split: str = "val", out: str | None = None,
                    logdir: str | None = None, summary_chars: int = 5000, feature_kind: str = "auto", top: int = 3,
                    lanes: int = 1, warmup: int = 512, log=print) -> dict:
    """The section 4.2 analyses at each of the run's snapshots `checkpoints` ("all" or "0,500,..."), over `corpus`'s
    `split`: summaries at each step into `logdir` (default OUT = RUN/analysis/training/SPLIT), and under OUT
    emergence.json, emergence.csv, emergence.png and report.md. Returns the emergence body."""
    from karpathy_rnn.analysis.extract import keras_gate_model, trace_ids
    from karpathy_rnn.models import check_vocabulary
    from karpathy_rnn.training.history import choose_steps

    steps = choose_steps(run_dir, checkpoints)
    model = history_model(run_dir)
    check_vocabulary(model, corpus.vocabulary)
    gates = keras_gate_model(model, os.path.join(run_dir, "history"))
    ids = corpus.scoring_ids(split)
    for path in steps.values():                 # every snapshot read once before anything is written
        load_snapshot(model, path)
    out = out or os.path.join(run_dir, "analysis", "training", split)
    corpus_line = f"{corpus.name} {split}"

    def trace_at(step: int, path: str):
        load_snapshot(model, steps[step])
        return trace_ids(gates, ids, path, lanes=lanes, warmup=warmup, corpus=corpus.name,
                         corpus_sha256=corpus.sha256, split=split, step=step)

    log(f"analysing {len(steps)} snapshot(s) of {run_dir} (steps {', '.join(map(str, steps))}) on {corpus_line} "
        f"({len(ids) - 1:,} characters)")
    return analyse_traces(trace_at, list(steps), out, logdir, run_dir,
                          f"{corpus_line} split, {len(ids) - 1:,} characters", summary_chars, feature_kind, top, log)


def analyse_traces(trace_at, steps: list[int], out: str, logdir: str | None, source: str, text_line: str,
                   summary_chars: int = 5000, feature_kind: str = "auto", top: int = 3, log=print) -> dict:
    """The section 4.2 analyses of the trace `trace_at(step, folder)` writes for each of `steps` (oldest first):
    summaries at each step into `logdir` (default OUT), and under OUT emergence.json, emergence.csv, emergence.png
    and report.md ("source" and "text_line" name the model and the text). Returns the emergence body."""
    import tensorflow as tf

    from karpathy_rnn.analysis.publish import EVENTS_SUFFIX

    lock = FolderLock(out, "analysis", "wait for it to end or stop it, or give another --out")   # one writer
    # the new summaries go to a folder outside TensorBoard's logdir and replace the earlier ones only when all
    # steps are done: a failed or killed analysis leaves the earlier one whole
    staging = tempfile.mkdtemp(prefix="krnn-over-training-")
    try:
        return _analyse_steps(trace_at, steps, out, logdir, source, text_line, summary_chars, feature_kind, top, log,
                              tf.summary.create_file_writer(staging, filename_suffix=EVENTS_SUFFIX), staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        lock.release()


def load_snapshot(model, path: str) -> None:
    """`model` with the weights of the history snapshot `path`; KRNNError naming the file if it cannot be read."""
    try:
        model.load_weights(path)
    except Exception as error:                  # noqa: BLE001 (h5py and Keras raise many types for a damaged file)
        raise KRNNError(f"history snapshot {path} cannot be read ({type(error).__name__}: "
                        f"{str(error).splitlines()[0][:100] if str(error) else ''}): it was cut short or changed; "
                        "remove it and analyse the other steps (--checkpoints lists them), or train the run "
                        "again with --analyze-every") from None


def _analyse_steps(trace_at, steps, out, logdir, source, text_line, summary_chars, feature_kind, top, log, writer,
                   staging) -> dict:
    """analyse_traces' work once its inputs are checked: each step traced and summarised into `writer` (in
    `staging`), then the emergence files and the summaries put in place."""
    from karpathy_rnn.analysis.cells import score_cells
    from karpathy_rnn.analysis.features import FEATURE_DESCRIPTIONS, text_features, text_kind
    from karpathy_rnn.analysis.publish import (CELL_STATISTIC, EVENTS_SUFFIX, ranking_json, replace_events,
                                               write_csv, write_json, write_step_summaries)
    from karpathy_rnn.analysis.saturation import has_saturation_gates, trace_saturation
    from karpathy_rnn.atomic import atomic_file
    from karpathy_rnn.plots import emergence_figure, save_figure

    features, rankings, saturated = None, [], []
    with tempfile.TemporaryDirectory(dir=out, prefix=".traces-") as scratch:
        for step in steps:
            started = time.perf_counter()
            trace = trace_at(step, os.path.join(scratch, str(step)))
            if features is None:                     # the same text at every step: its features once
                kind = text_kind(trace.text) if feature_kind == "auto" else feature_kind
                features = text_features(trace.text, kind)
            ranking = ranking_at_step(score_cells(trace, features), top)
            saturation = trace_saturation(trace) if has_saturation_gates(trace.layers) else None
            if saturation is not None:
                saturated.append({"step": step, "layers": {layer: round(float(fraction), 6) for layer, fraction
                                                           in saturation.claims["mean_saturated_fraction"].items()}})
            with writer.as_default():
                write_step_summaries(trace, step, ranking, saturation, summary_chars, features=features,
                                     snapshots=len(steps))
            writer.flush()
            rankings.append((step, {"features": ranking_json(ranking), "descriptions": FEATURE_DESCRIPTIONS,
                                    "statistic": CELL_STATISTIC}))
            shutil.rmtree(os.path.join(scratch, str(step)))              # a trace of every gate: not kept
            best = ", ".join(f"{feature} {abs(cells[0].correlation):.2f}" for feature, cells in ranking.items())
            log(f"step {step:>7}: best |r| {best} ({time.perf_counter() - started:.1f} s)")
    writer.close()
    body = {**emergence(rankings), "saturated": saturated}
    write_json(body, os.path.join(out, "emergence.json"))
    write_csv(os.path.join(out, "emergence.csv"), ["step", "feature", "layer", "cell", "r", "abs_r"],
              emergence_rows(body))
    save_figure(emergence_figure(body, f"{os.path.basename(os.path.normpath(source))}: {text_line.split(',')[0]}"),
                os.path.join(out, "emergence.png"))
    with atomic_file(os.path.join(out, "report.md"), "w", encoding="utf-8") as handle:
        handle.write("\n".join([f"# Interpretable cells over training: {source}", "",
                                f"{text_line}; steps {', '.join(map(str, steps))}.", "", *report_lines(body), ""]))
    replace_events(staging, logdir or out, EVENTS_SUFFIX)
    for line in report_lines(body)[2:2 + len(body["features"])]:
        log(line)
    log(f"summaries at {len(steps)} steps in {logdir or out}; emergence.json, emergence.csv, emergence.png and "
        f"report.md in {out}")
    return body
