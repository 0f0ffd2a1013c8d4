"""The plugin's data: this plugin's summaries read through TensorBoard's data provider, checked once and cached.

Nothing here opens a file: every value comes from `context.data_provider` (the Python multiplexer or
TensorBoard's Rust data server), so the plugin sees exactly the runs, steps and tags TensorBoard shows.
"""

from __future__ import annotations

import collections
import concurrent.futures
import threading
import time
from dataclasses import dataclass

import numpy as np

from karpathy_rnn import summary
from karpathy_rnn.errors import KRNNError
from tensorboard.data import provider

DOWNSAMPLE = 1000                 # steps kept per tag (an analysis writes one step per model it saw)
CACHE_BYTES = 512 * 2**20         # decoded summaries kept between requests
INDEX_SECONDS = 2.0               # how long a listing of the tags is reused (TensorBoard rereads every 5 s)
READ_CALLS = 8                    # concurrent read_tensors calls for one read of many series: the Rust data server
                                  # answers them on its threads and gRPC waits without the GIL (a 77 MB state, 74
                                  # blocks: 0.25-0.31 s in one call, 0.10-0.20 s in eight; 2-core AMD EPYC)
READ_CALL_SERIES = 4              # series per call at least (a page's one to three blocks: one call)


class BadRequest(Exception):
    """A request the plugin answers with 400 and this message."""


@dataclass(frozen=True)
class Series:
    """One tag of one run: its kind and plugin content (parsed JSON), and what TensorBoard says of its steps."""

    run: str
    tag: str
    content: dict
    max_step: int
    max_wall_time: float

    @property
    def kind(self) -> str:
        return self.content["kind"]


def _decode_text(value: np.ndarray, series: Series) -> str:
    if value.dtype != object or value.size != 1:
        raise KRNNError(f"text summary {series.tag} is not a string scalar (dtype {value.dtype}, shape {value.shape})")
    return summary.decode_string(value)


def _decode_activations(value: np.ndarray, series: Series) -> np.ndarray:
    units = series.content.get("units")
    if value.ndim != 2 or not np.issubdtype(value.dtype, np.floating) or (units is not None and value.shape[1] != units):
        raise KRNNError(f"activations summary {series.tag} should be float [characters, {units}], "
                        f"got {value.dtype} {list(value.shape)}")
    return value


def _decode_saturation(value: np.ndarray, series: Series) -> np.ndarray:
    if value.ndim != 2 or value.shape[0] != 2 or not np.issubdtype(value.dtype, np.floating):
        raise KRNNError(f"saturation summary {series.tag} should be float [2, units], got {value.dtype} {list(value.shape)}")
    if not np.all((value >= 0) & (value <= 1)):
        raise KRNNError(f"saturation summary {series.tag} has fractions outside [0, 1]")
    return value


@dataclass(frozen=True)
class PackedRows:
    """Rows of different lengths (a connectivity study's triangle: row j holds up to j + 1 values) as one float64
    array and the offsets [rows + 1] where each starts: 8 bytes a value instead of a Python float's 32."""

    flat: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, rows: list[list[float]]) -> "PackedRows":
        lengths = np.fromiter((len(row) for row in rows), np.int64, len(rows))
        flat = np.fromiter((v for row in rows for v in row), np.float64, int(lengths.sum()))
        return cls(flat, np.concatenate([[0], np.cumsum(lengths)]))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, j: int) -> list[float]:
        """Row j as the writer gave it."""
        return self.flat[self.offsets[j]:self.offsets[j + 1]].tolist()

    @property
    def nbytes(self) -> int:
        return self.flat.nbytes + self.offsets.nbytes


def _decode_connectivity(value: np.ndarray, series: Series) -> dict:
    """A connectivity study checked, each model's values packed (PackedRows): a study at the schema's limit (2,000
    characters, 4 models: 8 M values) holds 64 MB, not 256, and a route sends one row at a time."""
    body = summary.decode_connectivity(_decode_text(value, series))
    for model in body["models"]:
        model["values"] = PackedRows.of(model["values"])
    return body


DECODERS = {
    "text": _decode_text,
    "activations": _decode_activations,
    "saturation": _decode_saturation,
    "cell_ranking": lambda value, series: summary.decode_cell_ranking(_decode_text(value, series)),
    "oracle": lambda value, series: summary.decode_oracle(_decode_text(value, series)),
    "brace": lambda value, series: summary.decode_brace(_decode_text(value, series)),
    "characters": lambda value, series: summary.decode_characters(_decode_text(value, series)),
    "agreement": lambda value, series: summary.decode_agreement(_decode_text(value, series)),
    "connectivity": _decode_connectivity,
}


def _size(values: list[tuple[int, object]]) -> int:
    """Bytes a cached series holds (a decoded string or JSON counts 64 KiB, a character comparison 40 bytes more
    per character: its text and a float per character, a connectivity text its packed values and 200 bytes per
    character and model: a target and up to three suggestions)."""
    def size(value) -> int:
        if isinstance(value, np.ndarray):
            return value.nbytes
        if isinstance(value, dict) and isinstance(value.get("difference"), list):
            return 64 * 1024 + 40 * len(value["difference"])
        if isinstance(value, dict) and isinstance(value.get("targets"), list):
            return 64 * 1024 + 200 * len(value["targets"]) * len(value["models"]) + sum(
                model["values"].nbytes for model in value["models"])
        return 64 * 1024
    return sum(size(v) for _, v in values)


