"""The TensorBoard summaries the analyses write and the karpathy_rnn plugin reads: one format, both sides import it.

Every summary carries this plugin's name and a JSON `content` naming its kind, so TensorBoard files it
under the plugin; like any summary it has a run, a step (the model's training step) and a tag:

    kind           tag                                      tensor
    text           karpathy_rnn/text                        string []: the traced text (an excerpt of a split)
    activations    karpathy_rnn/activations/<layer>/<name>/<start>  float16 [rows, units]: characters start.. of
                                                            the text, in blocks of ~1 MiB (activation_block_rows)
    cell_ranking   karpathy_rnn/cell_ranking                string []: JSON {feature: [{"layer", "cell", "r"}]}
    saturation     karpathy_rnn/saturation/<layer>/<gate>   float32 [2, units]: fraction left-, right-saturated
    oracle         karpathy_rnn/oracle                      string []: JSON error breakdown, with examples of each
                                                            slice's errors (Figure 6, see write_oracle)
    brace          karpathy_rnn/brace                       string []: JSON mean p(`}`) per model by distance to
                                                            its `{` (Figure 5 left, see write_brace_study)
    characters     karpathy_rnn/characters                  string []: JSON text with p(model 0) - p(model 1) per
                                                            character and the characters each model leads on
                                                            (Figure 4 middle/right, see write_character_comparison)
    agreement      karpathy_rnn/agreement                   string []: JSON how often each two models agree on the
                                                            most likely character, and a t-SNE of the models
                                                            (Figure 1 right, see write_agreement)
    connectivity   karpathy_rnn/connectivity/<index>        string []: JSON one text of a connectivity study: per
                                                            character, how much each model's prediction there depends
                                                            on each character before it, and its top suggestions
                                                            (Distill 2019 "Visualizing memorization in RNNs", see
                                                            write_connectivity); content: index, source

Writers need TensorFlow and a default summary writer (`with tf.summary.create_file_writer(d).as_default()`);
the decoders need only NumPy and JSON.
"""

from __future__ import annotations

import json

import numpy as np

from karpathy_rnn import summary_schema
from karpathy_rnn.errors import KRNNError
from karpathy_rnn.summary_schema import FORMAT_VERSION, KINDS

PLUGIN_NAME = "karpathy_rnn"
TEXT_TAG = f"{PLUGIN_NAME}/text"
CELL_RANKING_TAG = f"{PLUGIN_NAME}/cell_ranking"
ORACLE_TAG = f"{PLUGIN_NAME}/oracle"
BRACE_TAG = f"{PLUGIN_NAME}/brace"
CHARACTERS_TAG = f"{PLUGIN_NAME}/characters"
AGREEMENT_TAG = f"{PLUGIN_NAME}/agreement"
CONNECTIVITY_TAG_PREFIX = f"{PLUGIN_NAME}/connectivity/"
# Section 4.4's oracles in the order the paper applies them, then what no oracle removes.
ORACLE_GROUPS = ("n-gram", "memory", "rare words", "word", "punctuation", "boost", "remaining")
# Activations go in blocks of about this many bytes, so a page of text needs only its blocks: TensorBoard's data
# provider hands a plugin whole tensors (and the Rust data server at most 256 MiB in one message).
ACTIVATION_BLOCK_BYTES = 2**20


def activations_tag(layer: str, name: str, start: int = 0) -> str:
    """The tag of the block of `layer`'s `name` ("c", "h", "f", ...) activations that starts at character `start`."""
    return f"{PLUGIN_NAME}/activations/{layer}/{name}/{start}"


def activation_block_rows(units: int) -> int:
    """Characters per activations block for `units` units: the power of two nearest below 1 MiB of float16, >= 256."""
    rows = ACTIVATION_BLOCK_BYTES // (2 * max(int(units), 1))
    return max(256, 1 << (rows.bit_length() - 1))


def connectivity_tag(index: int) -> str:
    """The tag of text `index` (0, 1, 2 ...: its number in the study) of a connectivity study."""
    return f"{CONNECTIVITY_TAG_PREFIX}{int(index)}"


def saturation_tag(layer: str, gate: str) -> str:
    """The tag of `layer`'s `gate` saturation fractions."""
    return f"{PLUGIN_NAME}/saturation/{layer}/{gate}"


def _metadata(kind: str, **content):
    import tensorflow as tf

    from tensorboard.compat.proto import summary_pb2

    content = summary_schema.check_content({"kind": kind, "version": FORMAT_VERSION, **content})   # as readers will
    payload = json.dumps(content).encode("utf-8")
    return tf.compat.v1.SummaryMetadata(
        plugin_data=tf.compat.v1.SummaryMetadata.PluginData(plugin_name=PLUGIN_NAME, content=payload),
        data_class=summary_pb2.DATA_CLASS_TENSOR)   # what TensorBoard's data provider serves to plugins


