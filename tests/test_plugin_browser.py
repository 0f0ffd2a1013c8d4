"""The plugin in a real browser: `tensorboard --logdir` started as a subprocess, Debian's headless Chromium driven
by Selenium through Debian's chromedriver, assertions on what is drawn; screenshots go to $KRNN_ARTIFACTS."""

import os

import numpy as np
import pytest

from plugin_helpers import EARLY_STEP, HOSTILE_TEXT, KNOWN_CELL, STEP, oracle_slices, write_plugin_logdir
from tb_plugin.testing import chromium_available, css, get_json, headless_chromium, tensorboard, wait

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACTS = os.environ.get("KRNN_ARTIFACTS", os.path.join(REPO, "artifacts", "browser"))
LONG_TAIL = 2500                                   # characters after the hostile text, so the text has pages
WIDTH, HEIGHT = 1280, 800


@pytest.fixture(scope="module")
def browser():
    if not chromium_available():
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium and chromium-driver (.ci/run installs them)")
        pytest.skip("Debian's chromium and chromium-driver are not installed (apt install chromium chromium-driver)")
    driver = headless_chromium(WIDTH, HEIGHT)
    os.makedirs(ARTIFACTS, exist_ok=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    logdir = write_plugin_logdir(str(tmp_path_factory.mktemp("browser") / "logdir"), long_text=LONG_TAIL)
    with tensorboard(logdir, expect_runs=3, ready=fully_loaded) as base:
        yield base


def fully_loaded(body) -> bool:
    """Whether TensorBoard has read every summary the fixture wrote."""
    runs = {r["run"]: r for r in body["runs"]}
    lstm, gru = runs.get("lstm"), runs.get("gru")
    return bool(lstm and gru and len(lstm["activations"]) == 4 and lstm["text"]["steps"] == [EARLY_STEP, STEP] and lstm["cell_ranking"] and lstm["oracle"]
                and lstm["saturation"] and len(lstm["saturation"]["gates"]) == 3 and gru["oracle"]
                and len(body["problems"]) == 2)


def open_plugin(driver, base):
    driver.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
    wait(driver, lambda d: css(d, "pre.krnn-text span") or css(d, ".krnn-message"))


def choose(driver, name, value):
    """Picks `value` in the <select name=...> and lets the view reload (again if the view redrew the menu
    meanwhile: it opens on the top-ranked cell once the ranking arrives)."""
    from selenium.webdriver.support.ui import Select

    def attempt(d):
        Select(css(d, f"select[name='{name}']")[0]).select_by_value(str(value))
        return True
    wait(driver, attempt)


def set_number(driver, name, value):
    """Types `value` into the <input name=...> (again if the view redrew it meanwhile)."""
    def attempt(d):
        field = css(d, f"input[name='{name}']")[0]
        d.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))",
                         field, str(value))
        return True
    wait(driver, attempt)


