"""Section 4.3's analyses (analysis/longrange.py) over a Linux Kernel test split: seconds per analysis.

`python benchmarks/bench_longrange.py [--characters 300000]` writes three traces of the split's first CHARACTERS
characters with random distributions (the analyses' cost does not depend on the numbers), then times each
analysis on them. Issue 19's target: all of them (training dynamics aside) under 30 s for 300,000 characters.
"""

import argparse
import os
import platform
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_layers import machine_line  # noqa: E402

from karpathy_rnn.analysis import longrange as lr  # noqa: E402
from karpathy_rnn.analysis.trace import LayerInfo, TraceWriter  # noqa: E402
from karpathy_rnn.data.corpus import load_corpus  # noqa: E402


def random_trace(folder: str, text: str, vocabulary: str, seed: int):
    """A complete trace of `text` whose distributions are random (Dirichlet), written in 16,384-row blocks."""
    rng = np.random.default_rng(seed)
    writer = TraceWriter(folder, vocabulary, len(text), [LayerInfo("lstm1", "lstm", 1, ("c",))], corpus="linux_kernel",
                         split="test")
    for start in range(0, len(text), 16384):
        rows = min(16384, len(text) - start)
        block = rng.gamma(0.3, size=(rows, len(vocabulary))).astype(np.float32)
        writer.write_probabilities(start, block / block.sum(axis=1, keepdims=True))
        writer.write_gates(start, {("lstm1", "c"): np.zeros((rows, 1), np.float16)})
    index = {c: i for i, c in enumerate(vocabulary)}
    return writer.finish(np.array([index[c] for c in text], np.int32))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--characters", type=int, default=300_000)
    args = parser.parse_args()
    corpus = load_corpus("linux_kernel", download=False)
    text = corpus.text("test")[: args.characters]
    vocabulary = "".join(corpus.vocabulary.chars)
    with tempfile.TemporaryDirectory() as folder:
        traces = {name: random_trace(os.path.join(folder, name), text, vocabulary, seed)
                  for seed, name in enumerate(("lstm", "nn", "gram"))}
        timings, started = [], time.perf_counter()

        def timed(label, function, *a):
            tick = time.perf_counter()
            value = function(*a)
            timings.append((label, time.perf_counter() - tick))
            return value

        timed("check_same_text (3 traces)", lr.check_same_text, traces)
        correct = {name: timed(f"correct probabilities ({name})", lr.trace_correct_probabilities, trace)
                   for name, trace in traces.items()}
        regions = timed("error overlap (3 models)", lr.error_overlap,
                        {name: lr.errors(values) for name, values in correct.items()})
        targets = np.asarray(traces["lstm"].targets)
        means = [timed(f"mean per character ({name})", lr.mean_probability_per_character, correct[name], targets,
                       len(vocabulary))[0] for name in ("lstm", "gram")]
        timed("largest advantages", lr.largest_advantages, *means)
        closes, distances = timed("closing-brace distances", lr.closing_brace_distances, text)
        timed("brace buckets (2 models)", lambda: [lr.bucket_means(distances, correct[n][closes]) for n in ("lstm", "gram")])
        timed("overlap_study (3 models)", lr.overlap_study, correct)
        timed("character_study (lstm vs gram)", lr.character_study, correct["lstm"], correct["gram"], targets,
              vocabulary, ("lstm", "gram"))
        timed("brace_study (2 models)", lr.brace_study, text, {n: correct[n] for n in ("lstm", "gram")})
        timed("symmetric KL (lstm vs nn, whole split)", lambda: lr.symmetric_kl(traces["lstm"].probabilities,
                                                                               traces["nn"].probabilities).mean())
        total = time.perf_counter() - started
    print(f"machine: {machine_line()}; Python {platform.python_version()}")
    print(f"Linux Kernel test split, first {len(text):,} characters, vocabulary {len(vocabulary)}; "
          f"{len(closes):,} matched closing braces; {regions[('lstm', 'nn', 'gram')]:,} errors shared by all three\n")
    print("| analysis | s |\n|---|---:|")
    for label, seconds in timings:
        print(f"| {label} | {seconds:.3f} |")
    print(f"| **all of the above** | **{total:.2f}** |")


if __name__ == "__main__":
    main()