class SummaryReader:
    """This plugin's tags per run (`index`) and their decoded values per step (`read`), LRU-cached by bytes."""

    def __init__(self, data_provider, downsample: int = DOWNSAMPLE, cache_bytes: int = CACHE_BYTES,
                 index_seconds: float = INDEX_SECONDS):
        self._provider = data_provider
        self._index_seconds = index_seconds
        self._indexes: dict[str, tuple[float, tuple]] = {}
        self._downsample = downsample
        self._cache_bytes = cache_bytes
        self._cache: collections.OrderedDict = collections.OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()

    def index(self, ctx, experiment: str) -> tuple[dict[str, dict[str, Series]], list[str]]:
        """({run: {tag: Series}}, problems): every tag with readable metadata; one line per tag without.

        A listing is reused for `index_seconds`: each call to TensorBoard's Rust data server costs ~45 ms here.
        """
        if self._provider is None:
            return {}, ["TensorBoard started without a data provider: pass --logdir"]
        with self._lock:
            cached = self._indexes.get(experiment)
        if cached and time.monotonic() - cached[0] < self._index_seconds:
            return cached[1]
        listing = self._provider.list_tensors(ctx, experiment_id=experiment, plugin_name=summary.PLUGIN_NAME)
        runs, problems = {}, []
        for run in sorted(listing):
            for tag, meta in sorted(listing[run].items()):
                try:
                    content = summary.parse_content(meta.plugin_content)
                except KRNNError as error:
                    problems.append(f"run {run!r}, tag {tag!r}: {error}")
                    continue
                runs.setdefault(run, {})[tag] = Series(run, tag, content, meta.max_step, meta.max_wall_time)
        with self._lock:
            self._indexes[experiment] = (time.monotonic(), (runs, problems))
        return runs, problems

    def read(self, ctx, experiment: str, series: Series) -> list[tuple[int, object]]:
        """[(step, decoded value)] of `series`, oldest step first; KRNNError if TensorBoard has it malformed."""
        return self.read_many(ctx, experiment, [series])[0]

    def holds(self, experiment: str, many: list[Series]) -> bool:
        """Whether every one of `many` is decoded in the cache now (a read of them would not call the provider)."""
        with self._lock:
            return all((experiment, s.run, s.tag, s.max_step, s.max_wall_time) in self._cache for s in many)

    def read_many(self, ctx, experiment: str, many: list[Series]) -> list[list[tuple[int, object]]]:
        """read() of several series, the ones not cached in a single call to the data provider."""
        keys = [(experiment, s.run, s.tag, s.max_step, s.max_wall_time) for s in many]
        with self._lock:
            found = {key: self._cache[key] for key in keys if key in self._cache}
            for key in found:
                self._cache.move_to_end(key)
        missing = [(s, key) for s, key in zip(many, keys) if key not in found]
        if missing:
            data = self._fetch(ctx, experiment, [s for s, _ in missing])
            for series, key in missing:
                datums = sorted(data.get(series.run, {}).get(series.tag, []), key=lambda d: d.step)
                try:
                    found[key] = [(int(d.step), DECODERS[series.kind](np.asarray(d.numpy), series)) for d in datums]
                except KRNNError as error:
                    raise KRNNError(f"run {series.run!r}, tag {series.tag!r}: {error}") from None
            with self._lock:
                for _, key in missing:
                    if key not in self._cache:
                        self._cache[key] = found[key]
                        self._cached_bytes += _size(found[key])
                while len(self._cache) > 1 and self._cached_bytes > self._cache_bytes:
                    self._cached_bytes -= _size(self._cache.popitem(last=False)[1])
        return [found[key] for key in keys]

    def _fetch(self, ctx, experiment: str, many: list[Series]) -> dict:
        """{run: {tag: [datum]}} of `many` from the data provider, in up to READ_CALLS concurrent calls of at least
        READ_CALL_SERIES series each (one call for a few)."""
        calls = max(1, min(READ_CALLS, len(many) // READ_CALL_SERIES))
        parts = [many[k::calls] for k in range(calls)]

        def fetch(part: list[Series]) -> dict:
            return self._provider.read_tensors(
                ctx, experiment_id=experiment, plugin_name=summary.PLUGIN_NAME, downsample=self._downsample,
                run_tag_filter=provider.RunTagFilter(runs=sorted({s.run for s in part}),
                                                     tags=sorted({s.tag for s in part})))

        if calls == 1:
            return fetch(many)
        data: dict = {}
        with concurrent.futures.ThreadPoolExecutor(calls, thread_name_prefix="krnn-read") as pool:
            for answer in pool.map(fetch, parts):
                for run, tags in answer.items():
                    data.setdefault(run, {}).update(tags)
        return data

    @staticmethod
    def pick(series: Series, values: list[tuple[int, object]], step: int | None) -> tuple[int, object]:
        """(step, value) of `series` at `step` (None: the latest) among its `values`; BadRequest naming the steps."""
        if not values:
            raise KRNNError(f"run {series.run!r}, tag {series.tag!r}: TensorBoard holds no values")
        if step is None:
            return values[-1]
        for value_step, value in values:
            if value_step == step:
                return value_step, value
        raise BadRequest(f"step {step} is not in run {series.run!r} ({series.tag}); its steps are "
                         + ", ".join(str(s) for s, _ in values[-20:]))

    def at_step(self, ctx, experiment: str, series: Series, step: int | None) -> tuple[int, object]:
        """(step, value) of `series` at `step` (None: the latest); BadRequest naming the steps there are."""
        return self.pick(series, self.read(ctx, experiment, series), step)
