"""The plugin's export (tb_plugin/static/export.js, tb_plugin/export_cli.py) in a real browser: `tensorboard --logdir`
started as a subprocess, Debian's headless Chromium driven by Selenium. The HTML export is parsed and re-opened from
a file:// URL (it must load nothing), the PNG decoded, and export_cli run end to end."""

import base64
import html.parser
import os
import re
import struct

import numpy as np
import pytest

from plugin_helpers import (agreement_body, browser_session, brace_body, characters_body, connectivity_body,
                            krnn_export, oracle_slices)
from training_helpers import error_line
from tb_plugin.testing import css, tensorboard, wait

WIDTH, HEIGHT = 1280, 800
STEP = 700                                        # under 1,000: the caption shows it without a thousands separator
HOSTILE = '<script>alert(1)</script> "&<>'
RUN = f"run {HOSTILE}"                            # a folder path: `</script>` makes two folders
PLAIN = "plain"
TEXT = (f"int f(x) {{\n  s = '{HOSTILE}';\n  t = \"<img src=x onerror=window.krnnInjected=1>\" & 1;\f\n}}\n") * 6
UNITS = 6
LAYER, CELL = "layer1", 3
CYCLE = [-1.0, -0.5, 0.0, 0.5, 1.0]               # cell CELL of layer1's c: red, pink, white, light blue, blue


def _write_logdir(root: str) -> str:
    """Run RUN: text, activations, cell ranking, saturation, oracle, brace, characters, agreement and a connectivity
    study of two texts; run PLAIN: text and activations only."""
    import tensorflow as tf

    from karpathy_rnn import summary

    rng = np.random.default_rng(0)
    with tf.summary.create_file_writer(os.path.join(root, RUN)).as_default():
        summary.write_cell_ranking({"quote": [{"layer": LAYER, "cell": CELL, "r": 0.2}]}, STEP // 2, "Pearson r",
                                   {"quote": HOSTILE})                     # an earlier step: the Over training view
        summary.write_text(TEXT, STEP, source="test")
        for index, layer in enumerate(("layer1", "layer2"), start=1):
            c = np.tanh(rng.normal(size=(len(TEXT), UNITS))).astype(np.float32)
            if layer == LAYER:
                c[:, CELL] = np.resize(CYCLE, len(TEXT))
            summary.write_activations(layer, "c", c, STEP, "lstm", (-1, 1), "tanh")
            for gate in ("i", "f", "o"):
                summary.write_saturation(layer, gate, rng.uniform(0, 0.5, UNITS), rng.uniform(0, 0.5, UNITS), STEP,
                                         "lstm", index)
        summary.write_cell_ranking({"quote": [{"layer": LAYER, "cell": CELL, "r": 0.9}]}, STEP, "Pearson r",
                                   {"quote": HOSTILE})
        summary.write_oracle(oracle_slices(), 2400, STEP, split="test", model=HOSTILE)
        summary.write_brace_study(brace_body(), STEP)
        summary.write_character_comparison(characters_body(), STEP)
        summary.write_agreement(agreement_body(), STEP)
        for index in (0, 1):
            summary.write_connectivity(connectivity_body(index), STEP, index)
    with tf.summary.create_file_writer(os.path.join(root, PLAIN)).as_default():
        summary.write_text("plain text\n", STEP, source="test")
        summary.write_activations("layer1", "c", np.zeros((11, 2), np.float32), STEP, "lstm")
    return root


def _loaded(body) -> bool:
    runs = {r["run"]: r for r in body["runs"]}
    run, plain = runs.get(RUN), runs.get(PLAIN)
    return bool(run and plain and run["text"] and len(run["activations"]) == 2 and run["training"]
                and run["saturation"] and len(run["saturation"]["gates"]) == 3 and run["oracle"] and run["brace"]
                and run["characters"] and run["agreement"] and run["connectivity"] and run["connectivity"]["texts"] == 2
                and plain["text"] and plain["activations"])


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    return _write_logdir(str(tmp_path_factory.mktemp("export") / "logdir"))


@pytest.fixture(scope="module")
def browser():
    yield from browser_session(WIDTH, HEIGHT, script_timeout=120)


@pytest.fixture(scope="module")
def server(browser, logdir):
    with tensorboard(logdir, expect_runs=2, ready=_loaded) as base:
        yield base


def open_plugin(driver, base):
    driver.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
    wait(driver, lambda d: css(d, "pre.krnn-text span") or css(d, ".krnn-message"))


