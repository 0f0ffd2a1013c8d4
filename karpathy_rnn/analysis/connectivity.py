"""Connectivity (Madsen, Distill 2019): how strongly each earlier input drives one prediction.

    connectivity(t, t~) = || d (h_L^{t~})_k / d x^t ||_2

the L2 norm, over the input encoding x^t (the embedding of an autocomplete model, the one-hot vector of a char-LM),
of the gradient of the logit of target k at output position t~. The only analysis that needs TensorFlow. Every
requested position of one text is done at once, in groups of `group` positions, each group only as far as its last
position needs:
- LSTM, GRU and vanilla RNN stacks (TensorFlow): one forward pass of the text at batch 1, then the group's
  cotangents (one per position) back through the fused units' hand-written backward loops together, each layer's
  saved gates shared by all of them (`fused_tf.projected_vjp`), with no kernel gradients;
- any other stack: tf.GradientTape over the model's own layers, the text repeated once per position, each copy's
  logit summed, one backward pass.
Both give the same numbers (tested against each other and against a tape per position).
"""

from __future__ import annotations

import numpy as np

from karpathy_rnn.errors import KRNNError


def model_parts(model):
    """(encoder, middle layers, head Dense) of a chain model ids -> encoder -> recurrent layers -> Dense logits;
    KRNNError when `model` is not one (neither an autocomplete nor a char-LM model)."""
    import keras

    from karpathy_rnn.layers import RecurrentLayer
    from karpathy_rnn.models import CharacterOneHot

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    ok = (len(layers) >= 3 and isinstance(layers[0], (keras.layers.Embedding, CharacterOneHot))
          and isinstance(layers[-1], keras.layers.Dense)
          and all(isinstance(layer, (RecurrentLayer, keras.layers.Dropout)) for layer in layers[1:-1])
          and any(isinstance(layer, RecurrentLayer) for layer in layers[1:-1]))
    if not ok:
        raise KRNNError(f"model '{model.name}' is not an autocomplete or char-LM model (ids -> embedding or one-hot -> "
                        "karpathy_rnn recurrent layers -> Dense): connectivity needs one of scripts/autocomplete.py's "
                        "or scripts/train.py's runs")
    return layers[0], layers[1:-1], layers[-1]


