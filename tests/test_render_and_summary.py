"""Coloured text (escaping, the colour scale, layout) and the plugin summaries read back through TensorBoard."""

import re

import numpy as np
import pytest

from karpathy_rnn import summary
from karpathy_rnn.errors import KRNNError
from karpathy_rnn.render import NEWLINE_MARK, activation_colors, colored_text_html, html_page, text_grid

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> \'q\' & "dq"'


def test_color_scale_is_red_white_blue():
    colors = activation_colors(np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 3.0, np.nan]))
    assert colors.tolist() == [[255, 0, 0], [255, 128, 128], [255, 255, 255], [128, 128, 255], [0, 0, 255],
                               [0, 0, 255], [255, 255, 255]]


def test_gates_are_coloured_on_their_own_0_to_1_scale_and_each_scale_has_a_key():
    """Issue 31.1: a closed gate (0) was drawn white, the neutral colour; on 0..1 it is red, 0.5 white, 1 blue."""
    from karpathy_rnn.analysis.cells import value_range
    from karpathy_rnn.render import scale_ends

    gate = activation_colors(np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.5, np.nan]), (0.0, 1.0))
    assert gate.tolist() == [[255, 0, 0], [255, 128, 128], [255, 255, 255], [128, 128, 255], [0, 0, 255],
                             [0, 0, 255], [255, 255, 255]]
    assert scale_ends((0, 1)) == ["0", "0.5", "1"] and scale_ends((-1, 1)) == ["\u22121", "0", "+1"]
    assert [value_range("lstm", g) for g in ("i", "f", "o", "g", "c", "h")] == [(0.0, 1.0)] * 3 + [(-1.0, 1.0)] * 3
    assert [value_range("gru", g) for g in ("r", "z", "candidate", "h")] == [(0.0, 1.0)] * 2 + [(-1.0, 1.0)] * 2
    assert [value_range("nlstm", g) for g in ("f", "z", "inner1_i", "inner1_z", "inner1_c")] == \
        [(0.0, 1.0), (-1.0, 1.0), (0.0, 1.0), (-1.0, 1.0), (-1.0, 1.0)]          # nested z is a candidate (tanh)
    assert value_range("rnn", "h") == (-1.0, 1.0)
    page = colored_text_html("ab", np.array([0.0, 1.0]), value_range=(0.0, 1.0))
    assert 'background:#ff0000;color:#000" title="+0.000">a' in page          # closed: red
    key = re.search(r'<p class="krnn-key">(.*?)</p>', page).group(1)
    assert re.findall(r">([^<]+)</code>", key) == ["0", "0.5", "1"] and "background:#ffffff" in key
    with pytest.raises(KRNNError, match="low < high"):
        activation_colors(np.zeros(2), (1.0, 1.0))


def test_html_escapes_user_text_and_keeps_one_span_per_character():
    values = np.linspace(-1, 1, len(HOSTILE))
    page = html_page("t <b>", colored_text_html(HOSTILE, values, title="<i>x</i>"))
    assert "<script>" not in page and "<img" not in page and "<i>" not in page and "<b>" not in page
    shown = "".join(part.split(">", 1)[1] for part in page.split("</span>")[:-1])   # the characters, in order
    assert shown.endswith("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt; "
                          "&#x27;q&#x27; &amp; &quot;dq&quot;")
    assert page.count("<span ") == len(HOSTILE)
    assert 'style="background:#ff0000;color:#000" title="-1.000">&lt;</span>' in page
    assert 'style="background:#0000ff;color:#fff" title="+1.000">&quot;</span>' in page


def test_text_is_black_or_white_whichever_reads_at_least_4_5_to_1_on_every_value():
    """Issue 16.2: dark text on pure blue was unreadable; the ink is chosen per character (WCAG AA), the
    background stays exactly the value's colour."""
    from karpathy_rnn.render import contrast_ratio, text_colors

    assert contrast_ratio(np.array([0, 0, 0]), np.array([255, 255, 255])) == pytest.approx(21.0)
    assert contrast_ratio(np.array([0, 0, 255]), np.array([0, 0, 0])) == pytest.approx(2.44, abs=0.01)   # the bug
    values = np.concatenate([[-1.0, 0.0, 1.0], np.linspace(-1, 1, 2001)])
    backgrounds = activation_colors(values)
    ink = text_colors(backgrounds)
    ratios = contrast_ratio(ink, backgrounds)
    assert ratios.min() >= 4.5, values[ratios.argmin()]
    assert ink[:3].tolist() == [[0, 0, 0], [0, 0, 0], [255, 255, 255]]          # red: black, white: black, blue: white
    assert ratios[:3].round(2).tolist() == [5.25, 21.0, 8.59]
    page = colored_text_html("ab", np.array([0.0, 1.0]))
    assert 'background:#ffffff;color:#000' in page and 'background:#0000ff;color:#fff' in page


