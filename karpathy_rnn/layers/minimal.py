"""minGRU and minLSTM (Feng, Tung, Ahmed, Bengio, Hajimirsadeghi 2024, "Were RNNs All We Needed?", section 3):
gates that read only the input, so a whole sequence is one linear recurrence h_t = a_t * h_{t-1} + b_t, trained
with a parallel scan over time (keras.ops.associative_scan, in log space as the paper's appendix does for
stability) and run step by step for sampling and tracing; the two agree (tests/test_layers_minimal.py).

The candidate goes through the paper's g(x) = x + 0.5 for x >= 0, sigmoid(x) below, so it is positive and
log g exists: log g(x) = log(x + 0.5) or -softplus(-x). The scan carries (log a, log b) pairs combined as
(A1, B1) . (A2, B2) = (A1 + A2, logaddexp(B1 + A2, B2)); the initial state enters in linear space,
h_t = exp(B_t) + h_0 * exp(A_t), so a zero (or any) h_0 needs no logarithm.
"""

import keras
from keras import ops

from karpathy_rnn.layers.base import RecurrentLayer


def g(x):
    """The paper's positive candidate activation: x + 0.5 for x >= 0, sigmoid(x) below (continuous at 0)."""
    return ops.where(x >= 0, x + 0.5, ops.sigmoid(x))


def log_g(x):
    """log g(x), computed without forming g: log(x + 0.5) for x >= 0, -softplus(-x) below."""
    return ops.where(x >= 0, ops.log(ops.maximum(x, 0.0) + 0.5), -ops.softplus(-x))


def _combine(first, second):
    """The linear recurrence's associative operator on log-space pairs (time axis first)."""
    a1, b1 = first
    a2, b2 = second
    return a1 + a2, ops.logaddexp(b1 + a2, b2)


def log_space_scan(log_a, log_b, h0):
    """h [T, B, n] of h_t = a_t h_{t-1} + b_t from log a, log b [T, B, n] and h0 [B, n], by a parallel scan."""
    cumulative_a, log_h = ops.associative_scan(_combine, (log_a, log_b), axis=0)
    shape = ops.shape(log_a)         # TensorFlow's scan loses the static shape inside a compiled function
    cumulative_a, log_h = ops.reshape(cumulative_a, shape), ops.reshape(log_h, shape)
    return ops.exp(log_h) + h0[None] * ops.exp(cumulative_a)


