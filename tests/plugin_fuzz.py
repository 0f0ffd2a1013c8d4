"""Hostile summaries for the plugin's fuzz tests: the crafted ones an adversarial tester found (issue 15) and
seeded random corruptions of every kind's metadata, JSON body and tensor, each in a run of its own beside valid
summaries of every other kind."""

from __future__ import annotations

import json
import os

import numpy as np

from karpathy_rnn import summary

TEXT = "abcdef"
UNITS = 2
JSON_KINDS = ("cell_ranking", "oracle", "connectivity")       # kinds whose tensor is a JSON body


def valid_summaries() -> dict[str, tuple[str, dict, object]]:
    """{kind: (tag, plugin content, tensor)} of one valid summary of each kind (tensors before encoding)."""
    def content(kind, **fields):
        return {"kind": kind, "version": summary.FORMAT_VERSION, **fields}

    ranking = {"features": {"quote": [{"layer": "l1", "cell": 1, "r": 0.5}]}, "descriptions": {"quote": "in quotes"},
               "statistic": "Pearson r"}
    oracle = {"characters": 6, "threshold": 0.5, "split": "test", "model": "lstm",
              "slices": [{"name": "1-gram", "group": "n-gram", "errors": 2, "examples": [
                  {"fragments": [{"start": 0, "text": "abc", "errors": [1], "repeat": [[0, 2]]}]}]}]}
    connectivity = {"task": "next character", "source": "test", "text": "abc", "targets": [None, "b", "c"],
                    "models": [{"name": "lstm", "values": [[], [1.0], [0.5, 1.0]],
                                "suggestions": [[], [{"label": "b", "p": 0.5}],
                                                [{"label": "c", "p": 0.75}, {"label": "d", "p": 0.25}]]}]}
    return {
        "text": (summary.TEXT_TAG, content("text", length=6, source="test", start=0), TEXT),
        "activations": (summary.activations_tag("l1", "c"),
                        content("activations", layer="l1", name="c", unit="lstm", units=UNITS, range=[-1, 1],
                                transform="none", start=0, rows=6, total=6), np.zeros((6, UNITS), np.float16)),
        "saturation": (summary.saturation_tag("l1", "f"),
                       content("saturation", layer="l1", gate="f", unit="lstm", layer_index=1, thresholds=[0.1, 0.9]),
                       np.array([[0.1, 0.2], [0.3, 0.4]], np.float32)),
        "cell_ranking": (summary.CELL_RANKING_TAG, content("cell_ranking"), ranking),
        "oracle": (summary.ORACLE_TAG, content("oracle"), oracle),
        "connectivity": (summary.connectivity_tag(0), content("connectivity", index=0, source="test"), connectivity),
    }