class Connectivity:
    """Connectivity of one model's predictions: `values(ids, positions, targets)` -> [P, T] float32.

    Args:
        model: an autocomplete or char-LM model (see model_parts).
        group: positions per backward pass; a pass runs its copies up to its last position (rounded up to a
            multiple of `group`, so texts of similar length reuse the traced graph).
    """

    def __init__(self, model, group: int = 50, shared_forward: bool | None = None):
        import tensorflow as tf

        self.encoder, self.middle, self.head = model_parts(model)
        self.group = int(group)
        self.shared_forward = can_share_forward(self.middle) if shared_forward is None else shared_forward
        self._norms = tf.function(self._shared_forward_norms if self.shared_forward else self._norms_eager,
                                  reduce_retracing=True)

    def _shared_forward_norms(self, ids, positions, targets):
        """ids [1, S], positions [P] < S, targets [P] -> [P, S], as `_norms_eager`: one forward pass at batch 1, then
        the P cotangents through every layer's backward loop at once (the gates saved by the one pass broadcast)."""
        import tensorflow as tf

        from karpathy_rnn.layers import RecurrentLayer
        from karpathy_rnn.layers.fused_tf import projected_vjp

        h = tf.cast(self.encoder(ids), tf.float32)                                                  # [1, S, E]
        passes = []                                       # (layer, initial states, saved gates [S, 1, n] each)
        for layer in self.middle:
            if not isinstance(layer, RecurrentLayer):     # Dropout: the identity at inference
                continue
            zeros = [tf.zeros((1, layer.units), layer.state_dtype) for _ in layer.state_names]
            h, *_, gates = layer(h, initial_state=zeros, return_state=True, return_gates=True, update_states=False,
                                 training=False)
            passes.append((layer, zeros, [tf.transpose(gates[name], (1, 0, 2)) for name in layer.gate_names]))
        copies, steps = tf.shape(positions)[0], tf.shape(ids)[1]
        units = passes[-1][0].units
        columns = tf.transpose(tf.gather(tf.cast(self.head.kernel, tf.float32), targets, axis=1))          # [P, n]
        where = tf.stack([positions, tf.range(copies)], axis=1)
        d_h = tf.scatter_nd(where, columns, tf.stack([steps, copies, units]))   # d logit_p / d h_L: [S, P, n]
        for layer, zeros, saved in reversed(passes):
            d_projected = projected_vjp(layer.fused_unit, zeros, layer.recurrent_weights(), saved, d_h,
                                        jit=layer.fused_jit)                                       # [S, P, G*n]
            kernel = tf.cast(layer.input_kernel()[0], d_projected.dtype)                          # [D, G*n]
            d_h = tf.reshape(tf.matmul(tf.reshape(d_projected, (-1, kernel.shape[1])), kernel, transpose_b=True),
                             tf.stack([steps, copies, kernel.shape[0]]))                           # [S, P, D]
        return tf.transpose(tf.norm(d_h, axis=-1))

    def _norms_eager(self, ids, positions, targets):
        """ids [1, S], positions [P] < S, targets [P] -> [P, S] gradient norms of logit targets[p] at positions[p]."""
        import tensorflow as tf

        from karpathy_rnn.layers import RecurrentLayer

        encoded = tf.repeat(tf.cast(self.encoder(ids), tf.float32), tf.shape(positions)[0], axis=0)   # [P, S, E]
        with tf.GradientTape() as tape:
            tape.watch(encoded)
            h = encoded
            for layer in self.middle:
                if isinstance(layer, RecurrentLayer) and layer.stateful:      # a char-LM's layers: from zero states
                    zeros = tf.zeros((tf.shape(h)[0], layer.units), h.dtype)
                    h = layer(h, initial_state=[zeros for _ in layer.state_names], update_states=False, training=False)
                else:
                    h = layer(h, training=False)
            last = tf.gather(h, positions[:, None], batch_dims=1)[:, 0]                                 # [P, n]
            weights = tf.transpose(tf.gather(self.head.kernel, targets, axis=1))                       # [P, n]
            logits = tf.reduce_sum(last * weights, -1)
            if self.head.bias is not None:
                logits += tf.gather(self.head.bias, targets)
        return tf.norm(tape.gradient(logits, encoded), axis=-1)

    def values(self, ids, positions, targets, steps: int | None = None) -> np.ndarray:
        """ids [T] int, positions [P] (each in 0..T-1), targets [P] (output ids) -> connectivity [P, T] float32, row p
        zero after positions[p] (a prediction cannot depend on later inputs). `steps`: run every pass over at least
        this many characters (zero-padded), so requests of one text share a compiled shape (the live probe)."""
        ids = np.asarray(ids, np.int32)
        positions, targets = np.asarray(positions, np.int64), np.asarray(targets, np.int64)
        if positions.shape != targets.shape or positions.ndim != 1:
            raise KRNNError(f"positions {positions.shape} and targets {targets.shape} must be the same 1-D shape")
        outside = positions[(positions < 0) | (positions >= len(ids))]
        if len(outside):
            raise KRNNError(f"position {int(outside[0])} is outside the text (0 to {len(ids) - 1})")
        out = np.zeros((len(positions), len(ids)), np.float32)
        order = np.argsort(positions, kind="stable")
        least = int(steps or 0)
        for start in range(0, len(order), self.group):
            rows = order[start:start + self.group]
            length = max(-(-(int(positions[rows].max()) + 1) // self.group) * self.group, least)
            padded = np.zeros((1, length), np.int32)
            padded[0, :min(length, len(ids))] = ids[:length]
            norms = self._norms(padded, positions[rows].astype(np.int32), targets[rows].astype(np.int32))
            out[rows, :min(length, len(ids))] = norms.numpy()[:, :len(ids)]
        return out


def can_share_forward(middle) -> bool:
    """Whether `_shared_forward_norms` applies to `middle` (model_parts' recurrent and Dropout layers): TensorFlow,
    and every recurrent layer a fused unit read forwards."""
    import keras

    from karpathy_rnn.layers import RecurrentLayer

    recurrent = [layer for layer in middle if isinstance(layer, RecurrentLayer)]
    return keras.backend.backend() == "tensorflow" and all(
        layer.fused_unit is not None and not layer.go_backwards for layer in recurrent)


def top_predictions(model, ids, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A model's k most likely outputs at every position of one text: (ids [T, k], probabilities [T, k])."""
    import keras

    logits = keras.ops.convert_to_numpy(model(np.asarray(ids, np.int32)[None], training=False))[0].astype(np.float64)
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    best = np.argsort(-probabilities, axis=-1, kind="stable")[:, :k]
    return best, np.take_along_axis(probabilities, best, -1)
