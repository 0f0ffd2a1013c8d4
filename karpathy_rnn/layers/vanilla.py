"""The paper's vanilla RNN (section 3.1): h_t = tanh(W [x_t; h_{t-1}] + b)."""

import keras
from keras import ops

from karpathy_rnn.layers.base import RecurrentLayer


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class VanillaRNN(RecurrentLayer):
    """Vanilla tanh RNN (section 3.1); exposes h per time step.

    Weights: `kernel` [input_dim + units, units] (rows: input, then previous hidden state) and
    `bias` [units].
    """

    state_names = ("h",)
    gate_names = ("h",)

    def build_weights(self, input_dim):
        self.kernel = self.add_weight(shape=(input_dim + self.units, self.units),
                                      initializer=self.kernel_initializer, name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                    name="bias")

    def fused_sequence(self, projected, states, recurrent_kernel, with_gates):
        from karpathy_rnn.layers.fused_tf import rnn_sequence
        return {"h": rnn_sequence(projected, *states, recurrent_kernel)}

    def step(self, projected, states, recurrent_kernel):
        (h,) = states
        h = ops.tanh(projected + ops.matmul(h, recurrent_kernel))
        return [h], {"h": h}
