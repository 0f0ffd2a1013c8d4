"""The karpathy_rnn TensorBoard plugin: small JSON routes over the summaries of karpathy_rnn.summary, plus the
static ES-module front end (tb_plugin/static) TensorBoard loads in the plugin's tab.

Routes (under /data/plugin/karpathy_rnn/), every one validating its parameters (400 with {"error": ...}):
    runs            which runs have which of this plugin's data, and steps; problems with malformed tags
    colored_text    one page of the text with one cell's value per character (offset, limit <= MAX_PAGE), and
                    optional bands: other cells (of any layer) over the same characters
    search          pattern search (LSTMVis' "match"): the cells a selected span turns on, and the other places
                    where those cells are on for a similar length (analysis/pattern_search.py)
    cell_ranking    the top cells per probe feature
    emergence       the cell ranking over training steps: the best |r| per feature at each step, and the first
                    step at which it passes a threshold
    saturation      left/right saturation fractions per gate and layer
    oracle          the error breakdown by oracle, with examples of each slice's errors (Figure 6)
    brace           the closing-brace study: mean p(`}`) per model by distance to its `{` (Figure 5, left)
    characters      two models compared per character: the text with p(model 0) - p(model 1) per character and
                    the characters each leads on (Figure 4, middle/right)
    agreement       how often each two models agree on the most likely character, and a t-SNE of the models
                    (Figure 1, right)
    connectivity    one text of a connectivity study (index=I): its text, targets and each model's top suggestions
                    (Distill 2019, "Visualizing memorization in RNNs"); with position=J, how much each model's
                    prediction at character J depends on each character before it (one row per model: a whole
                    text's values reach 163 MB)
    probe           the live probe: the run's model (best.keras in its folder or the nearest above it inside the
                    logdir, loaded on first use and kept) over a text the user typed (text=, at most PROBE_LIMIT
                    characters): one cell's values per character, the top predictions after each character and the
                    probability of each next one
    probe_connectivity  the same text's connectivity at position=J: each character's pull on the model's most
                    likely prediction there
"""

from __future__ import annotations

import collections
import math
import os
import re
import threading

import numpy as np
from tensorboard import plugin_util
from tensorboard.backend import http_util
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from karpathy_rnn import summary
from karpathy_rnn.analysis import over_training, pattern_search
from karpathy_rnn.analysis import probe as live_probe
from karpathy_rnn.errors import KRNNError
from tb_plugin.reader import DOWNSAMPLE, BadRequest, Series, SummaryReader

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
MAX_PAGE = 20_000                 # characters one colored_text answer may carry
DEFAULT_PAGE = 5_000
MIME_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}
GATE_ORDER = ("i", "f", "o", "g", "r", "z", "candidate")
MAX_BANDS = 8                     # extra cells one colored_text answer may carry
MAX_MATCHES = 100                 # matches one search answer may list
MAX_EMERGENCE_FEATURES = 24       # features one emergence answer charts (the strongest; the project writes 2 to 10)
EMERGENCE_CACHE = 16              # emergence answers kept (a run's rankings and a threshold each)
PREFETCH_BYTES = 384 * 2**20      # states read ahead for a search once a page of their run is shown (of the reader's
                                  # 512 MiB cache: a 2-layer LSTM's c and h over 300,000 characters x 128 take 307 MB)


def _gate_key(gate: str) -> tuple:
    """A sort key putting gates in the paper's order (LSTM i f o g, GRU r z), any others after."""
    return (GATE_ORDER.index(gate) if gate in GATE_ORDER else len(GATE_ORDER), gate)


def _static_files() -> dict[str, str]:
    """{route path: file} for every file under static/, found once: the routes serve nothing else."""
    files = {}
    for folder, _, names in os.walk(STATIC_DIR):
        for name in names:
            path = os.path.join(folder, name)
            files["/" + os.path.relpath(path, STATIC_DIR).replace(os.sep, "/")] = path
    return files


