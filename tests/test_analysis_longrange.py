"""Section 4.3's analyses on small inputs whose answers are worked out by hand (issue 19)."""

import math

import numpy as np
import pytest

from karpathy_rnn.analysis import longrange as lr
from karpathy_rnn.analysis.trace import LayerInfo, TraceWriter
from karpathy_rnn.errors import KRNNError


def _trace(folder, text, probabilities, corpus="toy"):
    """A trace of `text` over its sorted characters with the given distributions [N, K] (no layers needed)."""
    vocabulary = "".join(sorted(set(text)))
    writer = TraceWriter(folder, vocabulary, len(text), [LayerInfo("lstm1", "lstm", 1, ("c",))], corpus=corpus,
                         split="test")
    writer.write_probabilities(0, np.asarray(probabilities, np.float32))
    writer.write_gates(0, {("lstm1", "c"): np.zeros((len(text), 1), np.float16)})
    return writer.finish(np.array([vocabulary.index(c) for c in text], np.int32))


def test_correct_probability_is_the_targets_entry_of_its_own_row(tmp_path):
    """Row t is the distribution for character t (before reading it): the correct probability is [t, target t]."""
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.15, 0.5, 0.35], [0.4, 0.45, 0.15]])
    text = "abca"                                                   # ids 0 1 2 0
    expected = [0.7, 0.3, 0.35, 0.4]
    np.testing.assert_allclose(lr.correct_probabilities(probabilities, [0, 1, 2, 0]), expected)
    trace = _trace(tmp_path / "t", text, probabilities)
    np.testing.assert_allclose(lr.trace_correct_probabilities(trace, rows=2), expected, rtol=1e-6)
    assert lr.errors(expected).tolist() == [False, True, True, True]
    assert lr.errors([0.5, 0.4999]).tolist() == [False, True]    # "below 0.5": 0.5 itself is not an error


def test_a_trace_of_character_probabilities_only_compares_with_a_full_one(tmp_path):
    """An n-gram's trace stores p(character t) [N] (distributions=False): the same correct probabilities, the
    same text check, and a clear error for what needs whole distributions."""
    full = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.15, 0.5, 0.35], [0.4, 0.45, 0.15]])
    model = _trace(tmp_path / "model", "abca", full)
    writer = TraceWriter(tmp_path / "gram", "abc", 4, [], distributions=False, source="2-gram", corpus="toy",
                         split="test")
    writer.write_probabilities(0, np.array([0.5, 0.25, 0.125, 0.5], np.float32))
    gram = writer.finish(np.array([0, 1, 2, 0], np.int32))
    lr.check_same_text({"lstm": model, "2-gram": gram})
    np.testing.assert_allclose(lr.trace_correct_probabilities(gram), [0.5, 0.25, 0.125, 0.5])
    overlap = lr.error_overlap({"lstm": lr.errors(lr.trace_correct_probabilities(model)),
                                "2-gram": lr.errors(lr.trace_correct_probabilities(gram))})
    assert overlap == {(): 1, ("lstm",): 1, ("2-gram",): 0, ("lstm", "2-gram"): 2}
    with pytest.raises(KRNNError, match="holds only the probability"):
        gram.probabilities


def test_traces_of_different_texts_or_vocabularies_are_refused(tmp_path):
    uniform = np.full((4, 3), 1 / 3)
    a = _trace(tmp_path / "a", "abca", uniform)
    lr.check_same_text({"lstm": a, "again": _trace(tmp_path / "b", "abca", uniform)})
    with pytest.raises(KRNNError, match="not of the same text"):
        lr.check_same_text({"lstm": a, "20-gram": _trace(tmp_path / "c", "acba", uniform)})
    with pytest.raises(KRNNError, match="different vocabularies"):
        lr.check_same_text({"lstm": a, "20-gram": _trace(tmp_path / "d", "abda", uniform)})


def test_error_overlap_counts_each_of_the_seven_regions():
    """Eight characters, one in each region of three models (and one no model gets wrong), plus a second in
    'all three': counted by hand."""
    lstm = np.array([1, 0, 0, 1, 1, 0, 1, 0, 1], bool)
    nn = np.array([0, 1, 0, 1, 0, 1, 1, 0, 1], bool)
    gram = np.array([0, 0, 1, 0, 1, 1, 1, 0, 1], bool)
    regions = lr.error_overlap({"lstm": lstm, "nn": nn, "gram": gram})
    assert regions == {(): 1, ("lstm",): 1, ("nn",): 1, ("gram",): 1, ("lstm", "nn"): 1, ("lstm", "gram"): 1,
                       ("nn", "gram"): 1, ("lstm", "nn", "gram"): 2}
    assert sum(regions.values()) == len(lstm)


