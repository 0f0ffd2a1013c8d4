"""Section 4.4's oracles and Figure 1's agreement (analysis/oracles.py, analysis/agreement.py): seconds each.

`python benchmarks/bench_oracles.py [--characters 300000] [--models 12]` takes War and Peace's test split (its
first CHARACTERS characters), random correct-character probabilities for a model and nine n-grams (the oracles'
cost does not depend on the numbers, only on how many errors there are: about half here, as for a small LSTM),
the train split's word counts, and times each step; then M random traces with whole distributions for the
agreement matrix and its t-SNE. Issue 20's targets: all oracles under 30 s for 300,000 characters, the
agreement matrix of 12 models under 30 s.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_layers import machine_line  # noqa: E402
from bench_longrange import random_trace  # noqa: E402

from karpathy_rnn.analysis import oracles  # noqa: E402
from karpathy_rnn.analysis.agreement import agreement_matrix, embed, most_likely  # noqa: E402
from karpathy_rnn.data.corpus import load_corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--characters", type=int, default=300_000)
    parser.add_argument("--models", type=int, default=12)
    args = parser.parse_args()
    corpus = load_corpus("war_and_peace", download=False)
    text = corpus.text("test")[: args.characters]
    rng = np.random.default_rng(0)
    correct = rng.beta(0.6, 0.6, len(text))                 # about half below 0.5
    ngram = rng.beta(0.5, 0.9, (9, len(text)))
    timings = []

    def timed(label, function, *a):
        tick = time.perf_counter()
        value = function(*a)
        timings.append((label, time.perf_counter() - tick))
        return value

    counts = timed("word counts of the train split", oracles.word_counts, corpus.text("train"))
    result = timed("all oracles (breakdown)", oracles.breakdown, text, correct, ngram, counts)
    timed("examples (6 per oracle)", oracles.examples, text, result)
    oracle_total = sum(seconds for _, seconds in timings)
    vocabulary = "".join(corpus.vocabulary.chars)
    with tempfile.TemporaryDirectory() as folder:
        traces = [random_trace(os.path.join(folder, str(k)), text, vocabulary, k) for k in range(args.models)]
        tick = time.perf_counter()
        predictions = np.stack([most_likely(trace) for trace in traces])
        timings.append((f"most likely characters ({args.models} traces)", time.perf_counter() - tick))
    matrix = timed(f"agreement matrix ({args.models} models)", agreement_matrix, predictions)
    timed(f"t-SNE ({args.models} models)", embed, matrix)
    print(machine_line())
    print(f"War and Peace test split, first {len(text):,} characters; {result.total:,} errors")
    print()
    print("| step | seconds |")
    print("|---|---:|")
    for label, seconds in timings:
        print(f"| {label} | {seconds:.2f} |")
    print(f"| **all oracles with word counts and examples** | **{oracle_total:.2f}** |")
    print(f"| **agreement of {args.models} models (traces read, matrix, t-SNE)** | "
          f"**{sum(s for label, s in timings[3:]):.2f}** |")


if __name__ == "__main__":
    main()
