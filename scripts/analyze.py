"""Look inside a trained char-LM (paper section 4.2): trace a split, rank interpretable cells, measure gate saturation.

    python scripts/analyze.py runs/war_and_peace-lstm-2x128 --split test     # everything below, into RUN/analysis/test
    python scripts/analyze.py trace exported/ --corpus linux_kernel --out traces/lk-test
    python scripts/analyze.py color runs/war_and_peace-lstm-2x128 --layer 2 --cell 37 --text '"Hi," he said.' --out cell.html
    python scripts/analyze.py longrange runs/linux_kernel-lstm-2x128 --ngram runs/ngram --nn runs/nn
    python scripts/analyze.py oracles runs/war_and_peace-lstm-2x128 --ngram runs/ngram --compare runs/small
    python scripts/analyze.py agreement runs/repro --corpus war_and_peace --out runs/agreement
    python scripts/analyze.py connectivity runs/autocomplete/*-gru-* runs/autocomplete/*-lstm-* --split test --count 20
    python scripts/analyze.py runs/war_and_peace-lstm-2x128 --checkpoints all   # at each step train.py --analyze-every kept
    python scripts/analyze.py export runs --view text --run war_and_peace-lstm-2x128/analysis/test --cell 37 --out figs

The default command writes, under --out: trace/ (probabilities and every gate of every character, reloadable
without TensorFlow), cells.csv (every cell's r with every probe feature), figure2.html and figure2_<feature>.png
(top cells per feature as coloured text), saturation.json and figure3.png (LSTM/GRU gates), report.md; and the
karpathy_rnn TensorBoard plugin's summaries into --logdir (OUT by default), at the model's best training step.
`longrange` compares the model with its n-gram and n-NN baselines (section 4.3), `oracles` breaks its errors down
by the paper's oracles (section 4.4) and `agreement` embeds several models by how often they agree (Figure 1,
right) and `connectivity` shows which earlier characters drive each prediction (Distill 2019); see each one's
--help.
"""

from __future__ import annotations

import argparse
import os
import sys

from karpathy_rnn.cli import ArgumentParser, run_script, writable_folder
from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training.run_dir import read_config, read_results