def test_png_text_is_white_where_the_background_is_dark():
    pytest.importorskip("matplotlib")
    from karpathy_rnn.plots import colored_text_figure

    figure = colored_text_figure([("t", "abcd\nefgh", np.array([-1.0, 0.0, 0.9, 1.0, 0.0, 1.0, 1.0, -0.5, 0.0]))])
    inks = {(text.get_color(), text.get_text()) for text in figure.axes[0].texts if text.get_text() != "t"}
    assert inks == {("black", "ab  \u21b5"), ("white", "  cd "), ("white", "ef  "), ("black", "  gh")}


def test_html_marks_newlines_drops_carriage_returns_and_refuses_mismatched_values():
    assert NEWLINE_MARK + "\n</span>" in colored_text_html("a\nb", np.zeros(3))
    crlf = colored_text_html("a\r\nb", np.zeros(4))
    assert "\r" not in crlf and crlf.count("<span ") == 4
    with pytest.raises(KRNNError, match="the text has 3 characters, the values have shape"):
        colored_text_html("abc", np.zeros(2))


def test_text_grid_wraps_and_expands_tabs():
    lines, grid = text_grid("abcdef\n\tx", np.arange(9.0), width=4)
    assert lines == ["abcd", "ef" + NEWLINE_MARK, "    ", "x"][:2] + ["", "x"]
    assert grid[0].tolist() == [0, 1, 2, 3] and grid[1, :3].tolist() == [4, 5, 6] and np.isnan(grid[1, 3])
    assert grid[2].tolist() == [7, 7, 7, 7] and grid[3, 0] == 8


def test_png_draws_dollars_as_text(tmp_path):
    from karpathy_rnn.plots import colored_text_figure, save_figure

    text = "bad $\\frac{$ end $a_b^c$"
    figure = colored_text_figure([("cost $5 $x$", text, np.zeros(len(text)))])
    drawn = [t.get_text() for ax in figure.axes for t in ax.texts]
    save_figure(figure, str(tmp_path / "f.png"))
    assert drawn == [text]


def test_plugin_data_provider_lists_the_summaries(tmp_path):
    """TensorBoard serves plugins through its data provider, which lists only DATA_CLASS_TENSOR series."""
    tf = pytest.importorskip("tensorflow")
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer

    writer = tf.summary.create_file_writer(str(tmp_path / "run1"))
    with writer.as_default():
        summary.write_text("hello", 3)
        summary.write_saturation("lstm1", "f", np.array([0.1]), np.array([0.7]), 3, "lstm", 1)
    writer.close()
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(tmp_path))
    listed = provider.list_tensors(context.RequestContext(), experiment_id="", plugin_name=summary.PLUGIN_NAME)
    assert set(listed["run1"]) == {summary.TEXT_TAG, summary.saturation_tag("lstm1", "f")}
    read = provider.read_tensors(context.RequestContext(), experiment_id="", plugin_name=summary.PLUGIN_NAME,
                                 downsample=10)
    assert summary.decode_string(read["run1"][summary.TEXT_TAG][0].numpy) == "hello"
    assert read["run1"][summary.TEXT_TAG][0].step == 3


