"""n-NN baselines of the paper's Table 2 (section 4.3): one-hidden-layer tanh networks on the one-hot encodings of
the last n characters, trained with the paper's recipe, the hidden size chosen on the validation split.

    python scripts/nn.py --corpus war_and_peace --orders 1-6

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
    import numpy as np

    writer = TraceWriter(path, "".join(corpus.vocabulary.chars), len(ids), [], source=f"{n}-NN ({model.name})",
                         corpus=corpus.name, corpus_sha256=corpus.sha256, split=split)
    for start, probabilities in nn.split_distributions(model, np.concatenate(before), ids):
        writer.write_probabilities(start, probabilities)
    return writer.finish(ids.astype(np.int32))


def main(argv=None) -> int:
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="war_and_peace", help="corpus name or path (default: %(default)s)")
    p.add_argument("--orders", default="1-6", help="characters of context n, numbers and ranges (default: "
                   "%(default)s, Table 2's n-NN columns)")
    p.add_argument("--hidden-sizes", default=",".join(map(str, _hidden_sizes())),
                   help="hidden sizes tried for each n; the best validation loss wins (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=50, help="most epochs per model; early stopping usually ends "
                   "sooner (default: %(default)s, section 3.3)")
    p.add_argument("--patience", type=int, default=_patience(), help="epochs without a better validation loss "
                   "before stopping (default: %(default)s)")
    p.add_argument("--split", default="test", choices=("val", "test"), help="split scored (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="initial weights and example order (default: %(default)s)")
    p.add_argument("--out", default=os.path.join("runs", "nn"), help="output folder (default: %(default)s)")
    p.add_argument("--data-dir", help="folder holding the corpus files")
    args = p.parse_args(argv)
    orders = parse_orders(args.orders)
    sizes = parse_sizes(args.hidden_sizes)
    if args.epochs < 1 or args.patience < 1:
        raise KRNNError(f"--epochs ({args.epochs}) and --patience ({args.patience}) must be at least 1")
    from karpathy_rnn.baselines import nn

    for n in orders:
        nn.check_context(n)
    writable_folder(args.out, "--out")
    from karpathy_rnn.baselines.paper import paper_nn
    from karpathy_rnn.data.corpus import load_corpus

    corpus = load_corpus(args.corpus, data_dir=args.data_dir)
    print(f"{corpus.name}: {len(corpus.split_ids('train')):,} training characters, vocabulary "
          f"{corpus.vocabulary.size}; hidden sizes {', '.join(map(str, sizes))}, at most {args.epochs} epochs, "
          f"patience {args.patience}")
    print("| n | hidden | val (nats/char) | ours, test | paper | ours - paper | epochs | train s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    total = 0.0
    for n in orders:
        folder = os.path.join(args.out, corpus.name, f"n{n}")
        tried = {h: nn.train_one(corpus, n, h, os.path.join(folder, f"h{h}"), args.epochs, args.patience,
                                 args.seed) for h in sizes}
        hidden = min(tried, key=lambda h: tried[h]["val_loss_nats"])
        shutil.copyfile(os.path.join(folder, f"h{hidden}", nn.MODEL_FILE), os.path.join(folder, nn.MODEL_FILE))
        model = nn.load(folder)
        started = time.perf_counter()
        trace = write_nn_trace(os.path.join(folder, f"trace_{args.split}"), corpus, args.split, model, n)
        scoring = time.perf_counter() - started
        loss = trace_loss(trace)
        seconds = sum(r["train_seconds"] for r in tried.values())
        total += seconds
        paper = paper_nn(corpus.name, n)
        results = {"corpus": corpus.name, "corpus_sha256": corpus.sha256, "split": args.split, "n": n,
                   "hidden": hidden, f"{args.split}_loss_nats": loss, "paper_nats": paper,
                   "val_loss_nats": {str(h): r["val_loss_nats"] for h, r in tried.items()},
                   "epochs": {str(h): r["epochs"] for h, r in tried.items()}, "train_seconds": seconds,
                   "score_seconds": scoring, "patience": args.patience, "max_epochs": args.epochs, "seed": args.seed}
        with open(os.path.join(folder, "results.json"), "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
        shown = f"{paper:.3f} | {loss - paper:+.3f}" if paper is not None else "- | -"
        print(f"| {n} | {hidden} | {tried[hidden]['val_loss_nats']:.3f} | {loss:.3f} | {shown} | "
              f"{tried[hidden]['epochs']} | {seconds:.0f} |", flush=True)
    print(f"total training time {total / 60:.1f} min")
    return 0


def trace_loss(trace) -> float:
    """Mean cross-entropy (nats per character) of a trace's text under its model."""
    from karpathy_rnn.analysis.longrange import trace_correct_probabilities
    import numpy as np

    return float(-np.log(trace_correct_probabilities(trace)).mean())


def _hidden_sizes():
    from karpathy_rnn.baselines.nn import HIDDEN_SIZES
    return HIDDEN_SIZES


def _patience():
    from karpathy_rnn.baselines.nn import PATIENCE
    return PATIENCE


if __name__ == "__main__":
    sys.exit(run_script(main))
