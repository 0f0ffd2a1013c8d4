"""The paper's LSTM (section 3.1): one W [input+units, 4*units] on [x_t; h_{t-1}], blocks i, f, o, g."""

import keras
from keras import ops

from karpathy_rnn.layers.base import RecurrentLayer


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class LSTM(RecurrentLayer):
    """LSTM of Karpathy et al. (2016), eq. in section 3.1; exposes i, f, o, g, c, h per time step.

    i, f, o = sigm(.), g = tanh(.) of `[x_t; h_{t-1}] @ kernel + bias`;
    c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t).
    Weights: `kernel` [input_dim + units, 4 * units] (rows: input, then previous hidden state;
    column blocks i, f, o, g) and `bias` [4 * units].
    """

    state_names = ("h", "c")
    gate_names = ("i", "f", "o", "g", "c", "h")

    def build_weights(self, input_dim):
        self.kernel = self.add_weight(shape=(input_dim + self.units, 4 * self.units),
                                      initializer=self.kernel_initializer, name="kernel")
        self.bias = self.add_weight(shape=(4 * self.units,), initializer=self.bias_initializer,
                                    name="bias")

    def fused_sequence(self, projected, states, recurrent_kernel, with_gates):
        from karpathy_rnn.layers.fused_tf import lstm_sequence
        names = self.gate_names if with_gates else ("c", "h")
        return dict(zip(names, lstm_sequence(projected, *states, recurrent_kernel, with_gates)))

    def step(self, projected, states, recurrent_kernel):
        h, c = states
        # split, not slices: the gradient of a split is one concat, that of each slice a padded copy
        zi, zf, zo, zg = ops.split(projected + ops.matmul(h, recurrent_kernel), 4, axis=-1)
        i, f, o, g = ops.sigmoid(zi), ops.sigmoid(zf), ops.sigmoid(zo), ops.tanh(zg)
        c = f * c + i * g
        h = o * ops.tanh(c)
        return [h, c], {"i": i, "f": f, "o": o, "g": g, "c": c, "h": h}
