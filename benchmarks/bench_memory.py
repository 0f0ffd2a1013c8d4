"""Peak memory of real training runs against karpathy_rnn.training.memory's estimate, which the trainer checks
before building a run (issue 15.6).

    python benchmarks/bench_memory.py                        # the rows below (about 5 minutes on 2 cores)
    python benchmarks/bench_memory.py --rows lstm:2:512:100:100

Each row runs scripts/train.py for two steps and its end-of-run evaluation in its own process (the first 300,000
characters of War and Peace, so evaluation is short; --no-memory-check so an underestimate shows) and reads the
process's peak resident memory from the kernel.
The estimate should sit above the peak, and not far above: it refuses runs that would fit otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
DEFAULT_ROWS = ["lstm:2:128:100:100", "lstm:2:512:100:100", "lstm:2:1024:100:100", "lstm:2:2048:100:100",
                "gru:2:1024:100:100", "rnn:3:2048:100:100", "nlstm:2:512:100:100", "lstm:1:1024:400:100"]


def peak_rss(unit: str, layers: int, hidden: int, batch: int, unroll: int, corpus: str) -> float:
    """Peak resident bytes of scripts/train.py training this model for two steps."""
    with tempfile.TemporaryDirectory() as logdir:
        command = [sys.executable, os.path.join(HERE, os.pardir, "scripts", "train.py"), "--corpus", corpus,
                   "--unit", unit, "--layers", str(layers), "--hidden", str(hidden), "--batch-size", str(batch),
                   "--unroll", str(unroll), "--max-steps", "2", "--sample-length", "0", "--logdir", logdir,
                   "--no-memory-check"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        _, status, usage = os.wait4(process.pid, 0)
        if status:
            raise RuntimeError(f"{' '.join(command)} failed: {process.stderr.read()[-800:]}")
        return usage.ru_maxrss * 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="+", default=DEFAULT_ROWS, help="unit:layers:hidden:batch:unroll")
    args = parser.parse_args()
    from bench_layers import machine_line

    from karpathy_rnn.training.budget import model_parameters
    from karpathy_rnn.training.memory import estimate_training_memory

    from karpathy_rnn.data import load_corpus

    text = load_corpus("war_and_peace").text("train")[:300_000]
    folder = tempfile.mkdtemp()
    corpus = os.path.join(folder, "war_and_peace_300k.txt")
    with open(corpus, "w", encoding="utf-8") as handle:
        handle.write(text)
    vocabulary = len(set(text))
    print(f"# {machine_line()}\n")
    print("| model | batch x unroll | parameters | estimate (GB) | peak RSS (GB) | estimate / peak |")
    print("|---|---|---|---|---|---|")
    for row in args.rows:
        unit, layers, hidden, batch, unroll = row.split(":")
        layers, hidden, batch, unroll = int(layers), int(hidden), int(batch), int(unroll)
        params = model_parameters(unit, layers, hidden, vocabulary)
        estimate = estimate_training_memory(unit, layers, hidden, 2, vocabulary, params, batch, unroll).total
        peak = peak_rss(unit, layers, hidden, batch, unroll, corpus)
        print(f"| {unit} {layers}x{hidden} | {batch} x {unroll} | {params:,} | {estimate / 1e9:.2f} | "
              f"{peak / 1e9:.2f} | {estimate / peak:.2f} |", flush=True)


if __name__ == "__main__":
    main()
