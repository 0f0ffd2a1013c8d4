"""Issue 31, views a researcher can trust and share, in a real browser: `tensorboard --logdir` started as a
subprocess, Debian's headless Chromium driven by Selenium. Each test names the item of the issue it guards."""

import json
import os

import numpy as np
import pytest

from plugin_helpers import (agreement_body, brace_body, browser_session, choose, connectivity_body, hover_until,
                            krnn_export, set_number)
from tb_plugin.testing import css, tensorboard, wait

WIDTH, HEIGHT = 1440, 900
STEP = 800
UNITS = 6
CELL = 2
STATE_CYCLE = [-1.0, -0.5, 0.0, 0.5, 1.0]        # layer1 c, cell CELL
GATE_CYCLE = [0.0, 0.25, 0.5, 0.75, 1.0]         # layer1 f, cell CELL: a forget gate closed, half, open
TEXT = ("The count said: \"Natasha, come here.\" She came.\n" * 200)   # 9,600 characters: two pages of 5,000
RANKED = 325_822                                 # characters the ranking saw (War and Peace's validation split)
QUOTE_FIRST = 6_010                              # where the coverage says "quote" first occurs: the second page
RUN = "wp-lstm"


def _write_logdir(root: str) -> str:
    import tensorflow as tf

    from karpathy_rnn import summary

    rng = np.random.default_rng(0)
    with tf.summary.create_file_writer(os.path.join(root, RUN)).as_default():
        summary.write_text(TEXT, STEP, source="val")
        c = np.tanh(rng.normal(size=(len(TEXT), UNITS))).astype(np.float32)
        c[:, CELL] = np.resize(STATE_CYCLE, len(TEXT))
        summary.write_activations("layer1", "c", c, STEP, "lstm", (-1, 1), "tanh")
        f = rng.uniform(0, 1, (len(TEXT), UNITS)).astype(np.float32)
        f[:, CELL] = np.resize(GATE_CYCLE, len(TEXT))
        summary.write_activations("layer1", "f", f, STEP, "lstm", (0, 1), "none")
        ranking = {"line_position": [{"layer": "layer1", "cell": 0, "r": 0.12}],       # first, but noise
                   "quote": [{"layer": "layer1", "cell": CELL, "r": 0.7}],             # the strongest
                   "in_comment": [{"layer": "layer1", "cell": 4, "r": -0.5}]}          # never in the stored text
        coverage = {"ranked": RANKED, "stored": len(TEXT), "split": "val", "features": {
            "line_position": {"ranked": 300_000, "stored": 9_000, "first": 1},
            "quote": {"ranked": 40_000, "stored": 3_000, "first": QUOTE_FIRST},
            "in_comment": {"ranked": 41_233, "stored": 0, "first": None}}}
        summary.write_cell_ranking(ranking, STEP, "Pearson r", {"quote": "inside a quotation"}, coverage)
        for gate in ("i", "f", "o"):
            summary.write_saturation("layer1", gate, rng.uniform(0, 0.5, UNITS), rng.uniform(0, 0.5, UNITS), STEP,
                                     "lstm", 1)
        summary.write_brace_study(brace_body(), STEP)
        summary.write_agreement(agreement_body(), STEP)
        summary.write_connectivity(connectivity_body(0), STEP, 0)
    return root


def _loaded(body) -> bool:
    runs = {r["run"]: r for r in body["runs"]}
    run = runs.get(RUN)
    return bool(run and run["text"] and len(run["activations"]) == 2 and run["cell_ranking"] and run["saturation"]
                and len(run["saturation"]["gates"]) == 3 and run["brace"] and run["agreement"] and run["connectivity"])


@pytest.fixture(scope="module")
def browser():
    yield from browser_session(WIDTH, HEIGHT, script_timeout=120)


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    logdir = _write_logdir(str(tmp_path_factory.mktemp("trust") / "logdir"))
    with tensorboard(logdir, expect_runs=1, ready=_loaded) as base:
        yield base


def open_plugin(driver, base):
    driver.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
    wait(driver, lambda d: css(d, "pre.krnn-text span") or css(d, ".krnn-message"))


def first_colours(driver, count=5):
    return driver.execute_script("return [...document.querySelectorAll('pre.krnn-text span')].slice(0, arguments[0])"
                                 ".map((s) => getComputedStyle(s).backgroundColor)", count)


def legend_labels(driver):
    return [chip.text for chip in css(driver, "[data-testid=scale] .krnn-legend-chip")]


