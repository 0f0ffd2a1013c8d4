"""Text coloured by a cell's values (the paper's Figure 2 style) as HTML, and the colour scale both HTML and PNG use.

The scale is the paper's: -1 red through white (0) to +1 blue, values clipped to [-1, 1]; values of another range
(a gate's 0..1) are first mapped onto it, their low end red, their middle white, their high end blue. The text is
user data: every character is HTML-escaped, and values only ever reach the page as numbers.
"""

from __future__ import annotations

import html

import numpy as np

from karpathy_rnn.errors import KRNNError

NEWLINE_MARK = "\u21b5"     # shown for a newline, so its colour is visible
DISPLAY_TAB = 4             # columns a tab takes on screen


def on_scale(values: np.ndarray, value_range=(-1.0, 1.0)) -> np.ndarray:
    """float64 [N]: values [N] of `value_range` (low, high) placed on -1..+1 (low -1, the middle 0, high +1)."""
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise KRNNError(f"a colour scale needs low < high, got {value_range}")
    return (np.asarray(values, np.float64) - low) * (2.0 / (high - low)) - 1.0


def activation_colors(values: np.ndarray, value_range=(-1.0, 1.0)) -> np.ndarray:
    """uint8 [N, 3] RGB for values [N] of `value_range`: low red (255, 0, 0), the middle white, high blue
    (0, 0, 255), clipped; NaN white. The default is the paper's -1..+1."""
    v = np.clip(np.nan_to_num(on_scale(values, value_range), nan=0.0), -1.0, 1.0)
    fade = 1.0 - np.abs(v)                                   # how much of the other two channels remains
    red = np.where(v <= 0, 1.0, fade)
    blue = np.where(v >= 0, 1.0, fade)
    return np.round(np.stack([red, fade, blue], axis=-1) * 255).astype(np.uint8)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2's relative luminance [...] of uint8 RGB [..., 3]."""
    channel = np.asarray(rgb, np.float64) / 255.0
    linear = np.where(channel <= 0.04045, channel / 12.92, ((channel + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def contrast_ratio(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """WCAG 2's contrast ratio (1 to 21) between uint8 RGB colours [..., 3]."""
    a, b = relative_luminance(first), relative_luminance(second)
    return (np.maximum(a, b) + 0.05) / (np.minimum(a, b) + 0.05)


def text_colors(backgrounds: np.ndarray) -> np.ndarray:
    """uint8 [N, 3]: black or white, whichever contrasts more with each background [N, 3]; never below 4.58:1
    (WCAG AA asks 4.5:1), as the better of the two is worst where both are equal."""
    luminance = relative_luminance(backgrounds)
    white = 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05
    return np.repeat(np.where(white, 255, 0).astype(np.uint8)[:, None], 3, axis=1)


def check_values(text: str, values: np.ndarray) -> np.ndarray:
    """values as float [N], or a clear error unless there is one per character of `text`."""
    values = np.asarray(values, np.float64)
    if values.shape != (len(text),):
        raise KRNNError(f"need one value per character: the text has {len(text)} characters, the values have "
                        f"shape {values.shape}")
    return values


_HEX = np.array([f"{i:02x}" for i in range(256)])


def _characters(codes: np.ndarray) -> np.ndarray:
    """Code points [N] -> array of 1-character strings [N]."""
    return np.frombuffer(np.ascontiguousarray(codes, "<i4").tobytes(), dtype="<U1")


def colored_text_html(text: str, values: np.ndarray, title: str = "", value_range=(-1.0, 1.0)) -> str:
    """An HTML fragment: `text` in monospace, each character's background coloured by its value on `value_range`
    (render.activation_colors), a key naming the scale, hover shows the value."""
    values = check_values(text, values)
    heading = (f"<h3>{html.escape(title)}</h3>\n" if title else "") + scale_key_html(value_range)
    if not text:
        return f'{heading}<pre class="krnn-cell"></pre>\n'
    codes = np.frombuffer(text.encode("utf-32-le"), np.int32)
    unique, inverse = np.unique(codes, return_inverse=True)          # escape each distinct character once
    shown_as = {10: NEWLINE_MARK + "\n", 13: ""}                    # a lone CR would break the line in HTML
    table = np.array([html.escape(shown_as.get(c, chr(c)), quote=True) for c in unique.tolist()], dtype=object)
    rgb = activation_colors(values, value_range)
    color = np.char.add(np.char.add(np.char.add("#", _HEX[rgb[:, 0]]), _HEX[rgb[:, 1]]), _HEX[rgb[:, 2]])
    ink = np.where(text_colors(rgb)[:, 0] == 255, ";color:#fff", ";color:#000")    # readable on any background
    shown = np.char.mod("%+.3f", np.nan_to_num(values))
    spans = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(
        '<span style="background:', color), ink), '" title="'), shown), '">'), table[inverse].astype(str))
    return f'{heading}<pre class="krnn-cell">{"</span>".join(spans.tolist())}</span></pre>\n'


