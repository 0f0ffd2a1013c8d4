"""Look inside a trained char-LM (paper section 4.2): trace a split, rank interpretable cells, measure gate saturation.

    python scripts/analyze.py runs/war_and_peace-lstm-2x128 --split test     # everything below, into RUN/analysis/test
    python scripts/analyze.py trace exported/ --corpus linux_kernel --out traces/lk-test
    python scripts/analyze.py color runs/war_and_peace-lstm-2x128 --layer 2 --cell 37 --text '"Hi," he said.' --out cell.html
    python scripts/analyze.py longrange runs/linux_kernel-lstm-2x128 --ngram runs/ngram --nn runs/nn

The default command writes, under --out: trace/ (probabilities and every gate of every character, reloadable
without TensorFlow), cells.csv (every cell's r with every probe feature), figure2.html and figure2_<feature>.png
(top cells per feature as coloured text), saturation.json and figure3.png (LSTM/GRU gates), report.md; and the
karpathy_rnn TensorBoard plugin's summaries into --logdir (OUT by default), at the model's best training step.
`longrange` compares the model with its n-gram and n-NN baselines (section 4.3; see its --help).
"""

from __future__ import annotations

import argparse
import os
import sys

from karpathy_rnn.cli import ArgumentParser, run_script, writable_folder
from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training.run_dir import read_config, read_results