def _natural(text: str) -> list:
    """A sort key putting layer2 before layer10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _start(series: Series) -> int:
    """The first character an activations block covers (0 for a summary written before blocks)."""
    return series.content["start"]


def _rows(series: Series, total: int) -> int:
    """Characters an activations block covers (the whole text, `total`, for a summary written before blocks)."""
    rows = series.content["rows"]
    return total if rows is None else rows


def _integer(request, name: str, default: int | None = None, low: int = 0, high: int | None = None,
             required: bool = False) -> int | None:
    """The whole-number parameter `name` in [low, high], `default` when absent; BadRequest otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        if required:
            raise BadRequest(f"missing parameter {name}")
        return default
    if not re.fullmatch(r"-?\d{1,12}", raw):
        raise BadRequest(f"{name}={raw[:40]!r} is not a whole number")
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise BadRequest(f"{name}={value} is outside [{low}, {'any' if high is None else high}]")
    return value


def _number(request, name: str, default: float, low: float, high: float) -> float:
    """The decimal parameter `name` in [low, high], `default` when absent; BadRequest otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw[:40])
    except ValueError:
        raise BadRequest(f"{name}={raw[:40]!r} is not a number") from None
    if not low <= value <= high:
        raise BadRequest(f"{name}={raw[:40]} is outside [{low}, {high}]")
    return value


def _bands(request) -> list[tuple[str, str, int]]:
    """The bands parameter "layer2:c:37,layer1:h:5" as [(layer, name, cell)]; BadRequest when malformed."""
    raw = request.args.get("bands") or ""
    bands = []
    for part in (p for p in raw.split(",") if p):
        pieces = part.rsplit(":", 2)
        if len(pieces) != 3 or not pieces[0] or not pieces[1] or not re.fullmatch(r"\d{1,9}", pieces[2]):
            raise BadRequest(f"bands: {part[:80]!r} is not layer:name:cell (e.g. layer2:c:37)")
        bands.append((pieces[0], pieces[1], int(pieces[2])))
    if len(bands) > MAX_BANDS:
        raise BadRequest(f"bands: {len(bands)} asked, at most {MAX_BANDS}")
    return bands


def _string(request, name: str) -> str:
    """The non-empty parameter `name`; BadRequest when absent."""
    value = request.args.get(name)
    if not value:
        raise BadRequest(f"missing parameter {name}")
    return value


def _connectivity_texts(series: dict[str, Series]) -> dict[int, Series]:
    """{index: Series} of a run's connectivity texts by index (the metadata's), the first tag of an index if two
    claim it."""
    texts: dict[int, Series] = {}
    for item in sorted((s for s in series.values() if s.kind == "connectivity"), key=lambda s: _natural(s.tag)):
        texts.setdefault(item.content["index"], item)
    return dict(sorted(texts.items()))


def _finite(values: np.ndarray, decimals: int = 4) -> list:
    """values as a JSON-safe list: rounded, NaN and infinities as null."""
    rounded = np.round(np.asarray(values, np.float64), decimals)
    return [v if math.isfinite(v) else None for v in rounded.tolist()]


class KarpathyRNNLoader(base_plugin.TBLoader):
    """What setup.py's entry point names: loads the plugin, and first makes plain `tensorboard --logdir` keep up to
    DOWNSAMPLE steps of each of its tags (TensorBoard's default keeps a random 10 with the Python multiplexer and 100
    with the Rust data server for a third-party plugin, so an analysis over 146 snapshots showed a random subset). A
    `--samples_per_plugin=karpathy_rnn=N` the user gives is kept as given."""

    def fix_flags(self, flags):
        hints = getattr(flags, "samples_per_plugin", None)
        if isinstance(hints, dict):
            hints.setdefault(summary.PLUGIN_NAME, DOWNSAMPLE)

    def load(self, context):
        return KarpathyRNNPlugin(context)


class KarpathyRNNPlugin(base_plugin.TBPlugin):
    """Colored-text cell activations, gate saturation scatter plots, oracle error pies with examples, the
    closing-brace study, the per-character comparison of two models, the agreement between models and the
    connectivity of each prediction to the characters before it."""

    plugin_name = summary.PLUGIN_NAME

    def __init__(self, context: base_plugin.TBContext):
        super().__init__(context)
        hints = getattr(context, "sampling_hints", None) or {}
        self._reader = SummaryReader(context.data_provider, downsample=int(hints.get(self.plugin_name, DOWNSAMPLE)))
        self._loading_lock = threading.Lock()
        self._answers_lock = threading.Lock()
        self._emergences: collections.OrderedDict = collections.OrderedDict()   # answers, by run, data and threshold
        self._loading: set = set()             # (experiment, run, step) a background thread is reading
        self._static = _static_files()
        self._logdir = getattr(context, "logdir", None)
        self._probes: dict[str, live_probe.LiveProbe] = {}     # model file -> its probe, loaded on first use
        self._probes_lock = threading.Lock()

    def is_active(self) -> bool:
        return False     # TensorBoard's list_plugins decides: the tab is active when there is data

    def frontend_metadata(self):
        return base_plugin.FrontendMetadata(es_module_path="/index.js", tab_name="karpathy_rnn")

    def get_plugin_apps(self):
        return {
            "/index.js": self._serve_static,
            "/static/*": self._serve_static,
            "/runs": self._route(self._runs),
            "/colored_text": self._route(self._colored_text),
            "/search": self._route(self._search),
            "/cell_ranking": self._route(self._cell_ranking),
            "/emergence": self._route(self._emergence),
            "/saturation": self._route(self._saturation),
            "/oracle": self._route(self._oracle),
            "/brace": self._route(self._brace),
            "/characters": self._route(self._characters),
            "/agreement": self._route(self._agreement),
            "/connectivity": self._route(self._connectivity),
            "/probe": self._route(self._probe),
            "/probe_connectivity": self._route(self._probe_connectivity),
        }

    # --- plumbing -------------------------------------------------------------------------------------------

    @wrappers.Request.application
    def _serve_static(self, request):
        path = request.path.split(f"/plugin/{self.plugin_name}", 1)[-1]
        path = path[len("/static"):] if path.startswith("/static/") else path
        if path not in self._static:
            return http_util.Respond(request, {"error": f"no such file: {path[:80]}"}, "application/json", code=404)
        with open(self._static[path], "rb") as handle:
            body = handle.read()
        return http_util.Respond(request, body, MIME_TYPES.get(os.path.splitext(path)[1], "application/octet-stream"))

    def _route(self, handler):
        """A WSGI app around handler(request, ctx, experiment) -> dict: BadRequest and KRNNError answer 400."""

        @wrappers.Request.application
        def app(request):
            ctx = plugin_util.context(request.environ)
            experiment = plugin_util.experiment_id(request.environ)
            try:
                body, code = handler(request, ctx, experiment), 200
            except (BadRequest, KRNNError) as error:
                body, code = {"error": str(error)}, 400
            return http_util.Respond(request, body, "application/json", code=code)

        return app

    def _run_series(self, request, ctx, experiment) -> tuple[str, dict[str, Series]]:
        runs, _ = self._reader.index(ctx, experiment)
        run = _string(request, "run")
        if run not in runs:
            known = ", ".join(sorted(runs)[:10]) or "none (run scripts/analyze.py on a trained model)"
            raise BadRequest(f"run {run[:80]!r} has no karpathy_rnn data; runs that do: {known}")
        return run, runs[run]

    @staticmethod
    def _one(series: dict[str, Series], tag: str, what: str, run: str) -> Series:
        if tag not in series:
            raise BadRequest(f"run {run!r} has no {what} (tag {tag[:120]})")
        return series[tag]

    # --- routes ---------------------------------------------------------------------------------------------

    def _runs(self, request, ctx, experiment) -> dict:
        runs, problems = self._reader.index(ctx, experiment)
        problems, listing = list(problems), []
        for run, series in runs.items():
            entry = {"run": run, "text": None, "activations": [], "cell_ranking": None, "training": None,
                     "saturation": None, "probe": None,
                     "oracle": None, "brace": None, "characters": None, "agreement": None, "connectivity": None}
            by_kind: dict[str, list[Series]] = {}
            for item in series.values():
                by_kind.setdefault(item.kind, []).append(item)
            for kind in ("text", "cell_ranking", "oracle", "brace", "characters", "agreement"):
                if by_kind.get(kind):
                    try:
                        values = self._reader.read(ctx, experiment, by_kind[kind][0])
                    except KRNNError as error:
                        problems.append(str(error))
                        continue
                    entry[kind] = {"steps": [step for step, _ in values]}
                    if kind == "text" and values:
                        entry[kind]["length"] = len(values[-1][1])
                        entry[kind]["source"] = by_kind[kind][0].content["source"]
            if entry["cell_ranking"] and len(entry["cell_ranking"]["steps"]) > 1:
                # the steps an analysis over training wrote (its rankings say): more than TensorBoard kept means
                # its --samples_per_plugin is lower; the views say so
                written = max((v.get("snapshots") or 0 for _, v in self._reader.read(
                    ctx, experiment, by_kind["cell_ranking"][0])), default=0)
                entry["training"] = {"steps": entry["cell_ranking"]["steps"],
                                     "written": max(written, len(entry["cell_ranking"]["steps"]))}
            first_blocks = {}                        # (layer, name) -> its first block: one entry per series
            for block in sorted(by_kind.get("activations", []), key=_start):
                first_blocks.setdefault((block.content["layer"], block.content["name"]), block)
            entry["activations"] = sorted(
                ({"layer": layer, "name": name, "units": s.content["units"], "unit": s.content["unit"],
                  "range": s.content["range"], "transform": s.content["transform"]}
                 for (layer, name), s in first_blocks.items()), key=lambda a: (_natural(a["layer"]), a["name"]))
            saturation = by_kind.get("saturation", [])
            try:                                     # small tensors, cached: every step a gate has, not the last
                steps = {step for values in self._reader.read_many(ctx, experiment, saturation) for step, _ in values}
            except KRNNError as error:
                problems.append(str(error))
                saturation = []
            if saturation:
                entry["saturation"] = {"steps": sorted(steps),
                                       "gates": sorted({s.content["gate"] for s in saturation},
                                                       key=_gate_key)}
            texts = _connectivity_texts(series)
            if texts:                                # not read: texts can be megabytes each; metadata tells enough
                entry["connectivity"] = {"steps": sorted({s.max_step for s in texts.values()}), "texts": len(texts),
                                         "sources": [{"index": index, "source": s.content["source"]}
                                                     for index, s in texts.items()]}
            if self._run_model(run):
                entry["probe"] = {"limit": live_probe.PROBE_LIMIT, "top": live_probe.TOP}
            listing.append(entry)
        return {"runs": listing, "problems": problems}

    # --- the live probe -------------------------------------------------------------------------------------

    def _run_model(self, run: str) -> str | None:
        """The char-LM best.keras behind `run`: in its folder or the nearest folder above it (a train.py run, with
        config.json), never outside the logdir."""
        from karpathy_rnn.training.run_dir import BEST_MODEL_FILE, char_lm_config

        if not self._logdir or "://" in self._logdir:
            return None
        root = os.path.realpath(self._logdir)
        folder = os.path.realpath(os.path.join(root, run))
        if folder != root and not folder.startswith(root + os.sep):
            return None
        while True:
            model = os.path.join(folder, BEST_MODEL_FILE)
            if os.path.isfile(model):                 # a char-LM's (an autocomplete run's is another task: no probe)
                try:
                    return model if char_lm_config(model) else None
                except KRNNError:                     # a damaged config.json: the run lists, without a probe
                    return None
            if folder == root or folder == os.path.dirname(folder):      # the logdir, or the file system's root
                return None
            folder = os.path.dirname(folder)

    def _live_probe(self, run: str) -> live_probe.LiveProbe:
        """The run's LiveProbe, its model loaded on the first request and kept."""
        path = self._run_model(run)
        if path is None:
            raise BadRequest(f"run {run[:80]!r} has no model to probe: no best.keras in its folder or above it inside "
                             "the logdir (the probe runs a model trained by scripts/train.py or imported)")
        with self._probes_lock:
            if path not in self._probes:
                self._probes[path] = live_probe.LiveProbe(path)
            return self._probes[path]

    def _probe(self, request, ctx, experiment) -> dict:
        run, _ = self._run_series(request, ctx, experiment)
        cell = _integer(request, "cell", 0, 0)
        return self.probe_impl(run, request.args.get("text", ""), request.args.get("layer") or "1",
                               request.args.get("name") or None, cell)

    def probe_impl(self, run: str, text: str, layer: str, name: str | None, cell: int) -> dict:
        """The run's model over `text`: `cell` of `layer`'s `name` (default its cell state) per character, the top
        predictions after each character and the probability of each next one."""
        from karpathy_rnn.analysis.cells import value_range
        from karpathy_rnn.analysis.trace import find_layer

        probe = self._live_probe(run)
        reading = probe.read(text)
        info = find_layer(probe.layers, layer)
        name = name or ("c" if "c" in info.gates else "h")
        info, values = probe.cell(text, info.name, name, cell)
        characters = probe.vocabulary.chars
        return {"run": run, "text": text, "length": len(text), "limit": probe.limit,
                "layers": [{"layer": l.name, "unit": l.unit, "units": l.units, "names": list(l.gates)}
                           for l in probe.layers],
                "layer": info.name, "name": name, "cell": cell, "units": info.units, "unit": info.unit,
                "range": list(value_range(info.unit, name)), "transform": "tanh" if name == "c" else "none",
                "values": _finite(values),
                "top": [[[characters[i], round(float(p), 4)] for i, p in zip(ids, probabilities)]
                        for ids, probabilities in zip(reading.top_ids.tolist(), reading.top_probabilities)],
                "next": _finite(reading.next_probabilities)}

    def _probe_connectivity(self, request, ctx, experiment) -> dict:
        run, _ = self._run_series(request, ctx, experiment)
        position = _integer(request, "position", required=True)
        return self.probe_connectivity_impl(run, request.args.get("text", ""), position)

    def probe_connectivity_impl(self, run: str, text: str, position: int) -> dict:
        """How strongly each character up to `position` drives the model's most likely prediction there."""
        probe = self._live_probe(run)
        target, values = probe.connectivity(text, position)
        return {"run": run, "position": position, "target": probe.vocabulary.chars[target],
                "values": _finite(values, 6)}

    @staticmethod
    def _activation_blocks(series: dict[str, Series], layer: str, name: str, run: str) -> list[Series]:
        """The blocks of `layer`'s `name` activations by first character (one for a summary written before blocks)."""
        blocks = [s for s in series.values() if s.kind == "activations"
                  and s.content["layer"] == layer and s.content["name"] == name]
        if not blocks:
            raise BadRequest(f"run {run!r} has no activations for {layer[:80]}/{name[:80]}")
        blocks = sorted(blocks, key=_start)
        for field in ("units", "total", "range"):              # each block valid alone, but they must agree
            for block in blocks[1:]:
                if block.content[field] != blocks[0].content[field]:
                    raise KRNNError(f"malformed summaries in run {run!r}: {block.tag} has {field} "
                                    f"{block.content[field]}, {blocks[0].tag} {blocks[0].content[field]}; "
                                    f"the blocks of one state must agree (write them again with analyze.py)")
        return blocks

    def _colored_text(self, request, ctx, experiment) -> dict:
        run, series = self._run_series(request, ctx, experiment)
        layer, name = _string(request, "layer"), _string(request, "name")
        blocks = self._activation_blocks(series, layer, name, run)
        units = blocks[0].content["units"]
        cell = _integer(request, "cell", high=units - 1, required=True)
        bands = []
        for band_layer, band_name, band_cell in _bands(request):
            band_blocks = self._activation_blocks(series, band_layer, band_name, run)
            if band_cell >= band_blocks[0].content["units"]:
                raise BadRequest(f"bands: cell {band_cell} of {band_layer[:80]}/{band_name[:80]} is outside "
                                 f"[0, {band_blocks[0].content['units'] - 1}]")
            bands.append((band_blocks, band_cell))
        return self.colored_text_impl(ctx, experiment, run, series, blocks, cell, bands, _integer(request, "step"),
                                      request)

    def _text_and_total(self, ctx, experiment, run: str, series: dict[str, Series], blocks: list[Series],
                        step: int | None) -> tuple[Series, int]:
        """The text series and the characters `blocks` cover (for summaries written before blocks: the text's)."""
        text_series = self._one(series, summary.TEXT_TAG, "text", run)
        total = blocks[0].content["total"]
        if total is None:                               # written before blocks: the text tells the length
            total = len(self._reader.at_step(ctx, experiment, text_series, step)[1])
        return text_series, total

    def colored_text_impl(self, ctx, experiment, run: str, series: dict[str, Series], blocks: list[Series], cell: int,
                          bands: list[tuple[list[Series], int]], step: int | None, request) -> dict:
        """One page of the text with `cell`'s values (and each band's) per character, at `step` (None: latest)."""
        text_series, total = self._text_and_total(ctx, experiment, run, series, blocks, step)
        offset = _integer(request, "offset", 0, 0, max(total - 1, 0))
        limit = _integer(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
        end = min(total, offset + limit)
        step, text = self._reader.at_step(ctx, experiment, text_series, step)
        if len(text) != total:
            raise KRNNError(f"malformed summaries in run {run!r} at step {step}: the text has {len(text)} characters "
                            f"but the activations of {blocks[0].content['layer']}/{blocks[0].content['name']} "
                            f"cover {total}")
        first = blocks[0].content
        self._prefetch(ctx, experiment, run, series, blocks, step)
        answer = {"run": run, "step": step, "layer": first["layer"], "name": first["name"], "cell": cell,
                  "units": first["units"], "unit": first["unit"], "range": first["range"],
                  "transform": first["transform"], "offset": offset, "limit": limit, "length": len(text),
                  "text": text[offset:end],
                  "values": _finite(self._rows(ctx, experiment, run, blocks, total, step, offset, end)[:, cell])}
        if bands:
            answer["bands"] = []
            for band_blocks, band_cell in bands:
                content = band_blocks[0].content
                if content["total"] not in (None, total):
                    raise KRNNError(f"malformed summaries in run {run!r}: {content['layer']}/{content['name']} "
                                    f"covers {content['total']} characters, the text {total}")
                rows = self._rows(ctx, experiment, run, band_blocks, total, step, offset, end)
                answer["bands"].append({key: content[key] for key in ("layer", "name", "units", "unit", "range",
                                                                      "transform")}
                                       | {"cell": band_cell, "values": _finite(rows[:, band_cell])})
        return answer

    def _pieces(self, ctx, experiment, run: str, blocks: list[Series], total: int, step: int, offset: int,
                end: int) -> list[np.ndarray]:
        """Rows [offset, end) of one (layer, name) at `step` as views of the cached blocks that cover them, in order."""
        needed = [b for b in blocks if _start(b) < max(end, 1) and _start(b) + _rows(b, total) > offset]
        pieces = []
        for block, values in zip(needed, self._reader.read_many(ctx, experiment, needed)):
            _, rows = self._reader.pick(block, values, step)
            start = _start(block)
            if rows.shape[0] != _rows(block, total):
                raise KRNNError(f"malformed summary in run {run!r}: {block.tag} has {rows.shape[0]} rows, its metadata "
                                f"says {_rows(block, total)}")
            pieces.append(rows[max(offset - start, 0):max(end - start, 0)])
        if sum(len(piece) for piece in pieces) != end - offset:
            raise KRNNError(f"malformed summaries in run {run!r}: the activations of {blocks[0].content['layer']}/"
                            f"{blocks[0].content['name']} miss characters in {offset}..{end}")
        return pieces

    def _rows(self, ctx, experiment, run: str, blocks: list[Series], total: int, step: int, offset: int,
              end: int) -> np.ndarray:
        """Rows [end - offset, units] of one (layer, name) at `step` (a page: a few blocks, copied into one array)."""
        pieces = self._pieces(ctx, experiment, run, blocks, total, step, offset, end)
        return np.concatenate(pieces) if pieces else np.zeros((0, blocks[0].content["units"]), np.float16)

    def _column(self, ctx, experiment, run: str, blocks: list[Series], total: int, step: int
                ) -> pattern_search.RowBlocks:
        """Every row of one (layer, name) at `step`, as the reader's cached blocks (a search reads all; not copied)."""
        pieces = self._pieces(ctx, experiment, run, blocks, total, step, 0, total)
        return pattern_search.RowBlocks(pieces or [np.zeros((0, blocks[0].content["units"]), np.float16)])

    def _prefetch(self, ctx, experiment, run: str, series: dict[str, Series], blocks: list[Series], step: int
                  ) -> None:
        """Read into the reader's cache, in a background thread, every block of the state a page shows, then of the
        run's other states at `step` (layer by layer, up to PREFETCH_BYTES in all): a search on any of them (which
        needs every row: 0.4-0.5 s for 300,000 x 128 through the Rust data server) then finds its rows decoded."""
        key = (experiment, run, step)
        with self._loading_lock:
            if key in self._loading:
                return
            self._loading.add(key)
        by_state: dict[tuple[str, str], list[Series]] = {}
        for item in series.values():
            if item.kind == "activations":
                by_state.setdefault((item.content["layer"], item.content["name"]), []).append(item)
        shown = (blocks[0].content["layer"], blocks[0].content["name"])
        order = [shown] + sorted((state for state in by_state if state != shown),
                                 key=lambda state: (_natural(state[0]), state[1]))

        def read():
            budget = PREFETCH_BYTES
            try:
                for state in order:
                    content = by_state[state][0].content
                    size = 2 * content["units"] * (content["total"] or 0)
                    if state != shown and size > budget:
                        break
                    budget -= size
                    self._reader.read_many(ctx, experiment, by_state[state])
            except Exception:                         # noqa: BLE001 - a search or a page will say what is wrong;
                pass                                  # a reading thread has no one to tell
            finally:
                with self._loading_lock:
                    self._loading.discard(key)

        threading.Thread(target=read, name="krnn-prefetch", daemon=True).start()

    def _search(self, request, ctx, experiment) -> dict:
        run, series = self._run_series(request, ctx, experiment)
        layer, name = _string(request, "layer"), _string(request, "name")
        blocks = self._activation_blocks(series, layer, name, run)
        start = _integer(request, "start", required=True)
        end = _integer(request, "end", required=True)
        threshold = _number(request, "threshold", 0.5, -1.0, 1.0)
        limit = _integer(request, "limit", 20, 1, MAX_MATCHES)
        context = _integer(request, "context", 40, 0, 200)
        return self.search_impl(ctx, experiment, run, series, blocks, start, end, threshold, limit, context,
                                _integer(request, "step"))

    def search_impl(self, ctx, experiment, run: str, series: dict[str, Series], blocks: list[Series], start: int,
                    end: int, threshold: float, limit: int, context: int, step: int | None) -> dict:
        """The cells the selection [start, end) turns on and the best `limit` other places they are on."""
        text_series, total = self._text_and_total(ctx, experiment, run, series, blocks, step)
        step, text = self._reader.at_step(ctx, experiment, text_series, step)
        pattern_search.check_selection(start, end, len(text))
        values = self._column(ctx, experiment, run, blocks, total, step)
        cells = pattern_search.selected_cells(values, start, end, threshold)
        matches, found = pattern_search.find_matches(values, cells, start, end, threshold, limit)
        first = blocks[0].content
        note = "" if cells.size else (f"no cell of {first['layer']} {first['name']} is >= {threshold:g} at every "
                                      f"selected character and below it just before; lower the threshold or select "
                                      f"a shorter span")
        return {"run": run, "step": step, "layer": first["layer"], "name": first["name"], "threshold": threshold,
                "start": start, "end": end, "length": len(text), "cells": cells.tolist(), "note": note,
                "similarity": pattern_search.SIMILARITY, "total": found,
                "matches": [{"start": m.start, "end": m.end, "score": round(m.score, 4), "cells_on": m.cells_on,
                             "before": text[max(m.start - context, 0):m.start], "text": text[m.start:m.end],
                             "after": text[m.end:m.end + context]} for m in matches]}

    def _json_summary(self, request, ctx, experiment, tag: str, what: str) -> dict:
        """The decoded JSON summary `tag` of the requested run at the requested (or latest) step."""
        run, series = self._run_series(request, ctx, experiment)
        step, value = self._reader.at_step(ctx, experiment, self._one(series, tag, what, run), _integer(request, "step"))
        return {"run": run, "step": step, **value}

    def _cell_ranking(self, request, ctx, experiment) -> dict:
        return self._json_summary(request, ctx, experiment, summary.CELL_RANKING_TAG, "cell ranking")

    def _emergence(self, request, ctx, experiment) -> dict:
        run, series = self._run_series(request, ctx, experiment)
        threshold = _number(request, "threshold", 0.5, 0.0, 1.0)
        rankings = self._one(series, summary.CELL_RANKING_TAG, "cell ranking", run)
        key = (experiment, run, rankings.max_step, rankings.max_wall_time, threshold)
        with self._answers_lock:
            if key in self._emergences:
                self._emergences.move_to_end(key)
                return self._emergences[key]
        values = self._reader.read(ctx, experiment, rankings)
        answer = {"run": run, **over_training.emergence(values, threshold, MAX_EMERGENCE_FEATURES)}
        with self._answers_lock:
            self._emergences[key] = answer
            while len(self._emergences) > EMERGENCE_CACHE:
                self._emergences.popitem(last=False)
        return answer

    def _saturation(self, request, ctx, experiment) -> dict:
        run, series = self._run_series(request, ctx, experiment)
        step = _integer(request, "step")
        tags = [s for s in series.values() if s.kind == "saturation"]
        if not tags:
            raise BadRequest(f"run {run!r} has no saturation summaries")
        gates: dict[str, list[dict]] = {}
        thresholds, unit, found_step = [0.1, 0.9], "", step
        tags.sort(key=lambda s: (s.content["layer_index"], _natural(s.tag)))
        for item, values in zip(tags, self._reader.read_many(ctx, experiment, tags)):
            found_step, fractions = self._reader.pick(item, values, step)
            gate = item.content["gate"]
            gates.setdefault(gate, []).append({
                "layer": item.content["layer"], "layer_index": item.content["layer_index"],
                "units": int(fractions.shape[1]), "left": _finite(fractions[0]), "right": _finite(fractions[1])})
            thresholds, unit = item.content["thresholds"], item.content["unit"]
        ordered = sorted(gates, key=_gate_key)
        return {"run": run, "step": found_step, "unit": unit, "thresholds": thresholds,
                "gates": [{"gate": gate, "layers": gates[gate]} for gate in ordered]}

    def _oracle(self, request, ctx, experiment) -> dict:
        return self._json_summary(request, ctx, experiment, summary.ORACLE_TAG, "oracle breakdown")

    def _brace(self, request, ctx, experiment) -> dict:
        return self._json_summary(request, ctx, experiment, summary.BRACE_TAG, "brace study")

    def _characters(self, request, ctx, experiment) -> dict:
        return self._json_summary(request, ctx, experiment, summary.CHARACTERS_TAG, "character comparison")

    def _agreement(self, request, ctx, experiment) -> dict:
        return self._json_summary(request, ctx, experiment, summary.AGREEMENT_TAG, "model agreement")

    def _connectivity(self, request, ctx, experiment) -> dict:
        run, series = self._run_series(request, ctx, experiment)
        texts = _connectivity_texts(series)
        if not texts:
            raise BadRequest(f"run {run!r} has no connectivity study (tags {summary.CONNECTIVITY_TAG_PREFIX}<index>)")
        index = _integer(request, "index", required=True)
        if index not in texts:
            shown = ", ".join(str(i) for i in list(texts)[:20]) + (", ..." if len(texts) > 20 else "")
            raise BadRequest(f"index={index}: run {run!r} has no connectivity text {index}; its texts are {shown}")
        step, value = self._reader.at_step(ctx, experiment, texts[index], _integer(request, "step"))
        position = _integer(request, "position", high=len(value["targets"]) - 1)
        return {"run": run, "step": step, "index": index, "texts": len(texts),
                **self.connectivity_impl(value, position)}

    @staticmethod
    def connectivity_impl(value: dict, position: int | None) -> dict:
        """One connectivity text without its values (task, source, text, targets, each model's name and suggestions:
        what the view draws first), or with `position` only the values of the prediction at that character, one row
        per model: a study at the schema's limit is 163 MB whole, a row at most 16 KB."""
        if position is not None:
            return {"position": position, "rows": [model["values"].row(position) for model in value["models"]]}
        return {**{key: v for key, v in value.items() if key != "models"},
                "models": [{"name": model["name"], "suggestions": model["suggestions"]} for model in value["models"]]}