class _MinimalRecurrent(RecurrentLayer):
    """What minGRU and minLSTM share: one input kernel, no recurrent weights, the scan over a whole window."""

    state_names = ("h",)
    fused_unit = None
    has_recurrent_activation = False

    def __init__(self, units, *args, recurrent_dropout=0.0, recurrent_initializer=None, recurrent_regularizer=None,
                 recurrent_constraint=None, **kwargs):
        cls = type(self).__name__
        for name, value in (("recurrent_dropout", recurrent_dropout), ("recurrent_initializer", recurrent_initializer),
                            ("recurrent_regularizer", recurrent_regularizer),
                            ("recurrent_constraint", recurrent_constraint)):
            if value not in (None, 0, 0.0):
                raise ValueError(f"{cls}: {name}={value!r}: a {cls}'s gates read only the input (no h_{{t-1}} "
                                 "weights), so it has nothing recurrent to drop, initialise or constrain.")
        super().__init__(units, *args, **kwargs)

    def build_weights(self, input_dim):
        self.kernel = self.add_weight(shape=(input_dim, self.gate_blocks * self.units), name="kernel",
                                      initializer=self._own_stream(self.kernel_initializer, "kernel"),
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_bias("bias", self.gate_blocks * self.units)

    def input_kernel(self):
        return self.kernel, self.bias

    def recurrent_weights(self):
        return ()

    def _run(self, time_major, input_masks, states, collect, with_gates, time_mask, recurrent_masks):
        """The parallel scan over the window (no mask, not unrolled); the step loop otherwise."""
        if time_mask is not None or self.unroll:
            return super()._run(time_major, input_masks, states, collect, with_gates, time_mask, recurrent_masks)
        projected = self.project_inputs(time_major, input_masks)
        (h0,) = states
        gates = self.parallel_gates(projected, h0)
        return [gates["h"][-1]], {name: gates[name] for name in collect}

    def parallel_gates(self, projected, h0):
        """{name: [T, B, units]} of every gate and h over projected [T, B, P] from h0 [B, units], by the scan."""
        raise NotImplementedError


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class MinGRU(_MinimalRecurrent):
    """minGRU (Feng et al. 2024, section 3.1): z_t = sigm(x_t W_z + b_z), candidate = g(x_t W_h + b_h),
    h_t = (1 - z_t) * h_{t-1} + z_t * candidate; exposes z (0..1), candidate and h per time step.

    Weights: `kernel` [input_dim, 2 * units] (column blocks z, candidate) and `bias` [2 * units]. No weight reads
    h_{t-1}, so a window trains as one parallel scan (log space); `step` runs it one character at a time (the
    same numbers: float64 to 1e-9 over 1,000 steps).

    Args:
        units: size of h.
        The other arguments are karpathy_rnn.layers.LSTM's (described there) except the recurrent_* ones, which
        are refused: the unit has no recurrent weights.

    Example:
        ```python
        x = keras.Input((None, 8))
        y = MinGRU(64, return_sequences=True)(x)       # trained by a parallel scan over the window
        h, gates = MinGRU(64, return_gates=True)(y)     # gates["z"]: [batch, time, 64]
        ```
    """

    gate_names = ("z", "candidate", "h")
    gate_blocks = 2

    def step(self, projected, states, weights, recurrent_masks=None):
        (h,) = states
        x_z, x_h = ops.split(projected, 2, axis=-1)
        z, candidate = ops.sigmoid(x_z), g(x_h)
        h = (1.0 - z) * h + z * candidate
        return [h], {"z": z, "candidate": candidate, "h": h}

    def parallel_gates(self, projected, h0):
        x_z, x_h = ops.split(projected, 2, axis=-1)
        log_keep, log_z = -ops.softplus(x_z), -ops.softplus(-x_z)     # log(1 - z), log z
        h = log_space_scan(log_keep, log_z + log_g(x_h), h0)
        return {"z": ops.sigmoid(x_z), "candidate": g(x_h), "h": h}


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class MinLSTM(_MinimalRecurrent):
    """minLSTM (Feng et al. 2024, section 3.2): f_t = sigm(x_t W_f + b_f), i_t = sigm(x_t W_i + b_i), normalised
    f'_t = f_t / (f_t + i_t), i'_t = i_t / (f_t + i_t), candidate = g(x_t W_h + b_h),
    h_t = f'_t * h_{t-1} + i'_t * candidate; exposes f, i, f_norm (f'), i_norm (i'), candidate and h.

    Weights: `kernel` [input_dim, 3 * units] (column blocks f, i, candidate) and `bias` [3 * units]. As MinGRU,
    a window is one parallel scan in log space (log f' = -softplus(log i - log f)), `step` the same one at a time.

    Args:
        units: size of h.
        The other arguments are karpathy_rnn.layers.LSTM's except the refused recurrent_* ones.

    Example:
        ```python
        x = keras.Input((None, 8))
        h, gates = MinLSTM(64, return_gates=True)(x)     # gates["f_norm"] + gates["i_norm"] == 1
        ```
    """

    gate_names = ("f", "i", "f_norm", "i_norm", "candidate", "h")
    gate_blocks = 3

    def step(self, projected, states, weights, recurrent_masks=None):
        (h,) = states
        x_f, x_i, x_h = ops.split(projected, 3, axis=-1)
        f, i, candidate = ops.sigmoid(x_f), ops.sigmoid(x_i), g(x_h)
        f_norm, i_norm = f / (f + i), i / (f + i)
        h = f_norm * h + i_norm * candidate
        return [h], {"f": f, "i": i, "f_norm": f_norm, "i_norm": i_norm, "candidate": candidate, "h": h}

    def parallel_gates(self, projected, h0):
        x_f, x_i, x_h = ops.split(projected, 3, axis=-1)
        log_f, log_i = -ops.softplus(-x_f), -ops.softplus(-x_i)
        log_f_norm, log_i_norm = -ops.softplus(log_i - log_f), -ops.softplus(log_f - log_i)
        h = log_space_scan(log_f_norm, log_i_norm + log_g(x_h), h0)
        return {"f": ops.sigmoid(x_f), "i": ops.sigmoid(x_i), "f_norm": ops.exp(log_f_norm),
                "i_norm": ops.exp(log_i_norm), "candidate": g(x_h), "h": h}