def test_summaries_round_trip_through_tensorboard(tmp_path):
    tf = pytest.importorskip("tensorflow")
    from tensorboard.backend.event_processing import event_accumulator

    writer = tf.summary.create_file_writer(str(tmp_path))
    values = np.random.default_rng(0).uniform(-1, 1, (len(HOSTILE), 4))
    with writer.as_default():
        summary.write_text(HOSTILE, 7, source="test")
        summary.write_activations("lstm1", "c", values, 7, "lstm", transform="tanh")
        summary.write_saturation("lstm1", "f", np.array([0.1, 0.2]), np.array([0.7, 0.0]), 7, "lstm", 1)
        summary.write_cell_ranking({"in_quotes": [{"layer": "lstm1", "cell": 2, "r": 0.8}]}, 7, "Pearson", {})
    writer.close()
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0}).Reload()
    tags = set(acc.Tags()["tensors"])
    assert tags == {summary.TEXT_TAG, summary.activations_tag("lstm1", "c"), summary.saturation_tag("lstm1", "f"),
                    summary.CELL_RANKING_TAG}
    for tag in tags:
        meta = acc.SummaryMetadata(tag)
        assert meta.plugin_data.plugin_name == summary.PLUGIN_NAME
        assert summary.parse_content(meta.plugin_data.content)["kind"] in summary.KINDS
    text_event = acc.Tensors(summary.TEXT_TAG)[0]
    assert text_event.step == 7
    assert summary.decode_string(tf.make_ndarray(text_event.tensor_proto)) == HOSTILE
    stored = tf.make_ndarray(acc.Tensors(summary.activations_tag("lstm1", "c"))[0].tensor_proto)
    assert stored.dtype == np.float16 and stored.shape == values.shape
    np.testing.assert_allclose(stored, values, atol=1e-3)
    content = summary.parse_content(acc.SummaryMetadata(summary.activations_tag("lstm1", "c")).plugin_data.content)
    assert content["transform"] == "tanh" and content["units"] == 4 and content["layer"] == "lstm1"
    sat = tf.make_ndarray(acc.Tensors(summary.saturation_tag("lstm1", "f"))[0].tensor_proto)
    np.testing.assert_allclose(sat, [[0.1, 0.2], [0.7, 0.0]])


def test_summary_writers_need_a_writer_and_parse_refuses_junk():
    pytest.importorskip("tensorflow")
    with pytest.raises(KRNNError, match="no default summary writer"):
        summary.write_text("x", 0)
    for junk in (b"\xff", b"[1]", b'{"kind": "nope"}', b'{"kind": "text", "version": 99}'):
        with pytest.raises(KRNNError):
            summary.parse_content(junk)


def test_oracle_breakdown_checks_its_counts():
    slices = [{"name": "1-9 gram", "group": "n-gram", "errors": np.int64(18)},
              {"name": "remaining", "group": "remaining", "errors": 82}]
    body = summary.oracle_breakdown(slices, np.int64(330), split="test")
    assert body == {"characters": 330, "threshold": 0.5, "split": "test", "model": "", "errors": 100,
                    "slices": [{"name": "1-9 gram", "group": "n-gram", "errors": 18, "examples": []},
                               {"name": "remaining", "group": "remaining", "errors": 82, "examples": []}]}
    assert summary.decode_oracle(__import__("json").dumps(body)) == body
    bad = [([{"name": "x", "group": "g", "errors": -1}], 10, "whole, non-negative"),
           ([{"name": "x", "group": "g", "errors": 2.5}], 10, "whole, non-negative"),
           ([{"name": "x", "group": "g", "errors": True}], 10, "whole, non-negative"),
           ([{"name": "", "group": "g", "errors": 1}], 10, "non-empty name"),
           ([{"name": "x", "group": "g", "errors": 11}], 10, "11 errors in only 10 characters"),
           (["x"], 10, "slice 0 is x")]
    for pieces, characters, fragment in bad:
        with pytest.raises(KRNNError, match=fragment):
            summary.oracle_breakdown(pieces, characters)
    with pytest.raises(KRNNError, match="threshold 2"):
        summary.oracle_breakdown(slices, 330, threshold=2)
    for junk in ("{", "[]", '{"characters": 3}', '{"characters": -1, "slices": []}'):
        with pytest.raises(KRNNError, match="malformed oracle breakdown"):
            summary.decode_oracle(junk)


