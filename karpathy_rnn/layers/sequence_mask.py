"""Keras time-step masks for the recurrent layers: checking a mask and what it does to outputs and gates.

Semantics are keras.layers.RNN's: at a masked step the states keep their previous values; the
output there repeats the last output of a real step (zeros before the first one), or is zeros with
`zero_output_for_mask=True` (what keras.layers.Bidirectional sets when it returns sequences).
Gates, which Keras does not have, are zeros at masked steps: nothing was computed there.
"""

import keras
from keras import ops


def check_mask(layer, mask, inputs):
    """A boolean [batch, time] mask for `inputs` [B, T, D] from a [B, T] or [B, T, 1] mask of
    booleans or numbers (nonzero = a real step, as keras.layers.RNN casts it)."""
    owner = f"{type(layer).__name__} '{layer.name}'"
    mask = ops.convert_to_tensor(mask)
    shape = tuple(mask.shape)
    if len(shape) == 3 and shape[2] == 1:
        mask = ops.squeeze(mask, axis=2)
        shape = shape[:2]
    expected = tuple(inputs.shape[:2])
    if len(shape) != 2 or any(a is not None and b is not None and a != b
                              for a, b in zip(shape, expected)):
        raise ValueError(f"{owner}: mask has shape {tuple(mask.shape)}; expected {expected} = "
                         "(batch, time), one entry per time step of the inputs.")
    dtype = keras.backend.standardize_dtype(mask.dtype)
    if dtype != "bool" and not any(kind in dtype for kind in ("int", "float")):
        raise ValueError(f"{owner}: mask has dtype {dtype}; give a boolean mask (True = a real "
                         "step), e.g. keras.layers.Masking or Embedding(mask_zero=True).")
    return mask if dtype == "bool" else ops.not_equal(mask, 0)


def real_steps_so_far(time_major_mask):
    """[T, B] bool -> [T, B] bool: True from a lane's first real step on (cumulative any over time)."""
    return ops.cumsum(ops.cast(time_major_mask, "int32"), axis=0) > 0


def masked_outputs(carried, time_major_mask, zero_output_for_mask):
    """Keras' outputs at masked steps from the carried h [T, B, n] (which holds the last real output)."""
    keep = time_major_mask if zero_output_for_mask else real_steps_so_far(time_major_mask)
    return ops.where(keep[..., None], carried, ops.zeros_like(carried))


def masked_last_output(final_h, time_major_mask, zero_output_for_mask):
    """Keras' last output [B, n]: the final h, zeros where no step was real (or the last step was
    masked, with `zero_output_for_mask`)."""
    keep = time_major_mask[-1] if zero_output_for_mask else ops.any(time_major_mask, axis=0)
    return ops.where(keep[:, None], final_h, ops.zeros_like(final_h))


def zero_masked_steps(values, time_major_mask):
    """Gates [T, B, n] with every masked step set to 0."""
    return ops.where(time_major_mask[..., None], values, ops.zeros_like(values))
