"""What each kind of karpathy_rnn summary must hold: one schema per kind, checked by the writers before they write
and by the plugin when it decodes, so a reader never meets a field of the wrong type or range.

A schema maps each field of a summary's plugin content (its JSON metadata) to a check and a default; a check takes
the value and returns it (normalised: ints stay ints, numbers become floats) or raises _Invalid saying what is
wrong. The JSON bodies (cell ranking, oracle breakdown, brace study, character comparison, model agreement,
connectivity) have their own checks here too. Every count is capped at MAX_COUNT, the largest whole number a browser's JavaScript holds exactly.
"""

from __future__ import annotations

import json
import math

from karpathy_rnn.errors import KRNNError

FORMAT_VERSION = 1
MAX_COUNT = 2**53 - 1             # Number.MAX_SAFE_INTEGER: counts beyond it would reach the views rounded
MAX_NAME = 1000                   # characters in a layer, gate, feature or slice name
MAX_TEXT = 1_000_000              # characters of the text a character comparison colours
MAX_MODELS = 4                    # models one brace study compares
MAX_LEADERS = 10                  # characters listed where each model leads
MAX_BUCKETS = 100_000             # distance buckets of a brace study
MAX_EXAMPLES = 20                 # examples an oracle slice carries
MAX_FRAGMENTS = 3                 # pieces of the split's text one oracle example shows
MAX_FRAGMENT = 400                # characters of one such piece
MAX_AGREEMENT_MODELS = 500        # models one agreement matrix compares
MAX_CONNECTIVITY_TEXT = 2000      # characters of one connectivity text (its rows hold up to n(n+1)/2 values)
MAX_CONNECTIVITY_MODELS = 4       # models one connectivity text compares, one column each
MAX_SUGGESTIONS = 3               # a model's top suggestions per character of a connectivity text
CONNECTIVITY_TASKS = ("autocomplete", "next character")
SYMMETRY = 1e-6                   # how far an agreement matrix may be from symmetric (and its diagonal from 1)
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


def items(item, shortest: int = 0, longest: int = MAX_COUNT):
    """A check: a list of `shortest` to `longest` values, each passing item, as a list."""
    def check(value):
        if not isinstance(value, list) or not shortest <= len(value) <= longest:
            size = f"{shortest}" if shortest == longest else f"{shortest} to {longest}"
            raise _Invalid(f"{_show(value)} is not a list of {size} values")
        checked = []
        for index, entry in enumerate(value):
            try:
                checked.append(item(entry))
            except _Invalid as error:
                raise _Invalid(f"entry {index}: {error}") from None
        return checked
    return check


def optional(item):
    """A check: null (None) or a value passing item."""
    def check(value):
        return None if value is None else item(value)
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
    "brace": {},
    "characters": {},
    "agreement": {},
    "connectivity": {"index": (whole(), REQUIRED), "source": (string(), "")},
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
    body = {"features": checked, "descriptions": dict(descriptions), "statistic": statistic}
    if data.get("snapshots") is not None:                       # an analysis over training: how many steps it wrote
        try:
            body["snapshots"] = whole(1)(data["snapshots"])
        except _Invalid as error:
            raise KRNNError(f"malformed cell ranking: snapshots {error}") from None
    if data.get("coverage") is not None:                        # absent in rankings written before it
        body["coverage"] = _coverage(data["coverage"], checked)
    return body


_COVERAGE = {"ranked": whole(), "stored": whole(), "split": string()}
_FEATURE_COVERAGE = {"ranked": whole(), "stored": whole()}