def _write(tag: str, tensor, step: int, kind: str, **content) -> None:
    import tensorflow as tf

    if not tf.summary.write(tag, tensor, step=step, metadata=_metadata(kind, **content)):
        raise KRNNError("no default summary writer: call the summary writers inside "
                        "`with tf.summary.create_file_writer(logdir).as_default():`")


def write_text(text: str, step: int, source: str = "", start: int = 0) -> None:
    """The text the activations summaries colour (characters [start, start+N) of `source`)."""
    _write(TEXT_TAG, np.array(text.encode("utf-8"), dtype=object), step, "text", length=len(text),
           source=source, start=int(start))


def write_activations(layer: str, name: str, values: np.ndarray, step: int, unit: str, value_range=(-1.0, 1.0),
                      transform: str = "none") -> None:
    """Values [N, units] of one state or gate of `layer`, one row per character of the text summary, as blocks of
    activation_block_rows(units) rows (content: start, rows, total), so a reader needs only a page's blocks."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise KRNNError(f"activations must be [characters, units], got shape {values.shape}")
    rows = activation_block_rows(values.shape[1])
    for start in range(0, max(len(values), 1), rows):           # an empty text still gets its (empty) block
        block = values[start:start + rows].astype(np.float16)
        _write(activations_tag(layer, name, start), block, step, "activations", layer=layer, name=name, unit=unit,
               units=int(values.shape[1]), range=[float(v) for v in value_range], transform=transform,
               start=start, rows=int(block.shape[0]), total=int(values.shape[0]))


def write_cell_ranking(ranking: dict[str, list[dict]], step: int, statistic: str, descriptions: dict[str, str],
                       coverage: dict | None = None, snapshots: int | None = None) -> None:
    """The top cells per probe feature: {feature: [{"layer", "cell", "r"}, ...]} strongest first, and optionally
    how much of the ranked text the text summary holds and where each feature occurs in it
    (summary_schema._coverage; analysis.publish.ranking_coverage makes one), and for an analysis over training how
    many steps it writes in all (so the plugin can tell when TensorBoard shows fewer)."""
    body = summary_schema.check_cell_ranking({"features": ranking, "descriptions": descriptions,
                                              "statistic": statistic, "coverage": coverage, "snapshots": snapshots})
    body = json.dumps(body)
    _write(CELL_RANKING_TAG, np.array(body.encode("utf-8"), dtype=object), step, "cell_ranking")


def write_saturation(layer: str, gate: str, left: np.ndarray, right: np.ndarray, step: int, unit: str,
                     layer_index: int, thresholds=(0.1, 0.9)) -> None:
    """Fractions of time each unit of `gate` in `layer` is left- and right-saturated, as [2, units]."""
    left, right = np.asarray(left, np.float32), np.asarray(right, np.float32)
    if left.shape != right.shape or left.ndim != 1:
        raise KRNNError(f"left and right saturation must both be [units], got {left.shape} and {right.shape}")
    _write(saturation_tag(layer, gate), np.stack([left, right]), step, "saturation", layer=layer, gate=gate,
           unit=unit, layer_index=int(layer_index), thresholds=[float(t) for t in thresholds])


def oracle_breakdown(slices: list[dict], characters: int, threshold: float = 0.5, split: str = "",
                     model: str = "") -> dict:
    """The oracle summary body: errors (probability of the right character < threshold, section 4.4) of `model` in
    `characters` characters, split into `slices` [{"name", "group", "errors", "examples"}] in the order the oracles
    removed them, "examples" (optional, at most 20) [{"fragments": [1 to 3 {"start": offset in the split, "text",
    "errors": offsets in text of the characters the slice fixed, "repeat": [[a, b)] spans of the repeated text}]}]
    (summary_schema.check_example); a clear error unless the counts are whole, non-negative and add up to at most
    `characters`, and the examples' offsets fall inside their text."""
    def piece(s):
        if not isinstance(s, dict):
            return s
        checked = {"name": s.get("name"), "group": s.get("group"), "errors": _plain(s.get("errors"))}
        if "examples" in s:
            checked["examples"] = _plain(s["examples"])
        return checked

    body = {"characters": _plain(characters), "threshold": _plain(threshold), "split": split, "model": model,
            "slices": [piece(s) for s in slices]}
    return decode_oracle(json.dumps(body))


def write_oracle(slices: list[dict], characters: int, step: int, threshold: float = 0.5, split: str = "",
                 model: str = "") -> None:
    """One run's error breakdown by oracle (the paper's Figure 6 pie) with examples, see oracle_breakdown."""
    body = oracle_breakdown(slices, characters, threshold, split, model)
    _write(ORACLE_TAG, np.array(json.dumps(body).encode("utf-8"), dtype=object), step, "oracle")


def _plain(value):
    """value with NumPy arrays, integers and floats (an analysis's results) as JSON's lists, ints and floats."""
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _json_tensor(body: dict) -> np.ndarray:
    return np.array(json.dumps(body).encode("utf-8"), dtype=object)


