"""TensorFlow's fast path for LSTM, GRU and RNN: the whole sequence as one op with a hand-written backward.

Autodiff through a `tf.while_loop` multiplies by W_h^T with `transpose_b` (TensorFlow's slow CPU
matmul path) and accumulates dW_h one small matmul per step. Here the backward loop multiplies by
a W_h^T transposed once, and dW_h = [h_0..h_{T-1}]^T dZ is one [n, T*B] x [T*B, 4n] matmul after
the loop. The forward and backward loops are each a tf.function, XLA-compiled unless the layer's
`fused_xla=False`. Checked against the float64 reference and finite differences
(tests/test_layers_exact.py).

Masking (keras.layers.RNN's): with a mask M [T, B, 1] (1 = a real step) the carried states are
s_t = M_t * s_new + (1 - M_t) * s_{t-1}, and the op's c/h outputs are those carried states. The
backward loop then sends (1 - M_t) of a state's gradient straight to s_{t-1} and M_t of it
through the step's maths.

Mixed precision: the states, `projected` and every elementwise step are in the state dtype (float32)
and the kernels may be in a narrower one (bfloat16 under Keras' `mixed_bfloat16`): each matrix
product then runs in the kernel's dtype (oneDNN accumulates in float32 and rounds the product once)
and is added in float32; the kernels' gradients come back in the kernel's dtype.
"""

import tensorflow as tf


def loop_over_time(body, initial, steps):
    """`body(t, *carry)` for t = 0..steps-1 as one tf.while_loop -> the final carry (without t)."""
    return tf.while_loop(lambda t, *_: t < steps, body, (tf.constant(0), *initial),
                         parallel_iterations=32, maximum_iterations=steps)[1:]


def time_length(tensor):
    """The length of a time-major [T, ...] tensor: static when known (XLA likes it), else dynamic."""
    return tf.shape(tensor)[0] if tensor.shape[0] is None else tensor.shape[0]


def unstack_time(tensor, steps):
    """A TensorArray holding the `steps` time slices of a time-major tensor."""
    return tf.TensorArray(tensor.dtype, size=steps, element_shape=tensor.shape[1:]).unstack(tensor)


_COMPILED = {}


def _compiled(function, jit):
    """`function` as a tf.function, XLA-compiled with `jit`.

    XLA fuses each step's elementwise maths into a few kernels and picks faster matmul kernels for
    the small per-step shapes; measured 1.2-1.3x on the whole training step on a 2-core AMD EPYC
    with oneDNN off, and 1.05-1.15x with oneDNN on (docs/BENCHMARKS.md).
    """
    key = (function, jit)
    if key not in _COMPILED:
        _COMPILED[key] = tf.function(function, jit_compile=jit, autograph=False)
    compiled = _COMPILED[key]

    def call(*tensors):
        # the custom gradient stands in for autodiff: inputs enter with no tape watching them, so the
        # compiled function is traced plainly (no forward-with-intermediates variant)
        return compiled(*[t if t is None else tf.stop_gradient(t) for t in tensors])
    return call


def _product(a, kernel):
    """a @ kernel in the kernel's dtype, returned in a's (the identity casts vanish when they agree)."""
    if a.dtype == kernel.dtype:
        return tf.matmul(a, kernel)
    return tf.cast(tf.matmul(tf.cast(a, kernel.dtype), kernel), a.dtype)


def _zeros_if_none(grad, like):
    return tf.zeros_like(like) if grad is None else grad


def _keep_masked(mask_t, new, old):
    """The carried state: `new` where the step is real, `old` where it is masked (mask_t [B, 1])."""
    return tf.where(mask_t > 0, new, old)


def _mask_reader(mask, steps):
    """mask [T, B, 1] -> read(t), or None without a mask."""
    return None if mask is None else unstack_time(mask, steps)


def _lstm_forward(projected, h0, c0, recurrent_kernel, mask=None):
    """The LSTM's forward loop -> (i, f, o, g, c, h), each [T, B, n] (c, h: the carried states)."""
    steps = time_length(projected)
    inputs = unstack_time(projected, steps)
    masks = _mask_reader(mask, steps)
    arrays = [tf.TensorArray(projected.dtype, size=steps) for _ in range(6)]

    def body(t, h, c, *arrays):
        zi, zf, zo, zg = tf.split(inputs.read(t) + _product(h, recurrent_kernel), 4, axis=1)
        i, f, o, g = tf.sigmoid(zi), tf.sigmoid(zf), tf.sigmoid(zo), tf.tanh(zg)
        c_new = f * c + i * g
        h_new = o * tf.tanh(c_new)
        if masks is not None:
            m = masks.read(t)
            c_new, h_new = _keep_masked(m, c_new, c), _keep_masked(m, h_new, h)
        c, h = c_new, h_new
        return (t + 1, h, c, *[a.write(t, v) for a, v in zip(arrays, (i, f, o, g, c, h))])

    _, _, *arrays = loop_over_time(body, (h0, c0, *arrays), steps)
    return tuple(a.stack() for a in arrays)


