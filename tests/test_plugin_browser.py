"""The plugin in a real browser: `tensorboard --logdir` started as a subprocess, Debian's headless Chromium driven
by Selenium through Debian's chromedriver, assertions on what is drawn; screenshots go to $KRNN_ARTIFACTS."""

import math
import os
import re

import numpy as np
import pytest

from plugin_helpers import (browser_session, choose, hover_until, set_number, text_settled, CONNECTIVITY_MODELS,
                            CONNECTIVITY_TEXTS, EARLY_STEP, HOSTILE_TEXT, KNOWN_CELL, ORACLE_MODEL, STEP,
                            agreement_body, brace_body, characters_body, connectivity_body, oracle_slices,
                            write_plugin_logdir)
from tb_plugin.testing import css, get_json, tensorboard, wait

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACTS = os.environ.get("KRNN_ARTIFACTS", os.path.join(REPO, "artifacts", "browser"))
LONG_TAIL = 2500                                   # characters after the hostile text, so the text has pages
WIDTH, HEIGHT = 1280, 800


@pytest.fixture(scope="module")
def browser():
    for driver in browser_session(WIDTH, HEIGHT):
        os.makedirs(ARTIFACTS, exist_ok=True)
        yield driver


# A run whose every name is markup: run (a folder path, so `</script>` is two folders), layers, gate, feature, its
# description, oracle slices, group and split. Its name sorts last, so the views still open on the lstm run.
HOSTILE_RUN = "zz <img src=x onerror=window.krnnInjected=3> &amp; </script>"
HOSTILE_LAYERS = ("<img src=x onerror=window.krnnInjected=4>", "</script><b>layer2</b>&amp;")
HOSTILE_GATE = "<b>gate</b>&lt;"
HOSTILE_FEATURE, HOSTILE_DESCRIPTION = "<img src=x onerror=window.krnnInjected=5>", "&amp; </script><b>desc</b>"
HOSTILE_EXAMPLE = {"fragments": [
    {"start": 3, "text": "<script>alert(1)</script> é", "errors": [0, 26], "repeat": []},
    {"start": 40, "text": "&amp; <img src=x onerror=window.krnnInjected=13>\n<b>", "errors": [0, 48], "repeat": [[0, 5]]}]}
HOSTILE_SLICES = [{"name": "<img src=x onerror=window.krnnInjected=6>", "group": "&amp;", "errors": 25,
                   "examples": [HOSTILE_EXAMPLE]},
                  {"name": "</script><b>two</b>", "group": "memory", "errors": 15},
                  {"name": "remaining", "group": "remaining", "errors": 60}]
HOSTILE_ORACLE_MODEL = "<b>LSTM</b> &amp; <img src=x onerror=window.krnnInjected=14>"
HOSTILE_SPLIT = "<i>test</i>"
HOSTILE_STEP = 5
HOSTILE_RUN_TEXT = "a<b>&amp;</b> é\n" * 4
# Saturation of gate f, (left, right) per unit, per layer (layer_index 1, 2): known points of the scatter.
KNOWN_SATURATION = {HOSTILE_LAYERS[0]: ([0.1, 0.6, 0.0], [0.8, 0.2, 1.0]),
                    HOSTILE_LAYERS[1]: ([0.5, 0.25, 0.75], [0.25, 0.0, 0.125])}
LAYER_COLORS = ["#1f77b4", "#ff7f0e"]              # saturation.js's first two layer colours (matplotlib's)
# Section 4.3's summaries of the hostile run: model names, character labels and the excerpt are markup.
HOSTILE_MODELS = ["<img src=x onerror=window.krnnInjected=7>", "</script><b>20-gram</b>&amp;"]
HOSTILE_COMPARED_TEXT = "<script>alert(1)</script><img src=x onerror=\"window.krnnInjected=9\"> &amp; é\n"
HOSTILE_LEADERS = [[{"character": "<", "label": "<b>&lt;</b>", "means": [0.9, 0.1], "count": 5}],
                   [{"character": "&", "label": "<img src=x onerror=window.krnnInjected=10>", "means": [0.2, 0.8],
                     "count": 3}]]

# A connectivity text of 200 characters (the view must wrap it in three columns at 1280x800) with markup, quotes and
# newlines, three models named with markup and like an object property, targets and suggestions that are markup.
HOSTILE_CONNECTIVITY_TEXT = ("<b>&amp;</b> \"q\" 'x'\n<img src=x onerror=window.krnnInjected=15>\n" * 4)[:200]
HOSTILE_CONNECTIVITY_MODELS = [HOSTILE_MODELS[0], "__proto__", HOSTILE_MODELS[1]]
HOSTILE_LABELS = ["<img src=x onerror=window.krnnInjected=16>", "__proto__", None]
HOSTILE_SOURCE = "<i>user</i> text & \"quotes\""


def hostile_connectivity_body() -> dict:
    text = HOSTILE_CONNECTIVITY_TEXT
    suggestions = [{"label": "constructor", "p": 0.5}, {"label": HOSTILE_LABELS[0], "p": 0.25},
                   {"label": "</pre><i>x</i>", "p": 0.125}]
    return {"task": "autocomplete", "source": HOSTILE_SOURCE, "text": text,
            "targets": [HOSTILE_LABELS[j % 3] for j in range(len(text))],
            "models": [{"name": name, "values": [[float((t + m) % 3) for t in range(j + 1)] for j in range(len(text))],
                        "suggestions": [suggestions] * len(text)} for m, name in enumerate(HOSTILE_CONNECTIVITY_MODELS)]}


def _hostile_run(path: str) -> None:
    import tensorflow as tf

    from karpathy_rnn import summary

    text = HOSTILE_RUN_TEXT
    with tf.summary.create_file_writer(path).as_default():
        summary.write_text(text, HOSTILE_STEP, source="test")
        for index, layer in enumerate(HOSTILE_LAYERS, start=1):
            summary.write_activations(layer, "c", np.resize([1.0, -1.0, 0.5], (len(text), 3)), HOSTILE_STEP, "lstm")
            left, right = KNOWN_SATURATION[layer]
            for gate in ("f", HOSTILE_GATE):
                summary.write_saturation(layer, gate, np.array(left), np.array(right), HOSTILE_STEP, "lstm", index)
        summary.write_cell_ranking({HOSTILE_FEATURE: [{"layer": HOSTILE_LAYERS[0], "cell": 2, "r": 0.5}]},
                                   HOSTILE_STEP, "Pearson r", {HOSTILE_FEATURE: HOSTILE_DESCRIPTION})
        summary.write_oracle(HOSTILE_SLICES, 400, HOSTILE_STEP, split=HOSTILE_SPLIT, model=HOSTILE_ORACLE_MODEL)
        summary.write_agreement({"models": [{"name": HOSTILE_MODELS[0], "unit": "<b>lstm</b>", "layers": 1, "params": 10},
                                            {"name": HOSTILE_MODELS[1], "unit": "gru", "layers": 2, "params": 20}],
                                 "matrix": [[1.0, 0.625], [0.625, 1.0]], "embedding": [], "characters": 400,
                                 "split": HOSTILE_SPLIT}, HOSTILE_STEP)
        summary.write_brace_study({"models": HOSTILE_MODELS, "bucket_width": 20, "braces": 2,
                                   "buckets": [{"start": 1, "end": 20, "count": 2, "means": [0.5, 0.25]}]}, HOSTILE_STEP)
        summary.write_character_comparison({"models": HOSTILE_MODELS, "text": HOSTILE_COMPARED_TEXT, "start": 0,
                                            "difference": [0.5] * len(HOSTILE_COMPARED_TEXT),
                                            "leaders": HOSTILE_LEADERS}, HOSTILE_STEP)
        summary.write_connectivity(hostile_connectivity_body(), HOSTILE_STEP, 0)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    logdir = write_plugin_logdir(str(tmp_path_factory.mktemp("browser") / "logdir"), long_text=LONG_TAIL)
    _hostile_run(os.path.join(logdir, HOSTILE_RUN))
    with tensorboard(logdir, expect_runs=4, ready=fully_loaded) as base:
        yield base


