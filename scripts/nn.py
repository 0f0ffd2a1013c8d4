"""n-NN baselines of the paper's Table 2 (section 4.3): one-hidden-layer tanh networks on the one-hot encodings of
the last n characters, trained with the paper's recipe, the hidden size chosen on the validation split.

    python scripts/nn.py --corpus war_and_peace --orders 1-6
    python scripts/nn.py --corpus war_and_peace --orders 1-6 --keep docs/reproduction/table2_nn   # kept in the repository

Prints Table 2's n-NN row with the paper's numbers beside ours, and writes OUT/<corpus>/n<N>/: h<H>/ for each
hidden size tried (best.keras, result.json; an interrupted size resumes from its last epoch, a finished one is
not trained again), best.keras (the chosen size's model), results.json (validation loss of each size, test
loss, seconds) and trace_<split>/ (a Trace with the n-NN's whole distribution for every character of the split,
which Figure 5's KL divergence needs). See karpathy_rnn/baselines/nn.py for the recipe.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

import numpy as np

from karpathy_rnn.baselines.nn import HIDDEN_SIZES, PATIENCE
from karpathy_rnn.cli import ArgumentParser, parse_orders, run_script, writable_folder
from karpathy_rnn.errors import KRNNError


def parse_sizes(value: str) -> list[int]:
    """"128,512" -> [128, 512]; KRNNError naming the value unless each is a positive integer."""
    try:
        sizes = sorted({int(part) for part in value.split(",")})
    except ValueError:
        sizes = []
    if not sizes or sizes[0] < 1:
        raise KRNNError(f"--hidden-sizes {value!r}: give positive integers separated by commas, e.g. 128,512")
    return sizes


def write_nn_trace(path: str, corpus, split: str, model, n: int):
    """A trace of the split with the n-NN's distribution [N, K] for every character (no gates)."""
    from karpathy_rnn.analysis.trace import TraceWriter
    from karpathy_rnn.baselines import nn

    ids = corpus.split_ids(split)
    before = {"val": [corpus.split_ids("train")],
              "test": [corpus.split_ids("train"), corpus.split_ids("val")]}[split]
    writer = TraceWriter(path, "".join(corpus.vocabulary.chars), len(ids), [], source=f"{n}-NN ({model.name})",
                         corpus=corpus.name, corpus_sha256=corpus.sha256, split=split)
    for start, probabilities in nn.split_distributions(model, np.concatenate(before), ids):
        writer.write_probabilities(start, probabilities)
    return writer.finish(ids.astype(np.int32))


