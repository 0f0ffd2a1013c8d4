"""The autocomplete task of "Visualizing memorization in RNNs" (Madsen, Distill 2019): train, test, complete.

    python scripts/autocomplete.py train --unit gru                 # CPU size: War and Peace, 2x256, 2^11 words
    python scripts/autocomplete.py train --unit nlstm --article     # the article's: text8, 600 units, 2^14 words
    python scripts/autocomplete.py train --unit lstm --resume       # continue a killed run from its last backup
    python scripts/autocomplete.py test runs/autocomplete-*         # the test table and accuracy graph of several
    python scripts/autocomplete.py complete runs/autocomplete-war_and_peace-gru-2x256 --text "the emperor nap"
    tensorboard --logdir runs

A run lives in LOGDIR/NAME (default autocomplete-<corpus>-<unit>-<layers>x<units>): config.json, words.json,
backup/ (every --backup-every batches), best.keras, TensorBoard events, and at the end results.json (test
cross-entropy and top-1/2/3 accuracy over the scored positions) and accuracy_by_seen.csv.
"""

from __future__ import annotations

import argparse
import os
import sys

from karpathy_rnn.cli import ArgumentParser, run_script, writable_folder
from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training.autocomplete import AutocompleteConfig
from karpathy_rnn.training.config import DISTRIBUTE, UNIT_NAMES

DEFAULTS = AutocompleteConfig()
ARTICLE = AutocompleteConfig.article()


def _parser() -> ArgumentParser:
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)
    train = sub.add_parser("train", help="train (or resume) one model", description="Train one autocomplete model "
                           "with Adam (default parameters) on the masked word cross-entropy, then test it.")
    add = train.add_argument
    add("--unit", choices=UNIT_NAMES, default=DEFAULTS.unit, help="recurrent unit (default: %(default)s)")
    add("--article", action="store_true", help=f"the article's size: --corpus {ARTICLE.corpus} --units "
        f"{ARTICLE.units} --words {ARTICLE.words} --epochs {ARTICLE.epochs} (flags given still win)")
    add("--corpus", help=f"a known corpus (text8, war_and_peace, ...) or a text file (default: {DEFAULTS.corpus})")
    add("--layers", type=int, help="recurrent layers (default: 2; 1 for nlstm, the article's)")
    add("--units", type=int, help=f"units per layer and embedding width (default: {DEFAULTS.units})")
    add("--depth", type=int, default=DEFAULTS.depth, help="Nested LSTM depth (default: %(default)s)")
    add("--words", type=int, help=f"output vocabulary: the most frequent training words (default: {DEFAULTS.words}; "
        "the article's 16384), plus padding and unknown")
    add("--length", type=int, default=DEFAULTS.length, help="longest observation in characters (default: "
        "%(default)s)")
    add("--batch-size", type=int, default=DEFAULTS.batch_size, help="observations per batch (default: %(default)s)")
    add("--epochs", type=int, help=f"epochs (default: {DEFAULTS.epochs})")
    add("--max-steps", type=int, help="at most this many batches per epoch (smoke runs)")
    add("--seed", type=int, default=DEFAULTS.seed, help="seed of initialisation and shuffling (default: %(default)s)")
    add("--logdir", default=DEFAULTS.logdir, help="folder of run directories (default: %(default)s)")
    add("--name", help="run directory name (default: autocomplete-<corpus>-<unit>-<layers>x<units>)")
    add("--resume", action="store_true", help="continue the run in LOGDIR/NAME from its last backup")
    add("--backup-every", type=int, default=DEFAULTS.backup_every, help="batches between backups (default: "
        "%(default)s)")
    add("--log-every", type=int, default=DEFAULTS.log_every, help="batches between logged training losses "
        "(default: %(default)s)")
    add("--data-dir", help="a folder holding the corpus files (default: $KRNN_DATA_DIR, the cache)")
    add("--distribute", choices=DISTRIBUTE, default=DEFAULTS.distribute, help="none: one device, the GPU when there "
        "is one, with no flag; mirrored: tf.distribute.MirroredStrategy over every GPU (default: %(default)s)")
    test = sub.add_parser("test", help="the test table and accuracy graph of trained runs",
                          description="The article's test table (cross-entropy, top-1/2/3 accuracy) and its "
                          "accuracy graph (accuracy against characters of the word seen) for trained runs.")
    test.add_argument("runs", nargs="+", metavar="RUN", help="autocomplete run directories")
    test.add_argument("--out", default="autocomplete", help="output folder (default: %(default)s)")
    complete = sub.add_parser("complete", help="a run's top suggestions at each word of a text",
                              description="The word suggestions of a trained run at each character of --text.")
    complete.add_argument("run", metavar="RUN")
    complete.add_argument("--text", required=True, help="English text (normalised as text8 is)")
    complete.add_argument("--top", type=int, default=3, help="suggestions per position (default: %(default)s)")
    return p


