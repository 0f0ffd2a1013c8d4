"""The paper's GRU (section 3.1): r, z from one matrix; candidate from [x_t; r * h_{t-1}]."""

import keras
from keras import ops

from karpathy_rnn.layers.base import RecurrentLayer


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class GRU(RecurrentLayer):
    """GRU in the paper's form (section 3.1); exposes r, z, candidate, h per time step.

    r, z = sigm([x_t; h_{t-1}] @ gate_kernel + gate_bias);
    candidate = tanh([x_t; r * h_{t-1}] @ candidate_kernel + candidate_bias);
    h_t = (1 - z) * h_{t-1} + z * candidate.
    Weights: `gate_kernel` [input_dim + units, 2 * units] (column blocks r, z), `gate_bias`
    [2 * units], `candidate_kernel` [input_dim + units, units] (rows: input, then r * h_{t-1}),
    `candidate_bias` [units].
    """

    state_names = ("h",)
    gate_names = ("r", "z", "candidate", "h")

    def build_weights(self, input_dim):
        rows = input_dim + self.units
        self.gate_kernel = self.add_weight(shape=(rows, 2 * self.units),
                                           initializer=self.kernel_initializer, name="gate_kernel")
        self.gate_bias = self.add_weight(shape=(2 * self.units,), initializer=self.bias_initializer,
                                         name="gate_bias")
        self.candidate_kernel = self.add_weight(shape=(rows, self.units),
                                                initializer=self.kernel_initializer,
                                                name="candidate_kernel")
        self.candidate_bias = self.add_weight(shape=(self.units,),
                                              initializer=self.bias_initializer,
                                              name="candidate_bias")

    def project_inputs(self, inputs):
        d = self.input_dim
        kernel = ops.concatenate([self.gate_kernel[:d], self.candidate_kernel[:d]], axis=1)
        bias = ops.concatenate([self.gate_bias, self.candidate_bias], axis=0)
        return ops.matmul(inputs, kernel) + bias   # [N, 3 * units]: r, z, candidate parts

    def recurrent_weights(self):
        d = self.input_dim
        return self.gate_kernel[d:], self.candidate_kernel[d:]

    def fused_sequence(self, projected, states, weights, with_gates):
        from karpathy_rnn.layers.fused_tf import gru_sequence
        names = self.gate_names if with_gates else ("h",)
        return dict(zip(names, gru_sequence(projected, *states, *weights, with_gates)))

    def step(self, projected, states, weights):
        (h,) = states
        gate_recurrent, candidate_recurrent = weights
        x_r, x_z, x_candidate = ops.split(projected, 3, axis=-1)
        h_r, h_z = ops.split(ops.matmul(h, gate_recurrent), 2, axis=-1)
        r, z = ops.sigmoid(x_r + h_r), ops.sigmoid(x_z + h_z)
        candidate = ops.tanh(x_candidate + ops.matmul(r * h, candidate_recurrent))
        h = (1.0 - z) * h + z * candidate
        return [h], {"r": r, "z": z, "candidate": candidate, "h": h}