def _coverage(value, features: dict) -> dict:
    """A ranking's coverage {"ranked": characters ranked, "stored": characters of them the text summary holds,
    "split", "features": {feature: {"ranked", "stored": characters where it is non-zero, "first": the first such
    stored character or null}}}, checked; KRNNError naming the field."""
    coverage = _record(value, _COVERAGE, "cell ranking coverage")
    if coverage["stored"] > coverage["ranked"]:
        raise KRNNError(f"malformed cell ranking coverage: stored {coverage['stored']} is more than the "
                        f"{coverage['ranked']} characters ranked")
    given = value.get("features")
    if not isinstance(given, dict) or set(given) - set(features):
        raise KRNNError("malformed cell ranking coverage: features must be {feature: {...}} of ranked features")
    coverage["features"] = {}
    for feature, counts in given.items():
        where = f"cell ranking coverage of {feature[:40]!r}"
        record = _record(counts, _FEATURE_COVERAGE, where)
        first = counts.get("first")
        if record["ranked"] > coverage["ranked"] or record["stored"] > min(record["ranked"], coverage["stored"]):
            raise KRNNError(f"malformed {where}: {record['stored']} stored of {record['ranked']} ranked characters "
                            f"do not fit {coverage['stored']} of {coverage['ranked']}")
        if (first is None) != (record["stored"] == 0) or (first is not None and not _valid(
                whole(0, max(coverage["stored"] - 1, 0)), first)):
            raise KRNNError(f"malformed {where}: first {_show(first)} must be a stored character (null when none)")
        coverage["features"][feature] = {**record, "first": first}
    return coverage


def _valid(check, value) -> bool:
    """Whether check(value) passes."""
    try:
        check(value)
    except _Invalid:
        return False
    return True


_SLICE = {"name": string(True), "group": string(), "errors": whole()}
_SLICE_HINT = "; each slice needs a non-empty name, a group and a whole, non-negative number of errors"


def check_oracle(data) -> dict:
    """An oracle breakdown body {"characters", "threshold", "split", "model", "slices": [{"name", "group", "errors",
    "examples"}]}, checked (check_example), with "errors" (their sum) added and "model" "" and "examples" [] where a
    body written before them has none; KRNNError naming what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("slices"), list) or "characters" not in data:
        raise KRNNError("malformed oracle breakdown: need {\"characters\": int, \"slices\": [...]}")
    try:
        characters = whole()(data["characters"])
    except _Invalid as error:
        raise KRNNError(f"malformed oracle breakdown: characters {error}") from None
    slices = []
    for index, piece in enumerate(data["slices"]):
        if not isinstance(piece, dict):
            raise KRNNError(f"malformed oracle breakdown: slice {index} is {str(piece)[:80]}{_SLICE_HINT}")
        where = f"oracle breakdown: slice {index}"
        checked = _record(piece, _SLICE, where, _SLICE_HINT)
        checked["examples"] = _examples(piece.get("examples", []), where)
        slices.append(checked)
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
    model = data.get("model", "")
    if not _valid(string(), model):
        raise KRNNError(f"malformed oracle breakdown: model {_show(model)} is not a name of at most {MAX_NAME} "
                        "characters")
    return {"characters": characters, "threshold": threshold, "split": split, "model": model, "slices": slices,
            "errors": errors}


def _examples(examples, where: str) -> list[dict]:
    """A slice's examples: at most MAX_EXAMPLES, each check_example; KRNNError naming `where` otherwise."""
    if not isinstance(examples, list):
        raise KRNNError(f"malformed {where}: examples {_show(examples)} is not a list of examples")
    if len(examples) > MAX_EXAMPLES:
        raise KRNNError(f"malformed {where}: {len(examples)} examples, at most {MAX_EXAMPLES}")
    return [check_example(example, f"{where}, example {index}") for index, example in enumerate(examples)]