def build_parser() -> ArgumentParser:
    """The command line; the defaults are the paper's recipe and Table 2's columns."""
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="war_and_peace", help="corpus name or path (default: %(default)s)")
    p.add_argument("--orders", default="1-6", help="characters of context n, numbers and ranges (default: "
                   "%(default)s, Table 2's n-NN columns)")
    p.add_argument("--hidden-sizes", default=",".join(map(str, HIDDEN_SIZES)),
                   help="hidden sizes tried for each n; the best validation loss wins (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=50, help="most epochs per model; early stopping usually ends "
                   "sooner (default: %(default)s, section 3.3)")
    p.add_argument("--patience", type=int, default=PATIENCE, help="epochs without a better validation loss "
                   "before stopping (default: %(default)s)")
    p.add_argument("--learning-rate", type=float, help="RMSProp learning rate (default: the paper's, as train.py)")
    p.add_argument("--decay", type=float, help="learning-rate factor per epoch after --decay-after (default: the "
                   "paper's, as train.py)")
    p.add_argument("--decay-after", type=int, help="epochs at the full learning rate (default: the paper's, as "
                   "train.py); e.g. --decay 0.5 --decay-after 2 halves it each epoch after the second")
    p.add_argument("--split", default="test", choices=("val", "test"), help="split scored (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="initial weights and example order (default: %(default)s)")
    p.add_argument("--out", default=os.path.join("runs", "nn"), help="output folder (default: %(default)s)")
    p.add_argument("--data-dir", help="folder holding the corpus files")
    p.add_argument("--keep", metavar="DIR", help="also copy each order's results.json and its sizes' result.json "
                   "(the validation curves) to DIR/<corpus>/n<N>/ (a folder in the repository); an order kept there "
                   "for the same request is not trained again, even when --out lost it")
    return p


def schedule(args) -> dict:
    """The learning-rate settings given on the command line (the others stay the paper's)."""
    return {key: getattr(args, key) for key in ("learning_rate", "decay", "decay_after")
            if getattr(args, key) is not None}


SMALL_FILES = ("results.json", "h*/result.json")     # what --keep copies of an order's folder: no models, no traces


def kept_order(args, corpus_name: str, n: int, sizes: list[int]) -> dict | None:
    """The order's results.json kept in --keep DIR when it answers this request (split, epochs, patience, seed,
    schedule and hidden sizes), else None."""
    from karpathy_rnn.training.run_dir import read_json

    if not args.keep:
        return None
    results = read_json(os.path.join(args.keep, corpus_name, f"n{n}", "results.json"))
    if results is None:
        return None
    asked = {"split": args.split, "max_epochs": args.epochs, "patience": args.patience, "seed": args.seed,
             **{key: schedule(args).get(key) for key in ("learning_rate", "decay", "decay_after")}}
    same = {key: results.get(key) for key in asked} == asked
    return results if same and sorted(int(h) for h in results.get("val_loss_nats", {})) == sizes else None


def keep_order(folder: str, keep_dir: str, corpus_name: str, n: int) -> list[str]:
    """Copy an order's small files (SMALL_FILES) to KEEP_DIR/<corpus>/n<N>/, keeping their layout; the copies."""
    import glob

    from karpathy_rnn.training.run_dir import read_json, write_json

    copies = []
    for pattern in SMALL_FILES:
        for path in sorted(glob.glob(os.path.join(folder, pattern))):
            target = os.path.join(keep_dir, corpus_name, f"n{n}", os.path.relpath(path, folder))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            write_json(target, read_json(path))
            copies.append(target)
    return copies


def train_order(corpus, n: int, sizes: list[int], args) -> dict:
    """Train the n-NN at each hidden size, keep the best on validation, trace the split; the results dict."""
    from karpathy_rnn.atomic import atomic_file
    from karpathy_rnn.baselines import nn
    from karpathy_rnn.baselines.paper import paper_nn

    # ---- one model per hidden size (each resumes or is read back if already trained) ----------------------
    folder = os.path.join(args.out, corpus.name, f"n{n}")
    tried = {h: nn.train_one(corpus, n, h, os.path.join(folder, f"h{h}"), args.epochs, args.patience, args.seed,
                             schedule=schedule(args)) for h in sizes}
    # ---- the best on validation becomes n<N>/best.keras, and scores the split -------------------------------
    hidden = min(tried, key=lambda h: tried[h]["val_loss_nats"])
    shutil.copyfile(os.path.join(folder, f"h{hidden}", nn.MODEL_FILE), os.path.join(folder, nn.MODEL_FILE))
    started = time.perf_counter()
    trace = write_nn_trace(os.path.join(folder, f"trace_{args.split}"), corpus, args.split, nn.load(folder), n)
    scored = "val_trace_loss_nats" if args.split == "val" else f"{args.split}_loss_nats"   # val_loss_nats: per size
    results = {"corpus": corpus.name, "corpus_sha256": corpus.sha256, "split": args.split, "n": n,
               "hidden": hidden, scored: trace_loss(trace), "paper_nats": paper_nn(corpus.name, n),
               "val_loss_nats": {str(h): r["val_loss_nats"] for h, r in tried.items()},
               "epochs": {str(h): r["epochs"] for h, r in tried.items()},
               "train_seconds": sum(r["train_seconds"] for r in tried.values()),
               "score_seconds": time.perf_counter() - started, "patience": args.patience, "max_epochs": args.epochs,
               "seed": args.seed, **schedule(args)}
    with atomic_file(os.path.join(folder, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    return results


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    # ---- every argument checked before anything is loaded or trained ------------------------------------------
    orders = parse_orders(args.orders)
    sizes = parse_sizes(args.hidden_sizes)
    if args.epochs < 1 or args.patience < 1:
        raise KRNNError(f"--epochs ({args.epochs}) and --patience ({args.patience}) must be at least 1")
    from karpathy_rnn.baselines import nn

    for n in orders:
        nn.check_context(n)
    from karpathy_rnn.training.config import TrainConfig, check_config

    check_config(TrainConfig(**schedule(args)))   # a bad --learning-rate, --decay or --decay-after, named
    writable_folder(args.out, "--out")
    if args.keep:
        writable_folder(args.keep, "--keep")
    from karpathy_rnn.atomic import FolderLock
    from karpathy_rnn.data.corpus import load_corpus

    corpus = load_corpus(args.corpus, data_dir=args.data_dir)
    # ---- one writer per order: every order's folder locked before anything is trained ------------------------
    locks = [FolderLock(os.path.join(args.out, corpus.name, f"n{n}"), "nn.py",  # noqa: F841 (held to the end)
                        "wait for it to end or stop it, or give other --orders or another --out") for n in orders]
    # ---- Table 2's row, one n at a time ---------------------------------------------------------------------
    print(f"{corpus.name}: {len(corpus.split_ids('train')):,} training characters, vocabulary "
          f"{corpus.vocabulary.size}; hidden sizes {', '.join(map(str, sizes))}, at most {args.epochs} epochs, "
          f"patience {args.patience}")
    print(f"| n | hidden | val (nats/char) | ours, {args.split} (traced) | paper (test) | ours - paper | epochs | "
          "train s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    total = 0.0
    for n in orders:
        r = kept_order(args, corpus.name, n, sizes)
        if r is not None:
            print(f"n = {n}: kept in {args.keep}, not trained again")
        else:
            r = train_order(corpus, n, sizes, args)
            if args.keep:
                keep_order(os.path.join(args.out, corpus.name, f"n{n}"), args.keep, corpus.name, n)
        loss = r["val_trace_loss_nats" if args.split == "val" else f"{args.split}_loss_nats"]
        paper, hidden = r["paper_nats"], str(r["hidden"])
        total += r["train_seconds"]
        shown = f"{paper:.3f} | {loss - paper:+.3f}" if paper is not None else "- | -"
        print(f"| {n} | {hidden} | {r['val_loss_nats'][hidden]:.3f} | {loss:.3f} | {shown} | {r['epochs'][hidden]} | "
              f"{r['train_seconds']:.0f} |", flush=True)
    print(f"total training time {total / 60:.1f} min")
    return 0


def trace_loss(trace) -> float:
    """Mean cross-entropy (nats per character) of a trace's text under its model."""
    from karpathy_rnn.analysis.longrange import trace_correct_probabilities

    return float(-np.log(trace_correct_probabilities(trace)).mean())


if __name__ == "__main__":
    sys.exit(run_script(main))