def test_gates_are_coloured_on_0_to_1_and_states_on_minus_1_to_1_with_a_key_and_hover_that_say_so(browser, server):
    """31.1: a forget gate's 0 was drawn white (the neutral colour of -1..+1) and red never appeared; the legend
    always read -1 ... +1. Now 0 is red, 0.5 white, 1 blue, and the key, the hover and the export say 0..1."""
    open_plugin(browser, server)
    set_number(browser, "cell", CELL)
    wait(browser, lambda d: first_colours(d)[0] == "rgb(255, 0, 0)" and not css(d, "[data-testid=coverage-feature]"))
    assert first_colours(browser) == ["rgb(255, 0, 0)", "rgb(255, 128, 128)", "rgb(255, 255, 255)",
                                      "rgb(128, 128, 255)", "rgb(0, 0, 255)"]           # c: -1, -0.5, 0, 0.5, 1
    assert legend_labels(browser) == ["\u22121", "0", "+1"]
    choose(browser, "name", "f")
    wait(browser, lambda d: legend_labels(d) == ["0", "0.5", "1"])
    wait(browser, lambda d: first_colours(d) == ["rgb(255, 0, 0)", "rgb(255, 128, 128)", "rgb(255, 255, 255)",
                                                  "rgb(128, 128, 255)", "rgb(0, 0, 255)"])   # f: 0, .25, .5, .75, 1
    chips = browser.execute_script("return [...document.querySelectorAll('[data-testid=scale] .krnn-legend-chip')]"
                                   ".map((s) => getComputedStyle(s).backgroundColor)")
    assert chips == ["rgb(255, 0, 0)", "rgb(255, 255, 255)", "rgb(0, 0, 255)"]
    assert "closed" in css(browser, "[data-testid=scale]")[0].text

    def names_the_gate_value(readout, span):               # of the character hovered, on the gate's scale
        index = int(span.get_attribute("data-index"))
        return readout.startswith(f'Character {index + 1:,} {json.dumps(TEXT[index])}: 0.000 on 0…1 (layer1 f')
    _, title = hover_until(browser, "pre.krnn-text span", 0, names_the_gate_value)
    assert title == "0.000 (scale 0 to 1)"
    result = krnn_export(browser, "text", {"run": RUN, "layer": "layer1", "name": "f", "cell": CELL}, "html")
    assert result["ok"], result
    assert 'data-testid="scale"' in result["data"] and 'data-range="0,1"' in result["data"]   # the key travels
    assert "colour scale 0 / 0.5 / 1 = red / white / blue" in result["data"]                 # and the caption says it


def page_range(driver):
    return css(driver, "[data-testid=page-range]")[0].text


def test_the_view_opens_the_strongest_cell_where_its_feature_occurs_and_says_what_was_ranked(browser, server):
    """31.2 and 31.8: the ranking saw 325,822 characters, the text stores 9,600; the view says so, opens the
    strongest cell (quote, |r| 0.7, not the first feature's 0.12) on the page where quotes first occur, and for a
    feature that never occurs in the stored text says so and how to store more, instead of a page that looks wrong."""
    open_plugin(browser, server)
    wait(browser, lambda d: css(d, "input[name=cell]")[0].get_attribute("value") == str(CELL)
         and page_range(d).startswith("Characters 5,001–"))                     # quote's first page, not the first
    coverage = wait(browser, lambda d: css(d, "[data-testid=coverage-text]"))[0].text
    assert coverage == (f"The ranking saw {RANKED:,} characters of the val split; this text holds the first "
                        f"{len(TEXT):,} (python scripts/analyze.py RUN --summary-chars {RANKED} stores them all).")
    assert css(browser, "[data-testid=coverage-feature]")[0].text == (
        f"quote: at 3,000 of the characters stored (40,000 of those ranked); first at character {QUOTE_FIRST + 1:,}.")
    css(browser, "button.krnn-cell-link[data-feature=in_comment]")[0].click()
    warning = wait(browser, lambda d: css(d, "[data-testid=coverage] .krnn-warning"))[0].text
    assert warning.startswith(f"in_comment never occurs in the {len(TEXT):,} characters stored")
    assert f"--summary-chars {RANKED}" in warning and "41,233" in warning
    assert css(browser, "input[name=cell]")[0].get_attribute("value") == "4"
    set_number(browser, "cell", 1)                                    # a cell the user picks: no feature claimed
    wait(browser, lambda d: not css(d, "[data-testid=coverage] .krnn-warning"))
    assert css(browser, "[data-testid=coverage-text]")


