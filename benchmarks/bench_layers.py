"""Training characters per second of the recurrent layers against keras built-ins and torch.

    python benchmarks/bench_layers.py                       # the whole table (about 30 minutes on 2 cores)
    python benchmarks/bench_layers.py --hidden 128 --layers 2 --impl ours-lstm keras-lstm torch-lstm
    python benchmarks/bench_layers.py --precision fp32 bf16 --impl ours-lstm keras-lstm torch-lstm

Rows: "ours" (our layer, TensorFlow), "-gates" (every gate returned too), "-masked" (an all-true mask
given, so the masked path runs), "keras" (the built-in), "torch" (torch.nn), and "jax-ours"/"jax-keras"
(the same Keras model on the JAX backend: our layers' step loop under jax.lax.scan, and Keras' own).
MinGRU and MinLSTM (issue 35) have no keras or torch peer: "ours-mingru" trains by the parallel scan over the
window, "ours-mingru-masked" by the step loop (the mask sends it there); `--unroll 1000` shows what the scan buys
on long windows (`--impl ours-gru ours-mingru ours-mingru-masked --unroll 100 1000` style runs, one per unroll).

The paper's shape (section 3.3): batch 100, unroll 100, vocabulary 87 (one-hot input), softmax
output, RMSProp lr 2e-3 rho 0.95. Each row runs in its own process: build, two warm-up steps, then
the best of three timed rounds of `--steps` training steps. GFLOP/s counts the matmuls only
(forward 2*(input+hidden)*gates*hidden per character and layer plus the softmax layer, training = 3x
forward); the "matmul" rows give the same machine's plain matmul rate at the two shapes an RNN uses:
all time steps at once ([B*T, n] x [n, 4n]) and one step ([B, n] x [n, 4n]), in each precision asked for.

`--precision bf16` runs every row in bfloat16 the way its library's users do: ours and keras under
Keras' `mixed_bfloat16` policy (float32 weights, bfloat16 matrix products), torch under
`torch.autocast("cpu", dtype=torch.bfloat16)`; "vs fp32" is the row's rate over its own fp32 row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

B, K = 100, 87
T = int(os.environ.get("KRNN_BENCH_UNROLL", "100"))     # --unroll, handed to each row's process
GATES = {"lstm": 4, "gru": 3, "rnn": 1, "mingru": 2, "minlstm": 3}
UNITS = ("lstm", "gru", "rnn")
MIN_UNITS = ("mingru", "minlstm")     # no keras or torch peers: our step loop (masked) and the scan (plain)
VARIANTS = ("ours-{}", "ours-{}-gates", "ours-{}-masked", "keras-{}", "torch-{}", "jax-ours-{}",
            "jax-keras-{}")
IMPLS = [variant.format(unit) for unit in UNITS for variant in VARIANTS] + [
    variant.format(unit) for unit in MIN_UNITS for variant in ("ours-{}", "ours-{}-gates", "ours-{}-masked",
                                                               "jax-ours-{}")]
EXTRA = [f"ours-{unit}-{kind}" for unit in UNITS for kind in ("loop", "noxla")]   # on request
PRECISIONS = ("fp32", "bf16")


def parse_impl(impl: str):
    """'jax-ours-lstm-masked' -> ('jax', 'ours', 'lstm', 'masked'); backend 'tensorflow' or 'jax'."""
    parts = impl.split("-")
    backend = "jax" if parts[0] == "jax" else "tensorflow"
    parts = parts[1:] if backend == "jax" else parts
    return backend, parts[0], parts[1], parts[2] if len(parts) > 2 else ""


def machine_line() -> str:
    """The CPU model, cores, and whether TensorFlow's oneDNN is on (it ranks kernels differently)."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
            f.seek(0)
            flags = next(line for line in f if line.startswith("flags")).split()
        model += ", AVX-512" if "avx512f" in flags else ", AVX2" if "avx2" in flags else ""
        from karpathy_rnn.training.precision import bf16_units
        model += f" (bf16: {' + '.join(bf16_units(set(flags))) or 'no bf16 units, emulated'})"
    except (OSError, StopIteration):
        pass
    from tensorflow.python.util import _pywrap_util_port
    onednn = "on" if _pywrap_util_port.IsMklEnabled() else "off"
    return f"{model}, {os.cpu_count()} cores, TensorFlow oneDNN {onednn}"


