"""Look inside a trained char-LM (paper section 4.2): trace a split, rank interpretable cells, measure gate saturation.

    python scripts/analyze.py runs/war_and_peace-lstm-2x128 --split test     # everything below, into RUN/analysis/test
    python scripts/analyze.py trace exported/ --corpus linux_kernel --out traces/lk-test
    python scripts/analyze.py color runs/war_and_peace-lstm-2x128 --layer 2 --cell 37 --text '"Hi," he said.' --out cell.html

The default command writes, under --out: trace/ (probabilities and every gate of every character, reloadable
without TensorFlow), cells.csv (every cell's r with every probe feature), figure2.html and figure2_<feature>.png
(top cells per feature as coloured text), saturation.json and figure3.png (LSTM/GRU gates), report.md; and the
karpathy_rnn TensorBoard plugin's summaries into --logdir (OUT by default), at the model's best training step.
"""

from __future__ import annotations

import argparse
import os
import sys

from karpathy_rnn.cli import ArgumentParser, run_script, writable_folder
from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training.run_dir import read_config, read_results

COMMANDS = ("all", "trace", "color")


def _add_model_options(p):
    p.add_argument("model", metavar="RUN_OR_SAVEDMODEL", help="run directory of scripts/train.py (its best.keras), "
                   ".keras file or SavedModel folder from scripts/export.py")


def _add_trace_options(p):
    p.add_argument("--split", default="test", choices=("train", "val", "test"), help="split to trace (default: %(default)s)")
    p.add_argument("--corpus", help="corpus name or path (default: the run's own; needed for a SavedModel)")
    p.add_argument("--data-dir", help="folder holding the corpus files (default: $KRNN_DATA_DIR, then the cache)")
    p.add_argument("--out", help="output folder (default: RUN/analysis/SPLIT, or analysis/<model name>/SPLIT)")
    p.add_argument("--lanes", type=int, default=1, help="pieces of the split run side by side, each warmed up "
                   "on the text before it: faster for small models, not exact at a few characters; 1 = one exact "
                   "pass (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=512, help="characters each piece but the first reads before its "
                   "start (default: %(default)s)")
    p.add_argument("--retrace", action="store_true", help="trace again even if OUT/trace exists")
    p.add_argument("--no-progress", action="store_true", help="no progress line")