def expected_name(view, extension, layer=None, cell=None):
    stem = f"karpathy_rnn-{view}-{RUN}-step{STEP}" + (f"-{layer}-cell{cell}" if layer else "")
    return re.sub(r"[^A-Za-z0-9._-]", "_", stem) + "." + extension


class Parsed(html.parser.HTMLParser):
    """Every start tag with its attributes, the text of each <figcaption>, and the text inside <pre>."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.captions, self.pre, self._open = [], [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._open.append(tag)
        if tag == "figcaption":
            self.captions.append("")
        if tag == "pre":
            self.pre.append("")

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if "figcaption" in self._open:
            self.captions[-1] += data
        if "pre" in self._open:
            self.pre[-1] += data


def assert_standalone(text):
    """No script, no handler, no external reference; the run's markup escaped. Returns the parsed document."""
    assert text.lower().startswith("<!doctype html>")
    parsed = Parsed(text)
    tags = [tag for tag, _ in parsed.tags]
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    assert ("meta", [("charset", "utf-8")]) in parsed.tags and "title" in tags and "style" in tags
    assert not [name for _, attrs in parsed.tags for name, _ in attrs if name.startswith("on")]
    assert not {"button", "input", "select", "textarea"} & set(tags)
    assert not [attrs for _, attrs in parsed.tags if ("class", "krnn-controls") in attrs]
    assert not re.search(r"https?:", text, re.I) and "@import" not in text.lower()
    assert all(match.startswith("data:") for match in re.findall(r"url\(\s*['\"]?([^)'\"]*)", text))
    assert "<script>alert(1)</script>" not in text and '"&<>' not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert ".krnn-block { content-visibility: visible !important" in text
    return parsed


