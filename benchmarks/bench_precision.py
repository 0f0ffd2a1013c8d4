"""The same model in fp32 and bf16 (issue 30, item 2): two runs of one seed, and what bfloat16 changes in the gates.

    python scripts/train.py --corpus war_and_peace --hidden 128 --max-steps 800 --eval-every 200 --name wp-fp32
    python scripts/train.py --corpus war_and_peace --hidden 128 --max-steps 800 --eval-every 200 --name wp-bf16 \\
        --precision bf16
    python benchmarks/bench_precision.py runs/wp-fp32 runs/wp-bf16 [--chars 10000]

Prints each run's precision, steps, validation and test loss (results.json) and training rate; then, for every run
trained in bf16, its best model traced over the first CHARS validation characters twice, under its own policy and
as a float32 twin with the same weights (models.with_dtype_policy): per layer and gate the largest and mean
difference, and the share of values whose saturation class (< 0.1, > 0.9, between: section 4.2) changes, and the
loss of the trace both ways. This is what the analyses would see differently had they read the bf16 trace (they
read float32 gates either way: our layers return them so).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_layers import machine_line  # noqa: E402


def traced(model, ids: np.ndarray) -> tuple[dict, float]:
    """({layer/gate: [N, n] float64}, mean cross-entropy in nats) of `model` over ids [N + 1] from zero states."""
    from karpathy_rnn.models import probe_model

    from scipy.special import log_softmax

    out = probe_model(model)(np.asarray(ids[None, :-1], np.int32), training=False)
    log_probabilities = log_softmax(np.asarray(out["logits"][0], np.float64), axis=-1)
    loss = -float(np.mean(log_probabilities[np.arange(len(ids) - 1), ids[1:]]))
    gates = {f"{layer}/{name}": np.asarray(value[0], np.float64) for layer, layer_gates in out["gates"].items()
             for name, value in layer_gates.items()}
    return gates, loss


def saturation_class(values: np.ndarray) -> np.ndarray:
    """0 left-saturated, 2 right-saturated, 1 between, at analysis/saturation.py's thresholds (section 4.2)."""
    from karpathy_rnn.analysis.saturation import LEFT, RIGHT
    return np.where(values < LEFT, 0, np.where(values > RIGHT, 2, 1))


def main(argv=None) -> int:
    from karpathy_rnn.cli import ArgumentParser
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run directories of train.py")
    parser.add_argument("--chars", type=int, default=10_000, help="validation characters traced (default 10000)")
    args = parser.parse_args(argv)
    from karpathy_rnn.analysis.saturation import SATURATION_GATES
    from karpathy_rnn.data import load_corpus
    from karpathy_rnn.errors import KRNNError
    from karpathy_rnn.models import load_model, with_dtype_policy
    from karpathy_rnn.training.run_dir import read_results

    saturating = {gate for gates in SATURATION_GATES.values() for gate in gates}   # the sigmoid gates
    print(f"# {machine_line()}")
    print("| run | precision | steps | validation nats | test nats | chars/s |")
    print("|---|---|---:|---:|---:|---:|")
    results = {}
    for run in args.runs:
        results[run] = read_results(run)
        if results[run] is None:
            raise KRNNError(f"{run} has no results.json: train it first (the commands at the top of this file)")
        config = results[run]["config"]
        print(f"| {os.path.basename(run.rstrip('/'))} | {config.get('precision', 'fp32')} | {results[run]['steps']} | "
              f"{results[run]['val_loss_nats']:.4f} | {results[run]['test_loss_nats']:.4f} | "
              f"{results[run]['chars_per_second']:,.0f} |")
    for run in args.runs:
        config = results[run]["config"]
        if config.get("precision", "fp32") != "bf16":
            continue
        corpus = load_corpus(config["corpus"], split=config.get("split"), data_dir=config.get("data_dir"))
        ids = corpus.split_ids("val")[: args.chars + 1]
        model = load_model(os.path.join(run, "best.keras"), corpus.vocabulary)
        own, own_loss = traced(model, ids)
        plain, plain_loss = traced(with_dtype_policy(model, "float32"), ids)
        print(f"\n{os.path.basename(run.rstrip('/'))}: its best model over {len(ids) - 1:,} validation characters, "
              f"traced under mixed_bfloat16 and as a float32 twin: loss {own_loss:.4f} vs {plain_loss:.4f} nats "
              f"({own_loss - plain_loss:+.4f})")
        print("| gate | max abs difference | mean abs difference | saturation class changed |")
        print("|---|---:|---:|---:|")
        for name in own:
            difference = np.abs(own[name] - plain[name])
            changed = (np.mean(saturation_class(own[name]) != saturation_class(plain[name]))
                       if name.split("/")[1] in saturating else float("nan"))
            print(f"| {name} | {difference.max():.4f} | {difference.mean():.5f} | "
                  f"{'' if np.isnan(changed) else f'{changed:.2%}'} |")
    return 0


if __name__ == "__main__":
    from karpathy_rnn.cli import run_script
    sys.exit(run_script(main))
