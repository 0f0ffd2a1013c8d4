"""from_torch / to_torch: torch.nn.LSTM, GRU and RNN(tanh) as our layers, the same numbers both ways (issue 34.1)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import keras  # noqa: E402

from karpathy_rnn.layers import GRU, LSTM, VanillaRNN, from_torch, to_torch  # noqa: E402

B, T, D, H = 3, 9, 5, 6
KINDS = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN}
OURS = {"LSTM": LSTM, "GRU": GRU, "RNN": VanillaRNN}


def _module(kind, seed=0, **options):
    torch.manual_seed(seed)
    module = KINDS[kind](D, H, **options)
    with torch.no_grad():                                  # wider than torch's default init: every gate does work
        for parameter in module.parameters():
            parameter.uniform_(-0.7, 0.7)
    return module.eval()


def _inputs(seed=1):
    return np.random.default_rng(seed).normal(size=(B, T, D)).astype(np.float32)


def _torch_run(module, x):
    """torch's (sequence [B, T, H*dirs], h_n, c_n or None) for batch-major x, whatever its batch_first."""
    tensor = torch.from_numpy(x if module.batch_first else x.transpose(1, 0, 2).copy())
    with torch.no_grad():
        out, states = module(tensor)
    out = out.numpy() if module.batch_first else out.numpy().transpose(1, 0, 2)
    h, c = (states if isinstance(states, tuple) else (states, None))
    return out, h.numpy(), None if c is None else c.numpy()


def _final_states(layers, x):
    """[(h, c or None) per torch layer and direction], in torch's h_n order, from our layers run on x."""
    finals = []
    for layer in layers:
        directions = ([layer.forward_layer, layer.backward_layer] if isinstance(layer, keras.layers.Bidirectional)
                      else [layer])
        for ours in directions:
            _, *states = ours(x, return_state=True)
            finals.append([keras.ops.convert_to_numpy(s) for s in states])
        x = keras.ops.convert_to_numpy(layer(x))
    return finals


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("num_layers, bidirectional, bias, batch_first",
                         [(1, False, True, True), (2, False, True, False), (1, True, True, True),
                          (3, True, False, False), (2, False, False, True)])
def test_from_torch_gives_torchs_outputs_and_states(kind, num_layers, bidirectional, bias, batch_first):
    module = _module(kind, num_layers=num_layers, bidirectional=bidirectional, bias=bias, batch_first=batch_first)
    x = _inputs()
    layers = from_torch(module)
    assert len(layers) == num_layers
    model = keras.Sequential([keras.Input((None, D)), *layers])
    expected, h_n, c_n = _torch_run(module, x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), expected, rtol=1e-5, atol=1e-5)
    finals = _final_states(layers, x)
    assert len(finals) == len(h_n)
    for index, states in enumerate(finals):
        np.testing.assert_allclose(states[0], h_n[index], rtol=1e-5, atol=1e-5)
        if c_n is not None:
            np.testing.assert_allclose(states[1], c_n[index], rtol=1e-5, atol=1e-5)
    # and back: the same module, parameter for parameter (an LSTM's and RNN's two biases by their sum)
    again = to_torch(layers, batch_first=batch_first)
    assert type(again) is type(module) and again.num_layers == num_layers and again.bidirectional == bidirectional
    np.testing.assert_allclose(_torch_run(again.eval(), x)[0], expected, rtol=1e-5, atol=1e-5)
    theirs, back = dict(module.named_parameters()), dict(again.named_parameters())
    assert sorted(theirs) == sorted(back)
    for name, value in theirs.items():
        if kind != "GRU" and name.startswith("bias_ih"):
            other = name.replace("bias_ih", "bias_hh")
            value, got = value + theirs[other], back[name] + back[other]
        elif kind != "GRU" and name.startswith("bias_hh"):
            continue
        else:
            got = back[name]
        np.testing.assert_allclose(got.detach().numpy(), value.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_a_trained_torch_lstm_converts_and_its_gates_are_read():
    """Weights a few optimiser steps moved (not an initialisation); the gates come out of the converted layers."""
    module = torch.nn.LSTM(D, H, num_layers=2, batch_first=True)
    optimiser = torch.optim.Adam(module.parameters(), lr=0.05)
    x = torch.from_numpy(_inputs(2))
    for _ in range(20):
        optimiser.zero_grad()
        out, _ = module(x)
        loss = ((out[:, 1:] - x[:, :-1, :1]) ** 2).mean()
        loss.backward()
        optimiser.step()
    module.eval()
    layers = from_torch(module)
    expected, _, c_n = _torch_run(module, x.numpy())
    first_out = keras.ops.convert_to_numpy(layers[0](x.numpy()))
    out, gates = layers[1](first_out, return_gates=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gates["c"])[:, -1], c_n[1], rtol=1e-5, atol=1e-5)
    assert set(gates) == {"i", "f", "o", "g", "c", "h"}


def test_dropout_between_layers_is_output_dropout_on_all_but_the_last():
    layers = from_torch(_module("LSTM", num_layers=3, dropout=0.3))
    assert [layer.output_dropout for layer in layers] == pytest.approx([0.3, 0.3, 0.0])
    assert to_torch(layers).dropout == pytest.approx(0.3)


@pytest.mark.parametrize("make, message", [
    (lambda: torch.nn.LSTM(D, H, proj_size=3), "proj_size=3"),
    (lambda: torch.nn.RNN(D, H, nonlinearity="relu"), "nonlinearity='relu'"),
    (lambda: torch.nn.Linear(D, H), "torch.nn.modules.linear.Linear"),
])
def test_what_ours_cannot_compute_is_refused_by_name(make, message):
    with pytest.raises((TypeError, ValueError), match=message):
        from_torch(make())


def test_to_torch_refuses_what_one_torch_module_cannot_express():
    paper_gru = GRU(H, return_sequences=True)
    paper_gru.build((None, None, D))
    with pytest.raises(ValueError, match="reset_after=False"):
        to_torch([paper_gru])
    lstm, rnn = LSTM(H, return_sequences=True), VanillaRNN(H, return_sequences=True)
    lstm.build((None, None, D))
    rnn.build((None, None, H))
    with pytest.raises(ValueError, match="differ in unit"):
        to_torch([lstm, rnn])
    last_only = LSTM(H)
    last_only.build((None, None, D))
    with pytest.raises(ValueError, match="return_sequences=False"):
        to_torch(last_only)