def _flat_matmul_t(a, b, dtype):
    """[T, B, m], [T, B, k] -> a^T b summed over T and B: [m, k] in `dtype` (a kernel's), one matmul."""
    flat_a = tf.cast(tf.reshape(a, (-1, tf.shape(a)[2])), dtype)
    flat_b = tf.cast(tf.reshape(b, (-1, tf.shape(b)[2])), dtype)
    return tf.matmul(tf.transpose(flat_a), flat_b)


def _plus(value, extra):
    """value + extra, or value when there is no extra (an upstream gradient nobody asked for)."""
    return value if extra is None else value + extra


def _lstm_backward(h0, c0, recurrent_kernel, mask, I, F, O, G, C, H, dC, dH, *gate_grads, kernel_grads=True):
    """The LSTM's backward loop -> d(projected), dh0, dc0, d(recurrent_kernel) (None without `kernel_grads`).

    `gate_grads` (dI, dF, dO, dG) only when the gates were outputs; otherwise none are read. The saved
    activations may have batch 1 and the gradients batch P (P cotangents through one forward pass: they
    broadcast); then only `kernel_grads=False` applies.
    """
    steps = time_length(I)
    c_prev = tf.concat([c0[None], C[:-1]], axis=0)
    h_prev = tf.concat([h0[None], H[:-1]], axis=0)
    kernel_t = tf.transpose(recurrent_kernel)
    masks = _mask_reader(mask, steps)
    cell_grads = () if dC is None else (dC,)       # None: no gradient reaches the cells (only the final c read)
    read = [unstack_time(x, steps) for x in (I, F, O, G, C, c_prev, dH, *cell_grads, *gate_grads)]
    dz_array = tf.TensorArray(I.dtype, size=steps)

    def back(k, dh_next, dc_next, dz_array):
        t = steps - 1 - k
        i, f, o, g, c, cp, dh_in, *rest = [r.read(t) for r in read]
        dc_in, d_gates = (rest[0], rest[1:]) if cell_grads else (None, rest)
        di, df, do, dg = d_gates or (None,) * 4
        dh_carried, dc_carried = dh_in + dh_next, _plus(dc_next, dc_in)
        dh, dc_total = dh_carried, dc_carried
        if masks is not None:     # masked steps pass the carried gradients straight through
            m = masks.read(t)
            dh, dc_total = m * dh_carried, m * dc_carried
        tanh_c = tf.tanh(c)
        dc = dc_total + dh * o * (1.0 - tanh_c * tanh_c)
        dzi = _plus(dc * g, di) * i * (1.0 - i)
        dzf = _plus(dc * cp, df) * f * (1.0 - f)
        dzo = _plus(dh * tanh_c, do) * o * (1.0 - o)
        dzg = _plus(dc * i, dg) * (1.0 - g * g)
        dz = tf.concat([dzi, dzf, dzo, dzg], axis=1)
        dh_prev, dc_prev = _product(dz, kernel_t), dc * f
        if masks is not None:
            dh_prev, dc_prev = dh_prev + (1.0 - m) * dh_carried, dc_prev + (1.0 - m) * dc_carried
        return k + 1, dh_prev, dc_prev, dz_array.write(t, dz)

    zeros = tf.zeros_like(dH[0])      # the gradients' batch (P cotangents through a batch-1 forward: P)
    dh0, dc0, dz_array = loop_over_time(back, (zeros, zeros, dz_array), steps)
    dZ = dz_array.stack()
    return dZ, dh0, dc0, (_flat_matmul_t(h_prev, dZ, recurrent_kernel.dtype) if kernel_grads else None)


def lstm_sequence(projected, h0, c0, recurrent_kernel, with_gates=True, mask=None, jit=True):
    """projected [T, B, 4n] (x W_x + b), h0/c0 [B, n], W_h [n, 4n] -> (i, f, o, g, c, h), each
    [T, B, n]; without `with_gates` only (c, h), and the backward reads no gate gradients.
    `mask` [T, B, 1] (1 = real step) keeps c and h at masked steps."""

    @tf.custom_gradient
    def run(projected, h0, c0, recurrent_kernel):
        saved = _compiled(_lstm_forward, jit)(projected, h0, c0, recurrent_kernel, mask)

        def grad(*upstream, variables=None):
            gate_grads = [_zeros_if_none(d, saved[0]) for d in upstream[:-2]]
            dC, dH = upstream[-2], _zeros_if_none(upstream[-1], saved[0])    # dC may stay None
            return _compiled(_lstm_backward, jit)(h0, c0, recurrent_kernel, mask, *saved, dC, dH,
                                                  *gate_grads)

        return (saved if with_gates else saved[4:]), grad

    return run(projected, h0, c0, recurrent_kernel)


