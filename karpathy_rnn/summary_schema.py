"""What each kind of karpathy_rnn summary must hold: one schema per kind, checked by the writers before they write
and by the plugin when it decodes, so a reader never meets a field of the wrong type or range.

A schema maps each field of a summary's plugin content (its JSON metadata) to a check and a default; a check takes
the value and returns it (normalised: ints stay ints, numbers become floats) or raises _Invalid saying what is
wrong. The two JSON bodies (cell ranking, oracle breakdown) have their own checks here too. Every count is capped
at MAX_COUNT, the largest whole number a browser's JavaScript holds exactly.
"""

from __future__ import annotations

import json
import math

from karpathy_rnn.errors import KRNNError

FORMAT_VERSION = 1
MAX_COUNT = 2**53 - 1             # Number.MAX_SAFE_INTEGER: counts beyond it would reach the views rounded
MAX_NAME = 1000                   # characters in a layer, gate, feature or slice name
REQUIRED = object()               # a field's default when the field must be there


class _Invalid(ValueError):
    """One field's value is not what its schema allows."""


def whole(low: int = 0, high: int = MAX_COUNT):
    """A check: a whole number (not a bool) in [low, high]."""
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _Invalid(f"{_show(value)} is not a whole number in [{low}, {high}]")
        return value
    return check


def number(low: float = -math.inf, high: float = math.inf, low_open: bool = False):
    """A check: a finite number (not a bool) in [low, high] ((low, high] with low_open), as float."""
    def check(value):
        if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                or not (low < value if low_open else low <= value) or not value <= high):
            raise _Invalid(f"{_show(value)} is not a number in {'(' if low_open else '['}{low}, {high}]")
        return float(value)
    return check


def string(non_empty: bool = False, longest: int = MAX_NAME):
    """A check: a str of at most `longest` characters (and at least one with non_empty)."""
    def check(value):
        if not isinstance(value, str) or len(value) > longest or (non_empty and not value) or not _encodable(value):
            raise _Invalid(f"{_show(value)} is not a{' non-empty' if non_empty else ''} UTF-8 string of at most "
                           f"{longest} characters")
        return value
    return check


def _encodable(text: str) -> bool:
    """Whether text has no lone surrogates (JSON's "\\udcff" decodes to one; UTF-8 cannot carry it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def increasing_pair(item):
    """A check: [a, b] with item(a), item(b) and a < b, as a list."""
    def check(value):
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise _Invalid(f"{_show(value)} is not a pair [low, high]")
        low, high = item(value[0]), item(value[1])
        if not low < high:
            raise _Invalid(f"{_show(value)} is not increasing")
        return [low, high]
    return check


def _show(value) -> str:
    """value as a short repr for a message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# The plugin content of each kind, beyond "kind" and "version": field -> (check, default).
CONTENT = {
    "text": {"length": (whole(), None), "source": (string(longest=10_000), ""), "start": (whole(), 0)},
    "activations": {"layer": (string(True), REQUIRED), "name": (string(True), REQUIRED), "unit": (string(), ""),
                    "units": (whole(1, 2**31 - 1), REQUIRED),
                    "range": (increasing_pair(number()), [-1.0, 1.0]), "transform": (string(), "none"),
                    "start": (whole(), 0), "rows": (whole(), None), "total": (whole(), None)},
    "cell_ranking": {},
    "saturation": {"layer": (string(True), REQUIRED), "gate": (string(True), REQUIRED), "unit": (string(), ""),
                   "layer_index": (whole(0, 10_000), 0), "thresholds": (increasing_pair(number(0, 1)), [0.1, 0.9])},
    "oracle": {},
}
KINDS = tuple(CONTENT)


def check_content(content) -> dict:
    """A summary's plugin content (parsed JSON) as a dict with every field of its kind (defaults filled in);
    KRNNError listing every field that is wrong."""
    if not isinstance(content, dict) or content.get("kind") not in KINDS:
        raise KRNNError(f"karpathy_rnn summary metadata of unknown kind: {str(content)[:80]}")
    if content.get("version") != FORMAT_VERSION:
        raise KRNNError(f"karpathy_rnn summary format {_show(content.get('version'))}; "
                        f"this version reads {FORMAT_VERSION}")
    kind = content["kind"]
    checked, problems = {"kind": kind, "version": FORMAT_VERSION}, []
    for field, (check, default) in CONTENT[kind].items():
        if field not in content or (content[field] is None and default is None):
            if default is REQUIRED:
                problems.append(f"{field} is missing")
            checked[field] = default
            continue
        try:
            checked[field] = check(content[field])
        except _Invalid as error:
            problems.append(f"{field} {error}")
    if kind == "activations" and not problems:
        problems += _block_problems(checked)
    if problems:
        raise KRNNError(f"malformed karpathy_rnn summary metadata ({kind}): " + "; ".join(problems))
    return checked