def fully_loaded(body) -> bool:
    """Whether TensorBoard has read every summary the fixture wrote."""
    runs = {r["run"]: r for r in body["runs"]}
    lstm, gru, hostile = runs.get("lstm"), runs.get("gru"), runs.get(HOSTILE_RUN)
    return bool(lstm and gru and len(lstm["activations"]) == 4 and lstm["text"]["steps"] == [EARLY_STEP, STEP] and lstm["cell_ranking"] and lstm["oracle"]
                and lstm["saturation"] and len(lstm["saturation"]["gates"]) == 3 and gru["oracle"]
                and hostile and hostile["text"] and len(hostile["activations"]) == 2 and hostile["cell_ranking"]
                and hostile["oracle"] and hostile["saturation"] and len(hostile["saturation"]["gates"]) == 2
                and lstm["brace"] and lstm["characters"] and hostile["brace"] and hostile["characters"]
                and lstm["agreement"] and hostile["agreement"]
                and lstm["connectivity"] and lstm["connectivity"]["texts"] == 2 and hostile["connectivity"]
                and len(body["problems"]) == 2)


def no_injected_markup(driver) -> bool:
    """Whether no element came from markup in the data (the plugin itself draws no img, b or i) and no handler ran."""
    return driver.execute_script("return document.querySelectorAll('img, b, i, script:not([type=module])').length"
                                 " === 0 && window.krnnInjected === undefined")


def no_alert(driver) -> bool:
    """Whether no alert() is open (markup that ran would have opened one)."""
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def type_filter(driver, pattern):
    """Types `pattern` into the run filter, as a person would (one input event per key)."""
    field = css(driver, "input.krnn-filter")[0]
    field.clear()
    if pattern:
        field.send_keys(pattern)
    else:                                  # clear() fires no input event: type a character and delete it
        from selenium.webdriver.common.keys import Keys
        field.send_keys("x", Keys.BACKSPACE)


def sidebar_runs(driver):
    return [s.text for s in css(driver, ".krnn-run span")]


