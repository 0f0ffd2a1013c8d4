"""The time loop shared by every recurrent layer: one step function scanned over time-major inputs.

TensorFlow gets a `tf.while_loop` over TensorArrays (keras.ops.scan on TensorFlow requires every
per-step output to have the carry's shape, which gate outputs do not); JAX and PyTorch use
`keras.ops.scan` (jax.lax.scan and a Python loop respectively).
"""

import keras
from keras import ops


def scan_time(step, inputs, states, collect):
    """Run `step(x_t, states) -> (new_states, outputs_dict)` over `inputs` [T, B, P].

    Returns `(final_states, stacked)` where `stacked` lists, for each name in `collect`,
    that output of every step as a [T, B, units] tensor.
    """
    if keras.backend.backend() == "tensorflow":
        return _scan_tensorflow(step, inputs, states, collect)

    def body(carry, x_t):
        new_states, outputs = step(x_t, list(carry))
        return new_states, [outputs[name] for name in collect]

    final_states, stacked = ops.scan(body, list(states), inputs)
    return list(final_states), list(stacked) if collect else []


def _scan_tensorflow(step, inputs, states, collect):
    """`scan_time` as a `tf.while_loop`: no per-step Python, inputs read from a TensorArray."""
    import tensorflow as tf

    from karpathy_rnn.layers.fused_tf import loop_over_time, time_length, unstack_time

    steps = time_length(inputs)
    step_inputs = unstack_time(inputs, steps)
    arrays = [tf.TensorArray(inputs.dtype, size=steps) for _ in collect]

    def body(t, carry, arrays):
        new_states, outputs = step(step_inputs.read(t), list(carry))
        arrays = [array.write(t, outputs[name]) for array, name in zip(arrays, collect)]
        return t + 1, new_states, arrays

    final_states, arrays = loop_over_time(body, (list(states), arrays), steps)
    return list(final_states), [array.stack() for array in arrays]