def flops_per_char(unit: str, hidden: int, layers: int) -> float:
    """Matmul FLOPs of one training character (3x the forward pass)."""
    forward, width = 0, K
    for _ in range(layers):
        forward += 2 * (width + (0 if unit in MIN_UNITS else hidden)) * GATES[unit] * hidden
        width = hidden
    forward += 2 * hidden * K
    return 3.0 * forward


def _batch(seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    return (rng.integers(0, K, (B, T)).astype("int32"), rng.integers(0, K, (B, T)).astype("int32"))


def _time(step, steps: int) -> float:
    """Best seconds per step over three rounds of `steps` steps, after two warm-up steps."""
    step(); step()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def keras_row(impl: str, hidden: int, layers: int, steps: int, precision: str = "fp32") -> float:
    """Seconds per training step of a keras model with our layers or the built-ins."""
    import keras
    from keras import ops
    if precision == "bf16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    from karpathy_rnn.layers import GRU, LSTM, MinGRU, MinLSTM, VanillaRNN
    from karpathy_rnn.models import CharacterOneHot

    _, family, unit, variant = parse_impl(impl)
    gates_on, masked = variant == "gates", variant == "masked"
    layer_options = {"loop": {"fused": False}, "noxla": {"fused_xla": False}}.get(variant, {})
    ours = {"lstm": LSTM, "gru": GRU, "rnn": VanillaRNN, "mingru": MinGRU, "minlstm": MinLSTM}[unit]
    builtin = {"lstm": keras.layers.LSTM, "gru": lambda n, **kw: keras.layers.GRU(n, reset_after=False, **kw),
               "rnn": keras.layers.SimpleRNN}.get(unit)     # None for the minimal units (no built-in)
    ids = keras.Input((T,), batch_size=B, dtype="int32")
    x = CharacterOneHot("".join(chr(33 + i) for i in range(K)))(ids)
    mask = ops.greater_equal(ids, 0) if masked else None    # every step real: the masked path's cost
    probes = []
    for _ in range(layers):
        if family == "keras":
            x = builtin(hidden, return_sequences=True)(x, mask=mask)
        elif masked:
            x = ours(hidden, return_sequences=True)(x, mask=mask)
        elif layer_options:
            x = ours(hidden, return_sequences=True, **layer_options)(x)
        elif gates_on:
            x, gates = ours(hidden, return_sequences=True, return_gates=True)(x)
            probes += list(gates.values())
        else:
            x = ours(hidden, return_sequences=True)(x)
    logits = keras.layers.Dense(K, dtype="float32" if precision == "bf16" else None)(x)   # softmax in fp32
    if probes:  # the training step must really compute every gate: fold them in with weight 0
        logits = logits + 0.0 * ops.mean(ops.stack([ops.mean(g) for g in probes]))
    model = keras.Model(ids, logits)
    model.compile(keras.optimizers.RMSprop(2e-3, rho=0.95),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    xs, ys = _batch()
    return _time(lambda: model.train_on_batch(xs, ys), steps)


def torch_row(impl: str, hidden: int, layers: int, steps: int, precision: str = "fp32") -> float:
    """Seconds per training step of torch.nn.LSTM/GRU/RNN with the same shape and optimiser (bf16: autocast)."""
    import contextlib

    import torch
    unit = parse_impl(impl)[2]
    rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[unit](
        K, hidden, num_layers=layers, batch_first=True)
    head = torch.nn.Linear(hidden, K)
    params = list(rnn.parameters()) + list(head.parameters())
    optimiser = torch.optim.RMSprop(params, lr=2e-3, alpha=0.95)
    xs, ys = (torch.from_numpy(a).long() for a in _batch())
    onehot = torch.nn.functional.one_hot(xs, K).float()

    def autocast():
        return (torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16"
                else contextlib.nullcontext())

    def step():
        optimiser.zero_grad()
        with autocast():
            out, _ = rnn(onehot)
            logits = head(out).reshape(-1, K)
        loss = torch.nn.functional.cross_entropy(logits.float(), ys.reshape(-1))
        loss.backward()
        optimiser.step()
    return _time(step, steps)


def matmul_row(kind: str, hidden: int = 512, precision: str = "fp32") -> float:
    """GFLOP/s of a plain TensorFlow or torch matmul, [rows, n] x [n, 4n] (the LSTM's shapes), in fp32 or bf16
    (bf16 inputs, float32 accumulation); TensorFlow's one-step rate is 100 steps in one graph (a while loop),
    so the per-call overhead of eager Python is not counted against it."""
    rows = {"matmul-all-steps": B * T, "matmul-one-step": B}[kind.rsplit("-", 1)[0]]
    library = kind.rsplit("-", 1)[1]
    n, repeats = hidden, (T if rows == B else 1)
    if library == "torch":
        import torch
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        a, b = torch.randn(rows, n).to(dtype), torch.randn(n, 4 * n).to(dtype)
        step = lambda: a @ b  # noqa: E731
        repeats = 1
    else:
        import tensorflow as tf
        dtype = tf.bfloat16 if precision == "bf16" else tf.float32
        a, b = (tf.cast(tf.random.normal(shape) * 0.01, dtype) for shape in ((rows, n), (n, 4 * n)))

        @tf.function
        def f(a, b):
            return tf.while_loop(lambda t, _: t < repeats, lambda t, s: (t + 1, s + tf.matmul(a, b)[0, 0]),
                                 (0, tf.zeros((), dtype)))[1]
        step = lambda: f(a, b).numpy()  # noqa: E731
    seconds = _time(step, 200 if rows == B and library == "torch" else 5)
    return 2 * rows * n * 4 * n * repeats / seconds / 1e9


def run_row(impl: str, hidden: int, layers: int, steps: int, precision: str = "fp32") -> dict:
    """One row, in this process."""
    if impl.startswith("matmul"):
        return {"impl": impl, "hidden": hidden, "precision": precision,
                "gflops": matmul_row(impl, hidden, precision)}
    if impl.startswith("torch"):
        seconds = torch_row(impl, hidden, layers, steps, precision)
    else:
        seconds = keras_row(impl, hidden, layers, steps, precision)
    unit = parse_impl(impl)[2]
    return {"impl": impl, "hidden": hidden, "layers": layers, "precision": precision, "chars_per_s": B * T / seconds,
            "gflops": flops_per_char(unit, hidden, layers) * B * T / seconds / 1e9}


def _spawn(impl, hidden, layers, steps, precision="fp32"):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if impl.startswith("jax-"):
        env.update(KERAS_BACKEND="jax", JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"))
    done = subprocess.run([sys.executable, __file__, "--row", impl, str(hidden), str(layers), str(steps),
                           precision], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"impl": impl, "hidden": hidden, "layers": layers, "precision": precision, "error": last[:80]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table_line(table: dict, impl: str, hidden: int, layers: int, precision: str, ceiling: dict) -> str:
    """One Markdown row: rate, GFLOP/s and its share of the matmul ceiling at this hidden size and precision,
    ratios against keras and torch (same backend, same precision), against its own fp32 row, and the cost of
    gates on or of a mask against the plain row."""
    row = table[impl, precision]
    backend, family, unit, variant = parse_impl(impl)
    prefix = "jax-" if backend == "jax" else ""
    rate = row.get("chars_per_s")
    if rate is None:
        return f"| {hidden} | {layers} | {precision} | {impl} | failed: {row.get('error', '?')} | | | | | | |"

    def ratio(other, other_precision=precision, always=False):
        theirs = table.get((other, other_precision), {}).get("chars_per_s")
        return f"{rate / theirs:.2f}x" if theirs and (family == "ours" or always) else ""
    plain = table.get((f"{prefix}ours-{unit}" if family == "ours" else f"{prefix}{family}-{unit}", precision),
                      {}).get("chars_per_s")
    cost = f"{plain / rate:.2f}x" if variant and plain else ""
    vs_fp32 = ratio(impl, "fp32", always=True) if precision != "fp32" else ""
    limit = ceiling.get((hidden, precision))
    share = f"{row['gflops'] / limit:.0%}" if limit else ""
    return (f"| {hidden} | {layers} | {precision} | {impl} | {rate:,.0f} | {row['gflops']:.1f} | {share} | "
            f"{ratio(f'{prefix}keras-{unit}')} | {ratio(f'torch-{unit}')} | {vs_fp32} | {cost} |")


def _available(module: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(module) is not None


def main(argv=None) -> int:
    from karpathy_rnn.cli import ArgumentParser
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--impl", nargs="+", default=IMPLS, choices=IMPLS + EXTRA,
                        help="rows to run (default all); jax-* rows need `pip install -e .[backends]`")
    parser.add_argument("--steps", type=int, default=0, help="timed steps per round (default 10 at 128, 3 above)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--precision", nargs="+", default=["fp32"], choices=PRECISIONS,
                        help="fp32 and/or bf16 (Keras' mixed_bfloat16 policy; torch autocast)")
    parser.add_argument("--unroll", type=int, default=T, help="time steps per training window (default: the "
                        "paper's %(default)s; 1000 shows what a parallel scan over time buys)")
    parser.add_argument("--row", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ["KRNN_BENCH_UNROLL"] = str(args.unroll)      # the rows' processes read it
    if args.row:
        impl, hidden, layers, steps, precision = args.row
        print(json.dumps(run_row(impl, int(hidden), int(layers), int(steps), precision)))
        return 0
    impls = [i for i in args.impl if (_available("torch") or not i.startswith("torch"))
             and (_available("jax") or not i.startswith("jax"))]
    print(f"# {machine_line()}, Python {platform.python_version()}; "
          f"batch {B}, unroll {args.unroll}, vocabulary {K}, RMSProp", flush=True)
    rows, ceiling = [], {}
    libraries = ["tf"] + (["torch"] if _available("torch") else [])
    for hidden in args.hidden:      # the roofline: plain matmul rates at the LSTM's shapes, per precision
        for precision in args.precision:
            for kind in [f"matmul-{shape}-{library}" for library in libraries
                         for shape in ("all-steps", "one-step")]:
                row = _spawn(kind, hidden, 0, 0, precision)
                rows.append(row)
                if kind == "matmul-all-steps-tf":
                    ceiling[hidden, precision] = row.get("gflops")
                print(f"# {kind} [{'B*T' if 'all' in kind else 'B'}, {hidden}] x [{hidden}, {4 * hidden}] "
                      f"{precision}: {row.get('gflops', 0):.1f} GFLOP/s", flush=True)
    print("| hidden | layers | precision | implementation | chars/s | GFLOP/s | of tf matmul | vs keras | vs torch "
          "| vs its fp32 | plain / this |")
    print("|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for hidden in args.hidden:
        for layers in args.layers:
            steps = args.steps or (10 if hidden <= 128 else 3)
            table = {}
            for precision in args.precision:
                for impl in impls:
                    table[impl, precision] = _spawn(impl, hidden, layers, steps, precision)
                    rows.append(table[impl, precision])
            for precision in args.precision:
                for impl in impls:
                    print(_table_line(table, impl, hidden, layers, precision, ceiling), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    from karpathy_rnn.cli import run_script
    run_script(main)