def check_example(example, where: str = "oracle example") -> dict:
    """One oracle example {"fragments": [1-3 {"start", "text", "errors", "repeat"}]}: pieces of the split in text
    order, not overlapping, each with the offsets in its text of the characters its category fixed ("errors") and
    the half-open spans of a repeated substring ("repeat", default []), offsets counting code points; KRNNError
    naming `where` and what is wrong."""
    fragments = example.get("fragments") if isinstance(example, dict) else None
    if not isinstance(fragments, list) or not 1 <= len(fragments) <= MAX_FRAGMENTS:
        shown = f"{len(fragments)} fragments" if isinstance(fragments, list) else _show(example)
        raise KRNNError(f"malformed {where}: {shown}; an example is {{\"fragments\": [1 to {MAX_FRAGMENTS} pieces of "
                        "the split's text]}")
    checked, previous_end = [], 0
    for index, fragment in enumerate(fragments):
        at = f"{where}, fragment {index}"
        piece = _record(fragment, {"start": whole(), "text": string(True, MAX_FRAGMENT)}, at,
                        f" (each fragment is {{\"start\", \"text\" of 1 to {MAX_FRAGMENT} characters, \"errors\", "
                        "\"repeat\"})")
        length = len(piece["text"])
        piece["errors"] = _field(fragment, "errors", items(whole(0, length - 1), 0, length), at,
                                 f" (offsets within its {length} characters)")
        piece["repeat"] = _field({"repeat": fragment.get("repeat", [])}, "repeat",
                                 items(increasing_pair(whole(0, length)), 0, length), at,
                                 f" (half-open spans [a, b) within its {length} characters)")
        for (_, end), (start, _) in zip(piece["repeat"], piece["repeat"][1:]):
            if start < end:
                raise KRNNError(f"malformed {at}: repeat spans {_show(piece['repeat'])} overlap or are out of order")
        if index and piece["start"] < previous_end:
            raise KRNNError(f"malformed {at}: starts at {piece['start']}, before the fragment before it ends "
                            f"({previous_end}); fragments go in text order without overlapping (merge overlapping "
                            "ones)")
        previous_end = piece["start"] + length
        checked.append(piece)
    return {"fragments": checked}


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


_PROBABILITY = number(0, 1)
_MODELS = string(True)


def _models(data, what: str, shortest: int, longest: int) -> list[str]:
    """data["models"]: `shortest` to `longest` distinct non-empty names; KRNNError naming `what` otherwise."""
    try:
        models = items(_MODELS, shortest, longest)(data.get("models"))
    except _Invalid as error:
        raise KRNNError(f"malformed {what}: models {error} (each a non-empty name of at most {MAX_NAME} "
                        "characters)") from None
    if len(set(models)) != len(models):
        raise KRNNError(f"malformed {what}: models {_show(models)} name a model twice")
    return models


def _field(data: dict, field: str, check, what: str, hint: str = ""):
    """check(data[field]); KRNNError naming `what` and the field when it fails (a missing field is None)."""
    try:
        return check(data.get(field))
    except _Invalid as error:
        raise KRNNError(f"malformed {what}: {field} {error}{hint}") from None


def check_brace(data) -> dict:
    """A brace study body (Figure 5, left) {"models": [1-4 names], "bucket_width", "buckets": [{"start", "end",
    "count", "means": [one per model, null or in [0, 1]]}], "braces"} (optionally "farther": braces beyond the
    last bucket, "longest": the distance shown), checked: buckets in increasing order, each
    `bucket_width` wide, means null where a bucket is empty, counts adding up to "braces"; KRNNError naming what
    is wrong."""
    what = "brace study"
    if not isinstance(data, dict) or not isinstance(data.get("buckets"), list):
        raise KRNNError(f"malformed {what}: need {{\"models\": [...], \"bucket_width\": int, \"buckets\": [...], "
                        "\"braces\": int}")
    models = _models(data, what, 1, MAX_MODELS)
    width = _field(data, "bucket_width", whole(1, 10**9), what)
    if len(data["buckets"]) > MAX_BUCKETS:
        raise KRNNError(f"malformed {what}: {len(data['buckets']):,} buckets, at most {MAX_BUCKETS:,}")
    bucket_fields = {"start": whole(1), "end": whole(1), "count": whole(),
                     "means": items(optional(_PROBABILITY), len(models), len(models))}
    buckets, previous_end = [], 0
    for index, bucket in enumerate(data["buckets"]):
        where = f"{what}: bucket {index}"
        bucket = _record(bucket, bucket_fields, where, f" (one mean per model: {len(models)})")
        if bucket["end"] != bucket["start"] + width - 1:
            raise KRNNError(f"malformed {where}: {bucket['start']}..{bucket['end']} is not {width} characters wide")
        if bucket["start"] <= previous_end:
            raise KRNNError(f"malformed {where}: starts at {bucket['start']}, inside or before the bucket before it")
        if bucket["count"] == 0 and any(mean is not None for mean in bucket["means"]):
            raise KRNNError(f"malformed {where}: no braces but means {_show(bucket['means'])} (null where empty)")
        previous_end = bucket["end"]
        buckets.append(bucket)
    braces = _field(data, "braces", whole(), what)
    if braces != sum(bucket["count"] for bucket in buckets):
        raise KRNNError(f"malformed {what}: braces {braces} but the buckets count "
                        f"{sum(bucket['count'] for bucket in buckets)}")
    checked = {"models": models, "bucket_width": width, "buckets": buckets, "braces": braces}
    for extra in ("farther", "longest"):          # optional: braces beyond the last bucket, and its end
        if extra in data:
            checked[extra] = _field(data, extra, whole(), what)
    return checked


