"""karpathy_rnn.show in a notebook (issue 34.5): the Saturation, Error oracles and Connectivity views as
self-contained inline HTML, every string escaped."""

import base64
import html
import json
import re

import numpy as np
import pytest

from karpathy_rnn import show
from karpathy_rnn.errors import KRNNError

TEXT = 'he said "<b>no</b>" & left\n' * 20


def _gated_trace(tmp_path):
    from karpathy_rnn.analysis.import_states import import_states

    rng = np.random.default_rng(0)
    arrays = {"c1": rng.uniform(-1, 1, (len(TEXT), 4)).astype(np.float32)}
    for gate in "ifo":
        arrays[gate] = rng.uniform(0, 1, (len(TEXT), 4)).astype(np.float32)
    arrays["f"][:, 0] = 0.95                          # unit 0's forget gate: right-saturated all the time
    np.savez(tmp_path / "s.npz", **arrays)
    return import_states(TEXT, [str(tmp_path / "s.npz")], str(tmp_path / "out" / "trace"),
                         ["c1", "i=1.i", "f=1.f", "o=1.o"])


def _png(fragment: str) -> bytes:
    return base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', fragment).group(1))


def test_saturation_is_figure_3_and_the_claims_with_an_embedded_png(tmp_path):
    trace = _gated_trace(tmp_path)
    shown = show.saturation(tmp_path / "out", title="<script>alert(1)</script>")      # the folder holding trace/
    fragment = shown._repr_html_()
    assert _png(fragment).startswith(b"\x89PNG")
    assert "<script>" not in fragment and "&lt;script&gt;" in fragment
    assert "forget gates right-saturated &gt; 90% of the time (integrators; paper: several): {&#x27;lstm1&#x27;: 1}" \
        in fragment
    from karpathy_rnn.analysis.saturation import describe_claims, trace_saturation

    assert show.saturation(trace)._repr_html_().count("<li>") == len(describe_claims(trace_saturation(trace))) == 7
    with pytest.raises(KRNNError, match="holds no trace"):
        show.saturation(tmp_path)


def test_oracles_are_the_pies_and_each_slices_share(tmp_path):
    body = {"models": {"<big>": {"errors": 200, "slices": [
        {"name": "1-gram", "group": "n-gram", "errors": 50, "share": 0.25},
        {"name": "remaining", "group": "remaining", "errors": 150, "share": 0.75}]},
        "small": {"errors": 100, "slices": [{"name": "remaining", "group": "remaining", "errors": 100,
                                             "share": 1.0}]}}}
    (tmp_path / "oracles.json").write_text(json.dumps(body))
    fragment = show.oracles(tmp_path)._repr_html_()
    assert _png(fragment).startswith(b"\x89PNG")
    assert "<tr><td>&lt;big&gt;</td><td>1-gram</td><td>50</td><td>25.0%</td></tr>" in fragment
    assert "<td>small</td><td>remaining</td><td>100</td><td>100.0%</td>" in fragment
    with pytest.raises(KRNNError, match="does not exist; write it with"):
        show.oracles(tmp_path / "none")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(KRNNError, match="is not an oracles.json"):
        show.oracles(tmp_path / "bad.json")


def test_connectivity_shades_each_character_by_its_pull_and_nothing_after(tmp_path):
    from karpathy_rnn.analysis.connectivity import Connectivity, top_predictions
    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.models import char_language_model

    characters = "".join(sorted(set(TEXT)))
    model = char_language_model(characters, "lstm", 1, 8, seed=0)
    logits = model.get_layer("logits")
    kernel, bias = logits.get_weights()
    logits.set_weights([np.random.default_rng(1).normal(size=kernel.shape).astype(np.float32) * 30, bias])
    text = TEXT[:30]
    ids = Vocabulary(tuple(characters)).encode(text)
    best = top_predictions(model, ids, 1)[0][:, 0]
    position = next(p for p in range(29, 10, -1) if best[p] != best[p - 1])   # a prediction unlike the one before
    fragment = show.connectivity(model, text, position)._repr_html_()
    spans = re.findall(r'<span style="background:#([0-9a-f]{6})[^"]*" title="([^"]*)">(.*?)</span>', fragment, re.S)
    assert len(spans) == len(text)
    assert html.unescape("".join(s[2] for s in spans)).replace("\u21b5\n", "\n") == text
    assert "<b>" not in fragment and ">&lt;</span>" in fragment           # one escaped character a span
    target = int(top_predictions(model, ids[:position + 1], 1)[0][position, 0])
    values = Connectivity(model).values(ids[:position + 1], [position], [target])[0]
    np.testing.assert_allclose([float(s[1]) for s in spans[:position + 1]], values, rtol=1e-3)
    assert all(s[0] == "ffffff" for s in spans[position + 1:])
    assert spans[int(np.argmax(values))][0] == "35b779"                   # the largest: the article's green
    assert f"most likely next: {characters[target]!r}".replace("'", "&#x27;") in fragment
    with pytest.raises(KRNNError, match="position 30 is outside"):
        show.connectivity(model, text, 30)