def test_oracle_examples_round_trip_and_bodies_from_before_them_still_decode():
    """Issue 20: each slice may carry examples (1 to 3 fragments of the split, the fixed characters' offsets, the
    repeated spans); a body written before examples and model (format 1 all the same) decodes with [] and ""."""
    import json

    example = {"fragments": [{"start": 10, "text": "🎻 Rostóv", "errors": [2], "repeat": [[2, 8]]},
                             {"start": 20, "text": "\nsaid Rostóv", "errors": [0, 6, 7]}]}
    body = summary.oracle_breakdown([{"name": "100-memory", "group": "memory", "errors": np.int64(3),
                                      "examples": [example]}], 100, threshold=0.5, split="test", model="LSTM 2x128")
    fragments = body["slices"][0]["examples"][0]["fragments"]
    assert body["model"] == "LSTM 2x128" and fragments[0] == example["fragments"][0]
    assert fragments[1] == {**example["fragments"][1], "repeat": []}               # repeat defaults to none
    assert summary.decode_oracle(json.dumps(body)) == body
    old = {"characters": 10, "threshold": 0.5, "split": "test", "slices": [{"name": "x", "group": "g", "errors": 2}]}
    assert summary.decode_oracle(json.dumps(old)) == {**old, "model": "", "errors": 2,
                                                      "slices": [{"name": "x", "group": "g", "errors": 2,
                                                                  "examples": []}]}
    bad = [(dict(example["fragments"][0], errors=[8]), "errors entry 0: 8 is not a whole number in [0, 7]"),
           (dict(example["fragments"][0], repeat=[[2, 9]]), "repeat entry 0: 9 is not a whole number in [0, 8]"),
           (dict(example["fragments"][0], text="x" * 401), "of at most 400 characters")]
    for fragment, message in bad:
        with pytest.raises(KRNNError, match=re.escape(message)):
            summary.oracle_breakdown([{"name": "m", "group": "memory", "errors": 1,
                                       "examples": [{"fragments": [fragment]}]}], 100)


def test_agreement_summary_round_trips_and_refuses_an_asymmetric_matrix(tmp_path):
    tf = pytest.importorskip("tensorflow")
    import json

    from tensorboard.backend.event_processing import event_accumulator

    body = {"models": [{"name": f"m{k}", "unit": unit, "layers": k + 1, "params": 1000 * (k + 1)}
                       for k, unit in enumerate(("lstm", "gru", "rnn"))],
            "matrix": [[1.0, 0.5, 0.25], [0.5, 1.0, 0.75], [0.25, 0.75, 1.0]],
            "embedding": [[0.0, 1.0], [1.0, 0.0], [-1.5, 2.0]], "characters": 300, "split": "test"}
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        summary.write_agreement(body, 4)
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0}).Reload()
    assert acc.Tags()["tensors"] == [summary.AGREEMENT_TAG]
    content = summary.parse_content(acc.SummaryMetadata(summary.AGREEMENT_TAG).plugin_data.content)
    assert content == {"kind": "agreement", "version": 1}
    stored = summary.decode_string(tf.make_ndarray(acc.Tensors(summary.AGREEMENT_TAG)[0].tensor_proto))
    assert summary.decode_agreement(stored) == body
    body["matrix"][2][0] = 0.3
    with pytest.raises(KRNNError, match=re.escape("matrix[2][0] is 0.3 but matrix[0][2] is 0.25; agreement is "
                                                  "symmetric")):
        summary.decode_agreement(json.dumps(body))


def test_cell_ranking_decoder_refuses_junk():
    good = '{"features": {"quote": [{"layer": "lstm2", "cell": 3, "r": 0.5}]}, "statistic": "r"}'
    assert summary.decode_cell_ranking(good)["features"]["quote"][0]["cell"] == 3
    for junk in ("nope", '{"features": []}', '{"features": {"q": [{"layer": "l", "cell": -1, "r": 0}]}}'):
        with pytest.raises(KRNNError, match="malformed cell ranking"):
            summary.decode_cell_ranking(junk)


def test_ranking_coverage_counts_where_each_feature_occurs_in_the_ranked_and_the_stored_text():
    """Issue 31.2: the ranking covers the whole split, the text summary its first characters; the coverage says how
    much of each, and where each feature first occurs in what is stored (None: nowhere), checked by hand."""
    import json

    from karpathy_rnn.analysis.publish import ranking_coverage

    features = {"in_comment": np.array([0, 0, 0, 0, 1, 1, 0, 1]), "line_position": np.array([0, 1, 2, 0, 1, 2, 3, 0]),
                "unranked": np.ones(8)}
    coverage = ranking_coverage(features, ["in_comment", "line_position"], 4, "val")
    assert coverage == {"ranked": 8, "stored": 4, "split": "val", "features": {
        "in_comment": {"ranked": 3, "stored": 0, "first": None},
        "line_position": {"ranked": 5, "stored": 2, "first": 1}}}
    assert ranking_coverage(features, ["in_comment"], 100)["stored"] == 8           # no more than there is
    body = {"features": {"in_comment": [{"layer": "l", "cell": 1, "r": 0.5}],
                         "line_position": [{"layer": "l", "cell": 2, "r": 0.9}]}, "coverage": coverage}
    assert summary.decode_cell_ranking(json.dumps(body))["coverage"] == coverage
    assert "coverage" not in summary.decode_cell_ranking(json.dumps({"features": body["features"]}))   # from before it
    for change, fragment in [
            (lambda c: c.update(stored=9), "stored 9 is more than the 8"),
            (lambda c: c["features"].update(other={"ranked": 1, "stored": 0, "first": None}), "of ranked features"),
            (lambda c: c["features"]["in_comment"].update(first=2), "first 2 must be a stored character"),
            (lambda c: c["features"]["line_position"].update(first=None), "first None must be a stored character"),
            (lambda c: c["features"]["line_position"].update(first=4), "first 4 must be a stored character"),
            (lambda c: c["features"]["line_position"].update(stored=6), "do not fit"),
            (lambda c: c.update(ranked=-1), "ranked -1 is not a whole number")]:
        bad = json.loads(json.dumps(coverage))
        change(bad)
        with pytest.raises(KRNNError, match=re.escape(fragment)):
            summary.decode_cell_ranking(json.dumps({**body, "coverage": bad}))