def _character(value):
    """A check: a str of exactly one character (one code point)."""
    if not isinstance(value, str) or len(value) != 1 or not _encodable(value):
        raise _Invalid(f"{_show(value)} is not one character")
    return value


_LEADER = {"character": _character, "label": string(True), "means": items(_PROBABILITY, 2, 2), "count": whole(1)}


def _differences(values, length: int) -> list[float]:
    """values: `length` numbers in [-1, 1] (one per character of the text), as floats; _Invalid otherwise."""
    if not isinstance(values, list) or len(values) != length:
        shown = f"{len(values)} values" if isinstance(values, list) else _show(values)
        raise _Invalid(f"has {shown}, not one per character of the text ({length})")
    if all(type(v) is float and -1.0 <= v <= 1.0 for v in values):      # the common case, fast
        return list(values)
    return items(number(-1, 1))(values)


def check_characters(data) -> dict:
    """A character comparison body (Figure 4, middle/right) {"models": [two names], "text", "start", "difference":
    [p(model 0) - p(model 1) per character of text, in [-1, 1]], "leaders": [[up to 10 {"character", "label",
    "means": [two, in [0, 1]], "count"}] where model 0 leads, [...] where model 1 leads]}, checked; KRNNError naming
    what is wrong."""
    what = "character comparison"
    if not isinstance(data, dict) or not isinstance(data.get("text"), str) or "difference" not in data:
        raise KRNNError(f"malformed {what}: need {{\"models\": [two], \"text\": str, \"start\": int, "
                        "\"difference\": [...], \"leaders\": [[...], [...]]}")
    models = _models(data, what, 2, 2)
    text = _field(data, "text", string(longest=MAX_TEXT), what)
    start = _field(data, "start", whole(), what)
    difference = _field(data, "difference", lambda values: _differences(values, len(text)), what)
    sides = data.get("leaders")
    if not isinstance(sides, list) or len(sides) != 2 or not all(isinstance(side, list) for side in sides):
        raise KRNNError(f"malformed {what}: leaders {_show(sides)} is not two lists (where each model leads)")
    leaders = []
    for side, rows in enumerate(sides):
        if len(rows) > MAX_LEADERS:
            raise KRNNError(f"malformed {what}: leaders {side} has {len(rows)} characters, at most {MAX_LEADERS}")
        checked = []
        for index, row in enumerate(rows):
            where = f"{what}: leaders {side}, entry {index}"
            row = _record(row, _LEADER, where)
            if not row["means"][side] > row["means"][1 - side]:
                raise KRNNError(f"malformed {where}: means {_show(row['means'])}, but {models[side]!r} should lead")
            if any(row["character"] == other["character"] for other in checked):
                raise KRNNError(f"malformed {where}: {row['character']!r} is listed twice")
            checked.append(row)
        leaders.append(checked)
    return {"models": models, "text": text, "start": start, "difference": difference, "leaders": leaders}


_AGREEMENT_MODEL = {"name": string(True), "unit": string(), "layers": whole(1, 10_000), "params": whole()}