def test_mean_probability_per_character_and_who_leads_where():
    """Figure 4 (middle/right) by hand: ids 0 0 1 2 2 2, id 3 never occurs."""
    targets = np.array([0, 0, 1, 2, 2, 2])
    lstm = np.array([0.9, 0.7, 0.2, 0.5, 0.5, 0.8])
    gram = np.array([0.6, 0.6, 0.4, 0.5, 0.5, 0.5])
    mean_lstm, counts = lr.mean_probability_per_character(lstm, targets, 4)
    mean_gram, _ = lr.mean_probability_per_character(gram, targets, 4)
    np.testing.assert_allclose(mean_lstm[:3], [0.8, 0.2, 0.6])
    np.testing.assert_allclose(mean_gram[:3], [0.6, 0.4, 0.5])
    assert counts.tolist() == [2, 1, 3, 0] and np.isnan(mean_lstm[3])
    lstm_leads, gram_leads = lr.largest_advantages(mean_lstm, mean_gram, top=10)
    assert lstm_leads.tolist() == [0, 2] and gram_leads.tolist() == [1]      # +0.2 before +0.1; -0.2
    assert lr.largest_advantages(mean_lstm, mean_gram, top=1)[0].tolist() == [0]
    assert [lr.character_label(c) for c in " \na}"] == ["<s>", "\\n", "a", "}"]


C_SOURCE = (
    "int f(void) {\n"                       # 0: opens at 12
    "\tchar *s = \"{ not code }\";\n"        # braces in a string
    "\tchar c = '}';\n"                      # and in a character literal
    "\t/* { nor here } */ // {\n"            # and in comments
    "\tif (x) { y(); }\n"                    # a nested pair
    "}\n"                                    # closes the first
    "}\n"                                    # closes nothing
    "{\n")                                   # never closed


def test_closing_braces_match_by_stack_over_the_code_only():
    closes, distances = lr.closing_brace_distances(C_SOURCE)
    first_open = C_SOURCE.index("{")
    inner_open = C_SOURCE.index("{ y()")
    inner_close = C_SOURCE.index("}", inner_open)
    outer_close = C_SOURCE.index("\n}\n", inner_close) + 1       # the line holding only "}"
    assert closes.tolist() == [inner_close, outer_close]
    assert distances.tolist() == [inner_close - inner_open, outer_close - first_open]
    assert lr.closing_brace_distances("")[0].size == 0


def test_bucket_means_in_bins_of_twenty_characters():
    starts, means, counts = lr.bucket_means([1, 20, 21, 45, 70], [1.0, 0.0, 0.5, 0.25, 0.75])
    assert starts.tolist() == [1, 21, 41, 61] and counts.tolist() == [2, 1, 1, 1]
    np.testing.assert_allclose(means, [0.5, 0.5, 0.25, 0.75])
    starts, means, counts = lr.bucket_means([5, 65], [0.5, 0.1])
    assert counts.tolist() == [1, 0, 0, 1] and np.isnan(means[1])
    with pytest.raises(KRNNError, match=">= 1"):
        lr.bucket_means([0, 3], [0.1, 0.2])


def test_symmetric_kl_of_known_distributions():
    p = np.array([[0.5, 0.5], [0.2, 0.8]])
    q = np.array([[0.9, 0.1], [0.2, 0.8]])
    by_hand = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1) + 0.9 * math.log(0.9 / 0.5) + \
        0.1 * math.log(0.1 / 0.5)
    np.testing.assert_allclose(lr.symmetric_kl(p, q), [by_hand, 0.0], atol=1e-9)
    np.testing.assert_allclose(lr.symmetric_kl(np.tile(p, (5, 1)), np.tile(q, (5, 1)), rows=3), [by_hand, 0.0] * 5, atol=1e-9)
    np.testing.assert_allclose(lr.symmetric_kl(q, p), lr.symmetric_kl(p, q))
    assert np.isfinite(lr.symmetric_kl(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))).all()
    with pytest.raises(KRNNError, match="one shape"):
        lr.symmetric_kl(p, q[:1])


