"""Time from_torch and to_torch (issue 34: a 3x512 LSTM converts in under 2 s), and the outputs' agreement.

    python benchmarks/bench_conversion.py                       # LSTM, GRU, RNN at 3x512, input 87
    python benchmarks/bench_conversion.py --hidden 128 512 --layers 1 3

Prints a Markdown table: unit, layers x hidden, parameters, seconds of from_torch (best of --repeat, layers built
and weights assigned) and of to_torch, and the largest difference of the two models' outputs on a random batch.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.bench_layers import machine_line  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", nargs="+", default=["LSTM", "GRU", "RNN"], choices=["LSTM", "GRU", "RNN"])
    p.add_argument("--hidden", nargs="+", type=int, default=[512])
    p.add_argument("--layers", nargs="+", type=int, default=[3])
    p.add_argument("--inputs", type=int, default=87, help="input features (default: the paper's 87 characters)")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    import keras
    import torch

    from karpathy_rnn.layers import from_torch, to_torch

    print(f"# {machine_line()}; torch {torch.__version__}, keras {keras.__version__}")
    print("| unit | layers x hidden | parameters | from_torch s | to_torch s | max output difference |")
    print("|---|---|---:|---:|---:|---:|")
    x = np.random.default_rng(0).normal(size=(4, 50, args.inputs)).astype(np.float32)
    for unit in args.units:
        for layers in args.layers:
            for hidden in args.hidden:
                module = getattr(torch.nn, unit)(args.inputs, hidden, num_layers=layers, batch_first=True).eval()
                times = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    converted = from_torch(module)
                    times.append(time.perf_counter() - started)
                started = time.perf_counter()
                to_torch(converted)
                back = time.perf_counter() - started
                out = x
                for layer in converted:
                    out = layer(out)
                with torch.no_grad():
                    expected = module(torch.from_numpy(x))[0].numpy()
                difference = float(np.max(np.abs(keras.ops.convert_to_numpy(out) - expected)))
                params = sum(parameter.numel() for parameter in module.parameters())
                print(f"| {unit} | {layers} x {hidden} | {params:,} | {min(times):.3f} | {back:.3f} | "
                      f"{difference:.1e} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
