"""What the analyses write, read back and checked against the trace they came from (issue 18): the plugin's
summaries, the Figure 2 gallery, the Figure 3 scatter and the saturation thresholds."""

import os
import re

import numpy as np
import pytest

from karpathy_rnn.analysis.cells import CellScore
from karpathy_rnn.analysis.saturation import gate_saturation, saturation_fractions
from karpathy_rnn.analysis.trace import LayerInfo, TraceWriter

TEXT = "He said \"no\" and left.\n" * 4 + "x = $a_b$ {y}\n"


@pytest.fixture
def trace(tmp_path):
    """A hand-made 2-layer LSTM trace over TEXT whose cell states reach beyond [-1, 1] (so tanh(c) != c)."""
    n, units = len(TEXT), 3
    rng = np.random.default_rng(0)
    vocabulary = "".join(sorted(set(TEXT)))
    layers = [LayerInfo(f"lstm{k}", "lstm", units, ("c", "h", "f")) for k in (1, 2)]
    writer = TraceWriter(tmp_path / "trace", vocabulary, n, layers, corpus="hand-made", split="test")
    writer.write_probabilities(0, np.full((n, len(vocabulary)), 1 / len(vocabulary), np.float32))
    for k in (1, 2):
        writer.write_gates(0, {(f"lstm{k}", "c"): rng.uniform(-3, 3, (n, units)).astype(np.float16),
                               (f"lstm{k}", "h"): rng.uniform(-1, 1, (n, units)).astype(np.float16),
                               (f"lstm{k}", "f"): rng.uniform(0, 1, (n, units)).astype(np.float16)})
    return writer.finish(np.array([vocabulary.index(ch) for ch in TEXT], np.int32))


def _read_summaries(logdir):
    """{tag: (step, numpy value)} of the one karpathy_rnn events file in `logdir`."""
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util

    events = [f for f in os.listdir(logdir) if "tfevents" in f]
    assert len(events) == 1, events
    acc = event_accumulator.EventAccumulator(os.path.join(logdir, events[0]), size_guidance={"tensors": 0}).Reload()
    return {tag: (acc.Tensors(tag)[-1].step, tensor_util.make_ndarray(acc.Tensors(tag)[-1].tensor_proto))
            for tag in acc.Tags()["tensors"]}


@pytest.mark.parametrize("characters", [40, 10_000])
def test_summaries_read_back_equal_the_trace(trace, tmp_path, characters):
    """The plugin colours an LSTM cell by tanh(c) (Figure 2): the summary holds tanh(c), h and f as traced, over
    the first --summary-chars characters, the text the same characters."""
    from karpathy_rnn import summary
    from karpathy_rnn.analysis.publish import write_summaries

    write_summaries(trace, str(tmp_path / "logs"), 7, None, None, characters=characters, states=("c", "h", "f"))
    read = _read_summaries(str(tmp_path / "logs"))
    shown = min(characters, trace.length)
    step, text = read[summary.TEXT_TAG]
    assert step == 7 and summary.decode_string(text) == TEXT[:shown]
    for layer in ("lstm1", "lstm2"):
        for name, expected in (("c", np.tanh(trace.gate(layer, "c").astype(np.float32))),
                               ("h", trace.gate(layer, "h")), ("f", trace.gate(layer, "f"))):
            step, values = read[summary.activations_tag(layer, name, 0)]
            assert values.shape == (shown, 3), (layer, name)
            np.testing.assert_allclose(values.astype(np.float32), expected[:shown], atol=1e-3, err_msg=name)


def test_gallery_colours_a_character_by_tanh_of_its_cell(trace, tmp_path):
    """Figure 2's colour (and hover value) of character t is tanh(c_t) of the chosen cell, not c itself."""
    from karpathy_rnn.analysis.gallery import write_gallery
    from karpathy_rnn.render import activation_colors

    features = {"line_position": np.arange(trace.length, dtype=np.float32)}
    ranking = {"line_position": [CellScore("line_position", "lstm2", 1, 0.5)]}
    write_gallery(trace, ranking, features, str(tmp_path / "gallery"), snippet=trace.length, png=False)
    page = open(tmp_path / "gallery" / "figure2.html", encoding="utf-8").read()
    spans = re.findall(r'<span style="background:#([0-9a-f]{6});color:#[0f]{3}" title="([-+0-9.]+)">', page)
    expected = np.tanh(trace.gate("lstm2", "c")[:, 1].astype(np.float32))
    assert len(spans) == trace.length
    np.testing.assert_allclose([float(v) for _, v in spans], expected, atol=6e-4)
    colours = activation_colors(expected)
    assert [c for c, _ in spans] == [f"{r:02x}{g:02x}{b:02x}" for r, g, b in colours]


def test_figure3_puts_each_gate_at_right_left_saturation_in_its_layer_colour():
    """Section 4.2: integrators (right-saturated forget gates) show at the bottom right: x = fraction right-,
    y = fraction left-saturated; one colour per layer."""
    from matplotlib.colors import to_rgba

    from karpathy_rnn.plots import LAYER_COLORS, saturation_figure

    left1, right1 = np.array([0.05, 0.6]), np.array([0.9, 0.1])
    left2, right2 = np.array([0.3]), np.array([0.2])
    figure = saturation_figure({"lstm1": {"f": (left1, right1)}, "lstm2": {"f": (left2, right2)}})
    ax = figure.axes[0]
    first, second = ax.collections[:2]
    np.testing.assert_allclose(first.get_offsets(), np.stack([right1, left1], axis=1))
    np.testing.assert_allclose(second.get_offsets(), np.stack([right2, left2], axis=1))
    assert tuple(first.get_facecolor()[0][:3]) == pytest.approx(to_rgba(LAYER_COLORS[0])[:3])
    assert tuple(second.get_facecolor()[0][:3]) == pytest.approx(to_rgba(LAYER_COLORS[1])[:3])
    assert ax.get_xlabel() == "fraction right saturated" and ax.get_ylabel() == "fraction left saturated"


def test_panel_titles_and_text_are_drawn_literally():
    """User text and titles hold $ and _ (C code, feature names): drawn as they are, never as mathtext."""
    import matplotlib.pyplot as plt

    from karpathy_rnn.plots import colored_text_figure

    title = "lstm2 cell 3: r = +0.500 with in_$string$"
    figure = colored_text_figure([(title, "x = $a_b$;", np.zeros(10))])
    ax = figure.axes[0]
    assert ax.get_title(loc="left") == f"{title}  [red \u22121, white 0, blue +1]"      # the colour scale named
    texts = [ax.title, *(t for a in figure.axes for t in a.texts), ax._left_title]
    assert all(not t.get_parse_math() for t in texts if t.get_text())
    figure.canvas.draw()                                  # mathtext would fail on the unbalanced '$'
    plt.close(figure)


def test_saturation_is_strict_at_the_papers_thresholds(trace):
    """Section 4.2: left-saturated "less than 0.1", right-saturated "more than 0.9": the thresholds themselves
    (as float32) are unsaturated on both paths."""
    values = np.array([[0.1], [0.9], [0.05], [0.95], [0.5]], np.float32)
    left, right = saturation_fractions(values)
    assert (float(left[0]), float(right[0])) == (pytest.approx(0.2), pytest.approx(0.2))
    left, right = gate_saturation(trace, "lstm1", "f", rows=7)     # the chunked path, by hand
    f = trace.gate("lstm1", "f").astype(np.float32)
    np.testing.assert_allclose(left, (f < np.float32(0.1)).mean(axis=0))
    np.testing.assert_allclose(right, (f > np.float32(0.9)).mean(axis=0))