COMMANDS = ("all", "trace", "color", "longrange")


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
    sub = p.add_subparsers(dest="command", metavar="{trace,color,longrange}")
    everything = sub.add_parser("all", prog="analyze.py", description=__doc__ + "\nSub-commands: analyze.py trace "
                                "--help, analyze.py color --help, analyze.py longrange --help. Options of the default command:",
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
    longrange = sub.add_parser("longrange", help="section 4.3: the model against its n-gram and n-NN baselines",
                               description=LONGRANGE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_model_options(longrange)
    _add_trace_options(longrange)
    longrange.add_argument("--ngram", required=True, help="output folder of scripts/ngram.py (OUT or OUT/<corpus>)")
    longrange.add_argument("--nn", required=True, help="output folder of scripts/nn.py (OUT or OUT/<corpus>)")
    longrange.add_argument("--brace", choices=("auto", "on", "off"), default="auto", help="the closing-brace "
                           "study: auto runs it when the text has a '}' closing a '{', on insists (default: "
                           "%(default)s)")
    longrange.add_argument("--brace-longest", type=int, default=400, help="longest distance to a '{' shown, in "
                           "buckets of 20 characters; farther braces are counted apart (default: %(default)s)")
    longrange.add_argument("--logdir", help="where the plugin's summaries go (default: OUT)")
    longrange.add_argument("--summary-chars", type=int, default=20000, help="characters of the split in the "
                           "per-character comparison summary (default: %(default)s)")
    return p


LONGRANGE_HELP = """Section 4.3 for a trained model: its test errors beside the best n-gram's and the best n-NN's
(Figure 4, left), the characters where it and the 20-gram each lead (Figure 4, middle/right) and, on code, the
mean probability of each '}' by distance to its '{' (Figure 5, left). The baselines' traces must be of the same
corpus and split (scripts/ngram.py and scripts/nn.py write them). Writes under --out (default
RUN/analysis/SPLIT/longrange): longrange.json, overlap.csv, characters.csv, brace.csv, figure4_overlap.png,
figure4_characters.png, figure5_brace.png, report.md; and the plugin's summaries into --logdir.
The comparison n-gram is the one with the longest context (the paper's 20-gram); "best" is the lowest test loss."""


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


def _model_name(run_dir: str | None, trace) -> str:
    """"LSTM 2x128" for a training run, else the trace's source."""
    config = (read_config(run_dir) or {}) if run_dir else {}
    if config.get("unit") and config.get("hidden"):
        return f"{config['unit'].upper()} {config.get('layers', 1)}x{config['hidden']}"
    return "model"


def _longrange(args, trace, run_dir, out, log):
    """Section 4.3: the model's trace against its baselines' traces of the same text; numbers, figures, report,
    summaries."""
    import numpy as np

    from karpathy_rnn.analysis import publish_longrange as publish
    from karpathy_rnn.analysis.longrange import (brace_study, character_study, check_same_text,
                                                 closing_brace_distances, overlap_study, trace_correct_probabilities)
    from karpathy_rnn.analysis.trace import Trace
    from karpathy_rnn.baselines.runs import baseline_runs, best_run

    corpus = trace.meta.get("corpus", "")
    ngrams = baseline_runs(args.ngram, "ngram", corpus, args.split)
    nns = baseline_runs(args.nn, "nn", corpus, args.split)
    best_ngram, best_nn, long_ngram = best_run(ngrams), best_run(nns), ngrams[max(ngrams)]
    name = _model_name(run_dir, trace)
    traces = {name: trace, **{run.name: Trace(run.trace) for run in (best_ngram, best_nn, long_ngram)}}
    check_same_text(traces)
    correct = {key: trace_correct_probabilities(value) for key, value in traces.items()}
    results = read_results(run_dir) if run_dir else None
    model_loss = float(-np.log(correct[name]).mean())
    models = {name: model_loss, **{run.name: run.loss for run in (best_ngram, best_nn, long_ngram)}}
    log(f"{name}: {model_loss:.4f} nats/char on {corpus} {args.split}; best n-gram {best_ngram.name} "
        f"{best_ngram.loss:.4f}, best n-NN {best_nn.name} {best_nn.loss:.4f}, {long_ngram.name} {long_ngram.loss:.4f}")
    text, targets = trace.text, np.asarray(trace.targets)
    overlap = overlap_study({key: correct[key] for key in dict.fromkeys([name, best_nn.name, best_ngram.name])})
    characters = character_study(correct[name], correct[long_ngram.name], targets, trace.vocabulary,
                                 (name, long_ngram.name))
    brace = None
    if args.brace == "on" or (args.brace == "auto" and len(closing_brace_distances(text)[0])):
        brace = brace_study(text, {name: correct[name], long_ngram.name: correct[long_ngram.name]},
                            longest=args.brace_longest)
    else:
        log("brace study: skipped (" + ("--brace off" if args.brace == "off" else "no '}' closes a '{' in this "
                                        "text") + ")")
    longrange_out = args.longrange_out
    files = publish.write_numbers(longrange_out, overlap, characters, brace, models)
    figures = publish.write_figures(longrange_out, overlap, characters, brace, f"{name}, {corpus} {args.split}")
    dynamics = os.path.join(run_dir, "compare_nn.csv") if run_dir else ""
    if os.path.isfile(dynamics):                # the run was trained with --compare-nn: Figure 5 (right)
        from karpathy_rnn.plots import dynamics_figure, save_figure
        from karpathy_rnn.training.compare import read_rows

        figures.append(save_figure(dynamics_figure(read_rows(dynamics), f"{name} against the n-NNs, "
                                                   f"{corpus} test (first characters)"),
                                   os.path.join(longrange_out, "figure5_dynamics.png")))
    path = os.path.join(longrange_out, "report.md")
    from karpathy_rnn.atomic import atomic_file
    with atomic_file(path, "w", encoding="utf-8") as handle:
        handle.write(publish.report_section(overlap, characters, brace, models, figures))
    shown = min(args.summary_chars, trace.length)
    logdir = args.logdir or longrange_out
    step = int((results or {}).get("best_step") or 0)
    publish.write_summaries(logdir, step, text[:shown], correct[name][:shown] - correct[long_ngram.name][:shown],
                            characters, brace)
    for region in overlap["regions"]:
        log(f"errors of {' & '.join(region['models'])} only: {region['count']:,}" if region["models"] else
            f"characters no model gets wrong: {region['count']:,}")
    for side, leader in zip(characters["leaders"], characters["models"]):
        log(f"{leader} leads most on: " + " ".join(r["label"] for r in side))
    if brace is not None:
        log(f"braces: {brace['braces']:,} matched within {brace['longest']} characters ({brace['farther']:,} "
            "farther); mean p(}) by distance: " + ", ".join(
            f"{r['start']}-{r['end']}: " + "/".join("-" if m is None else f"{m:.2f}" for m in r["means"])
            for r in brace["buckets"][:6]) + (" ..." if len(brace["buckets"]) > 6 else ""))
    log(f"wrote {', '.join(os.path.basename(f) for f in files + figures)} and report.md in {longrange_out}; "
        f"TensorBoard summaries (step {step}) in {logdir}")


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
    if args.command == "longrange":
        _positive(p, "summary-chars", args.summary_chars)
        _positive(p, "brace-longest", args.brace_longest, 20)
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
    if args.command == "longrange":             # the trace stays where the default command keeps it
        args.longrange_out = out if args.out else os.path.join(out, "longrange")
        out = out if not args.out else os.path.join(out, "model")
        writable_folder(args.longrange_out, "--out")
        for flag in ("ngram", "nn"):
            if not os.path.isdir(getattr(args, flag)):
                raise KRNNError(f"--{flag} {getattr(args, flag)!r} is not a folder; give the --out of "
                                f"scripts/{flag}.py")
    writable_folder(out, "--out")
    if args.command in ("all", "longrange") and args.logdir:
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
    if args.command == "longrange":
        _longrange(args, trace, run_dir, out, log)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
