"""Issue 31, views a researcher can trust and share, in a real browser: `tensorboard --logdir` started as a
subprocess, Debian's headless Chromium driven by Selenium. Each test names the item of the issue it guards."""

import os

import numpy as np
import pytest

from plugin_helpers import browser_session, choose, set_number
from tb_plugin.testing import css, tensorboard, wait

WIDTH, HEIGHT = 1440, 900
STEP = 800
UNITS = 6
CELL = 2
STATE_CYCLE = [-1.0, -0.5, 0.0, 0.5, 1.0]        # layer1 c, cell CELL
GATE_CYCLE = [0.0, 0.25, 0.5, 0.75, 1.0]         # layer1 f, cell CELL: a forget gate closed, half, open
TEXT = ("The count said: \"Natasha, come here.\" She came.\n" * 40)
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
        summary.write_cell_ranking({"quote": [{"layer": "layer1", "cell": CELL, "r": 0.7}]}, STEP, "Pearson r",
                                   {"quote": "inside a quotation"})
    return root


def _loaded(body) -> bool:
    runs = {r["run"]: r for r in body["runs"]}
    run = runs.get(RUN)
    return bool(run and run["text"] and len(run["activations"]) == 2 and run["cell_ranking"])


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


def krnn_export(driver, view, params, kind):
    return driver.execute_async_script(
        "const [view, params, kind, done] = arguments;"
        "window.krnnExport(view, params, kind).then((r) => done({ok: true, filename: r.filename, data: r.data}),"
        "                                           (e) => done({ok: false, error: String(e.message || e)}));",
        view, params, kind)


def test_gates_are_coloured_on_0_to_1_and_states_on_minus_1_to_1_with_a_key_and_hover_that_say_so(browser, server):
    """31.1: a forget gate's 0 was drawn white (the neutral colour of -1..+1) and red never appeared; the legend
    always read -1 ... +1. Now 0 is red, 0.5 white, 1 blue, and the key, the hover and the export say 0..1."""
    from selenium.webdriver import ActionChains

    open_plugin(browser, server)
    set_number(browser, "cell", CELL)
    wait(browser, lambda d: first_colours(d)[0] == "rgb(255, 0, 0)")
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
    span = css(browser, "pre.krnn-text span")[0]
    ActionChains(browser).move_to_element(span).perform()
    wait(browser, lambda d: css(d, ".krnn-readout")[0].text.startswith('Character 1 "T": 0.000 on 0…1 (layer1 f'))
    assert span.get_attribute("title") == "0.000 (scale 0 to 1)"
    result = krnn_export(browser, "text", {"run": RUN, "layer": "layer1", "name": "f", "cell": CELL}, "html")
    assert result["ok"], result
    assert 'data-testid="scale"' in result["data"] and 'data-range="0,1"' in result["data"]   # the key travels
    assert "colour scale 0 / 0.5 / 1 = red / white / blue" in result["data"]                 # and the caption says it