def _block_problems(content: dict) -> list[str]:
    """What is inconsistent in an activations block's start, rows and total."""
    start, rows, total = content["start"], content["rows"], content["total"]
    if total is not None and rows is not None and start + rows > total:
        return [f"rows {start}..{start + rows} run past total {total}"]
    if total is not None and start > total:
        return [f"start {start} is past total {total}"]
    return []


def loads(body, what: str):
    """JSON text (str or UTF-8 bytes) as Python values; KRNNError naming `what` if it is not valid, finite JSON."""
    try:
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return json.loads(body, parse_constant=_no_constant)
    except UnicodeDecodeError as error:
        raise KRNNError(f"malformed {what}: not UTF-8 ({error.reason} at byte {error.start})") from None
    except RecursionError:
        raise KRNNError(f"malformed {what}: nested too deeply") from None
    except ValueError as error:
        raise KRNNError(f"malformed {what}: not JSON ({error})") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


_RANKED_CELL = {"layer": string(True), "cell": whole(0, 2**31 - 1), "r": number(-1, 1)}


def check_cell_ranking(data) -> dict:
    """A cell ranking body {"features": {feature: [{"layer", "cell", "r"}]}, "descriptions", "statistic"}, checked;
    KRNNError naming the first field that is wrong."""
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, dict):
        raise KRNNError("malformed cell ranking: need {\"features\": {feature: [...]}}")
    checked = {}
    for feature, cells in features.items():
        if not isinstance(cells, list) or not _valid(string(True), feature):
            raise KRNNError(f"malformed cell ranking: feature {_show(feature)} needs a name of at most {MAX_NAME} "
                            "characters and [{\"layer\", \"cell\", \"r\"}]")
        checked[feature] = [_record(cell, _RANKED_CELL, f"cell ranking: feature {feature[:40]!r}, entry {index}")
                            for index, cell in enumerate(cells)]
    descriptions = data.get("descriptions", {})
    if not isinstance(descriptions, dict) or not all(
            _valid(string(), k) and _valid(string(longest=10_000), v) for k, v in descriptions.items()):
        raise KRNNError("malformed cell ranking: descriptions must be {feature: text}")
    statistic = data.get("statistic", "")
    if not _valid(string(), statistic):
        raise KRNNError(f"malformed cell ranking: statistic {_show(statistic)} is not text")
    return {"features": checked, "descriptions": dict(descriptions), "statistic": statistic}


def _valid(check, value) -> bool:
    """Whether check(value) passes."""
    try:
        check(value)
    except _Invalid:
        return False
    return True


_SLICE = {"name": string(True), "group": string(), "errors": whole()}


def check_oracle(data) -> dict:
    """An oracle breakdown body {"characters", "threshold", "split", "slices": [{"name", "group", "errors"}]}, checked,
    with "errors" (their sum) added; KRNNError naming what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("slices"), list) or "characters" not in data:
        raise KRNNError("malformed oracle breakdown: need {\"characters\": int, \"slices\": [...]}")
    try:
        characters = whole()(data["characters"])
    except _Invalid as error:
        raise KRNNError(f"malformed oracle breakdown: characters {error}") from None
    slices = []
    for index, piece in enumerate(data["slices"]):
        if not isinstance(piece, dict):
            raise KRNNError(f"malformed oracle breakdown: slice {index} is {str(piece)[:80]}; each slice needs a "
                            "non-empty name, a group and a whole, non-negative number of errors")
        slices.append(_record(piece, _SLICE, f"oracle breakdown: slice {index}",
                              "; each slice needs a non-empty name, a group and a whole, non-negative number of errors"))
    errors = sum(piece["errors"] for piece in slices)
    if errors > characters:
        raise KRNNError(f"malformed oracle breakdown: {errors} errors in only {characters} characters")
    threshold = data.get("threshold", 0.5)
    try:
        threshold = number(0, 1, low_open=True)(threshold)
    except _Invalid:
        raise KRNNError(f"malformed oracle breakdown: threshold {_show(threshold)} is not a probability in (0, 1]") \
            from None
    split = data.get("split", "")
    if not _valid(string(), split):
        raise KRNNError(f"malformed oracle breakdown: split {_show(split)} is not text")
    return {"characters": characters, "threshold": threshold, "split": split, "slices": slices, "errors": errors}


def _record(value, fields: dict, where: str, hint: str = "") -> dict:
    """The dict `value` with each of `fields` checked (other keys dropped); KRNNError naming `where`."""
    if not isinstance(value, dict):
        raise KRNNError(f"malformed {where} is {_show(value)}, not an object{hint}")
    record = {}
    for field, check in fields.items():
        try:
            record[field] = check(value.get(field))
        except _Invalid as error:
            raise KRNNError(f"malformed {where}: {field} {error}{hint}") from None
    return record