def reopened(driver, tmp_path, name, text):
    """Opens the exported `text` from a file:// URL; returns the resources it requested (none expected)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    driver.get(path.as_uri())
    wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    return driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG: PIL's when installed, else the IHDR chunk's."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    try:
        from PIL import Image
    except ImportError:
        return struct.unpack(">II", data[16:24])
    import io

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


def png_bytes(result) -> bytes:
    assert result["ok"], result
    prefix = "data:image/png;base64,"
    assert result["data"].startswith(prefix)
    return base64.b64decode(result["data"][len(prefix):])


def test_every_view_has_export_buttons_and_exports_with_a_caption(browser, server):
    open_plugin(browser, server)
    views = [tab.get_attribute("data-view") for tab in css(browser, "button.krnn-tab")]
    assert views == ["text", "saturation", "training", "oracle", "characters", "brace", "agreement", "connectivity"]
    for view in views:
        css(browser, f"button.krnn-tab[data-view='{view}']")[0].click()
        wait(browser, lambda d: css(d, f"button.krnn-tab[data-view='{view}'][aria-selected='true']"))
        assert [b.text for b in css(browser, "button[data-action^='export-']")] == ["Export HTML", "Export PNG"]
        assert css(browser, "button[data-action='export-html']")[0].is_displayed()
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    for view in views:
        result = krnn_export(browser, view, {"run": RUN}, "html")
        assert result["ok"], (view, result)
        assert result["filename"].startswith(re.sub(r"[^A-Za-z0-9._-]", "_", f"karpathy_rnn-{view}-{RUN}-step{STEP}"))
        caption = Parsed(result["data"]).captions[-1]
        assert f"Run {RUN}" in caption and f"Step {STEP}" in caption, (view, caption)
    assert [box.get_attribute("checked") for box in css(browser, ".krnn-run input")] == [None, "true"]  # RUN only
    result = krnn_export(browser, "connectivity", {"run": RUN, "index": 1}, "html")
    assert result["ok"] and "text 1 of 2 (user text, next character), 3 models" in Parsed(result["data"]).captions[-1]
    assert "to be or not to be" in Parsed(result["data"]).pre[0]


def test_export_buttons_download_the_current_view(browser, server, tmp_path):
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    open_plugin(browser, server)
    css(browser, "button.krnn-tab[data-view='saturation']")[0].click()
    wait(browser, lambda d: css(d, "circle.krnn-point"))
    downloaded = lambda d: [n for n in os.listdir(tmp_path) if not n.endswith(".crdownload")]   # noqa: E731
    css(browser, "button[data-action='export-html']")[0].click()
    html_name = wait(browser, downloaded)[0]
    assert re.fullmatch(r"karpathy_rnn-saturation-.+-step\d+\.html", html_name)
    assert "<svg" in (tmp_path / html_name).read_text(encoding="utf-8")
    css(browser, "button[data-action='export-png']")[0].click()
    png_name = wait(browser, lambda d: [n for n in downloaded(d) if n.endswith(".png")])[0]
    assert png_name == html_name[:-len("html")] + "png"
    assert png_size((tmp_path / png_name).read_bytes())[0] >= 3 * 900
    assert not css(browser, ".krnn-export-error")


def test_html_export_of_colored_text_is_standalone_escaped_and_loads_nothing(browser, server, tmp_path):
    open_plugin(browser, server)
    result = krnn_export(browser, "text", {"run": RUN, "layer": LAYER, "name": "c", "cell": CELL}, "html")
    assert result["ok"], result
    assert result["filename"] == expected_name("text", "html", LAYER, CELL)
    parsed = assert_standalone(result["data"])
    caption = parsed.captions[-1]
    for fact in (f"Run {RUN}", f"Step {STEP}", f"Layer {LAYER}", f"Cell {CELL}"):
        assert fact in caption, (fact, caption)
    assert parsed.pre == [TEXT.replace("\n", "\u21b5\n")]             # every character, as text
    assert reopened(browser, tmp_path, result["filename"], result["data"]) == []
    assert browser.execute_script("return window.krnnInjected") is None
    assert browser.execute_script("return document.querySelector('pre.krnn-text').textContent") == parsed.pre[0]
    colours = browser.execute_script("return [...document.querySelectorAll('pre.krnn-text span')].slice(0, 5)"
                                     ".map((s) => getComputedStyle(s).backgroundColor)")
    assert colours == ["rgb(255, 0, 0)", "rgb(255, 128, 128)", "rgb(255, 255, 255)", "rgb(128, 128, 255)",
                       "rgb(0, 0, 255)"]
    assert browser.execute_script("return [...document.querySelectorAll('.krnn-block')]"
                                  ".every((b) => getComputedStyle(b).contentVisibility === 'visible')")
    assert browser.execute_script("return getComputedStyle(document.querySelector('pre.krnn-text')).maxHeight") == "none"


def test_html_export_of_saturation_is_standalone_and_loads_nothing(browser, server, tmp_path):
    open_plugin(browser, server)
    result = krnn_export(browser, "saturation", {"run": RUN}, "html")
    assert result["ok"], result
    assert result["filename"] == expected_name("saturation", "html")
    parsed = assert_standalone(result["data"])
    caption = parsed.captions[-1]
    assert f"Run {RUN}" in caption and f"Step {STEP}" in caption and "Saturation" in caption
    assert len([tag for tag, attrs in parsed.tags if tag == "circle" and ("class", "krnn-point") in attrs]) \
        == 3 * 2 * UNITS                                  # 3 gates x 2 layers x UNITS units
    assert reopened(browser, tmp_path, result["filename"], result["data"]) == []
    assert len(css(browser, "svg circle.krnn-point")) == 3 * 2 * UNITS
    assert browser.execute_script("return getComputedStyle(document.querySelector('.krnn-plot-area')).fill") \
        == "rgb(255, 255, 255)"                           # the inlined CSS applies


def test_png_export_is_three_times_the_views_css_width_and_drawn(browser, server):
    open_plugin(browser, server)
    result = krnn_export(browser, "text", {"run": RUN, "layer": LAYER, "name": "c", "cell": CELL}, "png")
    assert result["filename"] == expected_name("text", "png", LAYER, CELL)
    data = png_bytes(result)
    css_width = browser.execute_script("return document.querySelector('.krnn-view').getBoundingClientRect().width")
    width, height = png_size(data)
    assert 3 * css_width <= width <= 3 * (css_width + 40) and height > 3 * 200
    try:
        from PIL import Image
    except ImportError:
        return
    import io

    with Image.open(io.BytesIO(data)) as image:
        colours = {rgb for _, rgb in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert (255, 0, 0) in colours and (0, 0, 255) in colours           # the text's colours, drawn
    assert (33, 33, 33) in colours or (0, 0, 0) in colours             # and dark text (view and caption)


def test_script_export_rejects_unknown_views_runs_steps_and_missing_data(browser, server):
    open_plugin(browser, server)
    result = krnn_export(browser, "nope", {}, "html")
    assert not result["ok"] and "unknown view" in result["error"] and "saturation" in result["error"]
    result = krnn_export(browser, "text", {"run": "no such run"}, "html")
    assert not result["ok"] and "unknown run" in result["error"]
    result = krnn_export(browser, "oracle", {"run": PLAIN}, "html")
    assert not result["ok"] and "no oracle breakdown" in result["error"], result
    result = krnn_export(browser, "characters", {"run": RUN, "step": 5}, "html")
    assert not result["ok"] and "step 5" in result["error"], result
    result = krnn_export(browser, "brace", {"run": RUN, "step": 5}, "html")
    assert not result["ok"] and "step 5" in result["error"], result
    result = krnn_export(browser, "connectivity", {"run": RUN, "index": 7}, "html")
    assert not result["ok"] and "no connectivity text 7" in result["error"], result
    result = krnn_export(browser, "text", {"run": RUN}, "gif")
    assert not result["ok"] and "format" in result["error"]


def test_export_cli_writes_the_html_and_png_of_a_view(browser, logdir, tmp_path):
    """analyze.py export: the real tensorboard and Chromium, the page's own export, the files written whole."""
    from training_helpers import run_script

    done = run_script("analyze.py", "export", logdir, "--view", "saturation", "--run", RUN, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr[-3000:]
    names = [expected_name("saturation", "html"), expected_name("saturation", "png")]
    assert sorted(os.listdir(tmp_path / "out")) == sorted(names)                # no temporary left
    assert [line.rsplit("/", 1)[-1] for line in done.stdout.split()[1::2]] == names
    with open(tmp_path / "out" / names[0], encoding="utf-8") as handle:
        assert_standalone(handle.read())
    with open(tmp_path / "out" / names[1], "rb") as handle:
        assert png_size(handle.read())[0] >= 3 * 900
    done = run_script("analyze.py", "export", logdir, "--view", "text", "--run", "gone", "--out", tmp_path / "o2")
    assert done.returncode == 2 and error_line(done).startswith("error: run 'gone' is unknown in ")


def test_export_cli_says_what_is_wrong_in_one_line(logdir, tmp_path, monkeypatch):
    from karpathy_rnn.errors import KRNNError
    from tb_plugin import export_cli, testing

    with pytest.raises(KRNNError, match=r"view 'nope' is unknown; the plugin's views are text, saturation"):
        export_cli.export_views(logdir, str(tmp_path), "nope", {})
    with pytest.raises(KRNNError, match=r"run 'gone' is unknown in .*; its runs are .*'plain'"):
        export_cli.export_views(logdir, str(tmp_path), "text", {"run": "gone"})
    with pytest.raises(KRNNError, match=r"format 'gif' is unknown"):
        export_cli.export_views(logdir, str(tmp_path), "text", {}, formats=("gif",))
    with pytest.raises(KRNNError, match=r"is not a folder"):
        export_cli.export_views(str(tmp_path / "missing"), str(tmp_path), "text", {})
    monkeypatch.setattr(testing, "chromium_available", lambda: False)
    with pytest.raises(KRNNError, match=r"apt install chromium chromium-driver") as caught:
        export_cli.export_views(logdir, str(tmp_path), "text", {"run": RUN})
    assert "\n" not in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_png_export_lowers_the_scale_to_fit_the_canvas_limit_and_says_so(browser, server):
    open_plugin(browser, server)
    result = browser.execute_async_script("""
        const done = arguments[0];
        import('./static/export.js').then(async ({exportPng}) => {
          const element = document.createElement('div');          // a view 100 px wide and 20,000 px tall
          element.style.cssText = 'width: 100px; height: 20000px; background: rgb(0, 0, 255)';
          document.body.append(element);
          const view = {element, caption: () => ({title: 'Tall', run: 'r', step: 1, details: 'a test'})};
          const png = await exportPng(view, {id: 'tall', title: 'Tall'}, {selectedRuns: () => []});
          element.remove();
          done({filename: png.filename, width: png.width, height: png.height, scale: png.scale, note: png.note,
                bytes: png.blob.size});
        }).catch((error) => done({error: String(error)}));""")
    assert "error" not in result, result
    assert result["filename"] == "karpathy_rnn-tall-r-step1.png"
    assert result["height"] <= 16384 and result["width"] * result["height"] <= 268435456
    assert 0.7 < result["scale"] < 0.82 and result["height"] > 16000     # 16,384 / (20,000 + the caption)
    assert result["note"].startswith(f"Drawn at {result['scale']:.2f}x instead of 3x") and result["bytes"] > 0