def _config(args) -> AutocompleteConfig:
    base = ARTICLE if args.article else DEFAULTS
    chosen = {name: getattr(args, name) for name in ("corpus", "units", "words", "epochs")
              if getattr(args, name) is not None}
    return AutocompleteConfig(**{**{k: getattr(base, k) for k in ("corpus", "units", "words", "epochs")}, **chosen},
                              unit=args.unit, layers=args.layers, depth=args.depth, length=args.length,
                              batch_size=args.batch_size, max_steps=args.max_steps, seed=args.seed,
                              logdir=args.logdir, name=args.name, resume=args.resume, backup_every=args.backup_every,
                              log_every=args.log_every, data_dir=args.data_dir, distribute=args.distribute)


def _finished(run: str) -> dict:
    from karpathy_rnn.training.run_dir import read_json

    config = read_json(os.path.join(run, "config.json")) if os.path.isdir(run) else None
    if not config or config.get("task") != "autocomplete":
        raise KRNNError(f"{run!r} is not an autocomplete run directory (no config.json with task autocomplete); "
                        "give a folder scripts/autocomplete.py train wrote")
    results = read_json(os.path.join(run, "results.json"))
    if results is None:
        raise KRNNError(f"{run} has not finished (no results.json): run scripts/autocomplete.py train --resume with "
                        "its flags")
    return results


def _test(args, log) -> None:
    import numpy as np

    from karpathy_rnn.plots import accuracy_by_seen_figure, save_figure

    results = {os.path.basename(os.path.normpath(run)): (run, _finished(run)) for run in args.runs}
    writable_folder(args.out, "--out")
    tables = {}
    log("| model | parameters | cross-entropy | accuracy | top-2 | top-3 |")
    log("|---|---|---|---|---|---|")
    for name, (run, result) in results.items():
        log(f"| {name} | {result['params']:,} | {result['cross_entropy']:.4f} | {100 * result['accuracy']:.2f}% | "
            f"{100 * result['top2_accuracy']:.2f}% | {100 * result['top3_accuracy']:.2f}% |")
        rows = np.genfromtxt(os.path.join(run, "accuracy_by_seen.csv"), delimiter=",", names=True)
        rows = np.atleast_1d(rows)
        tables[name] = {"seen": rows["seen"].astype(int),
                        "accuracy": np.stack([rows["top1"], rows["top2"], rows["top3"]], 1)}
    path = save_figure(accuracy_by_seen_figure(tables), os.path.join(args.out, "accuracy_by_seen.png"))
    log(f"wrote {path}")


def _complete(args, log) -> None:
    from karpathy_rnn.analysis.connectivity_study import (AUTOCOMPLETE, MAX_TEXT, encode_study_text, open_run,
                                                          study_texts)
    from karpathy_rnn.data.autocomplete import normalize_text8

    if args.top < 1:
        raise KRNNError(f"--top must be >= 1, got {args.top}")
    length = len(normalize_text8(args.text)) if args.text is not None else 0
    if length > MAX_TEXT:                                                         # said before the model loads
        raise KRNNError(f"--text has {length:,} characters; autocomplete.py complete takes at most {MAX_TEXT:,}: give "
                        "a shorter text")
    from karpathy_rnn.analysis.connectivity import top_predictions

    study = open_run(args.run)
    if study.task != AUTOCOMPLETE:
        raise KRNNError(f"{args.run} is a {study.task} model; complete needs an autocomplete run")
    (_, text), = study_texts(study, args.text, "test", 1, 0)
    ids, _, _ = encode_study_text(study, text)
    best, probabilities = top_predictions(study.model, ids, args.top)
    shown = " " + text
    for j in range(len(ids)):
        suggestions = ", ".join(f"{study.labels[i]} {100 * p:.1f}%" for i, p in zip(best[j], probabilities[j]))
        log(f"{shown[:j + 1]!r:>40}  {suggestions}")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)

    def log(message):
        print(message, flush=True)

    if args.command == "train":
        from karpathy_rnn.training.autocomplete import train

        train(_config(args), log=log)
    elif args.command == "test":
        _test(args, log)
    else:
        _complete(args, log)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
