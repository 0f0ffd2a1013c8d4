"""How long the analysis over training takes (analyze.py RUN --checkpoints), and what lanes change in its numbers.

    python benchmarks/bench_over_training.py runs/war_and_peace-lstm-2x128-history              # 10 kept steps
    python benchmarks/bench_over_training.py RUN --steps 0,500,1000 --lanes 1 16 64

For each --lanes value (1 = one exact pass, the default), the chosen steps of the run's weight history are analysed
as analyze.py --checkpoints does (trace of the split, every cell ranked, saturation, summaries), into a temporary
folder; the table gives the whole time (model built, every step, files written), the time per step, and the largest
difference of any feature's best |r| from the exact pass's at the same step.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_layers import machine_line  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run directory with a weight history (train.py --analyze-every)")
    parser.add_argument("--steps", help="steps to analyse (default: 10 spread over the history)")
    parser.add_argument("--split", default="val")
    parser.add_argument("--lanes", type=int, nargs="+", default=[1, 16])
    args = parser.parse_args()

    from karpathy_rnn.analysis.over_training import analyze_history
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.training.history import snapshots
    from karpathy_rnn.training.run_dir import read_config

    kept = list(snapshots(args.run))
    steps = args.steps or ",".join(str(kept[round(k * (len(kept) - 1) / 9)]) for k in range(10))
    config = read_config(args.run)
    corpus = load_corpus(config["corpus_source"], download=False, vocabulary=Vocabulary(tuple(config["vocabulary"])))
    print(f"# {machine_line()}")
    print(f"# {args.run}: steps {steps}; {corpus.name} {args.split} ({len(corpus.split_ids(args.split)):,} characters)\n")
    results = {}
    for lanes in args.lanes:
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            results[lanes] = (analyze_history(args.run, corpus, steps, args.split, out, lanes=lanes,
                                              log=lambda message: None), time.perf_counter() - started)
    exact = results.get(1, results[args.lanes[0]])[0]
    print("| lanes | steps | seconds | s per step | largest \\|r\\| difference from the exact pass |")
    print("|---:|---:|---:|---:|---:|")
    for lanes, (body, seconds) in results.items():
        worst = max((abs(abs(a["r"]) - abs(b["r"])) for fa, fb in zip(body["features"], exact["features"])
                     for a, b in zip(fa["points"], fb["points"]) if a["r"] is not None and b["r"] is not None),
                    default=0.0)
        print(f"| {lanes} | {len(body['steps'])} | {seconds:.1f} | {seconds / len(body['steps']):.1f} | {worst:.5f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
