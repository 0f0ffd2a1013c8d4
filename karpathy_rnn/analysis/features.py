"""Probe features of a text, one value per character, to score cells against (paper section 4.2).

Every feature is an array [N] computed from the characters alone with NumPy and the `re` engine (no
per-character Python loop). Delimiters count as inside their span: the quote, parenthesis or brace
that opens or closes a span belongs to it, as the paper's Figure 2 colours them.
"""

from __future__ import annotations

import re

import numpy as np

TAB_WIDTH = 8   # columns a leading tab counts for in `indentation` (the Linux Kernel's style)

FEATURE_DESCRIPTIONS = {
    "line_position": "characters since the last newline (0 right after it)",
    "in_quotes": "inside double quotes, the quotes included (an unclosed quote ends at a blank line)",
    "paren_depth": "depth of ( ) nesting",
    "in_parens": "inside ( ), depth > 0",
    "bracket_depth": "depth of [ ] nesting",
    "brace_depth": "depth of { } nesting",
    "in_comment": "inside a C comment, /* ... */ or // to the end of the line",
    "in_string": "inside a C string or character literal",
    "in_comment_or_string": "inside a C comment, string or character literal",
    "indentation": f"leading whitespace of the line in columns (a tab counts {TAB_WIDTH})",
    "in_if_condition": "inside the parenthesised condition of an if",
}
FEATURE_NAMES = tuple(FEATURE_DESCRIPTIONS)
# The features that mean something in each kind of text: C's lexer on a novel finds apostrophes and calls them
# strings, and parentheses in prose are too rare to track.
FEATURES_BY_KIND = {
    "prose": ("line_position", "in_quotes"),
    "code": ("line_position", "paren_depth", "in_parens", "bracket_depth", "brace_depth", "in_comment", "in_string",
             "in_comment_or_string", "indentation", "in_if_condition"),
}
TEXT_KINDS = tuple(FEATURES_BY_KIND)
CODE_MARKS_PER_1000 = 15    # `{ } ; =` per 1,000 characters above which a text is code (C: ~40, novels: ~3)

_C_TOKENS = re.compile(r"""(?P<comment>/\*[\s\S]*?(?:\*/|\Z)|//[^\n]*)"""
                       r"""|(?P<string>"(?:\\[\s\S]|[^"\\\n])*"?|'(?:\\[\s\S]|[^'\\\n])*'?)""")
_IF_OPEN = re.compile(r"\bif\s*\(")


