"""The paper's GRU (section 3.1): r, z from one matrix; candidate from [x_t; r * h_{t-1}] (or, with
reset_after=True, cuDNN's, torch's and Keras' default form: r applied after the recurrent product)."""

import keras
from keras import ops

from karpathy_rnn.layers import options
from karpathy_rnn.layers.base import RecurrentLayer, mixed_matmul, recurrent_matmul


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class GRU(RecurrentLayer):
    """GRU in the paper's form (section 3.1); exposes r, z, candidate, h per time step.

    r, z = sigm([x_t; h_{t-1}] @ gate_kernel + gate_bias);
    candidate = tanh([x_t; r * h_{t-1}] @ candidate_kernel + candidate_bias);
    h_t = (1 - z) * h_{t-1} + z * candidate.
    Weights: `gate_kernel` [input_dim + units, 2 * units] (column blocks r, z), `gate_bias`
    [2 * units], `candidate_kernel` [input_dim + units, units] (rows: input, then r * h_{t-1}),
    `candidate_bias` [units]. This is keras.layers.GRU(reset_after=False) with z negated.

    With `reset_after=True` the reset gate scales the recurrent product instead, and the recurrent
    products have a bias of their own, `recurrent_bias` [3 * units] (blocks r, z, candidate):
    r, z = sigm(x_t @ gate_kernel[:input_dim] + gate_bias + h_{t-1} @ gate_kernel[input_dim:]
                + recurrent_bias[:2 * units]);
    candidate = tanh(x_t @ candidate_kernel[:input_dim] + candidate_bias
                     + r * (h_{t-1} @ candidate_kernel[input_dim:] + recurrent_bias[2 * units:])).
    This is keras.layers.GRU() (its default) and torch.nn.GRU (cuDNN's form), parameter for parameter,
    with z negated; it runs the step loop, not the TensorFlow fast path.

    Args:
        units: size of h.
        reset_after: False (the paper's form, the default) or True (Keras' default, torch's, cuDNN's).
        The other arguments are keras.layers.GRU's, with the paper's defaults; each is described
        on `karpathy_rnn.layers.LSTM` (the kernel_* / recurrent_* options apply to the input rows and the
        h_{t-1} rows of both kernels; bias_* to every bias).

    Example:
        ```python
        x = keras.Input((None, 8))
        y = keras.layers.Bidirectional(GRU(32, return_sequences=True), merge_mode="sum")(x)
        model = keras.Model(x, keras.layers.Dense(1)(GRU(16)(y)))
        ```
    """

    state_names = ("h",)
    gate_names = ("r", "z", "candidate", "h")
    fused_unit = "gru"    # fused_tf's name of this unit (fused_sequence, projected_vjp)
    gate_blocks = 3
    keras_mask_order = (1, 0, 2)     # keras' blocks are z, r, h; ours r, z, candidate
    has_recurrent_activation = True

    def __init__(self, units, *args, reset_after=False, **kwargs):
        super().__init__(units, *args, **kwargs)
        self.reset_after = options.check_flag("reset_after", reset_after)

    def build_weights(self, input_dim):
        self.gate_kernel = self.add_stacked_kernel("gate_kernel", 2 * self.units)
        self.gate_bias = self.add_bias("gate_bias", 2 * self.units)
        self.candidate_kernel = self.add_stacked_kernel("candidate_kernel", self.units)
        self.candidate_bias = self.add_bias("candidate_bias", self.units)
        self.recurrent_bias = self.add_bias("recurrent_bias", 3 * self.units) if self.reset_after else None

    def input_kernel(self):
        d = self.input_dim
        kernel = ops.concatenate([self.gate_kernel[:d], self.candidate_kernel[:d]], axis=1)
        if not self.use_bias:
            return kernel, None
        return kernel, ops.concatenate([self.gate_bias, self.candidate_bias], axis=0)

    def recurrent_weights(self):
        d = self.input_dim
        if self.reset_after:
            return self.gate_kernel[d:], self.candidate_kernel[d:], self.recurrent_bias
        return self.gate_kernel[d:], self.candidate_kernel[d:]

    def fused_sequence(self, projected, states, weights, with_gates, mask=None):
        if self.reset_after:
            return None                     # fused_tf has the paper's form only: the step loop runs
        from karpathy_rnn.layers.fused_tf import gru_sequence
        names = self.gate_names if with_gates else ("h",)
        return dict(zip(names, gru_sequence(projected, *states, *weights, with_gates, mask,
                                            jit=self.fused_jit)))

    def step(self, projected, states, weights, recurrent_masks=None):
        (h,) = states
        gate_recurrent, candidate_recurrent = weights[:2]
        rz_masks, candidate_h = None, h
        if recurrent_masks is not None:
            rz_masks, candidate_h = recurrent_masks[:2], h * recurrent_masks[2]
        x_r, x_z, x_candidate = ops.split(projected, 3, axis=-1)
        h_rz = recurrent_matmul(h, gate_recurrent, rz_masks)
        if self.reset_after:
            h_candidate = mixed_matmul(candidate_h, candidate_recurrent)
            if weights[2] is not None:
                bias = ops.cast(weights[2], h_rz.dtype)
                h_rz, h_candidate = h_rz + bias[:2 * self.units], h_candidate + bias[2 * self.units:]
        h_r, h_z = ops.split(h_rz, 2, axis=-1)
        r, z = ops.sigmoid(x_r + h_r), ops.sigmoid(x_z + h_z)
        if self.reset_after:
            candidate = ops.tanh(x_candidate + r * h_candidate)
        else:
            candidate = ops.tanh(x_candidate + mixed_matmul(r * candidate_h, candidate_recurrent))
        h = (1.0 - z) * h + z * candidate
        return [h], {"r": r, "z": z, "candidate": candidate, "h": h}

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