def no_horizontal_scroll(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def screenshot(driver, name):
    driver.save_screenshot(os.path.join(ARTIFACTS, name))


def test_tensorboard_shows_the_plugin_tab_beside_scalars(browser, server):
    status, listing = get_json(f"{server}/data/plugins_listing")
    assert status == 200 and listing["karpathy_rnn"]["enabled"]
    assert listing["karpathy_rnn"]["loading_mechanism"]["module_path"] == "/data/plugin/karpathy_rnn/index.js"
    browser.get(f"{server}/#karpathy_rnn")
    wait(browser, lambda d: d.execute_script(
        "return [...document.querySelectorAll('a, button, [role=tab], .mat-tab-label, span')]"
        ".some(e => e.textContent.trim().toLowerCase() === 'karpathy_rnn')"), timeout=60)
    frame = wait(browser, lambda d: css(d, "iframe"), timeout=60)[0]
    browser.switch_to.frame(frame)
    try:
        wait(browser, lambda d: css(d, "pre.krnn-text span"), timeout=60)
        assert no_horizontal_scroll(browser)
    finally:
        browser.switch_to.default_content()
    assert no_horizontal_scroll(browser)
    screenshot(browser, "tensorboard_tab.png")


def test_colored_text_draws_each_character_in_its_cell_colour(browser, server):
    from karpathy_rnn.render import activation_colors

    open_plugin(browser, server)
    set_number(browser, "cell", KNOWN_CELL)
    wait(browser, lambda d: d.execute_script(
        "return getComputedStyle(document.querySelector('pre.krnn-text span')).backgroundColor") == "rgb(255, 0, 0)")
    spans = css(browser, "pre.krnn-text span")
    text = HOSTILE_TEXT * 3 + "x" * LONG_TAIL
    assert len(spans) == min(5000, len(text))                      # one span per character of the first page
    colours = browser.execute_script(
        "return [...document.querySelectorAll('pre.krnn-text span')].slice(0, 10).map(s => getComputedStyle(s).backgroundColor)")
    expected = activation_colors(np.resize([-1.0, -0.5, 0.0, 0.5, 1.0], 10))
    assert colours == [f"rgb({r}, {g}, {b})" for r, g, b in expected.tolist()]
    assert colours[:5] == ["rgb(255, 0, 0)", "rgb(255, 128, 128)", "rgb(255, 255, 255)", "rgb(128, 128, 255)",
                           "rgb(0, 0, 255)"]
    inks = browser.execute_script(                 # issue 16.2: black or white, whichever reads better (WCAG AA)
        "return [...document.querySelectorAll('pre.krnn-text span')].slice(0, 5).map(s => getComputedStyle(s).color)")
    assert inks == ["rgb(0, 0, 0)", "rgb(0, 0, 0)", "rgb(0, 0, 0)", "rgb(0, 0, 0)", "rgb(255, 255, 255)"]
    from karpathy_rnn.render import contrast_ratio

    rgb = lambda css_colour: np.array([int(c) for c in css_colour[4:-1].split(",")])   # noqa: E731
    assert min(contrast_ratio(rgb(i), rgb(c)) for i, c in zip(inks, colours)) >= 4.5
    # user text stays text: drawn character by character, never parsed as markup or run
    shown = browser.execute_script("return document.querySelector('pre.krnn-text').textContent")
    assert shown == text.replace("\n", "\u21b5\n")
    assert browser.execute_script("return window.krnnInjected") is None
    assert not css(browser, "pre.krnn-text script, pre.krnn-text img, pre.krnn-text b, img[src='x']")
    from selenium.webdriver import ActionChains

    ActionChains(browser).move_to_element(spans[4]).perform()
    wait(browser, lambda d: "+1.000" in css(d, ".krnn-readout")[0].text)      # hovering shows the value
    assert css(browser, ".krnn-readout")[0].text.startswith('Character 4 "i": +1.000 (layer1 c')  # "<scri"[4]
    assert spans[4].get_attribute("title") == "+1.000"                        # and the tooltip
    assert no_horizontal_scroll(browser)
    screenshot(browser, "colored_text.png")
    choose(browser, "step", EARLY_STEP)                    # the earlier analysis: the same cell, negated
    wait(browser, lambda d: d.execute_script(
        "return getComputedStyle(document.querySelector('pre.krnn-text span')).backgroundColor") == "rgb(0, 0, 255)")


def test_colored_text_pages_and_jumps_from_the_ranking(browser, server):
    open_plugin(browser, server)
    choose(browser, "limit", 2000)
    length = len(HOSTILE_TEXT * 3) + LONG_TAIL
    wait(browser, lambda d: css(d, "[data-testid=page-range]")[0].text == f"Characters 1–2,000 of {length:,}")
    wait(browser, lambda d: len(css(d, "pre.krnn-text span")) == 2000)
    css(browser, "button[data-action=next]")[0].click()
    wait(browser, lambda d: len(css(d, "pre.krnn-text span")) == length - 2000)
    assert css(browser, "[data-testid=page-range]")[0].text == f"Characters 2,001–{length:,} of {length:,}"
    # the ranking lists features by name (escaped) and opens a cell on click
    features = [h.text for h in css(browser, ".krnn-feature h4")]
    assert features == ["quote", "<b>markup</b>"]
    css(browser, "button.krnn-cell-link[data-layer=layer2][data-cell='5']")[0].click()
    wait(browser, lambda d: css(d, "input[name=cell]")[0].get_attribute("value") == "5")
    assert css(browser, "select[name=layer]")[0].get_attribute("value") == "layer2"
    assert css(browser, "[data-testid=page-range]")[0].text.startswith("Characters 1–")


def test_saturation_scatter_has_a_point_per_unit_and_opens_a_unit(browser, server):
    open_plugin(browser, server)
    css(browser, "button[data-view=saturation]")[0].click()
    wait(browser, lambda d: css(d, "svg.krnn-scatter"))
    choose(browser, "run", "lstm")
    wait(browser, lambda d: [p.get_attribute("data-gate") for p in css(d, "svg.krnn-scatter")] == ["i", "f", "o"])
    for panel in css(browser, "svg.krnn-scatter"):
        assert len(panel.find_elements("css selector", "circle.krnn-point")) == 16     # 2 layers x 8 units
        assert panel.find_elements("css selector", "line.krnn-diagonal")
    labels = [t.text for t in css(browser, "svg.krnn-scatter text.krnn-axis-label")]
    assert labels[:2] == ["fraction right-saturated", "fraction left-saturated"]
    assert no_horizontal_scroll(browser)
    screenshot(browser, "saturation.png")
    choose(browser, "run", "gru")
    wait(browser, lambda d: [p.get_attribute("data-gate") for p in css(d, "svg.krnn-scatter")] == ["r", "z"])
    assert len(css(browser, "svg.krnn-scatter")[0].find_elements("css selector", "circle")) == 12
    choose(browser, "run", "lstm")
    wait(browser, lambda d: [p.get_attribute("data-gate") for p in css(d, "svg.krnn-scatter")] == ["i", "f", "o"])
    point = css(browser, "svg.krnn-scatter[data-gate=f] circle[data-layer=layer2][data-unit='6']")[0]
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", point)
    wait(browser, lambda d: css(d, "input[name=cell]") and css(d, "input[name=cell]")[0].get_attribute("value") == "6")
    assert css(browser, "button[data-view=text]")[0].get_attribute("aria-selected") == "true"
    assert css(browser, "select[name=layer]")[0].get_attribute("value") == "layer2"


def test_oracle_pies_show_two_runs_side_by_side_with_counts(browser, server):
    open_plugin(browser, server)
    css(browser, "button[data-view=oracle]")[0].click()
    wait(browser, lambda d: len(css(d, "figure.krnn-oracle-panel")) == 2)
    panels = css(browser, "figure.krnn-oracle-panel")
    assert [p.get_attribute("data-run") for p in panels] == ["gru", "lstm"]
    assert panels[0].rect["y"] == panels[1].rect["y"] and panels[0].rect["x"] < panels[1].rect["x"]
    lstm = panels[1]
    rows = [[td.text for td in row.find_elements("css selector", "td")][1:] for row in lstm.find_elements("css selector", "tbody tr")]
    assert rows[0] == ["1-9 gram", "n-gram", "180", "18.0%"] and rows[4] == ["after space", "word", "370", "37.0%"]
    assert [r[0] for r in rows] == [s["name"] for s in oracle_slices()]
    assert len(lstm.find_elements("css selector", "path.krnn-slice")) == len(oracle_slices())
    pie_labels = [t.text for t in lstm.find_elements("css selector", "text.krnn-pie-label")]
    assert "after space 37%" in pie_labels and "1-9 gram 18%" in pie_labels
    assert "1,000 errors (p < 0.5) in 2,400 characters of the test split (41.7%)" in lstm.text
    assert no_horizontal_scroll(browser)
    screenshot(browser, "oracle.png")


def test_a_malformed_run_shows_a_message_not_a_blank_page(browser, server):
    open_plugin(browser, server)
    assert "2 unreadable karpathy_rnn summaries skipped" in css(browser, ".krnn-problems summary")[0].text
    choose(browser, "run", "malformed")
    alert = wait(browser, lambda d: css(d, ".krnn-status [role=alert]"))[0]
    assert "the text has 6 characters but the activations of layer1/h cover 4" in alert.text


def test_an_empty_logdir_says_what_to_do(browser, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with tensorboard(str(empty)) as base:
        browser.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
        message = wait(browser, lambda d: css(d, ".krnn-message"))[0]
        assert "No karpathy_rnn data in this logdir yet" in message.text and "scripts/analyze.py" in message.text


def test_screenshot_script_takes_the_three_views(browser, tmp_path):
    from training_helpers import error_line, run_script

    logdir = write_plugin_logdir(str(tmp_path / "logdir"))
    done = run_script("plugin_screenshots.py", logdir, "--out", tmp_path / "shots", "--run", "lstm",
                      "--cell", "layer1:3", "--colors", "64")
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("colored_text.png", "saturation.png", "oracle.png"):
        with open(tmp_path / "shots" / name, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    done = run_script("plugin_screenshots.py", tmp_path / "missing", "--out", tmp_path / "x")
    assert done.returncode == 2 and "is not a folder" in error_line(done)
    done = run_script("plugin_screenshots.py", logdir, "--out", tmp_path / "y", "--cell", "layer7:1")
    assert done.returncode == 2 and "--layer layer7: the plugin offers layer1, layer2" in error_line(done)


PROPERTY_NAMES = ("constructor", "__proto__", "toString", "hasOwnProperty")


def _property_named_run(path: str) -> None:
    """A run whose groups, gates, layers, states and features are named like JavaScript's object properties."""
    import tensorflow as tf

    from karpathy_rnn import summary

    with tf.summary.create_file_writer(path).as_default():
        summary.write_text("abcdef", 1, source="test")
        summary.write_activations("constructor", "__proto__", np.zeros((6, 2)), 1, "lstm")
        for index, gate in enumerate(PROPERTY_NAMES):
            summary.write_saturation("toString", gate, np.array([0.1, 0.2]), np.array([0.3, 0.4]), 1, "lstm", index)
        summary.write_cell_ranking({name: [{"layer": "constructor", "cell": 1, "r": 0.5}] for name in PROPERTY_NAMES},
                                   1, "Pearson r", {})
        summary.write_oracle([{"name": name, "group": name, "errors": 10 + i} for i, name in enumerate(PROPERTY_NAMES)],
                             100, 1, split="test")


def test_names_like_object_properties_stay_data_in_every_view(browser, tmp_path):
    _property_named_run(str(tmp_path / "logdir" / "proto"))
    with tensorboard(str(tmp_path / "logdir"), expect_runs=1,
                     ready=lambda body: body["runs"][0]["oracle"] and body["runs"][0]["cell_ranking"]) as base:
        browser.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
        wait(browser, lambda d: len(css(d, ".krnn-feature h4")) == 4)
        assert [h.text for h in css(browser, ".krnn-feature h4")] == list(PROPERTY_NAMES)
        assert all(not h.get_attribute("title") for h in css(browser, ".krnn-feature h4"))
        assert css(browser, "select[name=name] option")[0].text == "__proto__"
        assert not css(browser, ".krnn-status [role=alert]")
        css(browser, "button[data-view=saturation]")[0].click()
        wait(browser, lambda d: len(css(d, "svg.krnn-scatter")) == 4)
        assert [p.get_attribute("data-gate") for p in css(browser, "svg.krnn-scatter")] == sorted(PROPERTY_NAMES)
        css(browser, "button[data-view=oracle]")[0].click()
        panel = wait(browser, lambda d: css(d, "figure.krnn-oracle-panel[data-run=proto]"))[0]
        rows = [[td.text for td in row.find_elements("css selector", "td")][1:3]
                for row in panel.find_elements("css selector", "tbody tr")]
        assert rows == [[name, name] for name in PROPERTY_NAMES]
        assert len(panel.find_elements("css selector", "path.krnn-slice")) == 4
        fills = {p.get_attribute("fill") for p in panel.find_elements("css selector", "path.krnn-slice")}
        assert len(fills) == 4 and all(f.startswith("hsl(") for f in fills)


LONG_RUN = "war_and_peace-lstm-2x128-dropout-0.25-seed-7/analysis/test"


def _long_named_run(path: str) -> None:
    """A run with a long path, two layers, a ranking whose top cell is lstm2:5, and long oracle slice names."""
    import tensorflow as tf

    from karpathy_rnn import summary

    rng = np.random.default_rng(3)
    with tf.summary.create_file_writer(path).as_default():
        summary.write_text("hello world\n" * 20, 1, source="test")
        for index, layer in enumerate(("lstm1", "lstm2"), start=1):
            summary.write_activations(layer, "c", rng.uniform(-1, 1, (240, 8)), 1, "lstm")
            summary.write_saturation(layer, "f", np.full(8, 0.2 * index), np.full(8, 0.1), 1, "lstm", index)
        summary.write_cell_ranking({"in_quotes": [{"layer": "lstm2", "cell": 5, "r": 0.8}]}, 1, "Pearson r", {})
        summary.write_oracle([{"name": "dynamic 100-memory oracle", "group": "memory", "errors": 6},
                              {"name": "after a space, quote or newline", "group": "word", "errors": 44},
                              {"name": "remaining", "group": "remaining", "errors": 50}], 1000, 1, split="test")


def test_plugin_polish_top_cell_readout_long_names_pie_labels_and_layer_toggles(browser, tmp_path):
    """Issue 16.7: opens on the top-ranked cell; the readout follows a clicked cell; a long run name is whole in
    the sidebar and keeps its end in the menu; pie labels stay inside their figure; layers toggle in scatters."""
    _long_named_run(str(tmp_path / "logdir" / LONG_RUN))
    with tensorboard(str(tmp_path / "logdir"), expect_runs=1,
                     ready=lambda body: body["runs"][0]["oracle"] and body["runs"][0]["cell_ranking"]) as base:
        browser.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
        wait(browser, lambda d: css(d, "input[name=cell]")[0].get_attribute("value") == "5")
        assert css(browser, "select[name=layer]")[0].get_attribute("value") == "lstm2"
        wait(browser, lambda d: "lstm2 c (tanh, cell state) cell 5" in css(d, ".krnn-readout")[0].text)
        set_number(browser, "cell", 2)
        wait(browser, lambda d: "cell 2," in css(d, ".krnn-readout")[0].text)          # not the old cell's name

        label = css(browser, ".krnn-run span")[0]
        assert label.text == LONG_RUN
        assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", label)
        option = css(browser, "select[name=run] option")[0]
        assert option.get_attribute("title") == LONG_RUN and option.text.endswith("seed-7/analysis/test")

        css(browser, "button[data-view=oracle]")[0].click()
        wait(browser, lambda d: len(css(d, "text.krnn-pie-label")) == 3)
        outside = browser.execute_script(
            "const svg = document.querySelector('svg.krnn-pie'); const box = svg.viewBox.baseVal;"
            "return [...svg.querySelectorAll('text.krnn-pie-label')].filter((t) => { const b = t.getBBox();"
            "  return b.x < box.x || b.x + b.width > box.x + box.width; }).map((t) => t.textContent);")
        assert outside == []
        labels = [t.text for t in css(browser, "text.krnn-pie-label")]
        assert any(t.startswith("after a sp") for t in labels) and "remaining 50%" in labels, labels

        css(browser, "button[data-view=saturation]")[0].click()
        wait(browser, lambda d: len(css(d, "circle.krnn-point")) == 16)
        visible = lambda d: len([p for p in css(d, "circle.krnn-point") if p.is_displayed()])  # noqa: E731
        css(browser, "button.krnn-layer-toggle[data-layer=lstm2]")[0].click()
        wait(browser, lambda d: visible(d) == 8)
        assert all(p.get_attribute("data-layer") == "lstm1" for p in css(browser, "circle.krnn-point")
                   if p.is_displayed())
        css(browser, "button.krnn-layer-toggle[data-layer=lstm2]")[0].click()
        wait(browser, lambda d: visible(d) == 16)
