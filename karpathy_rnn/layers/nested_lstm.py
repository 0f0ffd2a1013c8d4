"""Nested LSTM (Moniz & Krueger 2017) as written in the appendix of Madsen, Distill 2019."""

import keras
from keras import ops

from karpathy_rnn.layers.base import RecurrentLayer, mixed_matmul, recurrent_matmul


def _prefix(level):
    """Gate-name prefix of nesting level `level` (0 = the outer LSTM)."""
    return "" if level == 0 else f"inner{level}_"


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class NestedLSTM(RecurrentLayer):
    """Nested LSTM of `depth` levels; exposes every level's i, f, o, z, c, h per time step.

    Outer level (Distill appendix): i, f, o = sigm(.), z = identity(.) of
    `[x_t; h_{t-1}] @ kernel + bias`; c_t = LSTM(i * z, f * c_{t-1}); h_t = o * tanh(c_t).
    The inner LSTM's input is i * z and its hidden-from-before is f * c_{t-1}; its output is the
    outer cell. With depth > 2 every level but the innermost nests again (z identity); the innermost
    is a plain LSTM (z = tanh, c = f * c_{t-1} + i * z). States: h, then each level's cell
    (`c`, `inner1_c`, ...). Weights: `kernel` [input_dim + units, 4 * units] and `bias`
    [4 * units] (blocks i, f, o, z); `inner_kernels[k-1]` [2 * units, 4 * units] (rows: the inner
    input, then the inner hidden-from-before) and `inner_biases[k-1]` [4 * units] for level k.

    Args:
        units: size of h and of every level's cell.
        depth: nesting levels, >= 2.
        The other arguments are those of `karpathy_rnn.layers.LSTM` (no keras built-in exists to
        convert to). The kernel_* / recurrent_* options apply to the outer kernel's input and
        h_{t-1} rows; the inner kernels, which only see recurrent quantities, get recurrent_*
        (recurrent_initializer None: kernel_initializer). recurrent_dropout masks the outer h_{t-1}.

    Example:
        ```python
        x = keras.Input((None, 8))
        y, gates = NestedLSTM(32, depth=2, return_sequences=True, return_gates=True)(x)
        inner_cell = gates["inner1_c"]          # [batch, time, 32]
        ```
    """

    gate_blocks = 4
    keras_mask_order = (0, 1, 2, 3)
    has_recurrent_activation = True

    def __init__(self, units, depth=2, **kwargs):
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 2:
            raise ValueError(f"NestedLSTM: depth={depth!r} must be an integer >= 2 "
                             "(depth 2 = an LSTM whose cell update is one inner LSTM).")
        self.depth = depth
        self.state_names = ("h",) + tuple(f"{_prefix(k)}c" for k in range(depth))
        self.gate_names = tuple(f"{_prefix(k)}{name}" for k in range(depth)
                                for name in ("i", "f", "o", "z", "c", "h"))
        super().__init__(units, **kwargs)

    def build_weights(self, input_dim):
        n = self.units
        self.kernel = self.add_stacked_kernel("kernel", 4 * n)
        self.bias = self.add_bias("bias", 4 * n)
        self.inner_kernels, self.inner_biases = [], []
        for level in range(1, self.depth):
            self.inner_kernels.append(self.add_recurrent_kernel(f"inner{level}_kernel", (2 * n, 4 * n)))
            self.inner_biases.append(self.add_bias(f"inner{level}_bias", 4 * n))

    def recurrent_weights(self):
        return self.kernel[self.input_dim:], list(self.inner_kernels), list(self.inner_biases)

    def step(self, projected, states, weights, recurrent_masks=None):
        recurrent_kernel, inner_kernels, inner_biases = weights
        h, cells = states[0], states[1:]
        pre = projected + recurrent_matmul(h, recurrent_kernel, recurrent_masks)
        gates, new_cells = {}, [None] * self.depth
        self._level(0, pre, cells, new_cells, gates, inner_kernels, inner_biases)
        return [gates["h"], *new_cells], gates

    def _level(self, level, pre, cells, new_cells, gates, inner_kernels, inner_biases):
        """Level `level` from its pre-activations [B, 4n]; fills its cell and gates, returns h."""
        zi, zf, zo, zz = ops.split(pre, 4, axis=-1)
        i, f, o = ops.sigmoid(zi), ops.sigmoid(zf), ops.sigmoid(zo)
        innermost = level == self.depth - 1
        z = ops.tanh(zz) if innermost else zz
        if innermost:
            c = f * cells[level] + i * z
        else:
            inner_in = ops.concatenate([i * z, f * cells[level]], axis=1)
            inner_pre = mixed_matmul(inner_in, inner_kernels[level])
            if inner_biases[level] is not None:
                inner_pre = inner_pre + ops.cast(inner_biases[level], inner_pre.dtype)
            c = self._level(level + 1, inner_pre, cells, new_cells, gates, inner_kernels,
                            inner_biases)
        new_cells[level] = c
        h = o * ops.tanh(c)
        p = _prefix(level)
        gates.update({p + "i": i, p + "f": f, p + "o": o, p + "z": z, p + "c": c, p + "h": h})
        return h

    def get_config(self):
        config = super().get_config()
        config["depth"] = self.depth
        return config
