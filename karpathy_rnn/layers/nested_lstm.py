"""Nested LSTM (Moniz & Krueger 2017) as written in the appendix of Madsen, Distill 2019."""

import keras
from keras import ops

from karpathy_rnn.layers.base import RecurrentLayer


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
    """

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
        self.kernel = self.add_weight(shape=(input_dim + n, 4 * n),
                                      initializer=self.kernel_initializer, name="kernel")
        self.bias = self.add_weight(shape=(4 * n,), initializer=self.bias_initializer, name="bias")
        self.inner_kernels, self.inner_biases = [], []
        for level in range(1, self.depth):
            self.inner_kernels.append(self.add_weight(
                shape=(2 * n, 4 * n), initializer=self.kernel_initializer,
                name=f"inner{level}_kernel"))
            self.inner_biases.append(self.add_weight(
                shape=(4 * n,), initializer=self.bias_initializer, name=f"inner{level}_bias"))

    def recurrent_weights(self):
        return self.kernel[self.input_dim:], list(self.inner_kernels), list(self.inner_biases)

    def step(self, projected, states, weights):
        recurrent_kernel, inner_kernels, inner_biases = weights
        h, cells = states[0], states[1:]
        pre = projected + ops.matmul(h, recurrent_kernel)
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
            inner_pre = ops.matmul(inner_in, inner_kernels[level]) + inner_biases[level]
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
