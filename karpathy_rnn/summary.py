"""The TensorBoard summaries the analyses write and the karpathy_rnn plugin reads: one format, both sides import it.

Every summary carries this plugin's name and a JSON `content` naming its kind, so TensorBoard files it
under the plugin; like any summary it has a run, a step (the model's training step) and a tag:

    kind           tag                                      tensor
    text           karpathy_rnn/text                        string []: the traced text (an excerpt of a split)
    activations    karpathy_rnn/activations/<layer>/<name>  float16 [N, units]: per character, for the text
    cell_ranking   karpathy_rnn/cell_ranking                string []: JSON {feature: [{"layer", "cell", "r"}]}
    saturation     karpathy_rnn/saturation/<layer>/<gate>   float32 [2, units]: fraction left-, right-saturated
    oracle         karpathy_rnn/oracle                      (defined with the plugin, issue 7)

Writers need TensorFlow and a default summary writer (`with tf.summary.create_file_writer(d).as_default()`);
the decoders need only NumPy and JSON.
"""

from __future__ import annotations

import json

import numpy as np

from karpathy_rnn.errors import KRNNError

PLUGIN_NAME = "karpathy_rnn"
FORMAT_VERSION = 1
TEXT_TAG = f"{PLUGIN_NAME}/text"
CELL_RANKING_TAG = f"{PLUGIN_NAME}/cell_ranking"
KINDS = ("text", "activations", "cell_ranking", "saturation", "oracle")


def activations_tag(layer: str, name: str) -> str:
    """The tag of `layer`'s `name` ("c", "h", "f", ...) activations."""
    return f"{PLUGIN_NAME}/activations/{layer}/{name}"


def saturation_tag(layer: str, gate: str) -> str:
    """The tag of `layer`'s `gate` saturation fractions."""
    return f"{PLUGIN_NAME}/saturation/{layer}/{gate}"


def _metadata(kind: str, **content):
    import tensorflow as tf

    from tensorboard.compat.proto import summary_pb2

    payload = json.dumps({"kind": kind, "version": FORMAT_VERSION, **content}).encode("utf-8")
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
    """Values [N, units] of one state or gate of `layer`, one row per character of the text summary."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise KRNNError(f"activations must be [characters, units], got shape {values.shape}")
    _write(activations_tag(layer, name), values.astype(np.float16), step, "activations", layer=layer, name=name,
           unit=unit, units=int(values.shape[1]), range=[float(v) for v in value_range], transform=transform)


def write_cell_ranking(ranking: dict[str, list[dict]], step: int, statistic: str, descriptions: dict[str, str]) -> None:
    """The top cells per probe feature: {feature: [{"layer", "cell", "r"}, ...]} strongest first."""
    body = json.dumps({"features": ranking, "descriptions": descriptions, "statistic": statistic})
    _write(CELL_RANKING_TAG, np.array(body.encode("utf-8"), dtype=object), step, "cell_ranking")


def write_saturation(layer: str, gate: str, left: np.ndarray, right: np.ndarray, step: int, unit: str,
                     layer_index: int, thresholds=(0.1, 0.9)) -> None:
    """Fractions of time each unit of `gate` in `layer` is left- and right-saturated, as [2, units]."""
    left, right = np.asarray(left, np.float32), np.asarray(right, np.float32)
    if left.shape != right.shape or left.ndim != 1:
        raise KRNNError(f"left and right saturation must both be [units], got {left.shape} and {right.shape}")
    _write(saturation_tag(layer, gate), np.stack([left, right]), step, "saturation", layer=layer, gate=gate,
           unit=unit, layer_index=int(layer_index), thresholds=[float(t) for t in thresholds])


def parse_content(content: bytes) -> dict:
    """A summary's plugin content as a dict with at least "kind"; a clear error if it is not this plugin's format."""
    try:
        parsed = json.loads(bytes(content).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise KRNNError(f"malformed karpathy_rnn summary metadata ({error})") from None
    if not isinstance(parsed, dict) or parsed.get("kind") not in KINDS:
        raise KRNNError(f"karpathy_rnn summary metadata of unknown kind: {str(parsed)[:80]}")
    if parsed.get("version") != FORMAT_VERSION:
        raise KRNNError(f"karpathy_rnn summary format {parsed.get('version')!r}; this version reads {FORMAT_VERSION}")
    return parsed


def decode_string(tensor) -> str:
    """A scalar string summary tensor (text, cell ranking) as str."""
    value = np.asarray(tensor).reshape(()).item()
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
