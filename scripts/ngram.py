"""n-gram baselines of the paper's Table 2 (section 4.3): unpruned (n+1)-gram character models with modified
Kneser-Ney smoothing (KenLM's lmplz) trained on the train split, scored on the test split as one stream.

    python scripts/build_kenlm.py                                   # once: KenLM with orders up to 21
    python scripts/ngram.py --corpus war_and_peace --orders 1-9,20

Prints Table 2's n-gram row with the paper's numbers beside ours, and writes OUT/<corpus>/n<N>/ per order:
model.binary (KenLM), test_log10.npy (log10 probability of each test character, float64 [N]), trace_test/ (a
Trace of the split holding the probability of each character, not whole distributions) and results.json (loss,
seconds, lmplz's peak memory). The split is scored continuing the text before it (its first characters see
the end of the previous split, as a model's trace does). See karpathy_rnn/baselines/ngram.py for the encoding and how
often contexts reset.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from karpathy_rnn.cli import ArgumentParser, parse_orders, run_script, writable_folder
from karpathy_rnn.errors import KRNNError


def write_ngram_trace(path: str, corpus, split: str, log10, trained: dict):
    """A trace of the split holding the probability of each character (no distributions: trace.json says
    "distributions": false), readable by every analysis that needs only those (analysis/longrange.py)."""
    import numpy as np

    from karpathy_rnn.analysis.trace import TraceWriter

    writer = TraceWriter(path, "".join(corpus.vocabulary.chars), len(log10), [], distributions=False,
                         source=f"KenLM {trained['order']}-gram (n = {trained['n']})", corpus=corpus.name,
                         corpus_sha256=corpus.sha256, split=split)
    writer.write_probabilities(0, np.power(10.0, log10).astype(np.float32))
    return writer.finish(corpus.split_ids(split).astype(np.int32))


def main(argv=None) -> int:
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="war_and_peace", help="corpus name or path (default: %(default)s)")
    p.add_argument("--orders", default="1-9,20", help="characters of context n, numbers and ranges; each trains an "
                   "(n+1)-gram model (default: %(default)s, Table 2's columns)")
    p.add_argument("--split", default="test", choices=("val", "test"), help="split scored (default: %(default)s)")
    p.add_argument("--out", default=os.path.join("runs", "ngram"), help="output folder (default: %(default)s)")
    p.add_argument("--data-dir", help="folder holding the corpus files")
    p.add_argument("--memory", default="30%", help="lmplz's memory budget, e.g. 30%% or 4G (default: 30%%)")
    args = p.parse_args(argv)
    from karpathy_rnn.baselines import ngram
    from karpathy_rnn.baselines.kenlm_build import binaries, python_module

    orders = parse_orders(args.orders)
    for n in orders:
        ngram.check_order(n)
    binaries(), python_module()                       # KenLM missing: the one command that builds it
    writable_folder(args.out, "--out")
    import numpy as np

    from karpathy_rnn.baselines.paper import paper_ngram
    from karpathy_rnn.data.corpus import load_corpus

    corpus = load_corpus(args.corpus, data_dir=args.data_dir)
    train, scored = corpus.text("train"), corpus.text(args.split)
    print(f"{corpus.name}: {len(train):,} training characters, {len(scored):,} {args.split} characters; "
          f"KenLM modified Kneser-Ney, unpruned")
    print("| n | order | ours (nats/char) | paper | ours - paper | train s | peak MiB | score s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in orders:
        folder = os.path.join(args.out, corpus.name, f"n{n}")
        trained = ngram.train(train, n, folder, args.memory)
        started = time.perf_counter()
        before = (corpus.text("train") + (corpus.text("val") if args.split == "test" else ""))[-(n):]
        log10 = ngram.score(trained["model"], before + scored, trained["order"])[len(before):]
        scoring = time.perf_counter() - started
        write_ngram_trace(os.path.join(folder, f"trace_{args.split}"), corpus, args.split, log10, trained)
        loss = float(ngram.nats(log10).mean())
        paper = paper_ngram(corpus.name, n)
        np.save(os.path.join(folder, f"{args.split}_log10.npy"), log10)
        os.remove(trained["arpa"])                      # the binary holds the same model
        results = {"corpus": corpus.name, "corpus_sha256": corpus.sha256, "split": args.split, "n": n,
                   "order": trained["order"], f"{args.split}_loss_nats": loss, "paper_nats": paper,
                   "train_seconds": trained["seconds"], "score_seconds": scoring, "peak_mib": trained["peak_mib"],
                   "line_characters": trained["line_characters"]}
        with open(os.path.join(folder, "results.json"), "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
        shown = f"{paper:.3f} | {loss - paper:+.3f}" if paper is not None else "- | -"
        print(f"| {n} | {trained['order']} | {loss:.3f} | {shown} | {trained['seconds']:.1f} | "
              f"{trained['peak_mib']:,.0f} | {scoring:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