def _gru_forward(projected, h0, gate_kernel, candidate_kernel, mask=None):
    """The GRU's forward loop -> (r, z, candidate, h), each [T, B, n] (h: the carried state)."""
    steps = time_length(projected)
    inputs = unstack_time(projected, steps)
    masks = _mask_reader(mask, steps)
    arrays = [tf.TensorArray(projected.dtype, size=steps) for _ in range(4)]

    def body(t, h, *arrays):
        x_r, x_z, x_c = tf.split(inputs.read(t), 3, axis=1)
        h_r, h_z = tf.split(_product(h, gate_kernel), 2, axis=1)
        r, z = tf.sigmoid(x_r + h_r), tf.sigmoid(x_z + h_z)
        cand = tf.tanh(x_c + _product(r * h, candidate_kernel))
        h_new = (1.0 - z) * h + z * cand
        h = h_new if masks is None else _keep_masked(masks.read(t), h_new, h)
        return (t + 1, h, *[a.write(t, v) for a, v in zip(arrays, (r, z, cand, h))])

    _, *arrays = loop_over_time(body, (h0, *arrays), steps)
    return tuple(a.stack() for a in arrays)


def _gru_backward(h0, gate_kernel, candidate_kernel, mask, R, Z, CAND, H, dH, *gate_grads, kernel_grads=True):
    """The GRU's backward loop -> d(projected), dh0, d(gate_kernel), d(candidate_kernel) (the last two None
    without `kernel_grads`).

    `gate_grads` (dR, dZ, dCandidate) only when the gates were outputs. Batch-1 activations with batch-P
    gradients broadcast, as in `_lstm_backward`.
    """
    steps = time_length(R)
    h_prev = tf.concat([h0[None], H[:-1]], axis=0)
    gate_t, cand_t = tf.transpose(gate_kernel), tf.transpose(candidate_kernel)
    masks = _mask_reader(mask, steps)
    read = [unstack_time(x, steps) for x in (R, Z, CAND, h_prev, dH, *gate_grads)]
    da_array = tf.TensorArray(R.dtype, size=steps)

    def back(k, dh_next, da_array):
        t = steps - 1 - k
        r, z, cand, hp, dh_in, *d_gates = [x.read(t) for x in read]
        dr_in, dz_in, dcand_in = d_gates or (None,) * 3
        dh = dh_carried = dh_in + dh_next
        if masks is not None:     # masked steps pass the carried gradient straight through
            m = masks.read(t)
            dh = m * dh_carried
        da_c = _plus(dh * z, dcand_in) * (1.0 - cand * cand)
        d_rh = _product(da_c, cand_t)
        da_r = _plus(d_rh * hp, dr_in) * r * (1.0 - r)
        da_z = _plus(dh * (cand - hp), dz_in) * z * (1.0 - z)
        da_rz = tf.concat([da_r, da_z], axis=1)
        dh_prev = dh * (1.0 - z) + d_rh * r + _product(da_rz, gate_t)
        if masks is not None:
            dh_prev = dh_prev + (1.0 - m) * dh_carried
        return k + 1, dh_prev, da_array.write(t, tf.concat([da_rz, da_c], axis=1))

    dh0, da_array = loop_over_time(back, (tf.zeros_like(dH[0]), da_array), steps)
    dA = da_array.stack()
    if not kernel_grads:
        return dA, dh0, None, None
    dA_rz, dA_c = tf.split(dA, [2 * h0.shape[1], h0.shape[1]], axis=2)
    return (dA, dh0, _flat_matmul_t(h_prev, dA_rz, gate_kernel.dtype),
            _flat_matmul_t(R * h_prev, dA_c, candidate_kernel.dtype))


def gru_sequence(projected, h0, gate_kernel, candidate_kernel, with_gates=True, mask=None,
                 jit=True):
    """projected [T, B, 3n] (r, z, candidate parts of x W + b), h0 [B, n], W_g [n, 2n], W_c [n, n]
    -> (r, z, candidate, h), each [T, B, n], or (h,) without `with_gates`; the paper's GRU.
    `mask` [T, B, 1] (1 = real step) keeps h at masked steps."""

    @tf.custom_gradient
    def run(projected, h0, gate_kernel, candidate_kernel):
        saved = _compiled(_gru_forward, jit)(projected, h0, gate_kernel, candidate_kernel, mask)

        def grad(*upstream, variables=None):
            upstream = [_zeros_if_none(d, saved[0]) for d in upstream]
            gate_grads, dH = upstream[:-1], upstream[-1]
            return _compiled(_gru_backward, jit)(h0, gate_kernel, candidate_kernel, mask, *saved,
                                                 dH, *gate_grads)

        return (saved if with_gates else saved[3:]), grad

    return run(projected, h0, gate_kernel, candidate_kernel)


