"""The paper's vanilla RNN (section 3.1): h_t = tanh(W [x_t; h_{t-1}] + b)."""

import keras
from keras import ops

from karpathy_rnn.layers.base import RecurrentLayer, recurrent_matmul


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class VanillaRNN(RecurrentLayer):
    """Vanilla tanh RNN (section 3.1); exposes h per time step.

    Weights: `kernel` [input_dim + units, units] (rows: input, then previous hidden state) and
    `bias` [units].

    Args:
        units: size of h.
        The other arguments are keras.layers.SimpleRNN's, with the paper's defaults; each is
        described on `karpathy_rnn.layers.LSTM` (activation: 'tanh' only; dropout_mask chooses a
        new input-dropout mask per step, the default, or Keras' one per sequence).

    Example:
        ```python
        x = keras.Input((None, 8))
        h = VanillaRNN(32, return_sequences=True)(keras.layers.Masking()(x))
        outputs, gates = VanillaRNN(32, return_gates=True)(h)    # gates["h"]: [batch, time, 32]
        ```
    """

    state_names = ("h",)
    gate_names = ("h",)
    fused_unit = "rnn"    # fused_tf's name of this unit (fused_sequence, projected_vjp)

    def build_weights(self, input_dim):
        self.kernel = self.add_stacked_kernel("kernel", self.units)
        self.bias = self.add_bias("bias", self.units)

    def fused_sequence(self, projected, states, recurrent_kernel, with_gates, mask=None):
        from karpathy_rnn.layers.fused_tf import rnn_sequence
        return {"h": rnn_sequence(projected, *states, recurrent_kernel, mask, jit=self.fused_jit)}

    def step(self, projected, states, recurrent_kernel, recurrent_masks=None):
        (h,) = states
        h = ops.tanh(projected + recurrent_matmul(h, recurrent_kernel, recurrent_masks))
        return [h], {"h": h}