def scale_ends(value_range=(-1.0, 1.0)) -> list[str]:
    """The labels of a scale's low end, middle and high end: ["−1", "0", "+1"], or ["0", "0.5", "1"] for a gate's."""
    low, high = (float(v) for v in value_range)
    signed = low < 0 < high
    label = lambda v: ("+" if signed and v > 0 else "") + f"{v:g}".replace("-", "\u2212")   # noqa: E731
    return [label(low), label((low + high) / 2), label(high)]


def scale_key_html(value_range=(-1.0, 1.0)) -> str:
    """A one-line key of the colour scale: each end and the middle on its own colour."""
    values = np.array([float(value_range[0]), (float(value_range[0]) + float(value_range[1])) / 2,
                       float(value_range[1])])
    rgb = activation_colors(values, value_range)
    ink = text_colors(rgb)
    chips = " ".join(f'<code style="background:#{r:02x}{g:02x}{b:02x};color:#{i:02x}{i:02x}{i:02x};padding:0 4px">'
                     f"{html.escape(label)}</code>"
                     for (r, g, b), (i, _, _), label in zip(rgb.tolist(), ink.tolist(), scale_ends(value_range)))
    return f'<p class="krnn-key">colour scale: {chips}</p>\n'


PAGE_STYLE = """body{font-family:Roboto,Arial,sans-serif;margin:24px;color:#212121}
pre.krnn-cell{font-family:'DejaVu Sans Mono',Menlo,monospace;font-size:13px;line-height:1.35;
white-space:pre-wrap;word-break:break-all;border:1px solid #ddd;padding:8px;max-width:100ch}
h2{margin-top:32px}"""


def html_page(title: str, body: str) -> str:
    """A standalone UTF-8 HTML page around `body` (already escaped fragments)."""
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{PAGE_STYLE}</style></head>\n<body><h1>{html.escape(title)}</h1>\n{body}</body></html>\n")


def text_grid(text: str, values: np.ndarray, width: int = 100) -> tuple[list[str], np.ndarray]:
    """The text laid out for drawing: (lines of at most `width` columns, values [rows, width], NaN where empty).

    Tabs take DISPLAY_TAB columns of their value; a newline is one column (drawn as NEWLINE_MARK) that
    ends its line; long lines wrap.
    """
    values = check_values(text, values)
    if not text:
        return [], np.zeros((0, width))
    codes = np.frombuffer(text.encode("utf-32-le"), np.int32)
    repeat = np.where(codes == 9, DISPLAY_TAB, 1)
    shown = np.where(codes == 10, ord(NEWLINE_MARK), np.where(codes < 32, 32, codes))   # tab, CR: blank
    shown = np.repeat(shown, repeat)
    shown_values = np.repeat(values, repeat)
    is_newline = np.repeat(codes == 10, repeat)
    index = np.arange(len(shown))
    line = np.concatenate([[0], np.cumsum(is_newline)[:-1]])               # the newline ends its own line
    line_start = np.concatenate([[0], np.flatnonzero(is_newline) + 1])[line]
    column = index - line_start
    line_length = np.bincount(line, minlength=line[-1] + 1)
    rows_per_line = np.maximum(1, -(-line_length // width))
    first_row = np.concatenate([[0], np.cumsum(rows_per_line)[:-1]])
    row = first_row[line] + column // width
    col = column % width
    grid_values = np.full((int(rows_per_line.sum()), width), np.nan)
    grid_values[row, col] = shown_values
    chars = np.full((len(grid_values), width), " ", dtype="<U1")
    chars[row, col] = _characters(shown)
    return ["".join(r).rstrip() for r in chars], grid_values
