"""Traces: extraction against one whole-sequence call, the lanes' warm-up, round trip without TensorFlow, errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from karpathy_rnn.analysis.cells import score_cells
from karpathy_rnn.analysis.extract import keras_gate_model, trace_ids
from karpathy_rnn.analysis.saturation import gate_saturation, saturation_fractions, trace_saturation
from karpathy_rnn.analysis.trace import Trace, TraceWriter, LayerInfo
from karpathy_rnn.errors import KRNNError, VocabularyMismatchError
from karpathy_rnn.models import char_language_model

CHARS = "\n (),.abcdefgh"


@pytest.fixture(scope="module")
def model():
    return char_language_model(CHARS, "lstm", 2, 8, seed=3)


@pytest.fixture(scope="module")
def ids():
    return np.random.default_rng(0).integers(0, len(CHARS), 1601).astype(np.int32)


@pytest.fixture(scope="module")
def reference(model, ids):
    """Probabilities and gates of one call over the whole text from zero states (no chunks, no lanes): the
    distribution for character t from the step that reads character t-1, the gates of the step reading t."""
    gate_model = keras_gate_model(model)
    out = {k: np.asarray(v, np.float64) for k, v in gate_model.step_function(ids[None, :],
                                                                             gate_model.zero_states(1)).items()}
    logits = out["logits"][0, :-1]
    p = np.exp(logits - logits.max(-1, keepdims=True))
    return gate_model, p / p.sum(-1, keepdims=True), {k: v[0, 1:] for k, v in out.items() if "/" in k}


def _quote_model(vocabulary: str):
    """A toy GateModel with one layer, two cells: c[0] counts the double quotes read so far (the character being
    read included), c[1] is 1 exactly while reading a quote. Logits are zero."""
    from karpathy_rnn.analysis.extract import GateModel

    quote = vocabulary.index('"')

    def step(ids, states):
        is_quote = (ids == quote).astype(np.float32)                                 # [B, T]
        count = states["toy_c"][:, :1] + np.cumsum(is_quote, axis=1)
        c = np.stack([count, is_quote], axis=-1)                                     # [B, T, 2]
        return {"logits": np.zeros(ids.shape + (len(vocabulary),), np.float32), "toy/c": c,
                "toy_c": np.concatenate([count[:, -1:], np.zeros_like(count[:, -1:])], axis=1)}

    return GateModel(vocabulary, [LayerInfo("toy", "lstm", 2, ("c",))],
                     lambda batch: {"toy_c": np.zeros((batch, 2), np.float32)}, step, "toy")


@pytest.mark.parametrize("lanes", [1, 3])
def test_each_character_is_paired_with_the_state_after_reading_it(tmp_path, lanes):
    """Issue 17.2: Figure 2 colours a character by the cell after reading it. The toy cell counts quotes, so on
    'x"ab"y' the opening quote already reads 1 and the closing one 2, and the quote flag marks the quotes
    themselves (format 1 drew them one character late: the flag on the character after each quote)."""
    vocabulary = '\n "abxy'
    text = '\nx"ab"y\n' * 40 + 'x"ab"y'
    ids = np.array([vocabulary.index(c) for c in text], np.int32)
    trace = trace_ids(_quote_model(vocabulary), ids, tmp_path / "t", lanes=lanes, warmup=0, chunk=16)
    shown = trace.text                                                               # text[1:]: the targets
    flag = np.asarray(trace.gate("toy", "c"), np.float64)[:, 1]
    np.testing.assert_array_equal(flag, [1.0 if c == '"' else 0.0 for c in shown])
    if lanes == 1:
        count = np.asarray(trace.gate("toy", "c"), np.float64)[:, 0]
        np.testing.assert_array_equal(count, np.cumsum([c == '"' for c in shown]))
    assert trace.meta["format"] == 2 and "computed on reading character t" in trace.meta["alignment"]


def test_exact_single_pass_matches_one_call(tmp_path, ids, reference):
    gate_model, probabilities, gates = reference
    trace = trace_ids(gate_model, ids, tmp_path / "t", lanes=1, chunk=128, corpus="x", split="test")
    assert trace.length == 1600 and (trace.targets == ids[1:]).all()
    np.testing.assert_allclose(trace.probabilities, probabilities, atol=2e-6)
    for layer in ("lstm1", "lstm2"):
        for gate in "ifogch":
            stored = np.asarray(trace.gate(layer, gate), np.float64)
            np.testing.assert_allclose(stored, gates[f"{layer}/{gate}"], atol=2e-3, rtol=1e-3)   # float16 on disk
    assert trace.meta["corpus"] == "x" and trace.meta["lanes"] == 1


def test_lanes_with_warmup_start_exactly_and_stay_close(tmp_path, ids, reference):
    gate_model, probabilities, gates = reference
    trace = trace_ids(gate_model, ids, tmp_path / "t", lanes=4, warmup=100, chunk=64)
    assert trace.meta["lanes"] == 4 and trace.meta["warmup"] == 128        # rounded up to whole chunks
    np.testing.assert_allclose(trace.probabilities[:400], probabilities[:400], atol=2e-6)   # lane 0 is exact
    # later lanes read 128 characters of context before their start: an untrained model forgets that fast
    np.testing.assert_allclose(trace.probabilities, probabilities, atol=1e-6)
    cold = trace_ids(gate_model, ids, tmp_path / "cold", lanes=4, warmup=0, chunk=64)     # no warm-up: visibly off
    assert np.abs(cold.probabilities[400:410] - probabilities[400:410]).max() > 1e-5


def test_short_text_uses_fewer_lanes(tmp_path, reference):
    gate_model = reference[0]
    trace = trace_ids(gate_model, np.array([1, 2, 3, 4, 5], np.int32), tmp_path / "t", lanes=64, warmup=512)
    assert trace.meta["lanes"] == 1 and trace.length == 4


def test_reload_without_tensorflow(tmp_path, ids, reference):
    trace_ids(reference[0], ids, tmp_path / "t", lanes=2, warmup=64, chunk=64)
    code = ("import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"
            "from karpathy_rnn.analysis.trace import Trace\n"
            "from karpathy_rnn.analysis.cells import score_cells\n"
            "from karpathy_rnn.analysis.features import text_features\n"
            "from karpathy_rnn.analysis.saturation import trace_saturation\n"
            f"t = Trace({str(tmp_path / 't')!r})\n"
            "scores = score_cells(t, text_features(t.text)); s = trace_saturation(t)\n"
            "print(t.length, len(t.text), t.probabilities.shape, t.gate(2, 'f').dtype, sorted(s.fractions))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["1600", "1600"]
    assert "float16" in done.stdout and "['lstm1', 'lstm2']" in done.stdout


def test_trace_analyses_equal_whole_array_references(tmp_path, ids, reference):
    trace = trace_ids(reference[0], ids, tmp_path / "t", lanes=1)
    f = np.asarray(trace.gate("lstm2", "f"), np.float32)
    left, right = gate_saturation(trace, "lstm2", "f", rows=100)
    expected = saturation_fractions(f)
    np.testing.assert_array_equal(left, expected[0])
    np.testing.assert_array_equal(right, expected[1])
    feature = {"x": np.arange(trace.length, dtype=np.float64) % 7}
    scores = score_cells(trace, feature, rows=333)
    c = np.tanh(np.asarray(trace.gate("lstm1", "c"), np.float64))
    np.testing.assert_allclose(scores["lstm1"]["x"], [np.corrcoef(c[:, u], feature["x"])[0, 1] for u in range(8)],
                               atol=1e-6)
    assert set(trace_saturation(trace).fractions["lstm1"]) == {"i", "f", "o"}


def test_trace_errors_are_clear(tmp_path, ids, reference):
    trace = trace_ids(reference[0], ids[:50], tmp_path / "t", lanes=1)
    with pytest.raises(KRNNError, match="layer 3 is out of range: the model has 2 layer"):
        trace.gate(3, "c")
    with pytest.raises(KRNNError, match="no gate 'r'; its gates are i, f, o, g, c, h"):
        trace.gate(1, "r")
    with pytest.raises(KRNNError, match="gate 'z' is GRU gate"):
        gate_saturation(trace, 1, "z")
    with pytest.raises(VocabularyMismatchError, match="vocabulary of 14 characters"):
        trace.check_vocabulary("abc")
    with pytest.raises(KRNNError, match="is not a trace"):
        Trace(tmp_path)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    with pytest.raises(KRNNError, match="exists and is not a trace"):
        TraceWriter(tmp_path / "other", "ab", 3, [LayerInfo("l", "lstm", 2, ("c",))])
    assert (tmp_path / "other" / "keep.txt").read_text() == "mine"


def test_interrupted_trace_is_refused(tmp_path):
    TraceWriter(tmp_path / "t", "ab", 3, [LayerInfo("l", "lstm", 2, ("c",))])     # never finished
    with pytest.raises(KRNNError, match="interrupted before it finished"):
        Trace(tmp_path / "t")
    meta = json.loads((tmp_path / "t" / "trace.json").read_text())
    meta.update(complete=True)
    (tmp_path / "t" / "trace.json").write_text(json.dumps(meta))
    os.remove(tmp_path / "t" / "l.c.npy")
    with pytest.raises(KRNNError, match="lacks l.c.npy"):
        Trace(tmp_path / "t").gate("l", "c")


def _finished_trace(folder, length=6):
    writer = TraceWriter(folder, "ab", length, [LayerInfo("lstm1", "lstm", 3, ("f", "c"))])
    writer.write_probabilities(0, np.full((length, 2), 0.5, np.float32))
    writer.write_gates(0, {("lstm1", "f"): np.full((length, 3), 0.5, np.float16),
                           ("lstm1", "c"): np.zeros((length, 3), np.float16)})
    return writer.finish(np.zeros(length, np.int32))


@pytest.mark.parametrize("name, damage, message", [
    ("targets", lambda f: f.truncate(os.path.getsize(f.name) - 1), "bytes where its header needs"),
    ("probabilities", lambda f: f.truncate(os.path.getsize(f.name) - 8), "(truncated)"),
    ("lstm1.c", lambda f: f.truncate(0), "is not a readable .npy file"),
    ("lstm1.f", lambda f: f.truncate(20), "is not a readable .npy file"),
])
def test_a_truncated_or_damaged_array_is_one_line_naming_it_when_the_trace_opens(tmp_path, name, damage, message):
    """Issue 32.6: a truncated .npy under --compare-nn, analyze.py reusing a trace and agreement was a traceback
    ("mmap length is greater than file size") when first read; the trace refuses it on opening."""
    _finished_trace(tmp_path / "t")
    with open(tmp_path / "t" / f"{name}.npy", "r+b") as handle:
        damage(handle)
    with pytest.raises(KRNNError) as error:
        Trace(tmp_path / "t")
    assert str(tmp_path / "t" / f"{name}.npy") in str(error.value) and message in str(error.value)
    assert str(error.value).endswith("write the trace again (scripts/analyze.py with --retrace)")


def test_an_array_of_another_length_is_refused_and_whole_ones_open(tmp_path):
    trace = _finished_trace(tmp_path / "t")
    assert trace.array_names() == ["targets", "probabilities", "lstm1.f", "lstm1.c"]
    np.save(tmp_path / "t" / "lstm1.c.npy", np.zeros((5, 3), np.float16))
    with pytest.raises(KRNNError, match=r"lstm1.c.npy is damaged: shape \(5, 3\), but the trace has 6 characters"):
        Trace(tmp_path / "t")


def test_a_vocabulary_of_the_same_size_but_other_characters_or_order_is_refused(tmp_path):
    """Issue 32.14 (the kind: a check comparing lengths, not contents)."""
    trace = _finished_trace(tmp_path / "t")
    trace.check_vocabulary("ab")
    for other in ("ba", "ac"):
        with pytest.raises(VocabularyMismatchError):
            trace.check_vocabulary(other)


def test_bad_ids_are_refused(tmp_path, reference):
    with pytest.raises(KRNNError, match="at least 2 character ids"):
        trace_ids(reference[0], np.array([1]), tmp_path / "t")
    with pytest.raises(KRNNError, match="out of the model's vocabulary"):
        trace_ids(reference[0], np.array([1, 99]), tmp_path / "t")
    with pytest.raises(KRNNError, match="lanes must be an integer >= 1"):
        trace_ids(reference[0], np.array([1, 2]), tmp_path / "t", lanes=0)


def test_saturation_counts_the_same_at_the_thresholds_on_both_paths(tmp_path):
    """Issue 17.5: float16 values compared with 0.1 compare in float16 (float16(0.1) = 0.0999756 is not below
    it), float32 ones do not: the chunked path (float32 blocks) and saturation_fractions on the stored float16
    values disagreed. Both compare in float32 now."""
    values = np.array([[0.1], [0.0999], [0.5], [0.9], [0.9004], [0.2]], np.float16)   # float16: 0.09998, 0.9004
    writer = TraceWriter(tmp_path / "t", "ab", len(values), [LayerInfo("lstm1", "lstm", 1, ("f",))])
    writer.write_probabilities(0, np.full((len(values), 2), 0.5, np.float32))
    writer.write_gates(0, {("lstm1", "f"): values})
    trace = writer.finish(np.zeros(len(values), np.int32))
    chunked = gate_saturation(trace, "lstm1", "f", rows=4)
    direct = saturation_fractions(values)                       # the float16 values themselves, as stored
    assert [float(chunked[0][0]), float(chunked[1][0])] == [float(direct[0][0]), float(direct[1][0])]
    assert float(chunked[0][0]) == pytest.approx(2 / 6) and float(chunked[1][0]) == pytest.approx(1 / 6)