TRAINING_RUN = "wp-lstm-history"
TRAINING_STEPS = list(range(0, 15_000, 100))     # 150 analysed steps: more than TensorBoard's 10 or 100


def _write_training_logdir(root: str) -> str:
    """What an analysis over 150 snapshots writes, small: per step a text, one state and the cell ranking."""
    import tensorflow as tf

    from karpathy_rnn import summary

    text = "abc \"q\" d\n" * 3
    with tf.summary.create_file_writer(os.path.join(root, TRAINING_RUN)).as_default():
        for k, step in enumerate(TRAINING_STEPS):
            summary.write_text(text, step, source="val")
            summary.write_activations("layer1", "c", np.full((len(text), 2), k / 200, np.float32), step, "lstm")
            summary.write_cell_ranking({"quote": [{"layer": "layer1", "cell": 0, "r": min(k / 100, 1.0)}]}, step,
                                       "Pearson r", {}, snapshots=len(TRAINING_STEPS))
    return root


@pytest.fixture(scope="module")
def training_logdir(tmp_path_factory):
    return _write_training_logdir(str(tmp_path_factory.mktemp("trust-training") / "logdir"))


def _training_loaded(body) -> bool:
    """Whether TensorBoard has read the whole file: the last step is there (a reservoir always keeps the last)."""
    return any(r["run"] == TRAINING_RUN and r["training"] and r["training"]["steps"][-1] == TRAINING_STEPS[-1]
               and r["text"]["steps"][-1] == TRAINING_STEPS[-1] for r in body["runs"])


@pytest.mark.parametrize("load_fast", ["auto", "false"])
def test_plain_tensorboard_keeps_every_analysed_step(training_logdir, load_fast):
    """31.3: with plain `tensorboard --logdir`, TensorBoard kept a random 100 (Rust data server) or 10 (Python
    multiplexer) of a tag's steps; the plugin's loader now asks it to keep up to 1,000."""
    from tb_plugin.testing import get_json

    with tensorboard(training_logdir, expect_runs=1, load_fast=load_fast,
                     ready=_training_loaded) as base:
        _, body = get_json(f"{base}/data/plugin/karpathy_rnn/runs")
        (run,) = body["runs"]
        assert run["training"] == {"steps": TRAINING_STEPS, "written": len(TRAINING_STEPS)}
        assert run["text"]["steps"] == TRAINING_STEPS
        _, emergence = get_json(f"{base}/data/plugin/karpathy_rnn/emergence?run={TRAINING_RUN}")
        assert emergence["steps"] == TRAINING_STEPS


def test_a_lower_samples_per_plugin_is_kept_and_the_views_say_how_many_steps_are_missing(browser, training_logdir):
    """31.3: a user's own --samples_per_plugin stays as given; then Over training and Colored text say how many of
    the analysed steps are shown and the one flag that shows them all."""
    with tensorboard(training_logdir, expect_runs=1, ready=_training_loaded,
                     extra_args=("--samples_per_plugin", "karpathy_rnn=20")) as base:
        open_plugin(browser, base)
        note = wait(browser, lambda d: css(d, "[data-testid=missing-steps]"))[0].text
        expected = (f"20 of the {len(TRAINING_STEPS)} analysed steps are shown: TensorBoard keeps a sample of each "
                    f"tag's steps. Restart it with --samples_per_plugin=karpathy_rnn={len(TRAINING_STEPS)} to see "
                    "them all.")
        assert note == expected
        css(browser, "button[data-view=training]")[0].click()
        wait(browser, lambda d: [n.text for n in css(d, "[data-testid=missing-steps]") if n.is_displayed()]
             == [expected])


def test_exports_are_figures_with_their_key_and_the_saturation_view_says_its_thresholds(browser, server):
    """31.5: the Colored text export dropped the row with the colour key; the Saturation view never said what
    saturated means (only the exported caption did). Both now carry their key, in the view and in the export."""
    open_plugin(browser, server)
    colored = krnn_export(browser, "text", {"run": RUN, "layer": "layer1", "name": "c", "cell": CELL}, "html")
    assert colored["ok"], colored
    assert 'data-range="-1,1"' in colored["data"] and "Figure 2 scale" in colored["data"]
    assert 'aria-label="Pattern search"' not in colored["data"]                 # the search box is not part of it
    css(browser, "button[data-view=saturation]")[0].click()
    key = wait(browser, lambda d: [k.text for k in css(d, "[data-testid=saturation-key]") if k.is_displayed()])[0]
    assert "right-saturated (> 0.9)" in key and "left-saturated (< 0.1)" in key
    saturation = krnn_export(browser, "saturation", {"run": RUN}, "html")
    assert saturation["ok"], saturation
    assert "right-saturated (&gt; 0.9)" in saturation["data"] and "left-saturated (&lt; 0.1)" in saturation["data"]