def check_agreement(data) -> dict:
    """A model agreement body (Figure 1, right) {"models": [n >= 2 {"name", "unit", "layers", "params"}], "matrix":
    [n rows of n fractions in [0, 1]: how often models i and j agree on the most likely character; symmetric,
    diagonal 1], "embedding": [n t-SNE points [x, y]] ([] only when n < 3), "characters", "split"}, checked;
    KRNNError naming what is wrong."""
    what = "model agreement"
    if not isinstance(data, dict) or not isinstance(data.get("models"), list) or "matrix" not in data:
        raise KRNNError(f"malformed {what}: need {{\"models\": [...], \"matrix\": [[...]], \"embedding\": [[x, y]], "
                        "\"characters\": int, \"split\": str}")
    if not 2 <= len(data["models"]) <= MAX_AGREEMENT_MODELS:
        count = len(data["models"])
        raise KRNNError(f"malformed {what}: {count} model{'s' * (count != 1)}; agreement compares 2 to "
                        f"{MAX_AGREEMENT_MODELS}")
    models = [_record(model, _AGREEMENT_MODEL, f"{what}: model {index}",
                      " (each model is {\"name\", \"unit\", \"layers\" >= 1, \"params\" >= 0})")
              for index, model in enumerate(data["models"])]
    names = [model["name"] for model in models]
    if len(set(names)) != len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise KRNNError(f"malformed {what}: models name {twice[:80]!r} twice")
    n = len(models)
    matrix = _field(data, "matrix", items(items(_PROBABILITY, n, n), n, n), what,
                    f" ({n} rows of {n} fractions in [0, 1], one per model)")
    for i in range(n):
        if abs(matrix[i][i] - 1) > SYMMETRY:
            raise KRNNError(f"malformed {what}: matrix[{i}][{i}] is {matrix[i][i]}; a model always agrees with "
                            "itself (1)")
        for j in range(i):
            if abs(matrix[i][j] - matrix[j][i]) > SYMMETRY:
                raise KRNNError(f"malformed {what}: matrix[{i}][{j}] is {matrix[i][j]} but matrix[{j}][{i}] is "
                                f"{matrix[j][i]}; agreement is symmetric")
    embedding = _field(data, "embedding", items(items(number(), 2, 2)), what, " (one finite [x, y] per model)")
    if len(embedding) != n and (embedding or n >= 3):
        raise KRNNError(f"malformed {what}: embedding has {len(embedding)} points for {n} models; one [x, y] per "
                        "model ([] only with fewer than 3 models)")
    characters = _field(data, "characters", whole(), what)
    split = _field({"split": data.get("split", "")}, "split", string(), what)
    return {"models": models, "matrix": matrix, "embedding": embedding, "characters": characters, "split": split}


_LARGEST = 1.7976931348623157e308         # the largest finite float: `0 <= v <= _LARGEST` is False for NaN and inf
_SUGGESTION = {"label": string(True), "p": _PROBABILITY}


def _connectivity_row(row, longest: int, task: str) -> list[float]:
    """One row of connectivity values: at most `longest` finite numbers >= 0, as floats; _Invalid otherwise."""
    if not isinstance(row, list):
        raise _Invalid(f"{_show(row)} is not a list of numbers")
    if len(row) > longest:
        rule = ("an autocomplete row j holds at most j + 1 values (characters 0..j)" if task == "autocomplete" else
                "a next-character row j holds at most j values (characters 0..j-1; row 0 is empty)")
        raise _Invalid(f"has {len(row)} values; {rule}")
    if all(type(v) is float and 0.0 <= v <= _LARGEST for v in row):       # the common case, fast
        return list(row)
    return items(number(0))(row)


def _suggestions(row) -> list[dict]:
    """0 to MAX_SUGGESTIONS {"label", "p"} most likely first, labels distinct; _Invalid otherwise."""
    if not isinstance(row, list):
        raise _Invalid(f"{_show(row)} is not a list of 0 to {MAX_SUGGESTIONS} suggestions")
    if len(row) > MAX_SUGGESTIONS:
        raise _Invalid(f"has {len(row)} suggestions, at most {MAX_SUGGESTIONS}")
    checked = []
    for index, suggestion in enumerate(row):
        if not isinstance(suggestion, dict):
            raise _Invalid(f"entry {index}: {_show(suggestion)} is not {{\"label\", \"p\"}}")
        record = {}
        for field, check in _SUGGESTION.items():
            try:
                record[field] = check(suggestion.get(field))
            except _Invalid as error:
                raise _Invalid(f"entry {index}: {field} {error}") from None
        if checked and record["p"] > checked[-1]["p"]:
            raise _Invalid(f"entry {index}: p {record['p']} is above the entry before it ({checked[-1]['p']}); "
                           "suggestions go most likely first")
        if any(record["label"] == other["label"] for other in checked):
            raise _Invalid(f"entry {index}: {record['label'][:80]!r} is listed twice")
        checked.append(record)
    return checked