DEEP = "[" * 100_000 + "]" * 100_000                   # nested 100,000 deep: Python's json recurses
# (kind, what is changed, change): the findings of issue 15, each in a run of its own.
CRAFTED = [
    ("activations", "content", {"units": "abc"}),
    ("activations", "content", {"rows": "8"}),
    ("activations", "content", {"range": [1, "x"]}),
    ("activations", "content", {"start": 5, "rows": 6}),
    ("text", "tensor", b"\xff\xfe not UTF-8"),
    ("cell_ranking", "bytes", b'{"features": {"\xff": [{"layer": "l1", "cell": 1, "r": 0.5}]}}'),
    ("cell_ranking", "bytes", ('{"features": {"q": ' + DEEP + "}}").encode()),
    ("cell_ranking", "body", {"features": {"\udcff": [{"layer": "l1", "cell": 1, "r": 0.5}]}}),
    ("cell_ranking", "body", {"features": {"q": [{"layer": "l1", "cell": 1, "r": "NaN"}]}}),
    ("cell_ranking", "body", {"features": {"q": [{"layer": "l1", "cell": 1, "r": True}]}}),
    ("cell_ranking", "bytes", b'{"features": {"q": [{"layer": "l1", "cell": 1, "r": NaN}]}}'),
    ("saturation", "content", {"layer_index": "x"}),
    ("saturation", "content", {"thresholds": "0.1"}),
    ("oracle", "body", {"characters": 10**30, "slices": []}),
    ("oracle", "body", {"characters": 6, "slices": [{"name": "constructor", "group": "__proto__", "errors": 1}],
                        "split": ["x"]}),
    ("text", "content", {"source": {"a": 1}}),
    ("activations", "tensor", np.zeros((6, 3), np.float16)),
    ("saturation", "tensor", np.array([[0.5, np.nan], [0.1, 0.2]], np.float32)),
    ("activations", "content_bytes", (b'{"kind": "activations", "version": 1, "layer": ' + DEEP.encode() + b"}")),
    ("oracle", "body", {"characters": 6, "slices": [{"name": "1-gram", "group": "n-gram", "errors": 2, "examples": [
        {"fragments": [{"start": 0, "text": "ab", "errors": [2]}]}]}]}),
    ("oracle", "body", {"characters": 6, "slices": [{"name": "1-gram", "group": "n-gram", "errors": 2, "examples": [
        {"fragments": [{"start": 0, "text": "ab", "errors": [], "repeat": [[0, 3]]}]}]}]}),
    ("oracle", "body", {"characters": 6, "slices": [{"name": "constructor", "group": "n-gram", "errors": 2,
                                                     "examples": {"__proto__": []}}]}),
]
# What a random corruption puts in place of a value.
HOSTILE_VALUES = ["abc", "8", "", -1, 0, 10**30, 2**63, 1.5, float("nan"), float("inf"), True, None, [], {}, [1, 2, 3],
                  {"a": 1}, "\udcff", "x" * 5000, "<script>alert(1)</script>", "constructor", "__proto__"]


