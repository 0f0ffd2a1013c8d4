"""The paper's GRU (section 3.1): r, z from one matrix; candidate from [x_t; r * h_{t-1}]."""

import keras
from keras import ops

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

    Args:
        units: size of h.
        The other arguments are keras.layers.GRU's, with the paper's defaults; each is described
        on `karpathy_rnn.layers.LSTM` (reset_after: False only; the kernel_* / recurrent_*
        options apply to the input rows and the h_{t-1} rows of both kernels).

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

    def build_weights(self, input_dim):
        self.gate_kernel = self.add_stacked_kernel("gate_kernel", 2 * self.units)
        self.gate_bias = self.add_bias("gate_bias", 2 * self.units)
        self.candidate_kernel = self.add_stacked_kernel("candidate_kernel", self.units)
        self.candidate_bias = self.add_bias("candidate_bias", self.units)

    def input_kernel(self):
        d = self.input_dim
        kernel = ops.concatenate([self.gate_kernel[:d], self.candidate_kernel[:d]], axis=1)
        if not self.use_bias:
            return kernel, None
        return kernel, ops.concatenate([self.gate_bias, self.candidate_bias], axis=0)

    def recurrent_weights(self):
        d = self.input_dim
        return self.gate_kernel[d:], self.candidate_kernel[d:]

    def fused_sequence(self, projected, states, weights, with_gates, mask=None):
        from karpathy_rnn.layers.fused_tf import gru_sequence
        names = self.gate_names if with_gates else ("h",)
        return dict(zip(names, gru_sequence(projected, *states, *weights, with_gates, mask,
                                            jit=self.fused_jit)))

    def step(self, projected, states, weights, recurrent_masks=None):
        (h,) = states
        gate_recurrent, candidate_recurrent = weights
        rz_masks, candidate_h = None, h
        if recurrent_masks is not None:
            rz_masks, candidate_h = recurrent_masks[:2], h * recurrent_masks[2]
        x_r, x_z, x_candidate = ops.split(projected, 3, axis=-1)
        h_r, h_z = ops.split(recurrent_matmul(h, gate_recurrent, rz_masks), 2, axis=-1)
        r, z = ops.sigmoid(x_r + h_r), ops.sigmoid(x_z + h_z)
        candidate = ops.tanh(x_candidate + mixed_matmul(r * candidate_h, candidate_recurrent))
        h = (1.0 - z) * h + z * candidate
        return [h], {"r": r, "z": z, "candidate": candidate, "h": h}
