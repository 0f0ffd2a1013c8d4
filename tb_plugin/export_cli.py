"""Exports of the karpathy_rnn plugin's views as files, for `scripts/analyze.py export`: the real `tensorboard` on a
logdir, Debian's headless Chromium on the plugin's page, and the page's own export (window.krnnExport in
tb_plugin/static/export.js): a standalone HTML file and a PNG at print resolution (3 device pixels per CSS pixel)
of what the view shows, with a caption naming the run, step, layer and cell."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import time

from karpathy_rnn.atomic import atomic_file
from karpathy_rnn.errors import KRNNError
from tb_plugin import testing

FORMATS = ("html", "png")
PARAMETERS = ("run", "step", "layer", "name", "cell", "offset", "index", "threshold", "layout")
INDEX_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static", "index.js")
SCRIPT_TIMEOUT = 300                      # s one export may take in the page (a 20,000-character PNG takes seconds)
SETTLED = 2.0                             # s the runs route must answer the same before the page is opened ...
SETTLED_EMPTY = 10.0                      # ... or, while it lists no run, this long (TensorBoard is still reading)

# Runs in the page: waits for window.krnnExport, calls it, hands back {ok, filename, data} or {ok: false, error}.
_EXPORT_SCRIPT = """
const [view, params, format, done] = arguments;
const deadline = Date.now() + 60000;
(async () => {
  while (typeof window.krnnExport !== 'function') {
    if (Date.now() > deadline) throw new Error('the plugin page did not load (no window.krnnExport after 60 s)');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return window.krnnExport(view, params, format);
})().then((result) => done({ok: true, filename: result.filename, data: result.data}),
          (error) => done({ok: false, error: String((error && error.message) || error)}));
"""


def view_ids() -> list[str]:
    """The plugin's view ids, in the order of index.js's VIEWS."""
    with open(INDEX_JS, encoding="utf-8") as handle:
        source = handle.read()
    views = re.search(r"const VIEWS = \[(.*?)\n\];", source, re.S)
    return re.findall(r"\{id: '([^']+)'", views.group(1) if views else "")


def run_names(logdir: str) -> list[str]:
    """The runs TensorBoard makes of `logdir`: each folder holding an events file, as a path relative to it ('.':
    the logdir itself)."""
    runs = []
    for folder, _, files in os.walk(logdir):
        if any(".tfevents." in name for name in files):
            relative = os.path.relpath(folder, logdir)
            runs.append(relative.replace(os.sep, "/"))
    return sorted(runs)


def safe_filename(name: str, fallback: str) -> str:
    """`name` as a file name in a folder: its last part, characters outside [A-Za-z0-9._-] as '_', never hidden."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(str(name)))[:240]
    return cleaned if cleaned.strip("._") and not cleaned.startswith(".") else fallback


def _check(logdir: str, view: str, params: dict, formats: tuple) -> None:
    """KRNNError, before anything starts, for a format, view, parameter, logdir or run that cannot be exported."""
    for kind in formats:
        if kind not in FORMATS:
            raise KRNNError(f"export format {kind!r} is unknown; use {' or '.join(FORMATS)}")
    if not formats:
        raise KRNNError(f"no export format given; use {' or '.join(FORMATS)}")
    views = view_ids()
    if view not in views:
        raise KRNNError(f"view {view!r} is unknown; the plugin's views are {', '.join(views)}")
    for key in params:
        if key not in PARAMETERS:
            raise KRNNError(f"export parameter {key!r} is unknown; use {', '.join(PARAMETERS)}")
    if not os.path.isdir(logdir):
        raise KRNNError(f"logdir {logdir!r} is not a folder; give the folder TensorBoard would serve")
    run = params.get("run")
    if run is not None:
        runs = run_names(logdir)
        if str(run) not in runs:
            shown = ", ".join(repr(r) for r in runs[:20]) + (", ..." if len(runs) > 20 else "")
            raise KRNNError(f"run {str(run)[:120]!r} is unknown in {logdir}; its runs are {shown or 'none'}")


def _check_browser() -> None:
    """KRNNError naming what to install when Chromium, ChromeDriver or Selenium is missing."""
    if not testing.chromium_available():
        raise KRNNError(f"exporting views needs Debian's Chromium and ChromeDriver ({testing.CHROMIUM}, "
                        f"{testing.CHROMEDRIVER}); install them: apt install chromium chromium-driver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        raise KRNNError("exporting views needs Selenium: pip install -e '.[dev]' (or pip install selenium)") from None


class _Settled:
    """`ready` for testing.tensorboard: the runs route gave the same answer for SETTLED seconds (SETTLED_EMPTY while it
    lists no run): TensorBoard reads a logdir bit by bit, and a view exported early would lack data."""

    def __init__(self, settled: float = SETTLED, settled_empty: float = SETTLED_EMPTY):
        self.settled, self.settled_empty = settled, settled_empty
        self.last, self.since = None, time.monotonic()

    def __call__(self, body) -> bool:
        key = json.dumps(body, sort_keys=True)
        if key != self.last:
            self.last, self.since = key, time.monotonic()
            return False
        return time.monotonic() - self.since >= (self.settled if body["runs"] else self.settled_empty)


def _decoded(kind: str, data: str) -> bytes:
    """The bytes of an export: the HTML text as UTF-8, the PNG from its base64 data: URL."""
    if kind == "html":
        return data.encode("utf-8")
    prefix = "data:image/png;base64,"
    if not isinstance(data, str) or not data.startswith(prefix):
        raise KRNNError("the page's PNG export is not a PNG data: URL")
    return base64.b64decode(data[len(prefix):])


def export_views(logdir: str, out_dir: str, view: str, params: dict | None = None,
                 formats=("html", "png"), timeout: float = 300.0) -> list[str]:
    """Exports view `view` of the plugin over `logdir` with `params` (run, step, layer, name, cell, offset, index, ...:
    as window.krnnExport takes them) once per format into `out_dir` (written atomically); returns the files' paths.
    KRNNError with one line when Chromium or ChromeDriver is missing, the view or run is unknown, TensorBoard does not
    serve the logdir, or the export fails in the page (the page's message)."""
    params = {key: value for key, value in dict(params or {}).items() if value is not None}
    formats = tuple(formats)
    logdir = os.path.abspath(logdir)
    _check(logdir, view, params, formats)
    _check_browser()
    from selenium.common.exceptions import WebDriverException

    paths = []
    with contextlib.ExitStack() as stack:
        try:
            base = stack.enter_context(testing.tensorboard(logdir, timeout=timeout, ready=_Settled()))
        except RuntimeError as error:
            raise KRNNError(f"TensorBoard did not serve {logdir}: {error}") from None
        try:
            driver = testing.headless_chromium()
        except WebDriverException as error:
            raise KRNNError(f"headless Chromium did not start: {str(error.msg or error).splitlines()[0]}") from None
        stack.callback(driver.quit)
        driver.set_script_timeout(SCRIPT_TIMEOUT)
        try:
            driver.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
            for kind in formats:
                result = driver.execute_async_script(_EXPORT_SCRIPT, view, params, kind)
                if not result or not result.get("ok"):
                    problem = (result or {}).get("error") or "no answer"
                    raise KRNNError(f"exporting the {view} view as {kind.upper()} failed in the page: {problem}")
                fallback = f"karpathy_rnn-{view}.{kind}"
                path = os.path.join(out_dir, safe_filename(result["filename"], fallback))
                with atomic_file(path, "wb") as handle:
                    handle.write(_decoded(kind, result["data"]))
                paths.append(path)
        except WebDriverException as error:
            raise KRNNError(f"the browser failed while exporting the {view} view: "
                            f"{str(error.msg or error).splitlines()[0]}") from None
    return paths