def test_figure4_and_5_draw_the_numbers_they_are_given():
    """The overlap figure puts each region's count in its region; the bars and the brace curve are the means;
    characters in labels are drawn literally."""
    import matplotlib.pyplot as plt

    from karpathy_rnn import plots

    regions = {(): 9, ("lstm",): 1, ("nn",): 2, ("gram",): 3, ("lstm", "nn"): 4, ("lstm", "gram"): 5,
               ("nn", "gram"): 6, ("lstm", "nn", "gram"): 7}
    figure = plots.error_overlap_figure(regions)
    at = {(round(t.get_position()[0], 2), round(t.get_position()[1], 2)): t.get_text() for t in figure.axes[0].texts}
    inside = lambda bits: at[tuple(round(v, 2) for v in plots._REGION_SPOTS[bits])]    # noqa: E731
    assert [inside(b) for b in (0b001, 0b010, 0b100, 0b011, 0b101, 0b110, 0b111)] == list("1234567")
    for (x, y), bits in zip(plots._CIRCLES, (0b001, 0b010, 0b100)):     # each count lies in its own circles only
        for region, (u, v) in plots._REGION_SPOTS.items():
            assert ((u - x) ** 2 + (v - y) ** 2 < 1) == bool(region & bits), (bits, region)
    plt.close(figure)

    means = [np.array([[0.9, 0.5], [0.8, 0.6]]), np.array([[0.2, 0.7]])]
    figure = plots.advantage_figure([["<s>", "$"], ["_x"]], means, ("LSTM", "20-gram"))
    left, right = figure.axes[:2]
    assert [round(b.get_height(), 6) for b in left.patches] == [0.9, 0.8, 0.5, 0.6]
    assert [round(b.get_height(), 6) for b in right.patches] == [0.2, 0.7]
    assert [t.get_text() for t in left.get_xticklabels()] == ["<s>", "$"]
    assert not any(t.get_parse_math() for t in left.get_xticklabels())
    figure.canvas.draw()
    plt.close(figure)

    figure = plots.brace_figure(np.array([1, 21]), {"LSTM": np.array([0.6, 0.4]), "20-gram": np.array([0.5, 0.2])},
                                np.array([12, 3]))
    ax = figure.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.6, 0.4])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.5, 0.2])
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [10.5, 30.5])
    assert [t.get_text() for t in ax.texts] == ["12", "3"]
    plt.close(figure)


def test_studies_hold_the_numbers_by_hand():
    """overlap_study, character_study and brace_study on a six-character text with known probabilities."""
    from karpathy_rnn.analysis.longrange import brace_study, character_study, overlap_study

    a = np.array([0.9, 0.4, 0.2, 0.6, 0.1, 0.7])
    b = np.array([0.3, 0.6, 0.1, 0.2, 0.9, 0.8])
    study = overlap_study({"A": a, "B": b})
    assert study["errors"] == {"A": 3, "B": 3} and study["error_rate"]["A"] == 0.5
    assert {tuple(r["models"]): r["count"] for r in study["regions"]} == {(): 1, ("A",): 2, ("B",): 2, ("A", "B"): 1}
    targets = np.array([0, 1, 0, 2, 1, 0])            # "x", "y", "x", "z", "y", "x"
    chars = character_study(a, b, targets, "xyz", ("A", "B"), top=1)
    rows = {r["character"]: r for r in chars["characters"]}
    assert rows["x"]["means"] == pytest.approx([(0.9 + 0.2 + 0.7) / 3, (0.3 + 0.1 + 0.8) / 3]) and rows["x"]["count"] == 3
    assert [r["character"] for r in chars["leaders"][0]] == ["z"]       # A leads on z by 0.4 (x by 0.2)
    assert [r["character"] for r in chars["leaders"][1]] == ["y"]       # B leads on y by 0.5
    text = "{ab}{" + "c" * 25 + "}"                   # distances 3 and 26
    p = np.linspace(0, 1, len(text))
    brace = brace_study(text, {"A": p, "B": 1 - p}, width=20)
    assert brace["braces"] == 2
    assert brace["buckets"] == [{"start": 1, "end": 20, "count": 1, "means": [p[3], 1 - p[3]]},
                                {"start": 21, "end": 40, "count": 1, "means": [p[30], 1 - p[30]]}]
    near = brace_study(text, {"A": p}, width=20, longest=20)      # the 26-character one counted apart
    assert near["braces"] == 1 and near["farther"] == 1 and len(near["buckets"]) == 1
    with pytest.raises(KRNNError, match="no '}' closing a '{'"):
        brace_study("no braces here } {", {"A": np.ones(18)})


def test_an_error_is_below_one_half_on_either_side_of_it():
    """Section 4.3: p < 0.5 is an error; exactly 0.5 and the next float above are not, the next float below is."""
    below, above = np.nextafter(0.5, 0.0), np.nextafter(0.5, 1.0)
    assert lr.errors([0.5, below, above, 0.0, 1.0]).tolist() == [False, True, False, True, False]
    study = lr.overlap_study({"A": np.array([0.5, below, above, 0.2]), "B": np.array([0.5, 0.5, below, above])})
    assert study["error_below"] == 0.5 and study["errors"] == {"A": 2, "B": 1}
    assert {tuple(r["models"]): r["count"] for r in study["regions"]} == {(): 1, ("A",): 2, ("B",): 1, ("A", "B"): 0}


