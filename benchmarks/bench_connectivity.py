"""Distill 2019's measurements: connectivity of one observation, and the autocomplete input pipeline against a step.

`python benchmarks/bench_connectivity.py [--units 600] [--words 16384] [--length 200]` builds the article's 2x600 GRU
autocomplete model (random weights: the cost does not depend on them), times analysis/connectivity.py over every
position of one LENGTH-character observation for several group sizes (after one warm-up call each), both ways it
computes (one shared forward pass, the default for LSTM/GRU/RNN stacks; the tape over copies), and one position at a
time with its own tape (the plain loop both replace). Then War and Peace's autocomplete task at the CPU default
(2x256 GRU, 2^11 words, batch 64): batches per second of the tf.data pipeline alone against training steps per second.
Issue 21's targets: connectivity under 2 s; the pipeline 10x or more faster than the step.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_layers import machine_line  # noqa: E402


def best_of(function, repeats: int = 3) -> float:
    """The fastest of `repeats` calls, seconds."""
    times = []
    for _ in range(repeats):
        tick = time.perf_counter()
        function()
        times.append(time.perf_counter() - tick)
    return min(times)


def connectivity_rows(args) -> list[tuple[str, float]]:
    import tensorflow as tf

    from karpathy_rnn.analysis.connectivity import Connectivity
    from karpathy_rnn.models import autocomplete_model

    model = autocomplete_model(args.words, "gru", 2, args.units, seed=0)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 28, args.length)
    positions, targets = np.arange(args.length), rng.integers(2, args.words + 2, args.length)
    rows = []
    for group, shared in ((25, True), (50, True), (100, True), (200, True), (50, False)):
        connectivity = Connectivity(model, group=group, shared_forward=shared)
        connectivity.values(ids, positions, targets)                               # traces and compiles
        method = ("one forward, the positions' cotangents through the fused backward loops" if shared
                  else "batched tape over one copy per position")
        rows.append((f"{method}, groups of {group}", best_of(lambda: connectivity.values(ids, positions, targets))))
    encoder, middle, head = model.layers[1], model.layers[2:-1], model.layers[-1]

    def one_at_a_time(count):
        for p in range(count):
            x = encoder(ids[None])
            with tf.GradientTape() as tape:
                tape.watch(x)
                h = x
                for layer in middle:
                    h = layer(h)
                y = tf.reduce_sum(h[0, p] * head.kernel[:, targets[p]])
            tf.norm(tape.gradient(y, x), axis=-1)

    one_at_a_time(2)
    rows.append((f"one tape per position (20 timed, x{args.length // 20})",
                 best_of(lambda: one_at_a_time(20), 1) * (args.length // 20)))
    return rows


def pipeline_rows() -> list[tuple[str, float]]:
    import keras

    from karpathy_rnn.data.autocomplete_streams import autocomplete_dataset
    from karpathy_rnn.training.autocomplete import AutocompleteConfig, compile_model, build_data
    from karpathy_rnn.models import autocomplete_model

    config = AutocompleteConfig()
    data = build_data(config)
    dataset = autocomplete_dataset(data.train, config.batch_size, shuffle_seed=0)
    tick, batches = time.perf_counter(), 0
    for _ in dataset:
        batches += 1
    pipeline = (time.perf_counter() - tick) / batches
    model = compile_model(autocomplete_model(len(data.words), config.unit, config.layers, config.units, seed=0))
    batch = next(iter(dataset))
    model.train_on_batch(*batch)
    step = best_of(lambda: model.train_on_batch(*batch), 5)
    keras.backend.clear_session()
    return [(f"tf.data pipeline, one batch of {config.batch_size} (mean over an epoch)", pipeline),
            (f"training step, {model.name}, {len(data.words)} words", step),
            ("step / pipeline", step / pipeline)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=600)
    parser.add_argument("--words", type=int, default=2**14)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--skip-pipeline", action="store_true")
    args = parser.parse_args()
    rows = connectivity_rows(args)
    print(machine_line())
    print(f"connectivity of every position of one {args.length}-character observation, GRU 2x{args.units}, "
          f"{args.words} words")
    print()
    print("| method | seconds |")
    print("|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} |")
    if not args.skip_pipeline:
        print()
        print("| autocomplete input (War and Peace, CPU default) | seconds |")
        print("|---|---|")
        for label, value in pipeline_rows():
            print(f"| {label} | {value:.4f} |" if "/" not in label else f"| {label} | {value:.0f}x |")


if __name__ == "__main__":
    main()
