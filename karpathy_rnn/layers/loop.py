"""The time loop shared by every recurrent layer: one step function scanned over time-major inputs.

TensorFlow gets a `tf.while_loop` over TensorArrays (keras.ops.scan on TensorFlow requires every
per-step output to have the carry's shape, which gate outputs do not); JAX and PyTorch use
`keras.ops.scan` (jax.lax.scan and a Python loop respectively); `unroll=True` is a Python loop
over a known number of steps on every backend (keras.layers.RNN's `unroll`).
"""

import keras
from keras import ops


def masked_step(step, state_names):
    """`step` that keeps the states where the step's mask [B] is False (keras.layers.RNN's masking).

    Outputs named like a state are the carried states, so that they equal the fused path's.
    """
    def run(x_t, mask_t, states):
        new_states, outputs = step(x_t, states)
        keep = mask_t[:, None]
        new_states = [ops.where(keep, new, old) for new, old in zip(new_states, states)]
        outputs = {**outputs, **dict(zip(state_names, new_states))}
        return new_states, outputs
    return run


def scan_time(step, inputs, states, collect, mask=None, state_names=(), unroll=False):
    """Run `step(x_t, states) -> (new_states, outputs_dict)` over `inputs` [T, B, P].

    `mask` [T, B] bool (True = a real step) keeps the states at masked steps. Returns
    `(final_states, stacked)` where `stacked` lists, for each name in `collect`, that output of
    every step as a [T, B, units] tensor.
    """
    if mask is None:
        run = lambda x_t, m_t, carry: step(x_t, carry)   # noqa: E731
    else:
        run = masked_step(step, state_names)
    if unroll:
        return _scan_unrolled(run, inputs, states, collect, mask)
    if keras.backend.backend() == "tensorflow":
        return _scan_tensorflow(run, inputs, mask, states, collect)

    def body(carry, xs):
        x_t, m_t = xs if mask is not None else (xs, None)
        new_states, outputs = run(x_t, m_t, list(carry))
        return new_states, [outputs[name] for name in collect]

    final_states, stacked = ops.scan(body, list(states), inputs if mask is None else (inputs, mask))
    return list(final_states), list(stacked) if collect else []


def _scan_unrolled(run, inputs, states, collect, mask):
    """`scan_time` as a Python loop over the static number of steps."""
    states = list(states)
    outputs = {name: [] for name in collect}
    for t in range(inputs.shape[0]):
        states, step_outputs = run(inputs[t], None if mask is None else mask[t], states)
        states = list(states)
        for name in collect:
            outputs[name].append(step_outputs[name])
    return states, [ops.stack(outputs[name]) for name in collect]


def _scan_tensorflow(run, inputs, mask, states, collect):
    """`scan_time` as a `tf.while_loop`: no per-step Python, inputs read from a TensorArray."""
    import tensorflow as tf

    from karpathy_rnn.layers.fused_tf import loop_over_time, time_length, unstack_time

    steps = time_length(inputs)
    step_inputs = unstack_time(inputs, steps)
    step_masks = None if mask is None else unstack_time(mask, steps)
    arrays = [tf.TensorArray(inputs.dtype, size=steps) for _ in collect]

    def body(t, carry, arrays):
        m_t = None if step_masks is None else step_masks.read(t)
        new_states, outputs = run(step_inputs.read(t), m_t, list(carry))
        arrays = [array.write(t, outputs[name]) for array, name in zip(arrays, collect)]
        return t + 1, new_states, arrays

    final_states, arrays = loop_over_time(body, (list(states), arrays), steps)
    return list(final_states), [array.stack() for array in arrays]