def in_plugin_frame(driver):
    """Switches into the plugin's iframe of TensorBoard's page once it has drawn a view."""
    frame = wait(driver, lambda d: css(d, "iframe"), timeout=60)[0]
    driver.switch_to.frame(frame)
    wait(driver, lambda d: css(d, ".krnn-tab[aria-selected=true]"), timeout=60)


def test_a_link_opens_the_same_picture_and_the_url_follows_the_view(browser, server):
    """31.4: choosing a run, step, layer, cell, page or selection left the URL at .../#karpathy_rnn; now the view's
    state is TensorBoard's URL data for the plugin (p.karpathy_rnn.*), so a reload or a sent link opens it again."""
    import urllib.parse

    link = {"view": "text", "run": RUN, "step": STEP, "layer": "layer1", "name": "f", "cell": 4, "offset": 4000,
            "limit": 2000, "selection": "4010-4015"}
    fragment = "&".join(f"p.karpathy_rnn.{k}={urllib.parse.quote(str(v))}" for k, v in link.items())
    browser.get("about:blank")
    browser.get(f"{server}/#karpathy_rnn&{fragment}")
    try:
        in_plugin_frame(browser)
        wait(browser, lambda d: page_range(d) == f"Characters 4,001–6,000 of {len(TEXT):,}")
        assert css(browser, "input[name=cell]")[0].get_attribute("value") == "4"
        assert css(browser, "select[name=name]")[0].get_attribute("value") == "f"
        assert css(browser, "select[name=limit]")[0].get_attribute("value") == "2000"
        wait(browser, lambda d: css(d, "[data-testid=selection]")[0].text.startswith("Selected characters 4,011–4,015"))
        assert len(css(browser, "pre.krnn-text span[data-selected]")) == 5
        set_number(browser, "cell", 1)
        browser.switch_to.default_content()
        wait(browser, lambda d: "p.karpathy_rnn.cell=1&" in d.current_url + "&")
        assert "p.karpathy_rnn.name=f" in browser.current_url and "p.karpathy_rnn.offset=4000" in browser.current_url
        in_plugin_frame(browser)
        css(browser, "button[data-view=saturation]")[0].click()
        choose(browser, "layout", "side-by-side")
        browser.switch_to.default_content()
        wait(browser, lambda d: "p.karpathy_rnn.view=saturation" in d.current_url
             and "p.karpathy_rnn.layout=side-by-side" in d.current_url)
        shared = browser.current_url
        browser.get("about:blank")
        browser.get(shared)                                         # the link, opened anew
        in_plugin_frame(browser)
        wait(browser, lambda d: css(d, ".krnn-tab[aria-selected=true]")[0].get_attribute("data-view") == "saturation"
             and css(d, "select[name=layout]")[0].get_attribute("value") == "side-by-side")
    finally:
        browser.switch_to.default_content()


def test_the_plugin_follows_tensorboards_dark_setting(browser, server):
    """31.7: TensorBoard's Dark setting (body.dark-mode on its page) turned its own dashboards dark and left the
    plugin white; the plugin now follows it, both ways, while open."""
    browser.get("about:blank")                                # a new page, whatever hash the last test left
    browser.get(f"{server}/#karpathy_rnn&p.karpathy_rnn.view=text")
    try:
        in_plugin_frame(browser)
        background = "return getComputedStyle(document.body).backgroundColor"
        panel = "return getComputedStyle(document.querySelector('pre.krnn-text')).backgroundColor"
        wait(browser, lambda d: css(d, "pre.krnn-text span"))
        assert browser.execute_script(background) == "rgb(245, 246, 247)"
        browser.switch_to.default_content()
        browser.execute_script("document.body.classList.add('dark-mode')")          # what the setting does
        in_plugin_frame(browser)
        wait(browser, lambda d: d.execute_script(background) == "rgb(48, 48, 48)")
        assert browser.execute_script(panel) == "rgb(32, 33, 36)"
        text = browser.execute_script("return getComputedStyle(document.querySelector('.krnn-tab')).color")
        assert text == "rgb(232, 234, 237)"                                          # light text on the dark
        first = browser.execute_script("return getComputedStyle(document.querySelector('pre.krnn-text span'))"
                                       ".backgroundColor")
        assert first != "rgb(32, 33, 36)"                                          # the data keeps its colours
        browser.switch_to.default_content()
        browser.execute_script("document.body.classList.remove('dark-mode')")
        in_plugin_frame(browser)
        wait(browser, lambda d: d.execute_script(background) == "rgb(245, 246, 247)")
    finally:
        browser.switch_to.default_content()