def _mutate_json(value, rng: np.random.Generator):
    """value (dicts and lists of JSON values) with one leaf replaced, deleted or a hostile key added."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = list(value)[rng.integers(len(value))]
        roll = rng.random()
        copy = dict(value)
        if roll < 0.15:
            del copy[key]
        elif roll < 0.25:
            copy[str(HOSTILE_VALUES[rng.integers(len(HOSTILE_VALUES))])] = copy.pop(key)
        else:
            copy[key] = _mutate_json(value[key], rng)
        return copy
    if isinstance(value, list) and value and rng.random() < 0.8:
        index = int(rng.integers(len(value)))
        return value[:index] + [_mutate_json(value[index], rng)] + value[index + 1:]
    return HOSTILE_VALUES[rng.integers(len(HOSTILE_VALUES))]


def _mutate_bytes(body: bytes, rng: np.random.Generator) -> bytes:
    """body truncated, with a byte flipped, or with an invalid UTF-8 byte inserted."""
    if not body:
        return b"\xff"
    where = int(rng.integers(len(body)))
    roll = rng.random()
    if roll < 0.33:
        return body[:where]
    if roll < 0.66:
        return body[:where] + bytes([body[where] ^ (1 << int(rng.integers(8)))]) + body[where + 1:]
    return body[:where] + b"\xc3\x28" + body[where:]


def _mutate_tensor(kind: str, tensor, rng: np.random.Generator):
    """A tensor of the wrong dtype, shape or values for `kind`."""
    choices = [np.zeros((6,), np.float32), np.zeros((6, UNITS, 1), np.float32), np.zeros((0, UNITS), np.float16),
               np.full((6, UNITS), np.nan, np.float16), np.full((2, UNITS), 7.0, np.float32),
               np.array(b"\xff\xfe", dtype=object), np.zeros((6, UNITS), np.int32), np.array(3.0, np.float32),
               np.array([b"a", b"b"], dtype=object), np.zeros((1, 1), np.float64)]
    return choices[rng.integers(len(choices))]


def random_corruptions(count: int, seed: int) -> list[tuple[str, str, object]]:
    """`count` seeded (kind, part, change) corruptions of the valid summaries (part: content, body, bytes, tensor)."""
    rng = np.random.default_rng(seed)
    valid = valid_summaries()
    kinds = sorted(valid)
    out = []
    for _ in range(count):
        kind = kinds[rng.integers(len(kinds))]
        tag, content, tensor = valid[kind]
        part = ["content", "bytes", "tensor"][rng.integers(3)]
        if part == "content":
            out.append((kind, "whole_content", _mutate_json(content, rng)))
        elif part == "bytes":
            body = json.dumps(tensor if kind in JSON_KINDS else content).encode()
            out.append((kind, "bytes" if kind in JSON_KINDS else "content_bytes", _mutate_bytes(body, rng)))
        elif kind in JSON_KINDS:
            out.append((kind, "body", _mutate_json(tensor, rng)))
        else:
            out.append((kind, "tensor", _mutate_tensor(kind, tensor, rng)))
    return out


def _write(tag: str, content: bytes, tensor, step: int) -> None:
    import tensorflow as tf

    from tensorboard.compat.proto import summary_pb2

    metadata = tf.compat.v1.SummaryMetadata(
        plugin_data=tf.compat.v1.SummaryMetadata.PluginData(plugin_name=summary.PLUGIN_NAME, content=content),
        data_class=summary_pb2.DATA_CLASS_TENSOR)
    tf.summary.write(tag, tensor, step=step, metadata=metadata)


def _encode(kind: str, value) -> object:
    """A summary tensor: JSON bodies (whatever a corruption made of them, bytes aside) and text as a scalar string,
    arrays as they are."""
    if kind in JSON_KINDS and not isinstance(value, (bytes, np.ndarray)):
        return np.array(json.dumps(value).encode("utf-8", "surrogatepass"), dtype=object)
    if isinstance(value, str):
        return np.array(value.encode("utf-8"), dtype=object)
    if isinstance(value, bytes):
        return np.array(value, dtype=object)
    return value


def write_run(path: str, change: tuple[str, str, object] | None, step: int = 1) -> None:
    """One run of every valid summary, with `change` (kind, part, value) applied to its kind's summary."""
    import tensorflow as tf

    with tf.summary.create_file_writer(path).as_default():
        for kind, (tag, content, tensor) in valid_summaries().items():
            content_bytes = json.dumps(content).encode()
            if change is not None and change[0] == kind:
                _, part, value = change
                if part == "content":
                    content_bytes = json.dumps({**content, **value}).encode("utf-8", "surrogatepass")
                elif part == "whole_content":
                    content_bytes = json.dumps(value).encode("utf-8", "surrogatepass")
                elif part == "content_bytes":
                    content_bytes = value
                elif part == "bytes":
                    tensor = value
                else:                                          # body or tensor
                    tensor = value
            _write(tag, content_bytes, _encode(kind, tensor), step)


def write_fuzz_logdir(root: str, random_count: int = 60, seed: int = 15) -> list[str]:
    """Runs under root: good (valid), crafted-N (CRAFTED) and random-N (random_corruptions); their names."""
    names = ["good"]
    write_run(os.path.join(root, "good"), None)
    for index, change in enumerate(CRAFTED):
        names.append(f"crafted-{index:02d}")
        write_run(os.path.join(root, names[-1]), change)
    for index, change in enumerate(random_corruptions(random_count, seed)):
        names.append(f"random-{index:02d}")
        write_run(os.path.join(root, names[-1]), change)
    return names


def requests_for(run: str) -> list[tuple[str, dict]]:
    """Every route a view asks of `run`, with the parameters it would send."""
    return [("colored_text", {"run": run, "layer": "l1", "name": "c", "cell": "0"}),
            ("colored_text", {"run": run, "layer": "l1", "name": "c", "cell": "1", "offset": "3", "limit": "2"}),
            ("cell_ranking", {"run": run}), ("saturation", {"run": run}), ("saturation", {"run": run, "step": "1"}),
            ("oracle", {"run": run}), ("connectivity", {"run": run, "index": "0"}),
            ("connectivity", {"run": run, "index": "0", "step": "1"})]
