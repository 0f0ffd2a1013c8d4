"""Time analyze.py import-states (issue 34: 1 M characters x 1,024 units in under 60 s, in the trace's memory).

    python benchmarks/bench_import_states.py                          # 1 M characters, 1 layer x 1,024, HDF5
    python benchmarks/bench_import_states.py --chars 200000 --units 512 --formats h5 npy

Writes a states file of random float32 states (LSTMVis' layout: one dataset [characters, units]) and a text into a
temporary folder, imports it in a fresh process (karpathy_rnn.analysis.import_states.import_states, what the script
runs before its analyses) and prints a Markdown table: format, characters x units, the states file's size, seconds,
characters/s and how much the process' peak resident memory grew while importing (its Python, NumPy and h5py
already loaded; file pages read through a memory map count) beside the trace's chunk (CHUNK_ROWS rows of float32).
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "he", "said", '"no"', "and", "left\n"]


def write_inputs(folder: str, chars: int, units: int, kind: str) -> tuple[str, str]:
    """(states file, text file) of `chars` characters, written in blocks (bounded memory)."""
    rng = np.random.default_rng(0)
    text = (" ".join(WORDS) * (chars // len(" ".join(WORDS)) + 1))[:chars]
    text_path = os.path.join(folder, "text.txt")
    with open(text_path, "w", encoding="utf-8") as handle:
        handle.write(text)
    block = 65536
    if kind == "h5":
        import h5py

        path = os.path.join(folder, "states.h5")
        with h5py.File(path, "w") as handle:
            dataset = handle.create_dataset("states1", (chars, units), np.float32)
            for start in range(0, chars, block):
                dataset[start:start + block] = rng.uniform(-1, 1, (min(block, chars - start), units))
        return path, text_path
    path = os.path.join(folder, "states1.npy")
    array = np.lib.format.open_memmap(path, "w+", np.float32, (chars, units))
    for start in range(0, chars, block):
        array[start:start + block] = rng.uniform(-1, 1, (min(block, chars - start), units))
    array.flush()
    del array
    return path, text_path


def child(states: str, text_path: str, out: str) -> None:
    """Import in this process and print seconds, the peak RSS (MiB) before it and its growth during it."""
    from karpathy_rnn.analysis.import_states import import_states
    from karpathy_rnn.data.textfile import read_text

    text = read_text(text_path)
    before = peak_rss_mib()
    started = time.perf_counter()
    import_states(text, [states], out, ["states1"])
    seconds = time.perf_counter() - started
    print(f"{seconds:.3f} {before:.0f} {peak_rss_mib() - before:.0f}")


def peak_rss_mib() -> float:
    """This process' peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent across exec)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chars", type=int, default=1_000_000)
    p.add_argument("--units", type=int, default=1024)
    p.add_argument("--formats", nargs="+", default=["h5"], choices=["h5", "npy"])
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    from benchmarks.bench_layers import (
        machine_line,  # here, not in the child: it loads TensorFlow
    )
    from karpathy_rnn.analysis.trace import CHUNK_ROWS

    print(f"# {machine_line()}")
    print(f"| format | characters x units | states file | import s | chars/s | peak RSS growth MiB | a chunk of "
          f"{CHUNK_ROWS} rows, MiB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for kind in args.formats:
        folder = tempfile.mkdtemp(prefix="krnn-bench-import-")
        try:
            states, text_path = write_inputs(folder, args.chars, args.units, kind)
            size = os.path.getsize(states) / 2**30
            os.system("sync")
            done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", states, text_path,
                                   os.path.join(folder, "trace")], capture_output=True, text=True, check=True)
            seconds, _, peak = done.stdout.split()[-3:]
            print(f"| {kind} | {args.chars:,} x {args.units:,} | {size:.2f} GiB | {float(seconds):.1f} | "
                  f"{args.chars / float(seconds):,.0f} | {float(peak):,.0f} | "
                  f"{CHUNK_ROWS * args.units * 4 / 2**20:,.0f} |", flush=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
