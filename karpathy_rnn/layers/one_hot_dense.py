"""`OneHotDense`: a dense layer on the concatenated one-hot encodings of n character ids (the n-NN's input,
paper section 4.3), computed as a look-up: row j*K + k of the kernel is the weight of "character k at position
j", so the n one-hot rows a window selects are summed instead of multiplying an [nK]-wide, mostly-zero vector."""

from __future__ import annotations

import keras
from keras import ops

from karpathy_rnn.layers.base import paper_initializer, weight_seed


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class OneHotDense(keras.layers.Layer):
    """ids [B, n] (int, each in [0, K)) -> activation(onehot(ids).reshape(B, n*K) @ kernel + bias) [B, units].

    Args:
        units: width of the output.
        vocabulary_size: K, the number of distinct ids.
        activation: applied to the result (the n-NN uses "tanh").
        seed: the initialiser's seed (kernel and bias each draw their own stream), None for a random one;
            both are uniform in [-0.08, 0.08] (section 3.3).

    Example:
        >>> layer = OneHotDense(8, vocabulary_size=5, activation="tanh", seed=0)
        >>> layer(keras.ops.convert_to_tensor([[1, 4, 0]])).shape
        (1, 8)
    """

    def __init__(self, units: int, vocabulary_size: int, activation=None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.vocabulary_size = int(units), int(vocabulary_size)
        self.activation = keras.activations.get(activation)
        self.seed = seed

    def build(self, input_shape):
        window = input_shape[-1]
        if window is None:
            raise ValueError("OneHotDense needs a fixed window length n (ids of shape [B, n])")
        self.window = int(window)
        seeded = lambda name: paper_initializer(None if self.seed is None else weight_seed(self.seed, name))  # noqa: E731
        self.kernel = self.add_weight(shape=(self.window * self.vocabulary_size, self.units), name="kernel",
                                      initializer=seeded("kernel"))
        self.bias = self.add_weight(shape=(self.units,), name="bias", initializer=seeded("bias"))

    def call(self, ids):
        rows = ops.cast(ids, "int32") + ops.arange(self.window, dtype="int32") * self.vocabulary_size
        return self.activation(ops.sum(ops.take(self.kernel, rows, axis=0), axis=-2) + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "vocabulary_size": self.vocabulary_size,
                "activation": keras.activations.serialize(self.activation), "seed": self.seed}
