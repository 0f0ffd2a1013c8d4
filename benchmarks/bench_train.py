"""End-to-end training rate of scripts/train.py's loop against bench_layers.py's bare train step, same shape.

    python benchmarks/bench_train.py                         # LSTM/GRU/RNN at 2x128 and LSTM at 1x512
    python benchmarks/bench_train.py --rows lstm:2:128 --steps 40

The training row runs the real Trainer on War and Peace (vocabulary 83; bench_layers' K is 87): tf.data
lanes, the state-carrying step with clipping, a NaN check and five TensorBoard scalars per step, the
progress bar off; evaluation and checkpoints fall outside the timed steps. The layer row is
bench_layers' `ours-<unit>` (Keras train_on_batch on one fixed batch, best of three rounds). Each
measurement runs in its own process; the two alternate `--rounds` times and the best of each is kept,
because a shared 2-core machine drifts by +-10% from minute to minute.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ROWS = ["lstm:2:128", "gru:2:128", "rnn:2:128", "lstm:1:512"]


def train_row(unit: str, layers: int, hidden: int, steps: int) -> dict:
    """Characters per second of the Trainer's steps (after two warm-up steps), in this process."""
    from karpathy_rnn.training import TrainConfig
    from karpathy_rnn.training.trainer import Trainer

    with tempfile.TemporaryDirectory() as logdir:
        config = TrainConfig(corpus="war_and_peace", unit=unit, layers=layers, hidden=hidden, logdir=logdir,
                             max_steps=steps + 2, checkpoint_every=10**9, sample_length=0, patience=0)
        trainer = Trainer(config, log=lambda message: None, progress_bar=False)
        trainer.run()
        return {"chars_per_s": trainer.chars_per_second()}


def _spawn(args: list[str]) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1][:100]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    from karpathy_rnn.cli import ArgumentParser

    parser = ArgumentParser(description=__doc__)
    parser.add_argument("--rows", nargs="+", default=DEFAULT_ROWS, help="UNIT:LAYERS:HIDDEN (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per row (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations per row (default: %(default)s)")
    parser.add_argument("--row", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.row:
        unit, layers, hidden, steps = args.row
        print(json.dumps(train_row(unit, int(layers), int(hidden), int(steps))))
        return 0
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; batch 100 x unroll 100")
    print("| unit | layers | hidden | train.py chars/s | bench_layers chars/s | train.py / layers |")
    print("|---|---:|---:|---:|---:|---:|")
    for spec in args.rows:
        unit, layers, hidden = spec.split(":")
        ours, bare = [], []
        for _ in range(args.rounds):
            ours.append(_spawn([__file__, "--row", unit, layers, hidden, str(args.steps)]))
            bare.append(_spawn([os.path.join(HERE, "bench_layers.py"), "--row", f"ours-{unit}", hidden, layers,
                                str(args.steps)]))
        errors = [row["error"] for row in ours + bare if "error" in row]
        if errors:
            print(f"| {unit} | {layers} | {hidden} | failed: {errors[0]} | | |")
            continue
        a, b = max(row["chars_per_s"] for row in ours), max(row["chars_per_s"] for row in bare)
        print(f"| {unit} | {layers} | {hidden} | {a:,.0f} | {b:,.0f} | {a / b:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