def write_brace_study(body: dict, step: int) -> None:
    """Figure 5 (left), as analysis.longrange.brace_study returns it: {"models": [1 to 4 names], "bucket_width",
    "buckets": [{"start", "end", "count", "means": [per model: mean p(`}`) in [0, 1], null if count is 0]}],
    "braces"}; a clear error (summary_schema.check_brace) before anything is written if it is malformed."""
    body = summary_schema.check_brace(_plain(body))
    _write(BRACE_TAG, _json_tensor(body), step, "brace")


def write_character_comparison(body: dict, step: int) -> None:
    """Figure 4 (middle/right) of two models: {"models": [two names], "text": an excerpt of the split, "start": its
    offset there, "difference": [p(model 0) - p(model 1) of each character of text, in [-1, 1]], "leaders": [[up to
    10 {"character", "label", "means": [two], "count"} where model 0 leads most], [... model 1]]}; a clear error
    (summary_schema.check_characters) before anything is written if it is malformed."""
    body = summary_schema.check_characters(_plain(body))
    _write(CHARACTERS_TAG, _json_tensor(body), step, "characters")


def write_agreement(body: dict, step: int) -> None:
    """Figure 1 (right): {"models": [n >= 2 {"name", "unit", "layers", "params"}], "matrix": [n x n fractions of the
    test characters on which models i and j agree on the most likely character: symmetric, diagonal 1], "embedding":
    [n t-SNE points [x, y]] ([] when n < 3), "characters", "split"}; a clear error (summary_schema.check_agreement)
    before anything is written if it is malformed."""
    body = summary_schema.check_agreement(_plain(body))
    _write(AGREEMENT_TAG, _json_tensor(body), step, "agreement")


def write_connectivity(body: dict, step: int, index: int) -> None:
    """One text of a connectivity study (Distill 2019, "Visualizing memorization in RNNs"), tag connectivity_tag(index):
    {"task": "autocomplete" or "next character", "source": where the text comes from ("test observation 17"), "text":
    1 to 2000 characters, "targets": [per character the label its prediction must give, or null where not scored],
    "models": [1 to 4 {"name", "values": [per character j: |d logit of the target at j / d input x^t| for t = 0, 1,
    ...: at most j + 1 values for autocomplete (characters 0..j), at most j for the next character (0..j-1)],
    "suggestions": [per character 0 to 3 {"label", "p"}, most likely first]}]}; a clear error
    (summary_schema.check_connectivity) before anything is written if it is malformed. The metadata carries `index`
    and `source`, so the plugin lists the texts without reading them."""
    index = _plain(index)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= summary_schema.MAX_COUNT:
        raise KRNNError(f"connectivity index {index!r} is not a whole number >= 0 (the text's number in the study: 0, "
                        "1, 2 ...)")
    body = summary_schema.check_connectivity(_plain(body))
    _write(connectivity_tag(index), _json_tensor(body), step, "connectivity", index=index, source=body["source"])


def decode_brace(body) -> dict:
    """A brace study summary's JSON as {"models", "bucket_width", "buckets", "braces"}; KRNNError if malformed."""
    return summary_schema.check_brace(summary_schema.loads(body, "brace study"))


def decode_characters(body) -> dict:
    """A character comparison summary's JSON as {"models", "text", "start", "difference", "leaders"}; KRNNError if
    malformed."""
    return summary_schema.check_characters(summary_schema.loads(body, "character comparison"))


def decode_agreement(body) -> dict:
    """A model agreement summary's JSON as {"models", "matrix", "embedding", "characters", "split"}; KRNNError if
    malformed."""
    return summary_schema.check_agreement(summary_schema.loads(body, "model agreement"))


def decode_connectivity(body) -> dict:
    """One text of a connectivity study's JSON as {"task", "source", "text", "targets", "models": [{"name", "values",
    "suggestions"}]}; KRNNError if malformed."""
    return summary_schema.check_connectivity(summary_schema.loads(body, "connectivity study"))


def decode_oracle(body) -> dict:
    """An oracle summary's JSON as {"characters", "threshold", "split", "model", "slices", "errors"} (each slice with
    its "examples"); KRNNError if malformed."""
    return summary_schema.check_oracle(summary_schema.loads(body, "oracle breakdown"))


def decode_cell_ranking(body) -> dict:
    """A cell ranking summary's JSON as {"features": {feature: [{"layer", "cell", "r"}]}, "descriptions",
    "statistic"}; KRNNError if malformed."""
    return summary_schema.check_cell_ranking(summary_schema.loads(body, "cell ranking"))


def parse_content(content: bytes) -> dict:
    """A summary's plugin content as a dict holding every field of its kind (summary_schema.CONTENT, defaults filled
    in); a clear error naming each field that is not this plugin's format."""
    return summary_schema.check_content(summary_schema.loads(bytes(content), "karpathy_rnn summary metadata"))


def decode_string(tensor) -> str:
    """A scalar string summary tensor (text, cell ranking) as str."""
    value = np.asarray(tensor).reshape(()).item()
    if not isinstance(value, bytes):
        return str(value)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as error:
        raise KRNNError(f"a string summary that is not UTF-8 ({error.reason} at byte {error.start})") from None
