"""Float64 NumPy references of the paper's units, written straight from the equations, step by step."""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _pre(x_t, h, kernel, product):
    """[x_t; h] @ kernel; with `product(a, w)`, product(x_t, W_x) + product(h, W_h) instead: each block's own product,
    as the layers compute them (a mixed-precision test rounds each product's operands and result to bfloat16)."""
    if product is None:
        return np.concatenate([x_t, h], axis=1) @ kernel
    d = x_t.shape[1]
    return product(x_t, kernel[:d]) + product(h, kernel[d:])


def lstm(x, kernel, bias, h, c, product=None):
    """x [B, T, D]; paper section 3.1 -> dict of [B, T, n] arrays (i, f, o, g, c, h)."""
    n = h.shape[1]
    out = {k: [] for k in "ifogch"}
    for t in range(x.shape[1]):
        a = _pre(x[:, t], h, kernel, product) + bias
        i, f, o = sigmoid(a[:, :n]), sigmoid(a[:, n:2 * n]), sigmoid(a[:, 2 * n:3 * n])
        g = np.tanh(a[:, 3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip("ifogch", (i, f, o, g, c, h)):
            out[k].append(v)
    return {k: np.stack(v, 1) for k, v in out.items()}


def gru(x, gate_kernel, gate_bias, candidate_kernel, candidate_bias, h, product=None):
    """x [B, T, D]; paper section 3.1 -> dict of [B, T, n] arrays (r, z, candidate, h)."""
    n = h.shape[1]
    out = {k: [] for k in ("r", "z", "candidate", "h")}
    for t in range(x.shape[1]):
        rz = sigmoid(_pre(x[:, t], h, gate_kernel, product) + gate_bias)
        r, z = rz[:, :n], rz[:, n:]
        cand = np.tanh(_pre(x[:, t], r * h, candidate_kernel, product) + candidate_bias)
        h = (1 - z) * h + z * cand
        for k, v in zip(("r", "z", "candidate", "h"), (r, z, cand, h)):
            out[k].append(v)
    return {k: np.stack(v, 1) for k, v in out.items()}


def vanilla(x, kernel, bias, h, product=None):
    """x [B, T, D]; h_t = tanh(W [x_t; h_{t-1}] + b) -> {"h": [B, T, n]}."""
    hs = []
    for t in range(x.shape[1]):
        h = np.tanh(_pre(x[:, t], h, kernel, product) + bias)
        hs.append(h)
    return {"h": np.stack(hs, 1)}


def _plain_lstm_cell(x_in, h_prev, c_prev, kernel, bias):
    """The inner LSTM(x, h) of the Distill appendix: z = tanh, c = i z + f c_prev, h = o tanh(c)."""
    n = h_prev.shape[1]
    a = np.concatenate([x_in, h_prev], axis=1) @ kernel + bias
    i, f, o = sigmoid(a[:, :n]), sigmoid(a[:, n:2 * n]), sigmoid(a[:, 2 * n:3 * n])
    z = np.tanh(a[:, 3 * n:])
    c = i * z + f * c_prev
    return dict(i=i, f=f, o=o, z=z, c=c, h=o * np.tanh(c))


def nested_lstm_depth2(x, kernel, bias, inner_kernel, inner_bias, h, c, inner_c):
    """Nested LSTM of depth 2 exactly as the Distill appendix writes it -> dict of [B, T, n]."""
    n = h.shape[1]
    names = [p + k for p in ("", "inner1_") for k in "ifozch"]
    out = {k: [] for k in names}
    for t in range(x.shape[1]):
        a = np.concatenate([x[:, t], h], axis=1) @ kernel + bias
        i, f, o = sigmoid(a[:, :n]), sigmoid(a[:, n:2 * n]), sigmoid(a[:, 2 * n:3 * n])
        z = a[:, 3 * n:]                               # sigma_z is the identity (appendix)
        inner = _plain_lstm_cell(i * z, f * c, inner_c, inner_kernel, inner_bias)
        c, inner_c = inner["h"], inner["c"]           # c_t = LSTM(i z, f c_{t-1})
        h = o * np.tanh(c)
        for k, v in dict(i=i, f=f, o=o, z=z, c=c, h=h).items():
            out[k].append(v)
        for k, v in inner.items():
            out["inner1_" + k].append(v)
    return {k: np.stack(v, 1) for k, v in out.items()}


def nested_lstm(x, kernel, bias, inner_kernels, inner_biases, h, cells):
    """Nested LSTM of any depth (len(cells)), by recursion on the appendix's LSTM(x, h) -> h rule."""
    n = h.shape[1]
    depth = len(cells)
    out = {}

    def level(k, a, cells_prev, new_cells):
        prefix = "" if k == 0 else f"inner{k}_"
        i, f, o = sigmoid(a[:, :n]), sigmoid(a[:, n:2 * n]), sigmoid(a[:, 2 * n:3 * n])
        if k == depth - 1:
            z = np.tanh(a[:, 3 * n:])
            c = i * z + f * cells_prev[k]
        else:
            z = a[:, 3 * n:]
            a_in = np.concatenate([i * z, f * cells_prev[k]], axis=1) @ inner_kernels[k] + inner_biases[k]
            c = level(k + 1, a_in, cells_prev, new_cells)
        new_cells[k] = c
        hk = o * np.tanh(c)
        for name, v in dict(i=i, f=f, o=o, z=z, c=c, h=hk).items():
            out.setdefault(prefix + name, []).append(v)
        return hk

    cells = list(cells)
    for t in range(x.shape[1]):
        a = np.concatenate([x[:, t], h], axis=1) @ kernel + bias
        new_cells = [None] * depth
        h = level(0, a, cells, new_cells)
        cells = new_cells
    return {k: np.stack(v, 1) for k, v in out.items()}
