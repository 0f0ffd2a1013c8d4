"""Probe features on hand-made texts whose spans are known by eye."""

import numpy as np
import pytest

from karpathy_rnn.analysis.features import FEATURE_NAMES, TAB_WIDTH, text_features


def _spans(mask):
    """[start, stop) runs of True in a boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def test_line_position_counts_from_each_newline():
    f = text_features("ab\ncde\n\nf", "all")
    assert f["line_position"].tolist() == [0, 1, 2, 0, 1, 2, 3, 0, 0]


def test_quote_span_includes_both_quotes():
    text = 'He said "hi there" and "bye".'
    f = text_features(text, "all")
    assert _spans(f["in_quotes"] > 0) == [(8, 18), (23, 28)]
    assert text[8:18] == '"hi there"'


def test_unclosed_quote_ends_at_blank_line_also_with_crlf():
    text = '"open para\r\n\r\nnext "q" x'
    f = text_features(text, "all")
    spans = _spans(f["in_quotes"] > 0)
    assert spans[0][0] == 0 and spans[0][1] <= text.index("next")
    assert (text.index('"q"'), text.index('"q"') + 3) in spans


def test_brace_depth_known_nesting():
    text = "a{b{c}d}e}f{"
    assert text_features(text, "all")["brace_depth"].tolist() == [0, 1, 1, 2, 2, 2, 1, 1, 0, 0, 0, 1]


def test_paren_depth_and_in_parens():
    text = "f(a(b), c) + (d)"
    f = text_features(text, "all")
    assert f["paren_depth"].tolist() == [0, 1, 1, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1]
    assert f["in_parens"].tolist() == [float(d > 0) for d in f["paren_depth"]]


def test_stray_closer_at_start_of_a_split_clips_at_zero():
    assert text_features("x)) (y)", "all")["paren_depth"].tolist() == [0, 0, 0, 0, 1, 1, 1]


def test_bracket_depth():
    assert text_features("a[i[j]]", "all")["bracket_depth"].tolist() == [0, 1, 1, 2, 2, 2, 1]


def test_c_comments_and_strings_hide_each_other():
    text = 'x = "/* no */"; /* "no" */ y; // z "q"\nc = \'"\'; s = "a\\"b";'
    f = text_features(text, "all")
    assert [text[a:b] for a, b in _spans(f["in_string"] > 0)] == ['"/* no */"', "'\"'", '"a\\"b"']
    assert [text[a:b] for a, b in _spans(f["in_comment"] > 0)] == ['/* "no" */', '// z "q"']
    assert (f["in_comment_or_string"] == np.maximum(f["in_comment"], f["in_string"])).all()


def test_unterminated_block_comment_runs_to_the_end():
    text = "a /* b\nc"
    assert _spans(text_features(text, "all")["in_comment"] > 0) == [(2, len(text))]


def test_indentation_tabs_and_spaces():
    text = "a\n\tb\n\t  c\n    d\n"
    f = text_features(text, "all")["indentation"]
    lines = text.split("\n")[:-1]
    starts = np.cumsum([0] + [len(line) + 1 for line in lines])[:-1]
    assert [f[s] for s in starts] == [0, TAB_WIDTH, TAB_WIDTH + 2, 4]
    assert f[text.index("c")] == TAB_WIDTH + 2 and f[text.index("c") + 1] == TAB_WIDTH + 2   # the newline too


def test_if_condition_spans_to_the_matching_paren():
    text = "if (a && (b || c)) x(); else if(f(y)) z; gif (q); x = iffy(1);"
    f = text_features(text, "all")
    assert [text[a:b] for a, b in _spans(f["in_if_condition"] > 0)] == ["(a && (b || c))", "(f(y))"]


def test_nested_if_and_unclosed_condition():
    text = "if (a(if (b)) && c"
    span = _spans(text_features(text, "all")["in_if_condition"] > 0)
    assert span == [(3, len(text))]


@pytest.mark.parametrize("text", ["", "x", "\n", "((((", "))))", '"""', "/*"])
def test_every_feature_has_one_value_per_character(text):
    f = text_features(text, "all")
    assert list(f) == list(FEATURE_NAMES)
    assert all(v.shape == (len(text),) and v.dtype == np.float64 for v in f.values())


def test_matches_a_brute_force_reference_on_random_code():
    rng = np.random.default_rng(0)
    text = "".join(rng.choice(list("ab (){}[]\n\t "), 2000))
    f = text_features(text, "all")
    depth, line, reference_paren, reference_line = 0, 0, [], []
    for ch in text:
        if ch == "(":
            depth += 1
            reference_paren.append(depth)
        elif ch == ")":
            reference_paren.append(depth)
            depth = max(0, depth - 1)
        else:
            reference_paren.append(depth)
        reference_line.append(line)
        line = 0 if ch == "\n" else line + 1
    assert f["paren_depth"].tolist() == reference_paren
    assert f["line_position"].tolist() == reference_line


def test_the_feature_set_fits_the_kind_of_text():
    """Issue 17.3: C-only features on a novel give panels of noise cells (|r| about 0.016); the set follows the text."""
    from karpathy_rnn.analysis.features import FEATURES_BY_KIND, text_kind

    prose = 'He said, "Well, Prince, so Genoa and Lucca are now just family estates."\nShe smiled; it was late.\n'
    code = "static int f(int x)\n{\n\tif (x > 0) {\n\t\treturn x; /* yes */\n\t}\n\treturn -x;\n}\n"
    assert text_kind(prose * 20) == "prose" and text_kind(code * 20) == "code"
    assert tuple(text_features(prose * 20)) == FEATURES_BY_KIND["prose"] == ("line_position", "in_quotes")
    assert "in_string" in text_features(code * 20) and "in_quotes" not in text_features(code * 20)
    assert len(text_features(prose, "all")) == 11
    with pytest.raises(ValueError, match="kind='poetry'"):
        text_features(prose, "poetry")


def test_the_real_corpora_are_told_apart(shared_data):
    from karpathy_rnn.analysis.features import text_kind
    from karpathy_rnn.data import load_corpus

    kinds = {name: text_kind(load_corpus(name, data_dir=shared_data).text("test")[:200_000])
             for name in ("war_and_peace", "linux_kernel", "tiny_shakespeare")}
    assert kinds == {"war_and_peace": "prose", "linux_kernel": "code", "tiny_shakespeare": "prose"}


def test_a_feature_no_cell_tracks_gets_no_panel_but_a_line():
    """Issue 17.3: below TRACKED_R (0.1) the ranking leaves a feature out and untracked_features names it."""
    from karpathy_rnn.analysis.cells import TRACKED_R, top_cells, untracked_features

    scores = {"lstm1": {"in_quotes": np.array([0.8, -0.1]), "in_string": np.array([0.016, -0.012])},
              "lstm2": {"in_quotes": np.array([0.3, 0.2]), "in_string": np.array([0.009, np.nan])}}
    ranking = top_cells(scores, top=2)
    assert list(ranking) == ["in_quotes"] and TRACKED_R == 0.1
    assert untracked_features(scores) == {"in_string": pytest.approx(0.016)}
    assert "in_string" in top_cells(scores, top=2, min_abs_r=0.0)