def _rnn_forward(projected, h0, kernel, mask=None):
    """The vanilla RNN's forward loop -> h [T, B, n] (the carried state)."""
    steps = time_length(projected)
    inputs = unstack_time(projected, steps)
    masks = _mask_reader(mask, steps)

    def body(t, h, array):
        h_new = tf.tanh(inputs.read(t) + _product(h, kernel))
        h = h_new if masks is None else _keep_masked(masks.read(t), h_new, h)
        return t + 1, h, array.write(t, h)

    _, array = loop_over_time(body, (h0, tf.TensorArray(projected.dtype, size=steps)), steps)
    return array.stack()


def _rnn_backward(h0, kernel, mask, H, dH, kernel_grads=True):
    """The vanilla RNN's backward loop -> d(projected), dh0, d(kernel) (None without `kernel_grads`; batch-1
    activations with batch-P gradients broadcast, as in `_lstm_backward`)."""
    steps = time_length(H)
    kernel_t = tf.transpose(kernel)
    masks = _mask_reader(mask, steps)
    read = [unstack_time(x, steps) for x in (H, dH)]
    da_array = tf.TensorArray(H.dtype, size=steps)

    def back(k, dh_next, da_array):
        t = steps - 1 - k
        h, dh_in = read[0].read(t), read[1].read(t)
        dh = dh_in + dh_next
        if masks is None:
            da = dh * (1.0 - h * h)
            return k + 1, _product(da, kernel_t), da_array.write(t, da)
        m = masks.read(t)     # at a masked step h is the carried one, but m = 0 discards it
        da = m * dh * (1.0 - h * h)
        return k + 1, _product(da, kernel_t) + (1.0 - m) * dh, da_array.write(t, da)

    dh0, da_array = loop_over_time(back, (tf.zeros_like(dH[0]), da_array), steps)
    dA = da_array.stack()
    if not kernel_grads:
        return dA, dh0, None
    h_prev = tf.concat([h0[None], H[:-1]], axis=0)
    return dA, dh0, _flat_matmul_t(h_prev, dA, kernel.dtype)


def rnn_sequence(projected, h0, kernel, mask=None, jit=True):
    """projected [T, B, n] (x W_x + b), h0 [B, n], W_h [n, n] -> h [T, B, n]; tanh RNN (section 3.1).
    `mask` [T, B, 1] (1 = real step) keeps h at masked steps."""

    @tf.custom_gradient
    def run(projected, h0, kernel):
        H = _compiled(_rnn_forward, jit)(projected, h0, kernel, mask)

        def grad(dH, variables=None):
            return _compiled(_rnn_backward, jit)(h0, kernel, mask, H, _zeros_if_none(dH, H))

        return H, grad

    return run(projected, h0, kernel)


# ---- many cotangents through one forward pass (connectivity) ---------------------------------------------------

def _lstm_projected_vjp(h0, c0, recurrent_kernel, I, F, O, G, C, H, dH):
    return _lstm_backward(h0, c0, recurrent_kernel, None, I, F, O, G, C, H, None, dH, kernel_grads=False)[0]


def _gru_projected_vjp(h0, gate_kernel, candidate_kernel, R, Z, CAND, H, dH):
    return _gru_backward(h0, gate_kernel, candidate_kernel, None, R, Z, CAND, H, dH, kernel_grads=False)[0]


def _rnn_projected_vjp(h0, kernel, H, dH):
    return _rnn_backward(h0, kernel, None, H, dH, kernel_grads=False)[0]


def projected_vjp(unit: str, states, weights, saved, dH, jit=True):
    """d(projected) [T, P, G*n] of P cotangents dH [T, P, n] of a layer's h sequence, through one forward pass
    whose saved activations (`saved`: the unit's gates in `fused_sequence` order, each [T, 1, n]) and initial
    `states` ([1, n] each) have batch 1: P vector-Jacobian products for the price of P backward loops, with no
    forward copies and no kernel gradients. `unit` is "lstm", "gru" or "rnn"; `weights` its recurrent weights."""
    function = {"lstm": _lstm_projected_vjp, "gru": _gru_projected_vjp, "rnn": _rnn_projected_vjp}[unit]
    weights = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    return _compiled(function, jit)(*states, *weights, *saved, dH)
