"""The paper's LSTM (section 3.1): one W [input+units, 4*units] on [x_t; h_{t-1}], blocks i, f, o, g."""

import keras
from keras import ops

from karpathy_rnn.layers import options
from karpathy_rnn.layers.base import RecurrentLayer, recurrent_matmul


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class LSTM(RecurrentLayer):
    """LSTM of Karpathy et al. (2016), eq. in section 3.1; exposes i, f, o, g, c, h per time step.

    i, f, o = sigm(.), g = tanh(.) of `[x_t; h_{t-1}] @ kernel + bias`;
    c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t).
    Weights: `kernel` [input_dim + units, 4 * units] (rows: input, then previous hidden state;
    column blocks i, f, o, g) and `bias` [4 * units].

    Args:
        units: size of h and c.
        return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask,
            use_bias, activity_regularizer: as keras.layers.LSTM.
        return_gates: also return {name: [batch, time, units]} for i, f, o, g, c, h, last.
        activation, recurrent_activation: only the paper's 'tanh' and 'sigmoid' (else refused).
        kernel_initializer, bias_initializer: default the paper's uniform [-0.08, 0.08] (3.3).
        recurrent_initializer: for the h_{t-1} rows of `kernel`; default None = kernel_initializer
            for the whole kernel (the paper's one W). Keras' default would be orthogonal.
        unit_forget_bias: start the f block of the bias at 1 (Keras' default True; here False).
        kernel_/recurrent_/bias_regularizer and _constraint: applied to the input rows and the
            h_{t-1} rows of `kernel`, and to `bias`, as Keras applies them to its kernel,
            recurrent_kernel and bias.
        dropout: rate on the inputs. With dropout_mask='per_step' (default, char-rnn's and the
            paper's recipe) a new mask at every time step; with 'per_sequence' one mask per
            sequence, as keras.layers.LSTM (per gate block when recurrent_dropout is on).
        recurrent_dropout: rate on h_{t-1} before each gate's recurrent matmul, one mask per gate
            block and sequence (Keras' semantics; runs the step loop, not the fused op).
        output_dropout: rate on the layer's output, a new mask per step (char-rnn's between layers).
        seed: for the initializers and the dropout masks.
        fused: use the TensorFlow fast path when it applies.
        fused_xla: XLA-compile the fast path's loops (True, the default: faster on every CPU
            measured, docs/BENCHMARKS.md); under a mixed policy the loops run without XLA, whose
            CPU dot has no faster bfloat16 kernel.
        dtype: a Keras dtype policy; under "mixed_bfloat16" the matrix products run in bfloat16
            and the states, cell, gates and sums in float32 (the returned states and gates too).
        use_cudnn: 'auto' or False only (there is no cuDNN kernel).

    Example:
        ```python
        inputs = keras.Input((None,), dtype="int32")
        x = keras.layers.Embedding(100, 32, mask_zero=True)(inputs)   # padding masked
        x = keras.layers.Bidirectional(LSTM(64, return_sequences=True))(x)
        outputs = keras.layers.Dense(10)(LSTM(64)(x))
        model = keras.Model(inputs, outputs)
        sequence, gates = LSTM(64, return_sequences=True, return_gates=True)(x)
        ```
    """

    state_names = ("h", "c")
    gate_names = ("i", "f", "o", "g", "c", "h")
    fused_unit = "lstm"    # fused_tf's name of this unit (fused_sequence, projected_vjp)
    gate_blocks = 4
    keras_mask_order = (0, 1, 3, 2)    # keras' blocks are i, f, c, o; ours i, f, o, g
    has_recurrent_activation = True

    def __init__(self, units, unit_forget_bias=False, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = options.check_flag("unit_forget_bias", unit_forget_bias)

    def build_weights(self, input_dim):
        self.kernel = self.add_stacked_kernel("kernel", 4 * self.units)
        self.bias = self.add_bias("bias", 4 * self.units,
                                  self._forget_bias_initializer if self.unit_forget_bias else None)

    def _forget_bias_initializer(self, shape, dtype=None):
        """Keras' unit_forget_bias: i from bias_initializer(n), f = 1, then bias_initializer(2n)
        for Keras' (c, o), placed as our (o, g)."""
        n = self.units
        init = self.bias_initializer
        keras_c, keras_o = ops.split(init((2 * n,), dtype=dtype), 2)
        return ops.concatenate([init((n,), dtype=dtype), ops.ones((n,), dtype=dtype),
                                keras_o, keras_c])

    def fused_sequence(self, projected, states, recurrent_kernel, with_gates, mask=None):
        from karpathy_rnn.layers.fused_tf import lstm_sequence
        names = self.gate_names if with_gates else ("c", "h")
        return dict(zip(names, lstm_sequence(projected, *states, recurrent_kernel, with_gates,
                                             mask, jit=self.fused_jit)))

    def step(self, projected, states, recurrent_kernel, recurrent_masks=None):
        h, c = states
        # split, not slices: the gradient of a split is one concat, that of each slice a padded copy
        zi, zf, zo, zg = ops.split(
            projected + recurrent_matmul(h, recurrent_kernel, recurrent_masks), 4, axis=-1)
        i, f, o, g = ops.sigmoid(zi), ops.sigmoid(zf), ops.sigmoid(zo), ops.tanh(zg)
        c = f * c + i * g
        h = o * ops.tanh(c)
        return [h, c], {"i": i, "f": f, "o": o, "g": g, "c": c, "h": h}

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config