def focused(driver):
    return driver.execute_script("return document.activeElement")


def test_every_interactive_part_answers_the_keyboard_with_a_visible_focus(browser, server):
    """31.6: only the oracle rows answered the keyboard. Now the text (a cursor, Shift to select, Enter to search),
    the saturation, t-SNE and brace points (one tab stop per chart, the arrow keys between points) and the
    connectivity characters do, each with a visible focus."""
    from selenium.webdriver.common.keys import Keys

    open_plugin(browser, server)
    text = wait(browser, lambda d: css(d, "pre.krnn-text[tabindex='0']"))[0]
    offset = int(css(browser, "pre.krnn-text span")[0].get_attribute("data-index"))
    browser.execute_script("arguments[0].focus()", text)
    text.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    wait(browser, lambda d: css(d, ".krnn-readout")[0].text.startswith(f"Character {offset + 3:,} "))
    cursor = css(browser, "pre.krnn-text span[data-cursor]")
    assert [c.get_attribute("data-index") for c in cursor] == [str(offset + 2)]
    assert browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", cursor[0]) == "solid"
    text.send_keys(Keys.SHIFT + Keys.ARROW_RIGHT + Keys.ARROW_RIGHT + Keys.ARROW_RIGHT)
    wait(browser, lambda d: css(d, "[data-testid=selection]")[0].text.startswith(
        f"Selected characters {offset + 3:,}–{offset + 6:,} (4)"))
    text.send_keys(Keys.ENTER)
    wait(browser, lambda d: css(d, ".krnn-search-cells") or css(d, ".krnn-search-output .krnn-message"))

    css(browser, "button[data-view=saturation]")[0].click()
    first = wait(browser, lambda d: css(d, "svg.krnn-scatter circle.krnn-point[tabindex='0']"))[0]
    assert len(css(browser, "svg.krnn-scatter")[0].find_elements("css selector", "[tabindex='0']")) == 1
    browser.execute_script("arguments[0].focus()", first)
    wait(browser, lambda d: "unit 0" in css(d, ".krnn-readout")[0].text)
    focused(browser).send_keys(Keys.ARROW_RIGHT)
    wait(browser, lambda d: "unit 1" in css(d, ".krnn-readout")[0].text)
    assert focused(browser).get_attribute("data-unit") == "1"
    assert browser.execute_script("return getComputedStyle(document.activeElement).strokeWidth") == "3px"
    focused(browser).send_keys(Keys.ENTER)                                        # opens the unit's text
    wait(browser, lambda d: css(d, ".krnn-tab[aria-selected=true]")[0].get_attribute("data-view") == "text"
         and css(d, "input[name=cell]")[0].get_attribute("value") == "1")

    for view, selector in (("agreement", ".krnn-agreement-point"), ("brace", "circle.krnn-brace-point")):
        css(browser, f"button[data-view={view}]")[0].click()
        point = wait(browser, lambda d: css(d, f"{selector}[tabindex='0']"))[0]
        browser.execute_script("arguments[0].focus()", point)
        title = point.find_element("css selector", "title").get_attribute("textContent")
        wait(browser, lambda d: [r.text for r in css(d, ".krnn-readout") if r.is_displayed()] == [title])
        focused(browser).send_keys(Keys.END)
        assert focused(browser) != point and focused(browser).get_attribute("tabindex") == "0"

    css(browser, "button[data-view=connectivity]")[0].click()
    column = wait(browser, lambda d: css(d, "pre.krnn-connectivity-text[tabindex='0']"))[0]
    browser.execute_script("arguments[0].focus()", column)
    panel = css(browser, ".krnn-connectivity-panel")[0]
    wait(browser, lambda d: panel.get_attribute("data-selected") == "0")
    column.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    wait(browser, lambda d: panel.get_attribute("data-selected") == "2" and panel.get_attribute("data-shaded") == "2")
    column.send_keys(Keys.ENTER)
    wait(browser, lambda d: panel.get_attribute("data-pinned") == "true")