def open_plugin(driver, base):
    driver.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
    wait(driver, lambda d: css(d, "pre.krnn-text span") or css(d, ".krnn-message"))


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
    wait(browser, lambda d: text_settled(d) and d.execute_script(   # the page the cell asked for, not one it replaces
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
    readout, title = hover_until(browser, "pre.krnn-text span", 4, "+1.000")   # hovering shows the value (issue 32.15)
    # counted from 1, as the pager and the selection count (issue 31.8); the scale named
    assert readout.startswith('Character 5 "i": +1.000 on \u22121…+1 (layer1 c')
    assert title == "+1.000 (scale \u22121 to +1)"                                  # and the tooltip
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
    # "Go to character" opens the page that holds the character (here the first, then a later one again)
    text = HOSTILE_TEXT * 3 + "x" * LONG_TAIL
    for character, first, last in ((5, 1, 2000), (2123, 2001, length)):
        set_number(browser, "offset", character)
        wait(browser, lambda d: css(d, "[data-testid=page-range]")[0].text
             == f"Characters {first:,}–{last:,} of {length:,}")
        span = wait(browser, lambda d: css(d, f"pre.krnn-text span[data-index='{character}']"))[0]
        assert span.text == text[character] and span.is_displayed()
        assert len(css(browser, "pre.krnn-text span")) == last - first + 1
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


def test_saturation_points_sit_at_right_and_left_fractions_in_their_layers_colour(browser, server):
    """Figure 3: a unit's point is at x = its fraction right-saturated, y = its fraction left-saturated (up is more),
    both 0..1 across the plot area; each layer's points have that layer's colour (layers by layer_index)."""
    open_plugin(browser, server)
    css(browser, "button[data-view=saturation]")[0].click()
    wait(browser, lambda d: css(d, "svg.krnn-scatter"))
    choose(browser, "run", HOSTILE_RUN)
    wait(browser, lambda d: [p.get_attribute("data-gate") for p in css(d, "svg.krnn-scatter")]
         == ["f", HOSTILE_GATE])
    panel = css(browser, "svg.krnn-scatter[data-gate=f]")[0]
    area, points = browser.execute_script(
        "const svg = arguments[0]; const a = svg.querySelector('rect.krnn-plot-area');"
        "return [['x', 'y', 'width', 'height'].map((k) => Number(a.getAttribute(k))),"
        "  [...svg.querySelectorAll('circle.krnn-point')].map((p) => [p.getAttribute('data-layer'),"
        "    Number(p.getAttribute('data-unit')), Number(p.getAttribute('cx')), Number(p.getAttribute('cy')),"
        "    p.getAttribute('fill')])];", panel)
    ax, ay, width, height = area
    assert width == height > 100
    expected = sorted((layer, unit, ax + right * width, ay + (1 - left) * height, LAYER_COLORS[index])
                      for index, (layer, (lefts, rights)) in enumerate(KNOWN_SATURATION.items())
                      for unit, (left, right) in enumerate(zip(lefts, rights)))
    got = sorted(points)
    assert [(layer, unit, fill) for layer, unit, _, _, fill in got] == [(e[0], e[1], e[4]) for e in expected]
    for (layer, unit, x, y, _), (_, _, ex, ey, _) in zip(got, expected):
        assert abs(x - ex) < 0.01 and abs(y - ey) < 0.01, (layer, unit, (x, y), (ex, ey))
    # the point of (right 1.0, left 0.0) is at the bottom right corner, (right 0.0, left 0.25) on the left edge
    corners = {(round(x, 2), round(y, 2)) for _, _, x, y, _ in got}
    assert (ax + width, ay + height) in corners and (ax, ay + 0.75 * height) in corners
    legend = [(b.text, b.find_element("css selector", ".krnn-swatch").value_of_css_property("background-color"))
              for b in css(browser, "button.krnn-layer-toggle")]
    assert legend == [(HOSTILE_LAYERS[0], "rgba(31, 119, 180, 1)"), (HOSTILE_LAYERS[1], "rgba(255, 127, 14, 1)")]


def test_hostile_names_stay_literal_text_in_every_view(browser, server):
    """Run, layer, gate, feature, description, slice, group and split names that are markup (`<img onerror>`,
    `</script>`, `&amp;`) show as the very characters, in menus, headings, the hover readout, legends, tooltips
    and tables, and no element or handler comes of them."""
    open_plugin(browser, server)
    type_filter(browser, "^zz")
    wait(browser, lambda d: sidebar_runs(d) == [HOSTILE_RUN])
    wait(browser, lambda d: css(d, "select[name=run]")[0].get_attribute("value") == HOSTILE_RUN
         and css(d, ".krnn-feature h4"))
    wait(browser, lambda d: [h.text for h in css(d, ".krnn-feature h4")] == [HOSTILE_FEATURE])
    css(browser, "button.krnn-cell-link")[0].click()                      # the ranking opens its cell
    wait(browser, lambda d: css(d, "select[name=layer]")[0].get_attribute("value") == HOSTILE_LAYERS[0]
         and css(d, "input[name=cell]")[0].get_attribute("value") == "2")
    assert sorted(o.text for o in css(browser, "select[name=layer] option")) == sorted(HOSTILE_LAYERS)
    assert css(browser, "select[name=run] option")[0].get_attribute("title") == HOSTILE_RUN
    assert css(browser, ".krnn-feature h4")[0].get_attribute("title") == HOSTILE_DESCRIPTION
    assert css(browser, "button.krnn-cell-link")[0].text == f"{HOSTILE_LAYERS[0]} · cell 2 · r +0.500"
    wait(browser, lambda d: f"({HOSTILE_LAYERS[0]} c (tanh, cell state) cell 2, step {HOSTILE_STEP})"
         in css(d, ".krnn-readout")[0].text)
    shown = browser.execute_script("return document.querySelector('pre.krnn-text').textContent")
    assert shown == HOSTILE_RUN_TEXT.replace("\n", "\u21b5\n")
    readout, _ = hover_until(browser, "pre.krnn-text span", 1, 'Character 2 "<": ')   # the "<" of "a<b>"
    assert readout == (
        f'Character 2 "<": +0.500 on \u22121…+1 ({HOSTILE_LAYERS[0]} c (tanh, cell state) cell 2, step {HOSTILE_STEP})')
    assert no_injected_markup(browser)

    css(browser, "button[data-view=saturation]")[0].click()
    wait(browser, lambda d: [p.get_attribute("data-gate") for p in css(d, "svg.krnn-scatter")]
         == ["f", HOSTILE_GATE])
    assert [c.text for c in css(browser, "figure.krnn-panel figcaption")] == ["forget gate f (6 units)",
                                                                              f"{HOSTILE_GATE} (6 units)"]
    assert [b.text for b in css(browser, "button.krnn-layer-toggle")] == list(HOSTILE_LAYERS)
    titles = browser.execute_script(
        "return [...document.querySelectorAll('svg.krnn-scatter[data-gate=f] circle title')]"
        ".map((t) => t.textContent)")
    assert titles[0] == f"{HOSTILE_LAYERS[0]} unit 0: left 0.100, right 0.800"
    readout, title = hover_until(browser, "svg.krnn-scatter circle.krnn-point", 0,
                                 f"forget gate f · {HOSTILE_LAYERS[0]} unit 0: ", ".krnn-saturation .krnn-readout")
    assert (readout, title) == (f"forget gate f · {titles[0]}", titles[0])
    assert no_injected_markup(browser)

    css(browser, "button[data-view=oracle]")[0].click()
    panel = wait(browser, lambda d: css(d, "figure.krnn-oracle-panel"))[0]
    assert panel.get_attribute("data-run") == HOSTILE_RUN
    assert panel.find_element("css selector", "figcaption").get_attribute("textContent") == (
        f"{HOSTILE_RUN}· {HOSTILE_ORACLE_MODEL}")
    rows = [[td.text for td in row.find_elements("css selector", "td")][1:3]
            for row in panel.find_elements("css selector", "tbody tr")]
    assert rows == [[s["name"], s["group"]] for s in HOSTILE_SLICES]
    assert f"100 errors (p < 0.5) in 400 characters of the {HOSTILE_SPLIT} split (25.0%)" in panel.text
    tooltips = browser.execute_script(
        "return [...document.querySelectorAll('path.krnn-slice > title')].map((t) => t.textContent)")
    assert tooltips == [f"{s['name']}: {s['errors']} errors ({s['errors']:.1f}%)" for s in HOSTILE_SLICES]
    labels = [t.text for t in css(browser, "text.krnn-pie-label")]
    assert len(labels) == 3
    for label, piece in zip(labels, HOSTILE_SLICES):                    # names shortened to fit, as characters
        name, percent = label.rsplit(" ", 1)
        assert percent == f"{piece['errors']}%" and len(name) > 3
        assert name == piece["name"] or (name.endswith("…") and piece["name"].startswith(name[:-1])), label
    assert no_injected_markup(browser)
    css(browser, "tr.krnn-slice-row[data-index='0']")[0].click()            # its examples: markup stays text
    wait(browser, lambda d: examples_shown(d, css(d, "figure.krnn-oracle-panel")[0])
         == expected_examples([HOSTILE_EXAMPLE]))
    assert css(browser, ".krnn-examples-title")[0].text == f"1 example of {HOSTILE_SLICES[0]['name']}"
    css(browser, "tr.krnn-slice-row[data-index='1']")[0].click()
    wait(browser, lambda d: css(d, ".krnn-no-examples")[0].text
         == f"No examples of {HOSTILE_SLICES[1]['name']} in this summary.")
    assert no_alert(browser) and no_injected_markup(browser)

    css(browser, "button[data-view=agreement]")[0].click()
    panel = wait(browser, lambda d: css(d, "figure.krnn-agreement-panel"))[0]
    assert panel.get_attribute("data-run") == HOSTILE_RUN
    assert panel.find_element("css selector", "figcaption").get_attribute("textContent") == HOSTILE_RUN
    assert panel.find_element("css selector", ".krnn-agreement-note").text == (
        "No t-SNE of the models: it needs at least 3 models, this study has 2.")
    assert not panel.find_elements("css selector", ".krnn-agreement-point")
    assert heat_cells(browser, panel)[1] == sorted(
        (i, j, f"{HOSTILE_MODELS[i]} vs {HOSTILE_MODELS[j]}: {1.0 if i == j else 0.625:.3f}")
        for i in range(2) for j in range(2))
    labels = browser.execute_script("return [...arguments[0].querySelectorAll('text.krnn-agreement-label')]"
                                    ".map((t) => t.querySelector('title').textContent)", panel)
    assert labels == [HOSTILE_MODELS[0], HOSTILE_MODELS[0], HOSTILE_MODELS[1], HOSTILE_MODELS[1]]
    assert f"of the {HOSTILE_SPLIT} split" in panel.text
    assert no_alert(browser) and no_injected_markup(browser)


def brace_points(driver, run):
    """The plot area [x, y, width, height] of `run`'s brace chart and its points [model, bucket, cx, cy, fill, title]."""
    return driver.execute_script(
        "const svg = document.querySelector(`figure.krnn-brace-panel[data-run='${arguments[0]}'] svg`);"
        "const a = svg.querySelector('rect.krnn-plot-area');"
        "return [['x', 'y', 'width', 'height'].map((k) => Number(a.getAttribute(k))),"
        "  [...svg.querySelectorAll('circle.krnn-brace-point')].map((p) => [Number(p.getAttribute('data-model')),"
        "    Number(p.getAttribute('data-bucket')), Number(p.getAttribute('cx')), Number(p.getAttribute('cy')),"
        "    p.getAttribute('fill'), p.querySelector('title').textContent])];", run)


def test_brace_chart_has_a_point_per_nonempty_bucket_and_model_with_counts_and_hover(browser, server):
    """Figure 5 (left): x the distance bucket, y the mean probability of `}` (0 at the bottom, 1 at the top), a
    series per model in its legend colour, empty buckets as gaps; each bucket's braces counted under it."""
    body = brace_body()
    open_plugin(browser, server)
    css(browser, "button[data-view=brace]")[0].click()
    panel = wait(browser, lambda d: css(d, "figure.krnn-brace-panel[data-run=lstm]"))[0]
    assert [p.get_attribute("data-run") for p in css(browser, "figure.krnn-brace-panel")] == ["lstm", HOSTILE_RUN]
    assert "10 closing braces matched to their {, in buckets of 20 characters; step 1,200" in panel.text
    legend = [(item.text, item.find_element("css selector", ".krnn-swatch").value_of_css_property("background-color"))
              for item in panel.find_elements("css selector", ".krnn-brace-legend .krnn-legend-item")]
    assert legend == [("LSTM 2x128", "rgba(31, 119, 180, 1)"), ("20-gram", "rgba(255, 127, 14, 1)")]
    (ax, ay, width, height), points = brace_points(browser, "lstm")
    assert height > 100 and width > 100
    names = [t.text for t in panel.find_elements("css selector", "text.krnn-bucket-label")]
    assert names == ["1-20", "21-40", "41-60", "61-80"]
    band = width / len(body["buckets"])
    expected = sorted((m, bucket["start"], ax + (index + 0.5) * band, ay + (1 - bucket["means"][m]) * height,
                       LAYER_COLORS[m]) for index, bucket in enumerate(body["buckets"]) if bucket["count"]
                      for m in range(2))
    got = sorted(points)
    assert len(got) == 6 and [(m, b, fill) for m, b, _, _, fill, _ in got] == [(m, b, f) for m, b, _, _, f in expected]
    for (m, bucket, x, y, _, _), (_, _, ex, ey, _) in zip(got, expected):
        assert abs(x - ex) < 0.01 and abs(y - ey) < 0.01, (m, bucket, (x, y), (ex, ey))
    lines = {p.get_attribute("data-model"): p.get_attribute("d") for p in panel.find_elements("css selector",
                                                                                            "path.krnn-brace-line")}
    assert sorted(lines) == ["0", "1"] and all(d.count("M") == 2 and d.count("L") == 1 for d in lines.values())
    counts = [t.text for t in panel.find_elements("css selector", "text.krnn-brace-count")]
    assert counts == [str(b["count"]) for b in body["buckets"]]
    bars = [float(r.get_attribute("height")) for r in panel.find_elements("css selector", "rect.krnn-count-bar")]
    assert bars[2] == 0 and bars[0] > bars[1] > bars[3] > 0 and abs(bars[1] / bars[0] - 3 / 5) < 1e-6
    readout, title = hover_until(browser, "figure.krnn-brace-panel[data-run=lstm] circle.krnn-brace-point"
                                 "[data-model='1'][data-bucket='21']", 0, "21-40 characters · ",
                                 ".krnn-brace .krnn-readout")
    assert readout == title == "21-40 characters · 20-gram: mean p(}) 0.350 · 3 braces"
    assert sorted(title for *_, title in got)[0] == "1-20 characters · 20-gram: mean p(}) 0.600 · 5 braces"
    assert no_horizontal_scroll(browser)
    screenshot(browser, "brace.png")


def test_characters_view_colours_each_character_lists_leaders_and_marks_a_chosen_character(browser, server):
    """Figure 4 (middle/right): each character's background is common.js's scale of p(model 0) - p(model 1) (blue
    where model 0 leads, red where model 1 does); the bars list each model's leaders in order; a bar marks exactly
    the occurrences of its character."""
    from karpathy_rnn.render import activation_colors

    body = characters_body()
    text = body["text"]
    open_plugin(browser, server)
    css(browser, "button[data-view=characters]")[0].click()
    wait(browser, lambda d: css(d, "select[name=run]")[0].get_attribute("value") == "lstm"
         and len(css(d, "pre.krnn-compared-text span")) == len(text))
    shown = browser.execute_script("return document.querySelector('pre.krnn-compared-text').textContent")
    assert shown == text.replace("\n", "\u21b5\n")                            # markup in the text stays text
    colours = browser.execute_script("return [...document.querySelectorAll('pre.krnn-compared-text span')]"
                                     ".map((s) => getComputedStyle(s).backgroundColor)")
    assert colours == [f"rgb({r}, {g}, {b})" for r, g, b in activation_colors(np.array(body["difference"])).tolist()]
    assert body["difference"][:2] == [1.0, -1.0] and colours[:2] == ["rgb(0, 0, 255)", "rgb(255, 0, 0)"]
    assert [t.text for t in css(browser, ".krnn-legend-name")] == ["20-gram leads", "LSTM 2x128 leads"]
    charts = css(browser, "figure.krnn-leader-chart")
    assert [c.find_element("css selector", "figcaption").text for c in charts] == ["LSTM 2x128 leads", "20-gram leads"]
    for side, chart in enumerate(charts):
        rows = body["leaders"][side]
        labels = [b.find_element("css selector", ".krnn-leader-label").get_attribute("textContent")
                  for b in chart.find_elements("css selector", "button.krnn-leader")]
        assert labels == [r["label"] for r in rows]
        leads = [r["means"][side] - r["means"][1 - side] for r in rows]
        assert [v.text for v in chart.find_elements("css selector", ".krnn-leader-value")] == [f"+{x:.3f}" for x in leads]
        widths = [b.size["width"] for b in chart.find_elements("css selector", ".krnn-leader-bar")]
        assert widths == sorted(widths, reverse=True) and widths[-1] > 0
    for side in (1, 0):
        for rank, row in enumerate(body["leaders"][side]):
            css(browser, f"button.krnn-leader[data-side='{side}'][data-rank='{rank}']")[0].click()
            where = [i for i, character in enumerate(text) if character == row["character"]]
            wait(browser, lambda d: css(d, ".krnn-found")[0].get_attribute("data-count") == str(len(where))
                 and css(d, f"button.krnn-leader[data-side='{side}'][data-rank='{rank}']")[0]
                 .get_attribute("aria-pressed") == "true")
            marked = browser.execute_script("return [...document.querySelectorAll('pre.krnn-compared-text "
                                            "span.krnn-occurrence')].map((s) => Number(s.dataset.index))")
            assert marked == where and where, (side, rank, row["character"])
            assert css(browser, ".krnn-found")[0].text == (f"{len(where)} occurrence{'s' * (len(where) != 1)} of "
                                                            f"{row['label']} in this excerpt ({row['count']} in the split)")
            assert len(css(browser, "button.krnn-leader[aria-pressed=true]")) == 1
    readout, _ = hover_until(browser, "pre.krnn-compared-text span", 1, 'Character 1,002 "n": ',   # of "int"
                             ".krnn-characters .krnn-readout")
    assert readout == 'Character 1,002 "n": p(LSTM 2x128) − p(20-gram) = −1.000 (20-gram leads)'
    assert no_horizontal_scroll(browser)
    screenshot(browser, "characters.png")


def test_characters_and_brace_show_markup_in_text_labels_and_model_names_literally(browser, server):
    """The excerpt, the character labels and the model names of section 4.3's summaries are markup
    (`<script>alert(1)</script>`, `<img onerror>`, `&amp;`): shown as the very characters, no element, no alert."""
    open_plugin(browser, server)
    type_filter(browser, "^zz")
    wait(browser, lambda d: sidebar_runs(d) == [HOSTILE_RUN])
    css(browser, "button[data-view=characters]")[0].click()
    wait(browser, lambda d: len(css(d, "pre.krnn-compared-text span")) == len(HOSTILE_COMPARED_TEXT))
    assert css(browser, "select[name=run]")[0].get_attribute("value") == HOSTILE_RUN
    shown = browser.execute_script("return document.querySelector('pre.krnn-compared-text').textContent")
    assert shown == HOSTILE_COMPARED_TEXT.replace("\n", "\u21b5\n")
    assert [t.text for t in css(browser, ".krnn-legend-name")] == [f"{HOSTILE_MODELS[1]} leads",
                                                                    f"{HOSTILE_MODELS[0]} leads"]
    assert [c.text for c in css(browser, "figure.krnn-leader-chart figcaption")] == [f"{m} leads" for m in HOSTILE_MODELS]
    labels = [b.get_attribute("textContent") for b in css(browser, ".krnn-leader-label")]
    assert labels == [side[0]["label"] for side in HOSTILE_LEADERS]
    css(browser, "button.krnn-leader[data-side='1'][data-rank='0']")[0].click()
    wait(browser, lambda d: css(d, ".krnn-found")[0].text
         == f"1 occurrence of {HOSTILE_LEADERS[1][0]['label']} in this excerpt (3 in the split)")
    readout, _ = hover_until(browser, "pre.krnn-compared-text span", 0, 'Character 1 "<": ',
                             ".krnn-characters .krnn-readout")
    assert readout == (f'Character 1 "<": p({HOSTILE_MODELS[0]}) − p({HOSTILE_MODELS[1]}) = +0.500 '
                       f'({HOSTILE_MODELS[0]} leads)')
    assert no_alert(browser) and no_injected_markup(browser)

    css(browser, "button[data-view=brace]")[0].click()
    panel = wait(browser, lambda d: css(d, "figure.krnn-brace-panel"))[0]
    assert panel.find_element("css selector", "figcaption").text == HOSTILE_RUN
    assert [i.text for i in panel.find_elements("css selector", ".krnn-legend-item")] == HOSTILE_MODELS
    _, points = brace_points(browser, HOSTILE_RUN)
    assert [title for *_, title in sorted(points)] == [
        f"1-20 characters · {HOSTILE_MODELS[0]}: mean p(}}) 0.500 · 2 braces",
        f"1-20 characters · {HOSTILE_MODELS[1]}: mean p(}}) 0.250 · 2 braces"]
    readout, title = hover_until(browser, "figure.krnn-brace-panel circle.krnn-brace-point", 0, HOSTILE_MODELS[0],
                                 ".krnn-brace .krnn-readout")
    assert readout == title == f"1-20 characters · {HOSTILE_MODELS[0]}: mean p(}}) 0.500 · 2 braces"
    assert no_alert(browser) and no_injected_markup(browser)


def test_run_filter_and_ticks_show_only_those_runs(browser, server):
    """The sidebar's regex filter hides the runs it does not match (in the list and in the views); unticking a
    run hides its data, ticking shows it again; a regex that does not compile says so and filters by its text."""
    open_plugin(browser, server)
    everything = ["gru", "lstm", "malformed", HOSTILE_RUN]
    assert sidebar_runs(browser) == everything
    css(browser, "button[data-view=oracle]")[0].click()
    panels = lambda d: [p.get_attribute("data-run") for p in css(d, "figure.krnn-oracle-panel")]  # noqa: E731
    wait(browser, lambda d: panels(d) == ["gru", "lstm", HOSTILE_RUN])
    type_filter(browser, "^l")
    wait(browser, lambda d: sidebar_runs(d) == ["lstm"])
    wait(browser, lambda d: panels(d) == ["lstm"])
    type_filter(browser, "^g|>$")                                           # a regex, not a substring
    wait(browser, lambda d: sidebar_runs(d) == ["gru", HOSTILE_RUN])
    wait(browser, lambda d: panels(d) == ["gru", HOSTILE_RUN])
    type_filter(browser, "zz|gru")
    wait(browser, lambda d: sidebar_runs(d) == ["gru", HOSTILE_RUN])
    type_filter(browser, "nomatch")
    wait(browser, lambda d: sidebar_runs(d) == [] and css(d, ".krnn-run-list .krnn-hint")[0].text
         == "No run matches the filter.")
    wait(browser, lambda d: css(d, ".krnn-oracle .krnn-message")[0].text.startswith(
        "None of the selected runs has an oracle"))
    type_filter(browser, "(")                                  # does not compile: said, and taken as text
    wait(browser, lambda d: sidebar_runs(d) == [] and css(d, "[data-testid=filter-error]")[0].text.startswith(
        "Not a regular expression"))
    type_filter(browser, "")
    wait(browser, lambda d: panels(d) == ["gru", "lstm", HOSTILE_RUN])

    def box(d, run):
        return [b for b in css(d, ".krnn-run") if b.get_attribute("title") == run][0].find_element(
            "css selector", "input[type=checkbox]")
    box(browser, "gru").click()                                            # untick: its pie goes
    wait(browser, lambda d: panels(d) == ["lstm", HOSTILE_RUN])
    assert not box(browser, "gru").is_selected() and box(browser, "lstm").is_selected()
    box(browser, "lstm").click()
    wait(browser, lambda d: panels(d) == [HOSTILE_RUN])
    box(browser, "gru").click()                                            # tick again: back
    wait(browser, lambda d: panels(d) == ["gru", HOSTILE_RUN])
    css(browser, "button[data-view=text]")[0].click()                      # lstm unticked: the text view has
    wait(browser, lambda d: css(d, "select[name=run]")                     # only the others' text
         and [o.get_attribute("value") for o in css(d, "select[name=run] option")] == ["malformed", HOSTILE_RUN])
    box(browser, "lstm").click()
    wait(browser, lambda d: [o.get_attribute("value") for o in css(d, "select[name=run] option")]
         == ["lstm", "malformed", HOSTILE_RUN])


def test_oracle_pies_show_two_runs_side_by_side_with_counts(browser, server):
    open_plugin(browser, server)
    css(browser, "button[data-view=oracle]")[0].click()
    wait(browser, lambda d: len(css(d, "figure.krnn-oracle-panel")) == 3)
    panels = css(browser, "figure.krnn-oracle-panel")
    assert [p.get_attribute("data-run") for p in panels] == ["gru", "lstm", HOSTILE_RUN]
    assert panels[0].rect["y"] == panels[1].rect["y"] and panels[0].rect["x"] < panels[1].rect["x"]
    lstm = panels[1]
    rows = [[td.text for td in row.find_elements("css selector", "td")][1:] for row in lstm.find_elements("css selector", "tbody tr")]
    assert rows[0] == ["1-9 gram", "n-gram", "180", "18.0%"] and rows[4] == ["after space", "word", "370", "37.0%"]
    assert [r[0] for r in rows] == [s["name"] for s in oracle_slices()]
    assert len(lstm.find_elements("css selector", "path.krnn-slice")) == len(oracle_slices())
    # the first slice (18%) starts at the top and goes counter-clockwise, as the paper's Figure 6: its arc ends
    # at 18% of the way round to the left, and it covers points left of the top, none to the right
    first = lstm.find_elements("css selector", "path.krnn-slice")[0]
    assert first.get_attribute("data-slice") == "1-9 gram"
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", first.get_attribute("d"))]
    (cx, cy, x0, y0, radius, _, _, large, sweep, x1, y1) = numbers
    angle = 2 * math.pi * 180 / 1000
    assert (cx, cy, x0, y0) == (0, 0, 0, -radius) and (large, sweep) == (0, 0)
    assert abs(x1 + radius * math.sin(angle)) < 0.01 and abs(y1 + radius * math.cos(angle)) < 0.01
    assert x1 < 0 and y1 < 0                                           # up and to the left of the centre
    inside = browser.execute_script(
        "const [path, points] = arguments; return points.map(([x, y]) => path.isPointInFill(new DOMPoint(x, y)));",
        first, [[side * r * radius * math.sin(a * angle), -r * radius * math.cos(a * angle)]
                for side in (-1, 1) for r in (0.5, 0.95) for a in (0.1, 0.5, 0.9)])
    assert inside == [True] * 6 + [False] * 6, inside
    pie_labels = [t.text for t in lstm.find_elements("css selector", "text.krnn-pie-label")]
    assert "after space 37%" in pie_labels and "1-9 gram 18%" in pie_labels
    assert "1,000 errors (p < 0.5) in 2,400 characters of the test split (41.7%)" in lstm.text
    assert no_horizontal_scroll(browser)
    screenshot(browser, "oracle.png")


def shown(text):
    """`text` as the views show it: a newline as the mark and the break, no carriage return."""
    return text.replace("\r", "").replace("\n", "\u21b5\n")


def examples_shown(driver, panel):
    """The examples `panel` lists: per example [its text, its highlighted characters, the text in each red box,
    whether each highlighted character is in a box]."""
    return driver.execute_script(
        "return [...arguments[0].querySelectorAll('li.krnn-example')].map((li) => [li.textContent,"
        "  [...li.querySelectorAll('.krnn-error-character')].map((s) => s.textContent),"
        "  [...li.querySelectorAll('.krnn-repeat')].map((s) => s.textContent),"
        "  [...li.querySelectorAll('.krnn-error-character')].map((s) => s.closest('.krnn-repeat') !== null)]);", panel)


def expected_examples(examples):
    """examples_shown() of `examples` as written: fragments joined by " … ", the `errors` offsets (code points)
    highlighted, the `repeat` spans boxed."""
    out = []
    for example in examples:
        fragments = example["fragments"]
        errors = [(f["text"][o], any(a <= o < b for a, b in f["repeat"]))
                  for f in fragments for o in sorted(f["errors"])]
        out.append([" … ".join(shown(f["text"]) for f in fragments), [shown(c) for c, _ in errors],
                    [shown(f["text"][a:b]) for f in fragments for a, b in f["repeat"]], [boxed for _, boxed in errors]])
    return out


def click_slice(driver, panel, slices, index):
    """Clicks inside pie slice `index` of `panel` as a person would: at 60% of the radius on its middle angle (the
    slices go counter-clockwise from the top)."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    total = sum(s["errors"] for s in slices)
    middle = (sum(s["errors"] for s in slices[:index]) + slices[index]["errors"] / 2) / total
    x, y, hit = driver.execute_script(
        "const [panel, x, y] = arguments; const svg = panel.querySelector('svg.krnn-pie');"
        "svg.scrollIntoView({block: 'center'});"
        "const p = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());"
        "const hit = document.elementFromPoint(p.x, p.y);"
        "return [p.x, p.y, hit && hit.getAttribute('data-index')];",
        panel, -66 * math.sin(2 * math.pi * middle), -66 * math.cos(2 * math.pi * middle))
    assert hit == str(index), (index, hit)
    action = ActionBuilder(driver)
    action.pointer_action.move_to_location(int(round(x)), int(round(y))).click()
    action.perform()


def selected(panel):
    """The data-index of the chosen slice's path and row in `panel`."""
    return tuple([node.get_attribute("data-index") for node in panel.find_elements("css selector", selector)]
                 for selector in ("path.krnn-slice.krnn-selected", "tr.krnn-slice-row.krnn-selected"))


def test_oracle_slice_or_row_lists_its_examples_with_the_fixed_characters_highlighted(browser, server):
    """Figure 6's drill-down: clicking a pie slice or a table row chooses that slice (pulled out, its row
    highlighted) and lists exactly its examples under the table: the fragments joined by " … ", the characters its
    oracle fixed in blue (offsets in code points: an emoji comes before some), the repeated text in a red box."""
    slices = oracle_slices()
    open_plugin(browser, server)
    css(browser, "button[data-view=oracle]")[0].click()
    panel = wait(browser, lambda d: css(d, "figure.krnn-oracle-panel[data-run=lstm]"))[0]
    assert panel.find_element("css selector", ".krnn-model").text == f"· {ORACLE_MODEL}"
    assert panel.find_element("css selector", ".krnn-examples").text == "Click a slice or a row to list its examples."
    gru = css(browser, "figure.krnn-oracle-panel[data-run=gru]")[0]
    assert gru.find_element("css selector", ".krnn-examples").text == "This breakdown carries no examples."
    assert selected(panel) == ([], [])

    click_slice(browser, panel, slices, 0)                                     # "1-9 gram": two examples
    wait(browser, lambda d: selected(panel) == (["0"], ["0"]))
    wait(browser, lambda d: examples_shown(d, panel) == expected_examples(slices[0]["examples"]))
    assert panel.find_element("css selector", ".krnn-examples-title").text == "2 examples of 1-9 gram"
    shown_errors = examples_shown(browser, panel)[0][1]
    assert shown_errors == ["s", "a", "a", "d"] and examples_shown(browser, panel)[1][1] == ["\u21b5\n", "n"]
    assert panel.find_element("css selector", "path.krnn-slice[data-index='0']").get_attribute("transform")
    background = browser.execute_script(
        "return getComputedStyle(arguments[0].querySelector('li .krnn-error-character')).backgroundColor", panel)
    assert background == "rgb(138, 180, 248)"                                  # blue, as Figure 6

    click_slice(browser, panel, slices, 1)                                     # "100-memory": the repeat boxed
    wait(browser, lambda d: selected(panel) == (["1"], ["1"]))
    wait(browser, lambda d: examples_shown(d, panel) == expected_examples(slices[1]["examples"]))
    text, errors, boxes, boxed = examples_shown(browser, panel)[0]
    assert text == "saw 🎻 Rostóv at … said Rostóv.\u21b5\n" and boxes == ["Rostóv", "Rostóv"]
    assert errors == ["o", "s", "t"] and boxed == [True, True, True]
    border = browser.execute_script(
        "const s = getComputedStyle(arguments[0].querySelector('li .krnn-repeat'));"
        "return [s.borderTopStyle, s.borderTopColor, s.borderLeftColor];", panel)
    assert border == ["solid", "rgb(229, 57, 53)", "rgb(229, 57, 53)"]
    assert not panel.find_element("css selector", "path.krnn-slice[data-index='0']").get_attribute("transform")
    assert gru.find_element("css selector", ".krnn-examples").text == "This breakdown carries no examples."

    panel.find_element("css selector", "tr.krnn-slice-row[data-index='3']").click()     # a row chooses too
    wait(browser, lambda d: selected(panel) == (["3"], ["3"]))
    wait(browser, lambda d: examples_shown(d, panel) == expected_examples(slices[3]["examples"]))
    panel.find_element("css selector", "tr.krnn-slice-row[data-index='2']").click()     # "1000-memory": none
    wait(browser, lambda d: panel.find_elements("css selector", ".krnn-no-examples"))
    assert panel.find_element("css selector", ".krnn-no-examples").text == "No examples of 1000-memory in this summary."
    assert examples_shown(browser, panel) == [] and selected(panel) == (["2"], ["2"])
    panel.find_element("css selector", "tr.krnn-slice-row[data-index='1']").click()
    wait(browser, lambda d: examples_shown(d, panel) == expected_examples(slices[1]["examples"]))
    in_view = ("const r = arguments[0].querySelector('.krnn-examples').getBoundingClientRect();"
               "return r.top >= 0 && r.top < window.innerHeight;")
    # issue 31.8: below a table taller than the window (the paper's 20 oracles), the list used to open out of view;
    # the table is given a long bottom margin here (headless Chromium keeps its window size), then a row clicked
    browser.execute_script("arguments[0].querySelector('table').style.marginBottom = '1500px';"
                           "window.scrollTo(0, 0)", panel)
    try:
        wait(browser, lambda d: not d.execute_script(in_view, panel))
        panel.find_element("css selector", "tr.krnn-slice-row[data-index='0']").click()
        wait(browser, lambda d: examples_shown(d, panel) == expected_examples(slices[0]["examples"]))
        wait(browser, lambda d: d.execute_script(in_view, panel))                   # ... is scrolled into view
    finally:
        browser.execute_script("arguments[0].querySelector('table').style.marginBottom = ''", panel)
    assert no_injected_markup(browser) and no_alert(browser)
    assert no_horizontal_scroll(browser)
    screenshot(browser, "oracle_examples.png")


def agreement_points(driver, panel):
    """The points of `panel`'s t-SNE: [model, tag, data-shape, centre x, centre y, data-r, fill, title] by model."""
    return driver.execute_script(
        "return [...arguments[0].querySelectorAll('.krnn-agreement-point')].map((p) => { const b = p.getBBox();"
        "  return [Number(p.dataset.model), p.tagName, p.dataset.shape, b.x + b.width / 2, b.y + b.height / 2,"
        "          Number(p.dataset.r), p.getAttribute('fill'), p.querySelector('title').textContent]; })"
        ".sort((a, b) => a[0] - b[0]);", panel)


def heat_cells(driver, panel):
    """The cell size of `panel`'s heat map and its cells [row, column, title] sorted, after checking each sits at
    row `row` and column `column` of the grid."""
    cells = driver.execute_script(
        "return [...arguments[0].querySelectorAll('rect.krnn-agreement-cell')].map((r) => [Number(r.dataset.row),"
        "  Number(r.dataset.column), ...['x', 'y', 'width', 'height'].map((k) => Number(r.getAttribute(k))),"
        "  r.querySelector('title').textContent, r.getAttribute('fill')]);", panel)
    size = cells[0][4]
    left = min(c[2] for c in cells)
    top = min(c[3] for c in cells)
    for row, column, x, y, width, height, _, _ in cells:
        assert (x, y, width, height) == (left + column * size, top + row * size, size, size), (row, column, x, y)
    return size, sorted((row, column, title) for row, column, *_, title, _ in cells), cells


def test_agreement_view_places_each_model_at_its_tsne_point_beside_the_heat_map(browser, server):
    """Figure 1 (right): a point per model at its t-SNE coordinates (x right, y up, one scale for both), coloured by
    unit, sized by parameters, shaped by depth, titled with the model; the matrix as n x n cells, row i column j
    titled "model i vs model j: agreement", darker where models agree more."""
    body = agreement_body()
    models, matrix, embedding = body["models"], body["matrix"], body["embedding"]
    open_plugin(browser, server)
    css(browser, "button[data-view=agreement]")[0].click()
    panel = wait(browser, lambda d: css(d, "figure.krnn-agreement-panel[data-run=lstm]"))[0]
    assert [p.get_attribute("data-run") for p in css(browser, "figure.krnn-agreement-panel")] == ["lstm", HOSTILE_RUN]
    assert "5 models: the fraction of 50,000 characters of the test split" in panel.text
    points = agreement_points(browser, panel)
    assert [p[0] for p in points] == list(range(len(models)))
    assert [(tag, shape) for _, tag, shape, *_ in points] == [
        ("circle", "circle"), ("rect", "square"), ("path", "triangle"), ("path", "triangle"), ("circle", "circle")]
    assert [fill for *_, fill, _ in points] == ["#1f77b4", "#2ca02c", "#d62728", "#1f77b4", "#7f7f7f"]
    assert [title.split(": ")[0] for *_, title in points] == [m["name"] for m in models]
    assert points[3][7] == "LSTM 3x512 trained for 50 epochs: lstm, 4 layers, 4,000,000 parameters"
    # where: one scale k > 0 for both axes, x to the right and y up, relative to model 0
    (_, _, _, x0, y0, *_), (ex0, ey0) = points[0], embedding[0]
    k = (points[1][3] - x0) / (embedding[1][0] - ex0)
    assert k > 1
    for (_, _, _, x, y, *_), (ex, ey) in zip(points, embedding):
        assert abs((x - x0) - k * (ex - ex0)) < 0.05 and abs((y - y0) + k * (ey - ey0)) < 0.05, ((x, y), (ex, ey))
    assert sorted(range(5), key=lambda i: points[i][3]) == sorted(range(5), key=lambda i: embedding[i][0])
    radii = [r for *_, r, _, _ in points]
    assert sorted(range(5), key=lambda i: radii[i]) == sorted(range(5), key=lambda i: models[i]["params"])
    assert radii[4] == 5 and radii[3] == 14                                  # the fewest and the most parameters
    legend = [i.get_attribute("data-unit") for i in panel.find_elements("css selector", "[data-unit]")]
    assert legend == ["lstm", "gru", "rnn", "n-gram"]
    assert [i.text for i in panel.find_elements("css selector", ".krnn-legend-item[data-shape]")] == [
        "1 layer", "2 layers", "3+ layers"]

    size, cells, raw = heat_cells(browser, panel)
    names = [m["name"] for m in models]
    assert cells == sorted((i, j, f"{names[i]} vs {names[j]}: {matrix[i][j]:.3f}") for i in range(5) for j in range(5))
    fills = {(row, column): fill for row, column, *_, fill in raw}
    assert fills[0, 0] == "rgb(8, 48, 107)" and fills[2, 4] == fills[4, 2] == "rgb(247, 251, 255)"   # 1 and 0.49
    labels = browser.execute_script(
        "return [...arguments[0].querySelectorAll('text.krnn-agreement-label[data-row]')].map((t) =>"
        "  [t.childNodes[0].textContent, t.querySelector('title').textContent]);", panel)
    assert [full for _, full in labels] == names
    assert labels[3][0] == "LSTM 3x512 trai…" and labels[0][0] == "LSTM 1x64"          # long names cut, titled whole
    readout, title = hover_until(browser, "figure.krnn-agreement-panel[data-run=lstm] .krnn-agreement-point"
                                 "[data-model='1']", 0, f"{models[1]['name']}: ", ".krnn-agreement .krnn-readout")
    assert readout == title == points[1][7]
    assert no_injected_markup(browser) and no_alert(browser)
    assert no_horizontal_scroll(browser)
    screenshot(browser, "agreement.png")


GREEN = (53, 183, 121)                             # connectivity.js's green, reached at a row's largest value
LABEL_MARKS = {"\n": "\u21b5", "\t": "\u21e5", "\r": "\u240d", " ": "\u2423"}


def connectivity_panel(driver, run):
    return wait(driver, lambda d: [p for p in css(d, "figure.krnn-connectivity-panel")
                                   if p.get_attribute("data-run") == run and p.find_elements(
                                       "css selector", "pre.krnn-connectivity-text span")])[0]


def connectivity_state(driver, panel):
    """Per model column of `panel`: [its heading, [[index, data-connectivity, inline background] of each shaded
    character], the outlined characters, the target line, [[label, p, data-correct] of each suggestion], how many
    characters have a background but no data-connectivity]."""
    return driver.execute_script(
        "return [...arguments[0].querySelectorAll('.krnn-connectivity-model')].map((c) => {"
        "  const spans = [...c.querySelectorAll('pre.krnn-connectivity-text span')];"
        "  return [c.querySelector('.krnn-connectivity-name').textContent,"
        "    spans.filter((s) => s.dataset.connectivity !== undefined).map((s) => [Number(s.dataset.index),"
        "      s.dataset.connectivity, s.style.backgroundColor]),"
        "    spans.filter((s) => s.classList.contains('krnn-connectivity-selected')).map((s) => Number(s.dataset.index)),"
        "    c.querySelector('.krnn-connectivity-target').textContent,"
        "    [...c.querySelectorAll('.krnn-connectivity-suggestion')].map((s) => ["
        "      s.querySelector('.krnn-connectivity-label').textContent,"
        "      s.querySelector('.krnn-connectivity-p').textContent, s.dataset.correct]),"
        "    spans.filter((s) => s.dataset.connectivity === undefined && s.style.backgroundColor).length]; });", panel)


def visible(label):
    """A label as connectivity.js shows it: newlines, tabs and carriage returns marked, spaces too in a blank label."""
    blank = not label.strip()
    return "".join(LABEL_MARKS[c] if c in LABEL_MARKS and (blank or c != " ") else c for c in label)


def expected_connectivity(body, j):
    """connectivity_state() after choosing character j: each model's row j over its largest (0 where all are 0) on
    characters 0..len(row)-1 in white-to-green (JavaScript's Math.round), j outlined, the target, the suggestions."""
    out = []
    for model in body["models"]:
        row = model["values"][j]
        most = max(row, default=0.0)
        shares = [value / most if most > 0 else 0.0 for value in row]
        green = lambda share: "rgb({}, {}, {})".format(*(math.floor(255 + (c - 255) * share + 0.5) for c in GREEN))  # noqa: E731
        target = body["targets"][j]
        out.append([model["name"], [[t, f"{share:.3f}", green(share)] for t, share in enumerate(shares)], [j],
                    "Target: not scored" if target is None else f"Target: {visible(target)}",
                    [[visible(s["label"]), f"{100 * s['p']:.1f}%", "true" if s["label"] == target else "false"]
                     for s in model["suggestions"][j]], 0])
    return out


def hover(driver, panel, j, model=0, click=False):
    """Moves the pointer onto the middle of character j of column `model` (and clicks there with click=True).
    The middle is measured here: WebDriver's own element origin lands a character off on a space."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    span = panel.find_elements("css selector", f".krnn-connectivity-model[data-model='{model}'] span[data-index='{j}']")[0]
    x, y = driver.execute_script("arguments[0].scrollIntoView({block: 'nearest'});"
                                 "const r = arguments[0].getBoundingClientRect();"
                                 "return [r.x + r.width / 2, r.y + r.height / 2];", span)
    action = ActionBuilder(driver)
    action.pointer_action.move_to_location(int(x), int(y))
    if click:
        action.pointer_action.click()
    action.perform()


def test_connectivity_hover_shades_each_models_row_over_its_largest_and_a_click_pins_it(browser, server):
    """Distill's connectivity view: the text once per model side by side; hovering character j (in any column)
    outlines j in every column and shades characters 0..len(values[j])-1 green by values[j][t] / max(values[j]),
    with the target and each model's suggestions under its column; a click pins j until it or another character is
    clicked."""
    body = connectivity_body(0)
    text = body["text"]
    open_plugin(browser, server)
    css(browser, "button[data-view=connectivity]")[0].click()
    panel = connectivity_panel(browser, "lstm")
    assert [p.get_attribute("data-run") for p in css(browser, "figure.krnn-connectivity-panel")] == ["lstm", HOSTILE_RUN]
    assert [c.get_attribute("data-model") for c in panel.find_elements("css selector", ".krnn-connectivity-model")] \
        == ["0", "1", "2"]
    shown_text = browser.execute_script("return [...arguments[0].querySelectorAll('pre.krnn-connectivity-text')]"
                                        ".map((p) => p.textContent)", panel)
    assert shown_text == [shown(text)] * 3                                      # the newline kept visible
    assert "test observation 17" in panel.find_element("css selector", ".krnn-connectivity-info").text
    columns = [c.rect for c in panel.find_elements("css selector", ".krnn-connectivity-model")]
    assert columns[0]["y"] == columns[1]["y"] == columns[2]["y"] and columns[0]["x"] < columns[1]["x"] < columns[2]["x"]
    assert [[name, shaded, outlined] for name, shaded, outlined, *_ in connectivity_state(browser, panel)] == [
        [name, [], []] for name in CONNECTIVITY_MODELS]                          # nothing chosen yet

    for j, model in ((9, 0), (3, 1), (0, 2), (11, 0), (21, 2)):       # 'a' of sat; a space (not scored, the last
        hover(browser, panel, j, model)                                 # model's row empty); row [0]; the newline
        wait(browser, lambda d: panel.get_attribute("data-selected") == str(j))
        assert connectivity_state(browser, panel) == expected_connectivity(body, j), j
    shades = expected_connectivity(body, 9)[0][1]                         # row 9 of model 0: 4 1 3 0 2 4 1 3 0 2
    assert shades[0] == [0, "1.000", "rgb(53, 183, 121)"] and shades[-3:] == [
        [7, "0.750", "rgb(104, 201, 155)"], [8, "0.000", "rgb(255, 255, 255)"], [9, "0.500", "rgb(154, 219, 188)"]]
    state = connectivity_state(browser, panel)
    assert [line for _, _, _, line, *_ in state] == ["Target: mat"] * 3
    assert any(correct == "true" for _, _, _, _, suggestions, _ in state for *_, correct in suggestions)
    assert panel.get_attribute("data-pinned") == "false"

    hover(browser, panel, 13, 1, click=True)                             # a click pins 'n' of "on"
    wait(browser, lambda d: panel.get_attribute("data-pinned") == "true" and panel.get_attribute("data-selected") == "13")
    pinned = browser.execute_script("return [...arguments[0].querySelectorAll('span.krnn-connectivity-pinned')]"
                                    ".map((s) => Number(s.dataset.index))", panel)
    assert pinned == [13, 13, 13]
    hover(browser, panel, 5, 0)                                          # hovering elsewhere leaves it
    hover(browser, panel, 19, 2)
    assert panel.get_attribute("data-selected") == "13"
    assert connectivity_state(browser, panel) == expected_connectivity(body, 13)
    hover(browser, panel, 20, 0, click=True)                             # another click moves the pin
    wait(browser, lambda d: panel.get_attribute("data-selected") == "20")
    assert panel.get_attribute("data-pinned") == "true"
    assert connectivity_state(browser, panel) == expected_connectivity(body, 20)
    assert no_horizontal_scroll(browser)
    screenshot(browser, "connectivity.png")
    hover(browser, panel, 20, 0, click=True)                             # clicking it again releases it
    wait(browser, lambda d: panel.get_attribute("data-pinned") == "false")
    hover(browser, panel, 4, 1)
    wait(browser, lambda d: panel.get_attribute("data-selected") == "4")
    assert connectivity_state(browser, panel) == expected_connectivity(body, 4)


def test_connectivity_switches_texts_with_the_buttons_and_the_selector(browser, server):
    """The text selector lists each text's index and source; next/previous and the menu load that text alone; a
    next-character text shades only the characters before the one chosen (row j has j values)."""
    from selenium.webdriver.support.ui import Select

    open_plugin(browser, server)
    css(browser, "button[data-view=connectivity]")[0].click()
    panel = connectivity_panel(browser, "lstm")
    menu = panel.find_element("css selector", "select[name=text]")
    assert [o.text for o in menu.find_elements("css selector", "option")] == [
        f"{index} · {source}" for index, (_, source, _) in enumerate(CONNECTIVITY_TEXTS)]
    assert panel.find_element("css selector", "button[data-action=previous]").get_attribute("disabled")
    panel.find_element("css selector", "button[data-action=next]").click()
    body = connectivity_body(1)
    panel = wait(browser, lambda d: [p for p in css(d, "figure.krnn-connectivity-panel[data-run=lstm]")
                                     if len(p.find_elements("css selector", ".krnn-connectivity-model[data-model='0'] "
                                                            "span[data-index]")) == len(body["text"])])[0]
    assert panel.find_element("css selector", "select[name=text]").get_attribute("value") == "1"
    assert panel.find_element("css selector", "button[data-action=next]").get_attribute("disabled")
    assert not panel.find_element("css selector", "button[data-action=previous]").get_attribute("disabled")
    assert panel.find_element("css selector", ".krnn-connectivity-info").text.startswith("Next character")
    for j in (5, 0, 17):                                  # a space's prediction: the 5 characters before it shaded
        hover(browser, panel, j, 1)
        wait(browser, lambda d: panel.get_attribute("data-selected") == str(j))
        assert connectivity_state(browser, panel) == expected_connectivity(body, j), j
    state = expected_connectivity(body, 5)
    assert [t for t, *_ in state[0][1]] == [0, 1, 2, 3, 4] and state[0][3] == "Target: \u2423"
    Select(panel.find_element("css selector", "select[name=text]")).select_by_value("0")
    text = CONNECTIVITY_TEXTS[0][2]
    panel = wait(browser, lambda d: [p for p in css(d, "figure.krnn-connectivity-panel[data-run=lstm]")
                                     if len(p.find_elements("css selector", ".krnn-connectivity-model[data-model='0'] "
                                                            "span[data-index]")) == len(text)])[0]
    assert browser.execute_script("return arguments[0].querySelector('pre.krnn-connectivity-text').textContent",
                                  panel) == shown(text)
    assert panel.find_element("css selector", "select[name=text]").get_attribute("value") == "0"
    hover(browser, panel, 9, 2)
    wait(browser, lambda d: panel.get_attribute("data-selected") == "9")
    assert connectivity_state(browser, panel) == expected_connectivity(connectivity_body(0), 9)


def test_connectivity_shows_hostile_text_model_names_and_labels_as_text(browser, server):
    """A 200-character text of markup, quotes and newlines in three columns, models named with markup and
    `__proto__`, targets and suggestions that are markup: the very characters, no element, no alert, no horizontal
    scroll at 1280x800 (the text wraps)."""
    body = hostile_connectivity_body()
    open_plugin(browser, server)
    type_filter(browser, "^zz")
    wait(browser, lambda d: sidebar_runs(d) == [HOSTILE_RUN])
    css(browser, "button[data-view=connectivity]")[0].click()
    panel = connectivity_panel(browser, HOSTILE_RUN)
    assert panel.find_element("css selector", "figcaption").get_attribute("textContent") == HOSTILE_RUN
    assert [h.text for h in panel.find_elements("css selector", ".krnn-connectivity-name")] == HOSTILE_CONNECTIVITY_MODELS
    assert browser.execute_script("return [...arguments[0].querySelectorAll('pre.krnn-connectivity-text')]"
                                  ".map((p) => p.textContent)", panel) == [shown(HOSTILE_CONNECTIVITY_TEXT)] * 3
    assert panel.find_element("css selector", "select[name=text] option").text == f"0 · {HOSTILE_SOURCE}"
    assert HOSTILE_SOURCE in panel.find_element("css selector", ".krnn-connectivity-info").text
    for j in (1, 2, 199, 0):                                  # targets __proto__, null, __proto__, <img ...>
        hover(browser, panel, j, j % 3)
        wait(browser, lambda d: panel.get_attribute("data-selected") == str(j))
        assert connectivity_state(browser, panel) == expected_connectivity(body, j), j
    state = connectivity_state(browser, panel)
    assert state[1][3] == f"Target: {HOSTILE_LABELS[0]}" and state[1][4] == [
        ["constructor", "50.0%", "false"], [HOSTILE_LABELS[0], "25.0%", "true"], ["</pre><i>x</i>", "12.5%", "false"]]
    wrapped = browser.execute_script("return [...arguments[0].querySelectorAll('pre.krnn-connectivity-text')]"
                                     ".every((p) => p.scrollWidth <= p.clientWidth && p.clientHeight > 100)", panel)
    assert wrapped and no_horizontal_scroll(browser)
    assert no_alert(browser) and no_injected_markup(browser)


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
    for name in ("colored_text.png", "saturation.png", "oracle.png", "agreement.png", "connectivity.png"):
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
                             100, 1, split="test", model="constructor")
        summary.write_agreement({"models": [{"name": name, "unit": name, "layers": 1 + i, "params": 10 * (i + 1)}
                                            for i, name in enumerate(PROPERTY_NAMES)],
                                 "matrix": [[1.0 if i == j else 0.5 for j in range(4)] for i in range(4)],
                                 "embedding": [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], "characters": 100,
                                 "split": "test"}, 1)


def test_names_like_object_properties_stay_data_in_every_view(browser, tmp_path):
    _property_named_run(str(tmp_path / "logdir" / "proto"))
    with tensorboard(str(tmp_path / "logdir"), expect_runs=1,
                     ready=lambda body: body["runs"][0]["oracle"] and body["runs"][0]["cell_ranking"]
                     and body["runs"][0]["agreement"]) as base:
        browser.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
        wait(browser, lambda d: len(css(d, ".krnn-feature h4")) == 4)
        assert [h.text for h in css(browser, ".krnn-feature h4")] == list(PROPERTY_NAMES)
        assert all(not h.get_attribute("title") for h in css(browser, ".krnn-feature h4"))
        assert css(browser, "select[name=name] option")[0].text == "__proto__"
        assert not css(browser, ".krnn-status [role=alert]")
        assert [t.get_attribute("data-view") for t in css(browser, "button.krnn-tab")] == [
            "text", "saturation", "oracle", "agreement"]                                    # no section 4.3 data
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
        assert panel.find_element("css selector", ".krnn-model").text == "· constructor"
        panel.find_element("css selector", "tr.krnn-slice-row[data-index='1']").click()
        wait(browser, lambda d: panel.find_element("css selector", ".krnn-no-examples").text
             == "No examples of __proto__ in this summary.")
        css(browser, "button[data-view=agreement]")[0].click()
        panel = wait(browser, lambda d: css(d, "figure.krnn-agreement-panel[data-run=proto]"))[0]
        points = agreement_points(browser, panel)
        assert [title.split(": ")[0] for *_, title in points] == list(PROPERTY_NAMES)
        assert {fill for *_, fill, _ in points} == {"#7f7f7f"}                  # no unit colour for these names
        assert [shape for _, _, shape, *_ in points] == ["circle", "square", "triangle", "triangle"]
        assert [i.text for i in panel.find_elements("css selector", ".krnn-legend-item[data-unit]")] == list(PROPERTY_NAMES)
        assert heat_cells(browser, panel)[1] == sorted(
            (i, j, f"{a} vs {b}: {1.0 if i == j else 0.5:.3f}") for i, a in enumerate(PROPERTY_NAMES)
            for j, b in enumerate(PROPERTY_NAMES))


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
