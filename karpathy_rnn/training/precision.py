"""Which precision a run trains in: the check that bfloat16 runs here, and what the CPU offers it."""

from __future__ import annotations

from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training.config import KERAS_POLICY


def cpu_flags() -> set[str]:
    """The first CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return set(next(line for line in f if line.startswith("flags")).split(":", 1)[1].split())
    except (OSError, StopIteration):
        return set()


def bf16_units(flags: set[str] | None = None) -> list[str]:
    """The CPU's bfloat16 matrix units by name: AMX-BF16 (tiles), AVX512-BF16 (dot products); [] where none."""
    flags = cpu_flags() if flags is None else flags
    return [name for name, flag in (("AMX-BF16", "amx_bf16"), ("AVX512-BF16", "avx512_bf16")) if flag in flags]


def check_precision(precision: str, log=print) -> str:
    """The Keras dtype policy of `precision` ("fp32" or "bf16"), after checking TensorFlow can run it here.

    bf16 where TensorFlow has no bfloat16 matmul is one KRNNError naming why; on a CPU without bfloat16 units it
    runs (emulated) and a note says fp32 is faster there."""
    policy = KERAS_POLICY[precision]
    if precision != "bf16":
        return policy
    import tensorflow as tf

    try:
        value = tf.matmul(tf.ones((2, 2), tf.bfloat16), tf.ones((2, 2), tf.bfloat16))
        ok = float(tf.cast(value[0, 0], tf.float32)) == 2.0
    except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as error:
        raise KRNNError(f"--precision bf16: TensorFlow cannot multiply bfloat16 matrices on this machine "
                        f"({type(error).__name__}: {str(error).splitlines()[0][:100]}); use --precision fp32") from None
    if not ok:
        raise KRNNError("--precision bf16: a bfloat16 matrix product gave a wrong result on this machine; "
                        "use --precision fp32")
    if not tf.config.list_logical_devices("GPU") and not bf16_units():
        log("note: this CPU has no bfloat16 units (AVX512-BF16 or AMX), so bf16 products are emulated and slower "
            "than fp32 here (docs/BENCHMARKS.md); --precision fp32 trains faster on it")
    return policy
