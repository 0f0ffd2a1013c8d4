"""Throughput of the tf.data lane streams at the paper's shape, printed as a table.

    python benchmarks/bench_streams.py [--corpus war_and_peace] [--repeats 3]

For each stream: characters per second delivered to a consumer that only touches each batch,
the best of `--repeats` full epochs. Compare with a training step rate (the layers issue's
benchmark): the pipeline must be far faster than the model so that it is never the bottleneck.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from karpathy_rnn.cli import ArgumentParser, run_script
from karpathy_rnn.data import evaluation_stream, load_corpus, training_stream


def characters_per_second(make_dataset, repeats: int) -> tuple[float, int]:
    """Best-of-`repeats` characters/s over one full pass of a fresh dataset, and the batch count."""
    best, batches = 0.0, 0
    for _ in range(repeats):
        dataset = make_dataset()
        start, chars, batches = time.perf_counter(), 0, 0
        for batch in dataset:
            chars += int(batch[0].shape[0] * batch[0].shape[1])
            batches += 1
        best = max(best, chars / (time.perf_counter() - start))
    return best, batches


def main(argv=None) -> int:
    """Print the table."""
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="war_and_peace", help="corpus name or path (default war_and_peace)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--unroll", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    corpus = load_corpus(args.corpus)
    load_seconds = time.perf_counter() - start
    b, t = args.batch_size, args.unroll
    rows = [
        ("training_stream (train split)", lambda: training_stream(corpus.train, b, t)),
        ("training_stream, seed=0", lambda: training_stream(corpus.train, b, t, seed=0)),
        ("evaluation_stream (test split)", lambda: evaluation_stream(corpus.scoring_ids("test"), b, t)),
    ]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}")
    print(f"corpus {corpus.name}: {corpus.num_chars:,} characters loaded in {load_seconds:.2f} s; "
          f"batch {b} x unroll {t}")
    print(f"| {'stream':<32} | {'batches':>7} | {'M chars/s':>9} |")
    print(f"|{'-' * 34}|{'-' * 9}|{'-' * 11}|")
    for name, make in rows:
        rate, batches = characters_per_second(make, args.repeats)
        print(f"| {name:<32} | {batches:>7} | {rate / 1e6:>9.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