def _parser():
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="{trace,color}")
    everything = sub.add_parser("all", prog="analyze.py", description=__doc__ + "\nSub-commands: analyze.py trace "
                                "--help, analyze.py color --help. Options of the default command:",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_model_options(everything)
    _add_trace_options(everything)
    everything.add_argument("--top", type=int, default=3, help="cells shown per feature (default: %(default)s)")
    everything.add_argument("--snippet", type=int, default=600, help="characters of text per gallery panel "
                            "(default: %(default)s)")
    everything.add_argument("--logdir", help="where the plugin's summaries go (default: OUT, which TensorBoard shows "
                            "as the run RUN/analysis/SPLIT beside RUN)")
    everything.add_argument("--summary-chars", type=int, default=5000, help="characters of the split whose "
                            "activations go into the summaries (default: %(default)s)")
    everything.add_argument("--summary-states", nargs="+", help="states/gates per layer in the summaries, e.g. "
                            "c h i f o (default: the cell state, c for an LSTM, and h)")
    everything.add_argument("--no-png", action="store_true", help="HTML gallery only (faster)")
    everything.add_argument("--features", choices=("auto", "prose", "code", "all"), default="auto",
                            help="probe features to rank cells by: prose (line position, quotes), code (brackets, "
                            "comments, strings, indentation, if conditions) or all; auto tells prose from code by "
                            "how often { } ; = occur (default: %(default)s)")
    trace = sub.add_parser("trace", help="only write the trace", description="Write the trace of a split.")
    _add_model_options(trace)
    _add_trace_options(trace)
    color = sub.add_parser("color", help="colour a text by one cell", description="Colour any text by one cell.")
    _add_model_options(color)
    color.add_argument("--layer", required=True, help="layer name or 1-based index")
    color.add_argument("--cell", type=int, required=True, help="cell index, from 0")
    color.add_argument("--state", default=None, help="state or gate to show (default: c for LSTM, h otherwise)")
    group = color.add_mutually_exclusive_group(required=True)
    group.add_argument("--text", help="the text to colour")
    group.add_argument("--file", help="a UTF-8 file holding the text")
    color.add_argument("--out", default="cell.html", help="output .html or .png (default: %(default)s)")
    return p


def _run_directory(model_path: str) -> str | None:
    """The training run directory behind a model path, if it is one."""
    folder = model_path if os.path.isdir(model_path) else os.path.dirname(os.path.abspath(model_path))
    return folder if os.path.isfile(os.path.join(folder, "config.json")) else None


def _positive(p, name, value, minimum=1):
    if value < minimum:
        p.error(f"--{name} must be >= {minimum}, got {value}")


def _model_identity(path: str) -> dict:
    """What tells a trace's model apart: its path, size and modification time (a retrained best.keras differs)."""
    files = [path] if os.path.isfile(path) else [os.path.join(root, name) for root, _, names in os.walk(path)
                                                 for name in names]
    stats = [os.stat(f) for f in sorted(files)]
    return {"path": os.path.abspath(path), "bytes": sum(s.st_size for s in stats),
            "modified": max((s.st_mtime_ns for s in stats), default=0)}


def _run_corpus(config: dict, model):
    """The corpus file the run trained on (config.json's corpus_source), if it is still there with the same text."""
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.data.vocabulary import Vocabulary

    source = config.get("corpus_source")
    if not source or not os.path.isfile(source):
        return None
    corpus = load_corpus(source, split=config.get("split"), download=False, vocabulary=Vocabulary(tuple(model.vocabulary)))
    return corpus if corpus.sha256 == config.get("corpus_sha256") else None


def _trace(args, model, run_dir, out, log):
    """Open or write OUT/trace for `args.split`."""
    from karpathy_rnn.analysis.extract import trace_ids
    from karpathy_rnn.analysis.trace import Trace
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.data.vocabulary import Vocabulary

    config = (read_config(run_dir) or {}) if run_dir else {}
    corpus = None if args.corpus else _run_corpus(config, model)
    if corpus is None:
        corpus_name = args.corpus or config.get("corpus") or config.get("corpus_name")
        if not corpus_name:
            raise KRNNError(f"{args.model} is not a training run directory, so its corpus is unknown; give --corpus")
        corpus = load_corpus(corpus_name, split=None if args.corpus else config.get("split"),
                             data_dir=args.data_dir or config.get("data_dir"), download=False,
                             vocabulary=Vocabulary(tuple(model.vocabulary)))
    path = os.path.join(out, "trace")
    identity = _model_identity(model.source)
    if not args.retrace and os.path.isfile(os.path.join(path, "trace.json")):
        try:
            existing = Trace(path)
            existing.check_vocabulary(model.vocabulary)
            wanted = {"corpus_sha256": corpus.sha256, "split": args.split, "model_file": identity,
                      "lanes_requested": args.lanes, "warmup_requested": args.warmup}
            if all(existing.meta.get(key) == value for key, value in wanted.items()):
                log(f"reusing the trace in {path} (--retrace to write it again)")
                return existing
        except KRNNError as error:
            log(f"writing the trace again: {error}")
    ids = corpus.scoring_ids(args.split)

    def progress(done, total, seconds):
        if not args.no_progress:
            print(f"\rtracing {done / total:6.1%} ({done / max(seconds, 1e-9):,.0f} chars/s)", end="", file=sys.stderr)

    trace = trace_ids(model, ids, path, lanes=args.lanes, warmup=args.warmup, progress=progress,
                      corpus=corpus.name, corpus_sha256=corpus.sha256, split=args.split, model_file=identity,
                      lanes_requested=args.lanes, warmup_requested=args.warmup)
    if not args.no_progress:
        print(file=sys.stderr)
    log(f"traced {trace.length:,} characters of {corpus.name} {args.split} in {trace.meta['seconds']:.1f} s "
        f"({trace.meta['chars_per_second']:,.0f} chars/s, {trace.meta['lanes']} lanes) into {path}")
    return trace


def _analyse(args, trace, run_dir, out, log):
    """Cells, gallery, saturation, summaries and the report from a trace."""
    from karpathy_rnn.analysis.cells import TRACKED_R, score_cells, top_cells, untracked_features
    from karpathy_rnn.analysis.features import text_features, text_kind
    from karpathy_rnn.analysis.gallery import write_gallery
    from karpathy_rnn.analysis.publish import (ranking_json, saturation_json, write_json, write_report,
                                               write_scores_csv, write_summaries)
    from karpathy_rnn.analysis.saturation import SATURATION_GATES, describe_claims, trace_saturation
    from karpathy_rnn.plots import saturation_figure, save_figure

    kind = text_kind(trace.text) if args.features == "auto" else args.features
    features = text_features(trace.text, kind)
    scores = score_cells(trace, features)
    ranking = top_cells(scores, args.top)
    untracked = untracked_features(scores)
    log(f"features for {kind}: {', '.join(features)}" + (" (--features prose|code|all to choose)"
                                                          if args.features == "auto" else ""))
    for feature, best in untracked.items():
        log(f"{feature:16s} " + (f"no cell tracks it (best |r| {best:.3f} < {TRACKED_R}): no panel" if best == best
                                 else "constant in this text (no r): no panel"))
    figures = [write_scores_csv(scores, os.path.join(out, "cells.csv")),
               write_json(ranking_json(ranking), os.path.join(out, "cells.json"))]
    for feature, cells in ranking.items():
        log(f"{feature:16s} " + "  ".join(f"{s.layer} {s.cell} ({s.correlation:+.2f})" for s in cells))
    figures += write_gallery(trace, ranking, features, out, args.snippet, png=not args.no_png)
    report, claims = None, []
    if all(SATURATION_GATES[layer.unit] for layer in trace.layers) and len({l.unit for l in trace.layers}) == 1:
        report = trace_saturation(trace)
        claims = describe_claims(report)
        figures.append(write_json(saturation_json(report), os.path.join(out, "saturation.json")))
        figures.append(save_figure(saturation_figure(report.fractions, f"{trace.meta.get('corpus', '')} "
                                                     f"{trace.meta.get('split', '')}"), os.path.join(out, "figure3.png")))
        for claim in claims:
            log(claim)
    else:
        log("saturation: skipped, the model has no LSTM or GRU gates")
    results = (read_results(run_dir) or {}) if run_dir else {}
    logdir = args.logdir or out
    step = int(results.get("best_step") or 0)
    write_summaries(trace, logdir, step, ranking, report, args.summary_chars,
                    tuple(args.summary_states) if args.summary_states else None)
    log(f"TensorBoard summaries (step {step}) in {logdir}: tensorboard --logdir "
        f"{os.path.dirname(run_dir) if run_dir else logdir}")
    path = write_report(os.path.join(out, "report.md"), trace, ranking, claims, figures, untracked, kind)
    log(f"report: {path}")


def _color(args, p, log):
    import numpy as np

    from karpathy_rnn.analysis.cells import cell_values
    from karpathy_rnn.analysis.extract import open_gate_model
    from karpathy_rnn.render import colored_text_html, html_page

    if args.file:
        from karpathy_rnn.data.textfile import read_text
        text = read_text(args.file)
    else:
        text = args.text
    if not text:
        raise KRNNError("the text is empty; give at least one character with --text or --file")
    if not args.out.endswith((".html", ".png")):
        p.error(f"--out must end in .html or .png, got {args.out!r}")
    writable_folder(os.path.dirname(os.path.abspath(args.out)), "--out folder")
    model = open_gate_model(args.model)
    from karpathy_rnn.analysis.trace import find_layer

    layer = find_layer(model.layers, args.layer)
    state = args.state or ("c" if "c" in layer.gates else "h")
    if state not in layer.gates:
        raise KRNNError(f"layer {layer.name} ({layer.unit.upper()}) has no {state!r}; it has {', '.join(layer.gates)}")
    if not 0 <= args.cell < layer.units:
        raise KRNNError(f"cell {args.cell} is out of range: layer {layer.name} has {layer.units} cells, "
                        f"0..{layer.units - 1}")
    from karpathy_rnn.data.vocabulary import Vocabulary
    ids = Vocabulary(tuple(model.vocabulary)).encode(text)
    states, values = model.zero_states(1), []
    for start in range(0, len(ids), 1000):
        _, gates, states = model.step(ids[None, start:start + 1000], states)
        values.append(gates[(layer.name, state)][0, :, args.cell])
    values = cell_values(np.concatenate(values), state)
    title = f"{layer.name} cell {args.cell} ({'tanh(c)' if state == 'c' else state})"
    if args.out.endswith(".png"):
        from karpathy_rnn.plots import colored_text_figure, save_figure
        save_figure(colored_text_figure([(title, text, values)]), args.out)
    else:
        from karpathy_rnn.atomic import atomic_file
        with atomic_file(args.out, "w", encoding="utf-8") as handle:
            handle.write(html_page(title, colored_text_html(text, values, title)))
    log(f"wrote {args.out}")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        argv = ["all", *argv]                     # the default command, whose --help is the script's
    p = _parser()
    args = p.parse_args(argv)

    def log(message):
        print(message, flush=True)

    if args.command == "color":
        _color(args, p, log)
        return 0
    _positive(p, "lanes", args.lanes)
    _positive(p, "warmup", args.warmup, 0)
    if args.command == "all":
        _positive(p, "top", args.top)
        _positive(p, "snippet", args.snippet, 10)
        _positive(p, "summary-chars", args.summary_chars)
    from karpathy_rnn.analysis.extract import open_gate_model
    from karpathy_rnn.sampling import resolve_model_path

    _, resolved = resolve_model_path(args.model)
    run_dir = _run_directory(resolved)
    name = os.path.basename(os.path.normpath(args.model)).removesuffix(".keras")
    out = args.out or (os.path.join(run_dir, "analysis", args.split) if run_dir else os.path.join("analysis", name, args.split))
    writable_folder(out, "--out")
    if args.command == "all" and args.logdir:
        writable_folder(args.logdir, "--logdir")
    model = open_gate_model(resolved)
    if args.command == "all":
        known = {gate for layer in model.layers for gate in layer.gates}
        unknown = [name for name in args.summary_states or () if name not in known]
        if unknown:
            raise KRNNError(f"--summary-states {' '.join(unknown)}: not a state or gate of this model; its layers "
                            f"have {', '.join(sorted(known))}")
    trace = _trace(args, model, run_dir, out, log)
    if args.command == "all":
        _analyse(args, trace, run_dir, out, log)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