COMMANDS = ("all", "trace", "color", "longrange", "oracles", "agreement", "connectivity", "export", "import-states")
EXPORT_VIEWS = ("text", "saturation", "training", "oracle", "characters", "brace", "agreement", "connectivity")


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
    sub = p.add_subparsers(dest="command", metavar="{trace,color,longrange,oracles,agreement,connectivity,export,"
                           "import-states}")
    everything = sub.add_parser("all", prog="analyze.py", description=__doc__ + "\nSub-commands: analyze.py trace "
                                "--help, analyze.py color --help, analyze.py longrange --help, analyze.py oracles --help, "
                                "analyze.py agreement --help. Options of the default command:",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_model_options(everything)
    _add_trace_options(everything)
    _add_analysis_options(everything, "(default: OUT, which TensorBoard shows as the run RUN/analysis/SPLIT beside RUN)")
    everything.add_argument("--summary-states", nargs="+", help="states/gates per layer in the summaries, e.g. "
                            "c h i f o (default: the cell state, c for an LSTM, and h)")
    everything.add_argument("--checkpoints", metavar="all|STEPS", help="analyse the weights the run kept while it "
                            "trained (train.py --analyze-every) instead of its best model: all, or steps such as "
                            "0,500,1000; the summaries of each step go into OUT (default RUN/analysis/training/SPLIT, "
                            "SPLIT val unless --split), with emergence.json/.csv/.png and report.md: when each "
                            "feature's best cell first reaches |r| 0.5")
    everything.set_defaults(split=None)          # test, or val with --checkpoints
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
    longrange.add_argument("--ngram", required=True, help="output folder of scripts/ngram.py (OUT or OUT/<corpus>), "
                           "its validation split scored too (ngram.py --split val): the best n-gram, and n-NN, is "
                           "the lowest on validation")
    longrange.add_argument("--nn", help="output folder of scripts/nn.py (OUT or OUT/<corpus>); without it the n-NN "
                           "parts (the best n-NN in Figure 4, left) are left out and the n-gram parts written")
    longrange.add_argument("--brace", choices=("auto", "on", "off"), default="auto", help="the closing-brace "
                           "study: auto runs it when the text has a '}' closing a '{', on insists (default: "
                           "%(default)s)")
    longrange.add_argument("--brace-longest", type=int, default=400, help="longest distance to a '{' shown, in "
                           "buckets of 20 characters; farther braces are counted apart (default: %(default)s)")
    longrange.add_argument("--logdir", help="where the plugin's summaries go (default: OUT)")
    longrange.add_argument("--summary-chars", type=int, default=20000, help="characters of the split in the "
                           "per-character comparison summary (default: %(default)s)")
    oracles = sub.add_parser("oracles", help="section 4.4: the model's errors broken down by oracle",
                             description=ORACLES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_model_options(oracles)
    _add_trace_options(oracles)
    oracles.add_argument("--ngram", required=True, help="output folder of scripts/ngram.py (OUT or OUT/<corpus>) "
                         "holding n = 1..9 (other orders in it are not read)")
    oracles.add_argument("--compare", metavar="RUN", help="another model (the paper's small LSTM) to break down "
                         "beside this one: its extra errors by oracle, and its own summary under its run")
    oracles.add_argument("--examples", type=int, default=6, help="examples per oracle (default: %(default)s)")
    oracles.add_argument("--memory-match", choices=("substring", "word", "word4"), default="substring",
                         help="what the dynamic n-memory oracle remembers (the paper's \"can be found as a "
                         "substring in the last n characters\"; karpathy_rnn/analysis/oracles.py): substring: the "
                         "word as a substring, inside another word or not; word: the same whole word; word4: the "
                         "same whole word, of 4 or more characters (default: %(default)s)")
    oracles.add_argument("--logdir", help="where the model's oracle summary goes (default: OUT)")
    agreement = sub.add_parser("agreement", help="Figure 1 (right): t-SNE of how often models agree",
                               description=AGREEMENT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    agreement.add_argument("runs", nargs="+", metavar="RUN", help="training run folders, or folders holding them "
                           "(a grid's --logdir)")
    agreement.add_argument("--split", default="test", choices=("train", "val", "test"),
                           help="the split compared (default: %(default)s)")
    agreement.add_argument("--corpus", help="keep only the runs of this corpus (needed when a folder holds several)")
    agreement.add_argument("--data-dir", help="folder holding the corpus files, for runs without a trace (default: "
                           "$KRNN_DATA_DIR, the cache)")
    agreement.add_argument("--out", default="agreement", help="output folder (default: %(default)s)")
    agreement.add_argument("--logdir", help="where the plugin's agreement summary goes (default: OUT)")
    connectivity = sub.add_parser("connectivity", help="Distill 2019: which earlier inputs drive each prediction",
                                  description=CONNECTIVITY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    connectivity.add_argument("runs", nargs="+", metavar="RUN", help="1 to 4 runs of one task: autocomplete runs "
                              "(scripts/autocomplete.py) or char-LM runs (scripts/train.py) or their .keras files")
    connectivity.add_argument("--text", help="one text of your own (autocomplete: normalised as text8 is); "
                              "--count and --split are then not used")
    connectivity.add_argument("--count", type=int, default=20, help="texts taken evenly through --split (default: "
                              "%(default)s)")
    connectivity.add_argument("--split", default="test", choices=("train", "val", "test"),
                              help="where the texts come from (default: %(default)s)")
    connectivity.add_argument("--length", type=int, default=200, help="characters per char-LM excerpt (default: "
                              "%(default)s; autocomplete texts are whole observations)")
    connectivity.add_argument("--positions", type=_positions, help="only these characters' predictions, e.g. 5,17 "
                              "(default: every character)")
    connectivity.add_argument("--data-dir", help="a folder holding the corpus files (default: the run's)")
    connectivity.add_argument("--out", help="output folder (default: RUN/analysis/connectivity of the first run)")
    connectivity.add_argument("--logdir", help="where the plugin's summaries go (default: the first run)")
    export = sub.add_parser("export", help="a plugin view as a standalone HTML file and a print-resolution PNG",
                            description=EXPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    export.add_argument("logdir", help="the folder TensorBoard would be started on (tensorboard --logdir LOGDIR)")
    export.add_argument("--view", required=True, choices=EXPORT_VIEWS, help="which view of the plugin")
    export.add_argument("--run", required=True, help="the run, as TensorBoard names it (its folder under LOGDIR)")
    export.add_argument("--step", type=int, help="training step (default: the latest)")
    export.add_argument("--layer", help="colored text: the layer (default: the run's top-ranked cell's)")
    export.add_argument("--name", help="colored text: the state or gate, e.g. c, h, f (default: the cell state)")
    export.add_argument("--cell", type=int, help="colored text: the cell")
    export.add_argument("--offset", type=int, help="colored text: the first character of the page")
    export.add_argument("--index", type=int, help="connectivity: which text of the study")
    export.add_argument("--format", nargs="+", choices=("html", "png"), default=["html", "png"],
                        help="what to write (default: both)")
    export.add_argument("--out", default="exported", help="output folder (default: %(default)s)")
    imported = sub.add_parser("import-states", help="states computed elsewhere (LSTMVis' HDF5, .npz, .npy) as a "
                              "trace, and the analyses that need only states", description=IMPORT_STATES_HELP,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    imported.add_argument("--states", nargs="+", required=True, metavar="FILE", help="one HDF5 (.h5/.hdf5) or .npz "
                          "file, or .npy files (one array each, named by their stems); with --steps, one HDF5 or "
                          ".npz file per step")
    imported.add_argument("--dataset", nargs="+", metavar="NAME[=LAYER.GATE]", help="the arrays to read, e.g. "
                          "states1 states2 (each the next layer's cell state) or output1=1.h forget1=1.f (default: "
                          "the file's only 2-D array, or each .npy file)")
    imported.add_argument("--text", required=True, help="UTF-8 file of the text the states were computed on")
    imported.add_argument("--out", required=True, help="output folder, e.g. runs/NAME (TensorBoard shows it as NAME)")
    imported.add_argument("--unit", choices=tuple(UNIT_CHOICES), default="lstm", help="the recurrent unit that made "
                          "the states (default: %(default)s)")
    imported.add_argument("--tokens", choices=("chars", "words"), default="chars", help="one row per character, or "
                          "per whitespace-separated word (default: %(default)s)")
    imported.add_argument("--skip-rows", type=int, default=0, help="leading rows to drop, e.g. 1 for an initial "
                          "state written first (default: %(default)s)")
    imported.add_argument("--steps", nargs="+", type=int, metavar="STEP", help="the training step of each --states "
                          "file, oldest first: the analyses at every step go into OUT/training (when each "
                          "feature's cell emerges), those of the last step into OUT")
    _add_analysis_options(imported, "(default: OUT)")
    imported.add_argument("--no-progress", action="store_true", help="no progress line")
    imported.set_defaults(summary_states=None)
    return p


UNIT_CHOICES = {"lstm": "LSTM", "gru": "GRU", "rnn": "vanilla RNN"}

IMPORT_STATES_HELP = """States of any recurrent model, computed by any framework, read into karpathy_rnn: the layout of LSTMVis
(an HDF5 dataset [characters or words, units] per layer, chosen with --dataset), an .npz of such arrays, or .npy
files. Row t is the state after reading character t of --text (--tokens words: word t, its characters and the
whitespace after it coloured by it). Writes OUT/trace (states only) and, from it, what needs only states: cells.csv
and cells.json (every cell's r with each probe feature), figure2.html (coloured text), saturation.json and
figure3.png when every layer's gates are given (LSTM: i f o; GRU: r z), report.md, and the plugin's summaries, so
`tensorboard --logdir` on OUT's parent shows the run; with --steps, the analyses at each step into OUT/training.
What needs the model's predictions (longrange, oracles, agreement, connectivity, color of a new text) says so.

    python scripts/analyze.py import-states --states states.h5 --dataset states1 states2 --text text.txt --out runs/lstmvis
    python scripts/analyze.py import-states --states c1.npy h1.npy --dataset c1=1.c h1=1.h --text text.txt --out runs/np
    python scripts/analyze.py import-states --states s1000.h5 s2000.h5 --steps 1000 2000 --dataset states1 --text t.txt --out runs/x"""


def _add_analysis_options(p, logdir_default: str) -> None:
    """The options of the analyses of one trace (the default command and import-states)."""
    p.add_argument("--top", type=int, default=3, help="cells shown per feature (default: %(default)s)")
    p.add_argument("--snippet", type=int, default=600, help="characters of text per gallery panel "
                   "(default: %(default)s)")
    p.add_argument("--logdir", help=f"where the plugin's summaries go {logdir_default}")
    p.add_argument("--summary-chars", type=int, default=5000, help="characters of the text whose activations go "
                   "into the summaries (default: %(default)s)")
    p.add_argument("--no-png", action="store_true", help="HTML gallery only (faster)")
    p.add_argument("--features", choices=("auto", "prose", "code", "all"), default="auto",
                   help="probe features to rank cells by: prose (line position, quotes), code (brackets, "
                   "comments, strings, indentation, if conditions) or all; auto tells prose from code by "
                   "how often { } ; = occur (default: %(default)s)")


EXPORT_HELP = """A view of the karpathy_rnn TensorBoard plugin, exactly as the browser shows it, as files for a paper or a
slide: a standalone HTML file (its styles inlined, every text escaped, no script and no external request) and a
PNG at print resolution (3x CSS pixels, about 288 dpi), both captioned with the run, step, layer and cell. The real
tensorboard is started on LOGDIR and Debian's headless Chromium (apt install chromium chromium-driver) draws the
view and runs its Export buttons; nothing is drawn twice by other code."""


def _export(args, log):
    """export: one view of the plugin as HTML and PNG files (tb_plugin/export_cli.py)."""
    from tb_plugin.export_cli import export_views

    if not os.path.isdir(args.logdir):
        raise KRNNError(f"{args.logdir!r} is not a folder; give the --logdir TensorBoard shows (e.g. runs)")
    for flag in ("step", "cell", "offset", "index"):
        value = getattr(args, flag)
        if value is not None and value < 0:
            raise KRNNError(f"--{flag} must be >= 0, got {value}")
    writable_folder(args.out, "--out")
    params = {key: getattr(args, key) for key in ("run", "step", "layer", "name", "cell", "offset", "index")
              if getattr(args, key) is not None}
    for path in export_views(args.logdir, args.out, args.view, params, tuple(args.format)):
        log(f"wrote {path}")


def _positions(value: str) -> list[int]:
    """"5,17" -> [5, 17] (argparse type)."""
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a comma-separated list of character positions, e.g. 5,17")


LONGRANGE_HELP = """Section 4.3 for a trained model: its test errors beside the best n-gram's and the best n-NN's
(Figure 4, left), the characters where it and the 20-gram each lead (Figure 4, middle/right) and, on code, the
mean probability of each '}' by distance to its '{' (Figure 5, left). The baselines' traces must be of the same
corpus and split (scripts/ngram.py and scripts/nn.py write them). Writes under --out (default
RUN/analysis/SPLIT/longrange): longrange.json, overlap.csv, characters.csv, brace.csv, figure4_overlap.png,
figure4_characters.png, figure5_brace.png, report.md; and the plugin's summaries into --logdir.
The comparison n-gram is the one with the longest context (the paper's 20-gram); "best" is the lowest validation
loss (score the n-grams' validation split too: scripts/ngram.py --split val). Without --nn the n-NN parts are left
out."""


ORACLES_HELP = """Section 4.4 for a trained model: its errors (p < 0.5) on the split peeled by the paper's oracles in
order: n-gram (n = 1..9), dynamic n-memory (100, 500, 1000, 5000), rare words (0..5 training occurrences), after a
space / quote / newline, punctuation, boosts of 0.1..0.5 (karpathy_rnn/analysis/oracles.py says how each is read;
--memory-match chooses the memory oracle's reading).
Prints the breakdown; writes under --out (default RUN/analysis/SPLIT/oracles): oracles.json, oracles.csv,
figure6_oracles.png, figure6_examples.html, report.md (and extra_errors.csv with --compare); and the plugin's oracle
summary with examples into --logdir. The n-gram traces must be of the same corpus and split (scripts/ngram.py)."""

AGREEMENT_HELP = """Figure 1 (right) for several trained models: the fraction of the split's characters on which each
pair agrees on the most likely next character, and a t-SNE embedding of 1 - agreement (scikit-learn, seed 0),
coloured by unit, sized by parameters, marked by depth. A run's predictions come from its trace of the split
(`python scripts/analyze.py trace RUN`, or the default command) where it has one, else from its best.keras over the
split in one pass (the same numbers, no trace written: a grid of large models needs no gigabytes of gates). Writes
under --out: agreement.json,
agreement.csv, figure1_agreement.png; and the plugin's agreement summary into --logdir."""


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


def _corpus(args, model, run_dir):
    """The corpus a model is analysed on: --corpus, else the run's own (its file if unchanged)."""
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
    return corpus


def _trace(args, model, run_dir, out, log, corpus=None):
    """Open or write OUT/trace for `args.split`."""
    from karpathy_rnn.analysis.extract import trace_ids
    from karpathy_rnn.analysis.trace import Trace

    corpus = corpus or _corpus(args, model, run_dir)
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
    from karpathy_rnn.progress import WorkProgress

    reporter = None if args.no_progress else WorkProgress("tracing")   # plain lines when not a terminal
    trace = trace_ids(model, ids, path, lanes=args.lanes, warmup=args.warmup,
                      progress=reporter and (lambda done, total, seconds: reporter.update(done, total)),
                      corpus=corpus.name, corpus_sha256=corpus.sha256, split=args.split, model_file=identity,
                      lanes_requested=args.lanes, warmup_requested=args.warmup)
    if reporter:
        reporter.end()
    log(f"traced {trace.length:,} characters of {corpus.name} {args.split} in {trace.meta['seconds']:.1f} s "
        f"({trace.meta['chars_per_second']:,.0f} chars/s, {trace.meta['lanes']} lanes) into {path}")
    return trace


def _analyse(args, trace, run_dir, out, log, step=None):
    """Cells, gallery, saturation, summaries and the report from a trace."""
    from karpathy_rnn.analysis.cells import TRACKED_R, score_cells, top_cells, untracked_features
    from karpathy_rnn.analysis.features import text_features, text_kind
    from karpathy_rnn.analysis.gallery import write_gallery
    from karpathy_rnn.analysis.publish import (ranking_json, saturation_json, write_json, write_report,
                                               write_scores_csv, write_summaries)
    from karpathy_rnn.analysis.saturation import describe_claims, has_saturation_gates, trace_saturation
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
    if has_saturation_gates(trace.layers):
        report = trace_saturation(trace)
        claims = describe_claims(report)
        figures.append(write_json(saturation_json(report), os.path.join(out, "saturation.json")))
        figures.append(save_figure(saturation_figure(report.fractions, f"{trace.meta.get('corpus', '')} "
                                                     f"{trace.meta.get('split', '')}"), os.path.join(out, "figure3.png")))
        for claim in claims:
            log(claim)
    else:
        log("saturation: skipped, " + ("the states give no gates (import them with --dataset NAME=LAYER.GATE)"
                                       if trace.meta.get("states_only") else "the model has no LSTM or GRU gates"))
    results = (read_results(run_dir) or {}) if run_dir else {}
    logdir = args.logdir or out
    step = int(results.get("best_step") or 0) if step is None else step
    write_summaries(trace, logdir, step, ranking, report, args.summary_chars,
                    tuple(args.summary_states) if args.summary_states else None, features)
    log(f"TensorBoard summaries (step {step}) in {logdir}: tensorboard --logdir "
        f"{os.path.dirname(run_dir) if run_dir else logdir}")
    path = write_report(os.path.join(out, "report.md"), trace, ranking, claims, figures, untracked, kind)
    log(f"report: {path}")


def _over_training(args, log):
    """--checkpoints: the section 4.2 analyses at each kept step of a training run (analysis/over_training.py)."""
    from karpathy_rnn.analysis.over_training import analyze_history
    from karpathy_rnn.training.history import choose_steps

    run_dir = args.model if os.path.isfile(os.path.join(args.model, "config.json")) else None
    if run_dir is None:
        raise KRNNError(f"--checkpoints needs a training run directory (with config.json and history/), got "
                        f"{args.model!r}")
    out = args.out or os.path.join(run_dir, "analysis", "training", args.split)
    writable_folder(out, "--out")
    if args.logdir:
        writable_folder(args.logdir, "--logdir")
    choose_steps(run_dir, args.checkpoints)       # a missing step is refused before TensorFlow starts
    vocabulary = (read_config(run_dir) or {}).get("vocabulary") or ""
    corpus = _corpus(args, argparse.Namespace(vocabulary=vocabulary), run_dir)
    analyze_history(run_dir, corpus, args.checkpoints, args.split, out, args.logdir, args.summary_chars,
                    args.features, args.top, args.lanes, args.warmup, log)


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
    nns = baseline_runs(args.nn, "nn", corpus, args.split) if args.nn else {}
    best_ngram, long_ngram = best_run(ngrams), ngrams[max(ngrams)]      # best: on validation (baselines/runs.py)
    best_nn = best_run(nns) if nns else None
    baselines = [run for run in (best_ngram, best_nn, long_ngram) if run is not None]
    name = _model_name(run_dir, trace)
    traces = {name: trace, **{run.name: Trace(run.trace) for run in baselines}}
    check_same_text(traces)
    correct = {key: trace_correct_probabilities(value) for key, value in traces.items()}
    results = read_results(run_dir) if run_dir else None
    model_loss = float(-np.log(correct[name]).mean())
    models = {name: model_loss, **{run.name: run.loss for run in baselines}}
    chosen = {label: {"name": run.name, "val_loss": run.val_loss,
                      "val_losses": {other.name: other.val_loss for other in runs.values()}}
              for label, run, runs in (("n-gram", best_ngram, ngrams), ("n-NN", best_nn, nns)) if run is not None}
    log(f"{name}: {model_loss:.4f} nats/char on {corpus} {args.split}; best n-gram on validation {best_ngram.name} "
        f"{best_ngram.loss:.4f}, " + (f"best n-NN on validation {best_nn.name} {best_nn.loss:.4f}, " if best_nn else "")
        + f"{long_ngram.name} {long_ngram.loss:.4f}")
    if best_nn is None:
        log("n-NN parts left out (no --nn): Figure 4 (left) overlaps the model's errors with the best n-gram's only "
            "(no figure4_overlap.png, which needs three models); the n-gram parts are written")
    text, targets = trace.text, np.asarray(trace.targets)
    overlap = overlap_study({key: correct[key] for key in dict.fromkeys(
        [name] + ([best_nn.name] if best_nn else []) + [best_ngram.name])})
    characters = character_study(correct[name], correct[long_ngram.name], targets, trace.vocabulary,
                                 (name, long_ngram.name))
    brace = None
    if args.brace == "on" or (args.brace == "auto" and len(closing_brace_distances(text)[0])):
        brace = brace_study(text, {name: correct[name], long_ngram.name: correct[long_ngram.name]},
                            longest=args.brace_longest)
    else:
        log("brace study: skipped (" + ("--brace off" if args.brace == "off" else "no '}' closes a '{' in this "
                                        "text") + ")")
    longrange_out = args.study_out
    files = publish.write_numbers(longrange_out, overlap, characters, brace, models, chosen)
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
        handle.write(publish.report_section(overlap, characters, brace, models, figures, chosen))
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


def _named(run_dir: str | None, trace, taken: set) -> str:
    """The model's name for tables and pies, with its run folder when another model has that name."""
    name = _model_name(run_dir, trace)
    return f"{name} ({os.path.basename(os.path.normpath(run_dir))})" if name in taken and run_dir else name


def _compared_trace(args, corpus_args, log):
    """The --compare model's trace of the same split (written under its run, as the default command would)."""
    from karpathy_rnn.analysis.extract import open_gate_model
    from karpathy_rnn.sampling import resolve_model_path

    _, resolved = resolve_model_path(args.compare)
    run_dir = _run_directory(resolved)
    name = os.path.basename(os.path.normpath(args.compare)).removesuffix(".keras")
    out = os.path.join(run_dir, "analysis", args.split) if run_dir else os.path.join("analysis", name, args.split)
    writable_folder(out, "--compare's analysis folder")
    model = open_gate_model(resolved)
    other = argparse.Namespace(**{**vars(corpus_args), "model": args.compare})
    return _trace(other, model, run_dir, out, log), run_dir, out


def _oracles(args, trace, model, run_dir, log):
    """Section 4.4: the model's (and --compare's) errors peeled by the oracles; numbers, figures, report,
    summaries."""
    import numpy as np

    from karpathy_rnn.analysis import oracles
    from karpathy_rnn.analysis import publish_oracles as publish
    from karpathy_rnn.analysis.longrange import check_same_text, trace_correct_probabilities
    from karpathy_rnn.analysis.trace import Trace
    from karpathy_rnn.baselines.runs import baseline_runs

    corpus_name = trace.meta.get("corpus", "")
    ngrams = baseline_runs(args.ngram, "ngram", corpus_name, args.split, orders=oracles.NGRAM_ORDERS)
    missing = [n for n in oracles.NGRAM_ORDERS if n not in ngrams]
    if missing:
        orders = ",".join(map(str, missing))
        raise KRNNError(f"--ngram {args.ngram!r} lacks n = {orders}, which the n-gram oracle needs (n = 1..9); make "
                        f"them with `python scripts/ngram.py --corpus {corpus_name} --orders {orders}`")
    name = _named(run_dir, trace, set())
    traces = {name: trace, **{f"{n}-gram": Trace(ngrams[n].trace) for n in oracles.NGRAM_ORDERS}}
    runs = {name: run_dir}
    if args.compare:
        other, other_dir, other_out = _compared_trace(args, args, log)
        other_name = _named(other_dir, other, {name})
        traces[other_name], runs[other_name] = other, other_dir
    check_same_text(traces)
    ngram_correct = np.stack([trace_correct_probabilities(traces[f"{n}-gram"]) for n in oracles.NGRAM_ORDERS])
    counts = oracles.word_counts(_corpus(args, model, run_dir).text("train"))
    text = trace.text
    results, examples = {}, {}
    for key in runs:
        results[key] = oracles.breakdown(text, trace_correct_probabilities(traces[key]), ngram_correct, counts,
                                         memory_match=args.memory_match)
        examples[key] = oracles.examples(text, results[key], args.examples)
    extra = oracles.extra_errors(*results.values()) if args.compare else None
    out = args.study_out
    title = f"{trace.meta.get('corpus', '')} {args.split}"
    files = publish.write_numbers(out, results, examples, extra) + publish.write_figures(out, results, examples, title)
    from karpathy_rnn.atomic import atomic_file
    with atomic_file(os.path.join(out, "report.md"), "w", encoding="utf-8") as handle:
        handle.write(publish.report_section(results, extra, files))
    for key, folder in runs.items():
        logdir = (args.logdir or out) if key == name else os.path.join(other_out, "oracles")
        step = int(((read_results(folder) or {}) if folder else {}).get("best_step") or 0)
        publish.write_summary(logdir, step, key, results[key], examples[key], args.split)
        log(f"{key}: {results[key].total:,} errors (p < 0.5) in {trace.length:,} characters "
            f"({results[key].total / max(trace.length, 1):.1%}); oracle summary (step {step}) in {logdir}")
        log(f"  {publish.memory_reading(results[key])}")
        log(f"  {'oracle':16s} {'removed':>9s} {'% of errors':>12s} {'cumulative':>11s}")
        for row in publish.breakdown_rows(results[key]):
            log(f"  {row['name']:16s} {row['errors']:9,d} {100 * row['share']:11.1f}% {100 * row['cumulative']:10.1f}%")
    if extra is not None:
        total = sum(r["extra"] for r in extra)
        log(f"{list(runs)[1]} makes {total:+,} errors against {name}: "
            + ", ".join(f"{r['name']} {r['extra']:+,}" for r in extra if r["extra"]))
    log(f"wrote {', '.join(os.path.basename(f) for f in files)} and report.md in {out}")


def _agreement_runs(folders: list[str], corpus: str | None, split: str) -> list[str]:
    """The run folders named or held by `folders` (of `corpus` if given); KRNNError for one with no trace."""
    runs = []
    for folder in folders:
        if not os.path.isdir(folder):
            raise KRNNError(f"{folder!r} is not a folder; give training run folders or a folder holding them")
        inside = [folder] if os.path.isfile(os.path.join(folder, "config.json")) else sorted(
            os.path.join(folder, entry) for entry in os.listdir(folder)
            if os.path.isfile(os.path.join(folder, entry, "config.json")))
        if not inside:
            raise KRNNError(f"{folder!r} is neither a training run (config.json) nor a folder holding runs")
        runs += [run for run in inside if not corpus or (read_config(run) or {}).get("corpus") == corpus]
    if not runs:
        raise KRNNError(f"no run of corpus {corpus!r} in {', '.join(folders)}; check --corpus")
    for run in runs:
        if not os.path.isfile(os.path.join(run, "analysis", split, "trace", "trace.json")) and \
                not os.path.isfile(os.path.join(run, "best.keras")):
            raise KRNNError(f"run {run!r} has neither a trace of the {split} split nor a best.keras to predict it "
                            f"with; make one with `python scripts/analyze.py trace {run} --split {split}`")
    return runs


def _agreement_predictions(run: str, split: str, data_dir: str | None):
    """(most likely characters [N], the split's text, the vocabulary) of a run: from its trace of `split` when it has
    one, else predicted by its best.keras over the split in one pass (no trace written)."""
    from types import SimpleNamespace

    from karpathy_rnn.analysis.agreement import most_likely, stream_most_likely
    from karpathy_rnn.analysis.trace import Trace

    trace_dir = os.path.join(run, "analysis", split, "trace")
    if os.path.isfile(os.path.join(trace_dir, "trace.json")):
        trace = Trace(trace_dir)
        return most_likely(trace), trace.text, trace.meta.get("vocabulary")
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.sampling import open_language_model

    stepper = open_language_model(run)
    characters = "".join(stepper.vocabulary.chars)
    config = read_config(run) or {}
    corpus = _run_corpus(config, SimpleNamespace(vocabulary=characters)) or load_corpus(
        config.get("corpus") or config.get("corpus_name"), split=config.get("split"),
        data_dir=data_dir or config.get("data_dir"), download=False, vocabulary=Vocabulary(tuple(characters)))
    ids = corpus.scoring_ids(split)
    return stream_most_likely(stepper.step, stepper.zero_states(1), ids), corpus.text(split), characters


CONNECTIVITY_HELP = """Connectivity (Madsen, Distill 2019): for each character j of a text, the L2 norm over the input
encoding of the gradient of the logit of j's target (autocomplete: its word; char-LM: the character itself, predicted
from the characters before it) with respect to every earlier input. 1 to 4 models of one task side by side, on
--text or on --count texts of --split. Writes under --out: connectivity.json, connectivity.csv (per text and model,
the share of connectivity on characters before the current word); and one plugin summary per text into --logdir,
shown by TensorBoard's Connectivity tab."""


def _connectivity(args, log):
    """Distill 2019's connectivity of 1-4 runs over the same texts: files and the plugin's summaries."""
    from karpathy_rnn.analysis import publish_connectivity as publish
    from karpathy_rnn.analysis.connectivity_study import check_comparable, connectivity_body, open_run, study_texts

    if args.text is None and args.count < 1:
        raise KRNNError(f"--count must be >= 1, got {args.count}")
    if args.length < 2:
        raise KRNNError(f"--length must be >= 2, got {args.length}")
    models = [open_run(run) for run in args.runs]
    check_comparable(models)
    first = models[0]
    out = writable_folder(args.out or os.path.join(first.run_dir, "analysis", "connectivity"), "--out")
    logdir = writable_folder(args.logdir or first.run_dir, "--logdir")
    texts = study_texts(first, args.text, args.split, args.count, args.length, args.data_dir)
    bodies = []
    for index, (source, text) in enumerate(texts):
        bodies.append(connectivity_body(models, source, text, args.positions))
        log(f"text {index + 1}/{len(texts)}: {source}, {len(bodies[-1]['text'])} characters")
    files = publish.write_files(out, bodies)
    publish.write_summaries(logdir, bodies, first.step)
    for model, share in publish.mean_shares(bodies).items():
        log(f"{model:40s} share of connectivity before the current word: {share:.3f}")
    log(f"wrote {', '.join(os.path.basename(f) for f in files)} in {out}; {len(bodies)} connectivity summaries in "
        f"{logdir}")


def _agreement(args, log):
    """Figure 1 (right): agreement of several runs' most likely characters, its t-SNE, figure and summary."""
    import numpy as np

    from karpathy_rnn.analysis import publish_agreement as publish
    from karpathy_rnn.analysis.agreement import LEAST_FOR_TSNE, agreement_matrix, embed

    runs = _agreement_runs(args.runs, args.corpus, args.split)
    if len(runs) < LEAST_FOR_TSNE:
        raise KRNNError(f"{len(runs)} run(s) ({', '.join(runs)}): a t-SNE embedding needs at least "
                        f"{LEAST_FOR_TSNE}; give more runs")
    writable_folder(args.out, "--out")
    names = [os.path.basename(os.path.normpath(run)) for run in runs]
    if len(set(names)) < len(names):
        names = [os.path.relpath(run) for run in runs]
    read = {name: _agreement_predictions(run, args.split, args.data_dir) for name, run in zip(names, runs)}
    first_name, (_, first_text, first_vocabulary) = next(iter(read.items()))
    for name, (_, text, vocabulary) in read.items():
        if vocabulary != first_vocabulary or text != first_text:
            raise KRNNError(f"runs {first_name!r} and {name!r} are not of the same text and vocabulary "
                            f"({len(first_text):,} and {len(text):,} characters of {args.split}); give runs of one "
                            "corpus (--corpus keeps those of one)")
    matrix = agreement_matrix(np.stack([predictions for predictions, _, _ in read.values()]))
    models = []
    for name, run in zip(names, runs):
        config, results = read_config(run) or {}, read_results(run) or {}
        models.append({"name": name, "unit": str(config.get("unit", "")), "layers": int(config.get("layers") or 1),
                       "params": int(results.get("params") or 0)})
    corpus_name = (read_config(runs[0]) or {}).get("corpus_name", "")
    body = publish.agreement_body(models, matrix, embed(matrix), len(first_text), args.split)
    files = publish.write_files(args.out, body, f"{corpus_name} {args.split}: t-SNE of agreement "
                                "on the most likely character")
    logdir = publish.write_summary(args.logdir or args.out, body)
    for name, row in zip(names, matrix):
        log(f"{name:32s} " + " ".join(f"{v:.3f}" for v in row))
    log(f"wrote {', '.join(os.path.basename(f) for f in files)} in {args.out}; agreement summary in {logdir}")


def _color(args, p, log):
    from karpathy_rnn.render import colored_text_html, html_page
    from karpathy_rnn.show import cell_activations, check_cell

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
    from karpathy_rnn.analysis.trace import find_layer
    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.training.run_dir import char_lm_config

    config = char_lm_config(args.model)
    if config is not None:                     # what the run's config.json decides, before TensorFlow loads
        check_cell(find_layer(_configured_layers(config), args.layer), args.cell)
        Vocabulary(tuple(config["vocabulary"])).encode(text)
    shown = cell_activations(args.model, text, args.layer, args.cell, args.state)   # a gate 0..1, a state -1..+1
    if args.out.endswith(".png"):
        from karpathy_rnn.plots import colored_text_figure, save_figure
        save_figure(colored_text_figure([(shown.title, text, shown.values, shown.scale)]), args.out)
    else:
        from karpathy_rnn.atomic import atomic_file
        with atomic_file(args.out, "w", encoding="utf-8") as handle:
            handle.write(html_page(shown.title, colored_text_html(text, shown.values, shown.title, shown.scale)))
    log(f"wrote {args.out}")


def _import_states(args, log):
    """import-states: states from another tool as OUT/trace, the states-only analyses of it, and (--steps) of
    each step (karpathy_rnn/analysis/import_states.py)."""
    import json

    from karpathy_rnn.analysis.import_states import import_states
    from karpathy_rnn.analysis.over_training import analyse_traces
    from karpathy_rnn.atomic import FolderLock, atomic_file
    from karpathy_rnn.data.textfile import read_text, text_sha256
    from karpathy_rnn.training.run_dir import IMPORTED_STATES_FILE

    if args.steps and len(args.steps) != len(args.states):
        raise KRNNError(f"--steps gives {len(args.steps)} step(s) for {len(args.states)} --states file(s); give one "
                        "HDF5 or .npz file per step")
    if args.steps and sorted(set(args.steps)) != list(args.steps):
        raise KRNNError(f"--steps {' '.join(map(str, args.steps))}: give each step once, oldest first")
    if not os.path.isfile(args.text):
        raise KRNNError(f"--text {args.text!r} does not exist; give the UTF-8 text the states were computed on")
    text = read_text(args.text)
    writable_folder(args.out, "--out")
    if args.logdir:
        writable_folder(args.logdir, "--logdir")
    lock = FolderLock(args.out, "analyze.py", "wait for it to end or stop it, or give another --out")  # noqa: F841
    from karpathy_rnn.progress import WorkProgress

    def imported(files, path, **meta):
        reporter = None if args.no_progress else WorkProgress("importing")
        trace = import_states(text, files, path, args.dataset, args.unit, args.tokens, args.skip_rows,
                              progress=reporter and reporter.update, corpus=os.path.basename(args.text),
                              corpus_sha256=text_sha256(text), split="imported", **meta)
        if reporter:
            reporter.end()
        return trace

    groups = [[path] for path in args.states] if args.steps else [args.states]
    if args.steps:          # each step's states, analysed in turn; the last step's kept as OUT/trace
        by_step = dict(zip(args.steps, groups))
        analyse_traces(lambda step, path: imported(by_step[step], path, step=step), list(args.steps),
                       os.path.join(args.out, "training"), os.path.join(args.logdir or args.out, "training"),
                       " ".join(args.states), f"{len(text):,} characters of {args.text}", args.summary_chars,
                       args.features, args.top, log)
    trace = imported(groups[-1], os.path.join(args.out, "trace"), **({"step": args.steps[-1]} if args.steps else {}))
    layers = ", ".join(f"{layer.name} ({layer.units} units: {' '.join(layer.gates)})" for layer in trace.layers)
    log(f"imported {layers} over {trace.length:,} characters of {args.text} into {os.path.join(args.out, 'trace')}")
    with atomic_file(os.path.join(args.out, IMPORTED_STATES_FILE), "w", encoding="utf-8") as handle:
        json.dump({"states": args.states, "datasets": trace.meta["datasets"], "text": args.text,
                   "text_sha256": text_sha256(text), "unit": args.unit, "tokens": args.tokens,
                   "skip_rows": args.skip_rows, "steps": args.steps}, handle, indent=1)
    _analyse(args, trace, None, args.out, log, step=args.steps[-1] if args.steps else 0)


def _configured_layers(config: dict) -> list:
    """The recurrent layers a train.py run's config.json describes, as find_layer takes them (name, units)."""
    from types import SimpleNamespace

    return [SimpleNamespace(name=f"{config['unit']}{index}", units=config["hidden"])
            for index in range(1, config["layers"] + 1)]


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
    if args.command == "agreement":
        _agreement(args, log)
        return 0
    if args.command == "connectivity":
        _connectivity(args, log)
        return 0
    if args.command == "export":
        _export(args, log)
        return 0
    if args.command == "import-states":
        _positive(p, "top", args.top)
        _positive(p, "snippet", args.snippet, 10)
        _positive(p, "summary-chars", args.summary_chars)
        _positive(p, "skip-rows", args.skip_rows, 0)
        _import_states(args, log)
        return 0
    _positive(p, "lanes", args.lanes)
    _positive(p, "warmup", args.warmup, 0)
    if args.command == "longrange":
        _positive(p, "summary-chars", args.summary_chars)
        _positive(p, "brace-longest", args.brace_longest, 20)
    if args.command == "oracles":
        _positive(p, "examples", args.examples, 0)
    if args.command == "all":
        _positive(p, "top", args.top)
        _positive(p, "snippet", args.snippet, 10)
        _positive(p, "summary-chars", args.summary_chars)
        args.split = args.split or ("val" if args.checkpoints else "test")
        if args.checkpoints:
            _over_training(args, log)
            return 0
    from karpathy_rnn.analysis.extract import open_gate_model
    from karpathy_rnn.sampling import resolve_model_path

    _, resolved = resolve_model_path(args.model)
    run_dir = _run_directory(resolved)
    name = os.path.basename(os.path.normpath(args.model)).removesuffix(".keras")
    out = args.out or (os.path.join(run_dir, "analysis", args.split) if run_dir else os.path.join("analysis", name, args.split))
    if args.command in ("longrange", "oracles"):   # the trace stays where the default command keeps it
        args.study_out = out if args.out else os.path.join(out, args.command)
        out = out if not args.out else os.path.join(out, "model")
        writable_folder(args.study_out, "--out")
        for flag in ("ngram", "nn"):
            if getattr(args, flag, None) and not os.path.isdir(getattr(args, flag)):
                raise KRNNError(f"--{flag} {getattr(args, flag)!r} is not a folder; give the --out of "
                                f"scripts/{flag}.py")
    writable_folder(out, "--out")
    from karpathy_rnn.atomic import FolderLock

    lock = FolderLock(out, "analyze.py", "wait for it to end or stop it, or give another --out")  # noqa: F841 (held to the end)
    if args.command in ("all", "longrange", "oracles") and args.logdir:
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
    if args.command == "oracles":
        _oracles(args, trace, model, run_dir, log)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