def _codes(text: str) -> np.ndarray:
    """The text as code points [N] int32."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.int32) if text else np.zeros(0, np.int32)


def _is(codes: np.ndarray, characters: str) -> np.ndarray:
    """Boolean [N]: whether each character is one of `characters`."""
    return np.isin(codes, [ord(c) for c in characters])


def _spans_mask(length: int, starts, ends) -> np.ndarray:
    """Boolean [N]: True on every [start, end) span (spans may overlap)."""
    marks = np.zeros(length + 1, np.int64)
    np.add.at(marks, np.asarray(starts, np.int64), 1)
    np.add.at(marks, np.asarray(ends, np.int64), -1)
    return np.cumsum(marks[:-1]) > 0


def line_position(codes: np.ndarray) -> np.ndarray:
    """[N] characters since the last newline before each character (from the text's start if none)."""
    index = np.arange(len(codes))
    newline = np.where(codes == 10, index, -1)
    last = np.maximum.accumulate(np.concatenate([[-1], newline[:-1]])) if len(codes) else newline
    return index - last - 1


def nesting_depth(codes: np.ndarray, opener: str, closer: str) -> np.ndarray:
    """[N] nesting depth of opener/closer pairs, both delimiters inside their span; stray closers clip at 0."""
    steps = _is(codes, opener).astype(np.int64) - _is(codes, closer)
    walk = np.cumsum(steps)
    after = walk - np.minimum(np.minimum.accumulate(walk), 0) if len(walk) else walk   # reflected at 0
    before = np.concatenate([[0], after[:-1]])
    return np.maximum(before, after)


def in_quotes(codes: np.ndarray) -> np.ndarray:
    """[N] bool: inside a double-quoted span, quotes included; an unclosed quote ends at a blank line."""
    quote = codes == ord('"')
    index = np.arange(len(codes))
    blank = np.zeros(len(codes), bool)                       # a newline right after a newline (CRLF too)
    blank[1:] = (codes[1:] == 10) & (codes[:-1] == 10)
    blank[2:] |= (codes[2:] == 10) & (codes[1:-1] == 13) & (codes[:-2] == 10)
    count = np.cumsum(quote)
    segment_start = np.maximum.accumulate(np.where(blank, index, 0)) if len(codes) else index
    before_segment = np.where(segment_start > 0, count[segment_start - 1], 0)
    return ((count - before_segment) % 2 == 1) | quote


def c_comments_and_strings(text: str) -> tuple[np.ndarray, np.ndarray]:
    """([N] in a C comment, [N] in a C string or char literal), lexed left to right so each hides the other."""
    spans = {"comment": ([], []), "string": ([], [])}
    for match in _C_TOKENS.finditer(text):
        starts, ends = spans[match.lastgroup]
        starts.append(match.start())
        ends.append(match.end())
    return tuple(_spans_mask(len(text), *spans[kind]) for kind in ("comment", "string"))


def indentation(codes: np.ndarray) -> np.ndarray:
    """[N] leading whitespace width (columns, tab = TAB_WIDTH) of the line each character is on."""
    n = len(codes)
    if n == 0:
        return np.zeros(0, np.int64)
    index = np.arange(n)
    width = np.where(codes == 9, TAB_WIDTH, np.where(codes == 32, 1, 0))
    cumulative = np.concatenate([[0], np.cumsum(width)])
    line_start = index - line_position(codes)
    stop = np.where((width == 0) | (codes == 10), index, n)       # first non-blank at or after t
    first_non_blank = np.minimum.accumulate(stop[::-1])[::-1]
    at_start = first_non_blank[line_start]
    return cumulative[at_start] - cumulative[line_start]


def if_conditions(text: str, codes: np.ndarray, paren: np.ndarray | None = None) -> np.ndarray:
    """[N] bool: inside the parentheses right after an `if`, from its ( to the matching ), both included."""
    n = len(codes)
    opens = np.array([m.end() - 1 for m in _IF_OPEN.finditer(text)], np.int64)
    if n == 0 or len(opens) == 0:
        return np.zeros(n, bool)
    paren = nesting_depth(codes, "(", ")") if paren is None else paren
    is_close = codes == ord(")")
    close_positions = np.flatnonzero(is_close)
    close_levels = paren[close_positions]                          # the level a ) closes
    ends = np.full(len(opens), n, np.int64)
    open_levels = paren[opens]
    for level in np.unique(open_levels):                           # one search per nesting level
        closes = close_positions[close_levels == level]
        which = open_levels == level
        if len(closes) == 0:
            continue                                                # never closed: runs to the end
        found = np.searchsorted(closes, opens[which])
        ends[which] = np.where(found < len(closes), closes[np.minimum(found, len(closes) - 1)] + 1, n)
    return _spans_mask(n, opens, ends)


def text_kind(text: str) -> str:
    """"code" when `{ } ; =` come more often than CODE_MARKS_PER_1000 per 1,000 characters, else "prose"."""
    marks = sum(text.count(mark) for mark in "{};=")
    return "code" if marks * 1000 > CODE_MARKS_PER_1000 * max(len(text), 1) else "prose"


def text_features(text: str, kind: str | None = None) -> dict[str, np.ndarray]:
    """The probe features of `text` for its kind (FEATURES_BY_KIND; None: text_kind decides, "all": every one):
    {name: [N] float64}, in FEATURE_NAMES order."""
    kind = text_kind(text) if kind is None else kind
    if kind != "all" and kind not in FEATURES_BY_KIND:
        raise ValueError(f"kind={kind!r}: give one of {', '.join(TEXT_KINDS)}, 'all' or None")
    wanted = FEATURE_NAMES if kind == "all" else FEATURES_BY_KIND[kind]
    codes = _codes(text)
    paren = nesting_depth(codes, "(", ")")
    comment, string = c_comments_and_strings(text)
    features = {
        "line_position": line_position(codes),
        "in_quotes": in_quotes(codes),
        "paren_depth": paren,
        "in_parens": paren > 0,
        "bracket_depth": nesting_depth(codes, "[", "]"),
        "brace_depth": nesting_depth(codes, "{", "}"),
        "in_comment": comment,
        "in_string": string,
        "in_comment_or_string": comment | string,
        "indentation": indentation(codes),
        "in_if_condition": if_conditions(text, codes, paren),
    }
    return {name: np.asarray(features[name], np.float64) for name in FEATURE_NAMES if name in wanted}
