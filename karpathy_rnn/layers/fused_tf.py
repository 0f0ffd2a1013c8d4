"""TensorFlow's fast path for the LSTM: the whole sequence as one op with a hand-written backward.

Autodiff through a `tf.while_loop` multiplies by W_h^T with `transpose_b` (TensorFlow's slow CPU
matmul path) and accumulates dW_h one small matmul per step. Here the backward loop multiplies by
a W_h^T transposed once, and dW_h = [h_0..h_{T-1}]^T dZ is one [n, T*B] x [T*B, 4n] matmul after
the loop. Checked against the float64 reference and finite differences (tests/test_layers_exact.py).
"""

import tensorflow as tf


def _loop(body, initial, steps):
    return tf.while_loop(lambda t, *_: t < steps, body, (tf.constant(0), *initial),
                         parallel_iterations=32, maximum_iterations=steps)[1:]


def _unstack(tensor, steps):
    return tf.TensorArray(tensor.dtype, size=steps, element_shape=tensor.shape[1:]).unstack(tensor)


def _zeros_if_none(grad, like):
    return tf.zeros_like(like) if grad is None else grad


def lstm_sequence(projected, h0, c0, recurrent_kernel):
    """projected [T, B, 4n] (x W_x + b), h0/c0 [B, n], W_h [n, 4n] -> (i, f, o, g, c, h), each [T, B, n]."""

    @tf.custom_gradient
    def run(projected, h0, c0, recurrent_kernel):
        steps = tf.shape(projected)[0] if projected.shape[0] is None else projected.shape[0]
        inputs = _unstack(projected, steps)
        arrays = [tf.TensorArray(projected.dtype, size=steps) for _ in range(6)]

        def body(t, h, c, *arrays):
            zi, zf, zo, zg = tf.split(inputs.read(t) + tf.matmul(h, recurrent_kernel), 4, axis=1)
            i, f, o, g = tf.sigmoid(zi), tf.sigmoid(zf), tf.sigmoid(zo), tf.tanh(zg)
            c = f * c + i * g
            h = o * tf.tanh(c)
            return (t + 1, h, c, *[a.write(t, v) for a, v in zip(arrays, (i, f, o, g, c, h))])

        _, _, *arrays = _loop(body, (h0, c0, *arrays), steps)
        I, F, O, G, C, H = [a.stack() for a in arrays]

        def grad(dI, dF, dO, dG, dC, dH, variables=None):
            dI, dF, dO, dG, dC, dH = (_zeros_if_none(d, I) for d in (dI, dF, dO, dG, dC, dH))
            c_prev = tf.concat([c0[None], C[:-1]], axis=0)
            h_prev = tf.concat([h0[None], H[:-1]], axis=0)
            kernel_t = tf.transpose(recurrent_kernel)
            read = [_unstack(x, steps) for x in (I, F, O, G, C, c_prev, dI, dF, dO, dG, dC, dH)]
            dz_array = tf.TensorArray(projected.dtype, size=steps)

            def back(k, dh_next, dc_next, dz_array):
                t = steps - 1 - k
                i, f, o, g, c, cp, di, df, do, dg, dc_in, dh_in = [r.read(t) for r in read]
                dh = dh_in + dh_next
                tanh_c = tf.tanh(c)
                dc = dc_in + dc_next + dh * o * (1.0 - tanh_c * tanh_c)
                dzi = (di + dc * g) * i * (1.0 - i)
                dzf = (df + dc * cp) * f * (1.0 - f)
                dzo = (do + dh * tanh_c) * o * (1.0 - o)
                dzg = (dg + dc * i) * (1.0 - g * g)
                dz = tf.concat([dzi, dzf, dzo, dzg], axis=1)
                return k + 1, tf.matmul(dz, kernel_t), dc * f, dz_array.write(t, dz)

            dh0, dc0, dz_array = _loop(back, (tf.zeros_like(h0), tf.zeros_like(c0), dz_array), steps)
            dZ = dz_array.stack()
            n4 = tf.shape(dZ)[2]
            flat_h = tf.transpose(tf.reshape(h_prev, (-1, tf.shape(h_prev)[2])))
            d_kernel = tf.matmul(flat_h, tf.reshape(dZ, (-1, n4)))
            return dZ, dh0, dc0, d_kernel

        return (I, F, O, G, C, H), grad

    return run(projected, h0, c0, recurrent_kernel)