def check_connectivity(data) -> dict:
    """A connectivity body (Distill 2019, "Visualizing memorization in RNNs") for one text: {"task": "autocomplete" or
    "next character", "source", "text" (1 to 2000 characters), "targets": [per character: the label its prediction
    must give, or null where not scored], "models": [1 to 4 {"name", "values": [per character j: the connectivity of
    the prediction shown at j to characters 0..len-1, finite and >= 0; at most j + 1 values for autocomplete, j for
    the next character], "suggestions": [per character: 0 to 3 {"label", "p" in [0, 1]}, most likely first]}]},
    checked; KRNNError naming what is wrong."""
    what = "connectivity study"
    if not isinstance(data, dict) or not isinstance(data.get("text"), str) or not isinstance(data.get("models"), list):
        raise KRNNError(f"malformed {what}: need {{\"task\", \"source\", \"text\": str, \"targets\": [...], "
                        "\"models\": [{\"name\", \"values\", \"suggestions\"}]}")
    task = data.get("task")
    if task not in CONNECTIVITY_TASKS:
        raise KRNNError(f"malformed {what}: task {_show(task)} is not one of "
                        + ", ".join(repr(t) for t in CONNECTIVITY_TASKS))
    source = _field(data, "source", string(), what)
    text = _field(data, "text", string(True, MAX_CONNECTIVITY_TEXT), what)
    n = len(text)

    def per_character(item, noun: str):
        def check(values):
            if not isinstance(values, list) or len(values) != n:
                shown = f"has {len(values)} {noun}" if isinstance(values, list) else f"{_show(values)} is not a list"
                raise _Invalid(f"{shown}, not one per character of the text ({n})")
            return items(item)(values)
        return check

    targets = _field(data, "targets", per_character(optional(string(True)), "entries"), what,
                     " (each the label a prediction must give, or null where it is not scored)")
    if not 1 <= len(data["models"]) <= MAX_CONNECTIVITY_MODELS:
        count = len(data["models"])
        raise KRNNError(f"malformed {what}: {count} model{'s' * (count != 1)}; a connectivity study shows 1 to "
                        f"{MAX_CONNECTIVITY_MODELS}")
    extra = 1 if task == "autocomplete" else 0
    models = []
    for index, model in enumerate(data["models"]):
        where = f"{what}: model {index}"
        if not isinstance(model, dict):
            raise KRNNError(f"malformed {where} is {_show(model)}, not {{\"name\", \"values\", \"suggestions\"}}")
        name = _field(model, "name", string(True), where)
        where = f"{where} ({name[:80]!r})"
        values = model.get("values")
        if not isinstance(values, list) or len(values) != n:
            shown = f"has {len(values)} rows" if isinstance(values, list) else f"{_show(values)} is not a list"
            raise KRNNError(f"malformed {where}: values {shown}, not one per character of the text ({n})")
        rows = []
        for j, row in enumerate(values):
            try:
                rows.append(_connectivity_row(row, j + extra, task))
            except _Invalid as error:
                separator = ", " if str(error).startswith("entry") else " "
                raise KRNNError(f"malformed {where}: values row {j}{separator}{error}") from None
        suggestions = _field(model, "suggestions", per_character(_suggestions, "rows"), where,
                             f" (per character 0 to {MAX_SUGGESTIONS} {{\"label\", \"p\"}}, most likely first)")
        models.append({"name": name, "values": rows, "suggestions": suggestions})
    names = [model["name"] for model in models]
    if len(set(names)) != len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise KRNNError(f"malformed {what}: models name {twice[:80]!r} twice")
    return {"task": task, "source": source, "text": text, "targets": targets, "models": models}
