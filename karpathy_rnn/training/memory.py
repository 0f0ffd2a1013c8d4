"""Will a run fit? The memory a training run needs (weights, gradients, RMSprop's slot, one batch's activations,
TensorFlow itself), estimated from its settings before anything is built, against what the device has free."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

from karpathy_rnn.errors import KRNNError

FLOAT_BYTES = 4
# Gate blocks per unit: a vanilla RNN has one pre-activation, a GRU three (r, z, candidate), an LSTM four (i, f, o, g);
# a Nested LSTM runs an LSTM's four per level of depth.
GATE_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}
# Copies of the weights alive at once: the weights, their gradients, RMSprop's mean square, and the copy a checkpoint
# or best.keras save makes.
WEIGHT_COPIES = 4
# TensorFlow, Keras, XLA's compiled steps and the corpus as one block (peak RSS of a 12-unit run here: 0.9-1.0 GB).
RUNTIME_BYTES = 1.2e9
SAFETY = 1.25                     # allocator slack over the counted tensors (measured: docs/BENCHMARKS.md)


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a training run needs, by what holds them."""

    weights: float                # weights, gradients, optimiser slots, a save's copy
    activations: float            # one batch's forward values kept for the backward pass, per replica
    runtime: float                # TensorFlow and friends

    @property
    def total(self) -> float:
        return SAFETY * (self.weights + self.activations) + self.runtime

    def describe(self) -> str:
        return (f"{_gb(self.total)} GB: {_gb(self.weights)} GB of weights, gradients and RMSprop state, "
                f"{_gb(self.activations)} GB of activations for one batch, {_gb(self.runtime)} GB for TensorFlow")


def _gb(value: float) -> str:
    return f"{value / 1e9:.1f}"


def estimate_training_memory(unit: str, layers: int, hidden: int, depth: int, vocabulary: int, params: int,
                             batch_per_replica: int, unroll: int) -> MemoryEstimate:
    """The memory one replica of a training run needs: weights x WEIGHT_COPIES, and per character of a batch each
    layer's gate blocks (inputs projected, activated, their gradient) and states, and the one-hot input, logits,
    softmax and its gradient."""
    blocks = GATE_BLOCKS["lstm"] * depth if unit == "nlstm" else GATE_BLOCKS[unit]
    per_character = layers * (3 * blocks + 3) * hidden + 4 * vocabulary
    return MemoryEstimate(weights=WEIGHT_COPIES * FLOAT_BYTES * params,
                          activations=FLOAT_BYTES * batch_per_replica * unroll * per_character,
                          runtime=RUNTIME_BYTES)


def host_memory_available() -> float | None:
    """Bytes this process may still take on the host: MemAvailable, capped by a cgroup's limit; None if unknown."""
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = float(line.split()[1]) * 1024
    except OSError:
        try:
            available = float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            return None
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_file, encoding="ascii") as handle:
                limit = handle.read().strip()
            with open(usage_file, encoding="ascii") as handle:
                usage = float(handle.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and float(limit) < 2**60:
            room = float(limit) - usage
            available = room if available is None else min(available, room)
        break
    return available


def gpu_memory_free() -> float | None:
    """The least free memory of this machine's NVIDIA GPUs in bytes (nvidia-smi), None when it cannot tell."""
    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
                              capture_output=True, text=True, timeout=10)
        values = [float(line) * 2**20 for line in done.stdout.split() if line.strip()]
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return min(values) if done.returncode == 0 and values else None


def check_training_memory(estimate: MemoryEstimate, on_gpu: bool) -> str | None:
    """KRNNError when the run cannot fit where it will train; a note when that cannot be told, else None."""
    if on_gpu:
        free, where = gpu_memory_free(), "GPU"
        need = SAFETY * (estimate.weights + estimate.activations)   # TensorFlow's own runtime stays on the host
    else:
        free, where = host_memory_available(), "machine"
        need = estimate.total
    if free is None:
        return f"memory check skipped: cannot tell how much memory the {where} has free (the run needs about " \
               f"{estimate.describe()})"
    if need > free:
        raise KRNNError(f"this run needs about {estimate.describe()}, but the {where} has {_gb(free)} GB free; "
                        "lower --hidden, --layers, --batch-size or --unroll, or pass --no-memory-check to start it "
                        "anyway")
    return None