def test_who_leads_ties_lead_for_neither_and_both_lists_are_largest_lead_first():
    """Several leaders on each side, and two ties (0 and 5): A leads 1 (+0.3), 7 (+0.2), 3 (+0.1); B leads 2 (0.5),
    8 (0.2), 4 (0.1); 6 never occurs (NaN). `top` keeps the largest leads, not the first ids."""
    mean_a = np.array([0.5, 0.9, 0.3, 0.6, 0.2, 0.7, np.nan, 0.45, 0.1])
    mean_b = np.array([0.5, 0.6, 0.8, 0.5, 0.3, 0.7, 0.5, 0.25, 0.3])
    a_leads, b_leads = lr.largest_advantages(mean_a, mean_b, top=10)
    assert a_leads.tolist() == [1, 7, 3] and b_leads.tolist() == [2, 8, 4]
    a_leads, b_leads = lr.largest_advantages(mean_a, mean_b, top=2)
    assert a_leads.tolist() == [1, 7] and b_leads.tolist() == [2, 8]
    b_leads, a_leads = lr.largest_advantages(mean_b, mean_a, top=10)          # the same leads, seen from B
    assert a_leads.tolist() == [1, 7, 3] and b_leads.tolist() == [2, 8, 4]
    equal = np.array([0.25, 0.5, 0.75])
    assert [ids.tolist() for ids in lr.largest_advantages(equal, equal.copy())] == [[], []]   # all ties: no leader
    targets = np.array([0, 1, 2, 3, 4, 5, 7, 8])                                  # id 6 absent from the text
    chars = lr.character_study(mean_a[targets], mean_b[targets], targets, "abcdefghi", ("A", "B"), top=10)
    assert [[r["character"] for r in side] for side in chars["leaders"]] == [["b", "h", "d"], ["c", "i", "e"]]


def _braces(*distances):
    """A text of consecutive pairs "{" + (d - 1) x's + "}": one closing brace at each distance d."""
    return "".join("{" + "x" * (d - 1) + "}" for d in distances)


def test_a_closing_brace_exactly_longest_away_is_shown_and_one_farther_is_counted_apart():
    """brace_study shows distances "up to `longest`": 40 is in a bucket, 41 is "farther" (longest = 40)."""
    text = _braces(39, 40, 41)                     # pairs at 0..39, 40..80, 81..122
    correct = np.zeros(len(text))
    correct[[39, 80, 122]] = [0.2, 0.6, 0.9]
    assert lr.closing_brace_distances(text)[1].tolist() == [39, 40, 41]
    study = lr.brace_study(text, {"A": correct}, width=20, longest=40)
    assert study["braces"] == 2 and study["farther"] == 1 and study["longest"] == 40
    assert study["buckets"] == [{"start": 1, "end": 20, "count": 0, "means": [None]},
                                {"start": 21, "end": 40, "count": 2, "means": [pytest.approx(0.4)]}]
    assert lr.brace_study(text, {"A": correct}, width=20, longest=39)["farther"] == 2
    assert lr.brace_study(text, {"A": correct}, width=20, longest=41)["farther"] == 0


def test_brace_buckets_share_no_edge_and_each_edge_distance_is_in_one_bucket():
    """Buckets 1..20, 21..40, 41..60: the distances on either side of each edge (1, 20, 21, 40, 41, 60) land in the
    bucket whose [start, end] holds them, two per bucket."""
    text = _braces(1, 20, 21, 40, 41, 60)
    closes, distances = lr.closing_brace_distances(text)
    assert distances.tolist() == [1, 20, 21, 40, 41, 60]
    correct = np.zeros(len(text))
    correct[closes] = [0.1, 0.3, 0.5, 0.7, 0.2, 0.4]
    study = lr.brace_study(text, {"A": correct}, width=20, longest=60)
    assert [(b["start"], b["end"], b["count"]) for b in study["buckets"]] == [(1, 20, 2), (21, 40, 2), (41, 60, 2)]
    assert [b["means"][0] for b in study["buckets"]] == pytest.approx([0.2, 0.6, 0.3])
    starts, means, counts = lr.bucket_means([40, 41, 60, 61, 20, 21], np.arange(6.0), width=20)
    assert starts.tolist() == [1, 21, 41, 61] and counts.tolist() == [1, 2, 2, 1]
    np.testing.assert_allclose(means, [4, (0 + 5) / 2, (1 + 2) / 2, 3])
    starts, _, counts = lr.bucket_means([1, 2, 3], np.zeros(3), width=1)           # width 1: one distance each
    assert starts.tolist() == [1, 2, 3] and counts.tolist() == [1, 1, 1]
