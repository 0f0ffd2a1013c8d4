"""Trace extraction speed and peak memory (issue: 2-layer 512-cell LSTM over War and Peace's test split),
and how close the lanes' warm-up comes to one exact pass on a trained model.

    python benchmarks/bench_trace.py                                  # 2x512 LSTM (untrained: speed only)
    python benchmarks/bench_trace.py --model runs/war_and_peace-lstm-2x128 --exactness

Each measurement runs in its own process, so its peak resident memory (ru_maxrss) is its own; the
trace goes to a temporary folder on the same disk as the system's /tmp.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(model_path: str | None, hidden: int, layers: int, lanes: int, limit: int | None) -> dict:
    """Trace the War and Peace test split (first `limit` characters if given) in this process."""
    import numpy as np

    from karpathy_rnn.analysis.extract import keras_gate_model, open_gate_model, trace_ids
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.models import char_language_model

    corpus = load_corpus("war_and_peace", download=False)
    if model_path:
        model = open_gate_model(model_path)
    else:
        model = keras_gate_model(char_language_model(corpus.vocabulary.chars, "lstm", layers, hidden, seed=0))
    corpus = load_corpus("war_and_peace", download=False, vocabulary=Vocabulary(tuple(model.vocabulary)))
    ids = corpus.scoring_ids("test")[: (limit + 1) if limit else None]
    with tempfile.TemporaryDirectory() as folder:
        trace_ids(model, ids[:300], os.path.join(folder, "warm"), lanes=min(lanes, 2), warmup=128)   # compile
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        trace = trace_ids(model, ids, os.path.join(folder, "t"), lanes=lanes)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss       # tracing only, not the read-back below
        size = sum(os.path.getsize(os.path.join(trace.path, f)) for f in os.listdir(trace.path))
        p = np.asarray(trace.probabilities)
        losses = -np.log(np.maximum(p[np.arange(trace.length), np.asarray(trace.targets)], 1e-30))
        if model_path:
            np.save(os.path.join(tempfile.gettempdir(), f"bench_trace_p_{lanes}.npy"), p)
    return {"chars": int(trace.length), "seconds": seconds, "chars_per_s": trace.length / seconds,
            "peak_rss_mb": peak / 1024, "rss_before_mb": before / 1024, "trace_mb": size / 2**20,
            "loss": float(losses.mean())}


def main(argv=None) -> int:
    import argparse

    from karpathy_rnn.cli import ArgumentParser

    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a trained run/SavedModel instead of an untrained LSTM")
    parser.add_argument("--hidden", type=int, default=512, help="untrained LSTM width (default: %(default)s)")
    parser.add_argument("--layers", type=int, default=2, help="untrained LSTM depth (default: %(default)s)")
    parser.add_argument("--lanes", type=int, nargs="+", default=[1, 64], help="lane counts to time (default: 1 64)")
    parser.add_argument("--limit", type=int, help="trace only the first N test characters")
    parser.add_argument("--exactness", action="store_true", help="also trace with --lanes 1 and compare")
    parser.add_argument("--row", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.row:
        model, hidden, layers, lanes, limit = args.row
        print(json.dumps(measure(None if model == "-" else model, int(hidden), int(layers), int(lanes),
                                 int(limit) or None)))
        return 0
    lanes_list = sorted(set(args.lanes + ([1] if args.exactness else [])), reverse=True)
    what = args.model or f"untrained LSTM {args.layers}x{args.hidden}"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {what}; War and Peace test split")
    print("| lanes | characters | seconds | chars/s | RSS before tracing (MB) | peak RSS (MB) | trace on disk (MB) "
          "| mean loss (nats) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for lanes in lanes_list:
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run([sys.executable, __file__, "--row", args.model or "-", str(args.hidden),
                               str(args.layers), str(lanes), str(args.limit or 0)], capture_output=True, text=True,
                              env=env)
        if done.returncode:
            print(f"| {lanes} | failed: {(done.stderr.strip().splitlines() or ['?'])[-1][:120]} |")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"| {lanes} | {row['chars']:,} | {row['seconds']:.1f} | {row['chars_per_s']:,.0f} | "
              f"{row['rss_before_mb']:,.0f} | {row['peak_rss_mb']:,.0f} | {row['trace_mb']:,.0f} | {row['loss']:.5f} |", flush=True)
    if args.exactness and args.model:
        import numpy as np

        folder = tempfile.gettempdir()
        exact = np.load(os.path.join(folder, "bench_trace_p_1.npy"))
        for lanes in lanes_list[:-1]:
            p = np.load(os.path.join(folder, f"bench_trace_p_{lanes}.npy"))
            print(f"lanes {lanes} vs 1: max |p difference| {np.abs(p - exact).max():.2e}, characters with a "
                  f"difference > 1e-3: {(np.abs(p - exact).max(axis=1) > 1e-3).sum():,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