def test_the_smaller_findings(browser, server):
    """31.8: search results no longer stay once the cell changes; with every run unticked no empty text, search box or
    readout naming a cell is left; no Error oracles tab without oracle data; saturation plots fit three to a 1440 px
    screen; connectivity text breaks between words; the agreement colours span the agreements between different
    models (not up to the 1.0 diagonal); an invalid filter regex says so instead of showing every run."""
    from selenium.webdriver.common.keys import Keys

    from plugin_helpers import AGREEMENT_MATRIX

    open_plugin(browser, server)
    assert "oracle" not in [t.get_attribute("data-view") for t in css(browser, ".krnn-tab")]
    text = wait(browser, lambda d: css(d, "pre.krnn-text[tabindex='0']"))[0]
    browser.execute_script("arguments[0].focus()", text)
    text.send_keys(Keys.SHIFT + Keys.ARROW_RIGHT + Keys.ARROW_RIGHT, Keys.ENTER)
    wait(browser, lambda d: css(d, ".krnn-search-output")[0].text != "" and "Searching" not in
         css(d, ".krnn-search-output")[0].text)
    set_number(browser, "cell", 3)
    wait(browser, lambda d: css(d, ".krnn-search-output")[0].text == "")
    box = css(browser, ".krnn-run input[type=checkbox]")[0]
    box.click()                                                       # every run unticked
    wait(browser, lambda d: css(d, ".krnn-colored-text .krnn-message"))
    assert not css(browser, ".krnn-text-grid")[0].is_displayed()
    box.click()
    wait(browser, lambda d: css(d, ".krnn-text-grid")[0].is_displayed())

    css(browser, "button[data-view=saturation]")[0].click()
    scatter = wait(browser, lambda d: css(d, "svg.krnn-scatter"))[0]
    assert int(scatter.get_attribute("width")) >= 340
    css(browser, "button[data-view=connectivity]")[0].click()
    column = wait(browser, lambda d: css(d, "pre.krnn-connectivity-text"))[0]
    assert browser.execute_script("return getComputedStyle(arguments[0]).wordBreak", column) == "normal"
    css(browser, "button[data-view=agreement]")[0].click()
    scale = wait(browser, lambda d: css(d, "[data-testid=agreement-scale]"))[0].text
    others = [v for i, row in enumerate(AGREEMENT_MATRIX) for j, v in enumerate(row) if i != j]
    assert scale.startswith(f"{min(others):.3f}") and f"{max(others):.3f} agree" in scale

    field = css(browser, "input.krnn-filter")[0]
    field.send_keys("(")
    wait(browser, lambda d: css(d, "[data-testid=filter-error]")[0].text.startswith("Not a regular expression"))
    assert css(browser, ".krnn-run-list")[0].text == "No run matches the filter."
    field.send_keys(Keys.BACKSPACE)
    wait(browser, lambda d: css(d, "[data-testid=filter-error]")[0].text == "" and css(d, ".krnn-run"))


def test_a_run_keeps_its_colour_when_runs_are_added(browser, tmp_path):
    """31.8: run colours followed the run's place in the list, so a run added before it (by name) recoloured it."""
    import time

    import tensorflow as tf

    from karpathy_rnn import summary

    def write(name):
        with tf.summary.create_file_writer(str(tmp_path / name)).as_default():
            summary.write_text("abc\n" * 20, 1, source="val")
            summary.write_activations("layer1", "c", np.zeros((80, 2), np.float32), 1, "lstm")

    def colours(d):
        return {label.get_attribute("title"): d.execute_script(
            "return arguments[0].querySelector('input').style.accentColor", label) for label in css(d, ".krnn-run")}

    write("b-run")
    with tensorboard(str(tmp_path), expect_runs=1) as base:
        open_plugin(browser, base)
        before = wait(browser, lambda d: colours(d))["b-run"]
        write("a-run")                                            # sorts first: it takes place 0 in the list
        deadline = time.monotonic() + 60
        while len(colours(browser)) < 2 and time.monotonic() < deadline:       # TensorBoard reads it, Reload lists it
            css(browser, "button.krnn-reload")[0].click()
            time.sleep(1.0)
        after = colours(browser)
        assert list(after) == ["a-run", "b-run"] and after["b-run"] == before and after["a-run"] != before