def test_activations_are_written_in_blocks_of_about_a_mebibyte(tmp_path):
    tf = pytest.importorskip("tensorflow")
    from tensorboard.backend.event_processing import event_accumulator

    assert summary.activation_block_rows(128) == 4096 and summary.activation_block_rows(512) == 1024
    assert summary.activation_block_rows(100_000) == 256 and summary.activation_block_rows(1) == 2**19
    values = np.random.default_rng(1).uniform(-1, 1, (1000, 3000)).astype(np.float32)      # 256 rows a block
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        summary.write_activations("lstm1", "h", values, 5, "lstm")
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0}).Reload()
    starts = sorted(int(tag.rsplit("/", 1)[1]) for tag in acc.Tags()["tensors"])
    assert starts == [0, 256, 512, 768]
    blocks = []
    for start in starts:
        tag = summary.activations_tag("lstm1", "h", start)
        content = summary.parse_content(acc.SummaryMetadata(tag).plugin_data.content)
        block = tf.make_ndarray(acc.Tensors(tag)[0].tensor_proto)
        assert content["start"] == start and content["rows"] == len(block) and content["total"] == 1000
        blocks.append(block)
    np.testing.assert_array_equal(np.concatenate(blocks), values.astype(np.float16))


def test_longrange_studies_round_trip_as_brace_and_characters_summaries(tmp_path):
    """analysis.longrange's brace_study and character_study results (NumPy-derived) are what the two writers take;
    TensorBoard hands back the same bodies under the plugin's kinds and tags."""
    tf = pytest.importorskip("tensorflow")
    from tensorboard.backend.event_processing import event_accumulator

    from karpathy_rnn.analysis.longrange import brace_study, character_study

    text = "int f(void) {\n  if (x) { y(); }\n  /* } */ return '<';\n}\n" * 30
    vocabulary = "".join(sorted(set(text)))
    targets = np.array([vocabulary.index(c) for c in text])
    rng = np.random.default_rng(4)
    lstm, ngram = rng.uniform(0, 1, len(text)), rng.uniform(0, 1, len(text))
    brace = brace_study(text, {"LSTM 2x128": lstm, "20-gram": ngram})
    characters = character_study(lstm, ngram, targets, vocabulary, ("LSTM 2x128", "20-gram"))
    body = {"models": characters["models"], "text": text, "start": 0, "difference": (lstm - ngram).tolist(),
            "leaders": characters["leaders"]}
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        summary.write_brace_study(brace, 11)
        summary.write_character_comparison(body, 11)
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0}).Reload()
    assert set(acc.Tags()["tensors"]) == {summary.BRACE_TAG, summary.CHARACTERS_TAG}
    for tag, kind, decode, expected in ((summary.BRACE_TAG, "brace", summary.decode_brace, brace),
                                        (summary.CHARACTERS_TAG, "characters", summary.decode_characters, body)):
        assert summary.parse_content(acc.SummaryMetadata(tag).plugin_data.content) == {"kind": kind, "version": 1}
        event = acc.Tensors(tag)[0]
        assert event.step == 11
        assert decode(summary.decode_string(tf.make_ndarray(event.tensor_proto))) == expected
    assert brace["braces"] == 60 and sum(b["count"] for b in brace["buckets"]) == 60     # the comment's } is not code
    assert all(len(side) <= 10 for side in characters["leaders"]) and characters["leaders"][0]
