"""The "Over training" view and the saturation view's layers side by side and playing, in a real browser: the real
`tensorboard` started on a logdir written here with karpathy_rnn.summary, Debian's headless Chromium through
Selenium (tb_plugin/testing.py), assertions on what is drawn."""

import json
import os
import time

import numpy as np
import pytest

from plugin_helpers import browser_session, choose, hover_until, set_number
from tb_plugin.testing import css, get_json, tensorboard, wait

STEPS = [0, 100, 200, 300]
RUN = 'lstm "&<> run'                              # a run name with a quote, an ampersand and angle brackets
PLAIN_RUN = "single analysis"                      # its cell ranking at one step only: no training data
HOSTILE_FEATURE = "<img src=x onerror=alert(1)>"
HOSTILE_DESCRIPTION = "</td><b>never</b> &amp; passes"
LAYERS = ("layer1", "layer2")
UNITS = 8                                          # units of the activations (the colored text)
SATURATION_UNITS = 4
GATES = ("i", "f", "o")
# (layer, cell, r) of each feature's best cell per step (None: absent at that step); the rankings also list a
# weaker cell first, so the best is not merely the first listed.
BEST = {
    "quote": [("layer1", 2, 0.1), ("layer2", 5, 0.3), ("layer2", 5, -0.6), ("layer2", 5, 0.8)],
    HOSTILE_FEATURE: [("layer1", 0, 0.2), ("layer1", 1, -0.3), ("layer2", 3, 0.25), ("layer1", 7, -0.4)],
    "newline": [("layer1", 4, 0.5), None, ("layer1", 4, 0.7), ("layer1", 6, 0.9)],
}
DESCRIPTIONS = {"quote": "inside a quotation", HOSTILE_FEATURE: HOSTILE_DESCRIPTION, "newline": "at a newline"}
FIRST_STEPS = {0.5: {"quote": 200, HOSTILE_FEATURE: None, "newline": 0},
               0.25: {"quote": 100, HOSTILE_FEATURE: 100, "newline": 0},
               0.7: {"quote": 300, HOSTILE_FEATURE: None, "newline": 200}}
TEXT = "say \"hi\" & <b>bye</b>\n" * 3


def saturation_values(step: int, gate: str, layer: str) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) fractions of SATURATION_UNITS units, distinct per step, gate and layer (all in [0.05, 0.7])."""
    offset = step / 1000 + 0.02 * GATES.index(gate) + 0.01 * LAYERS.index(layer)
    units = np.arange(SATURATION_UNITS)
    return 0.05 + 0.1 * units + offset, 0.7 - 0.1 * units - offset


def cell_values(step: int) -> float:
    """Every activation of every cell at `step`: step / 400 (0, 0.25, 0.5, 0.75: exact in float16)."""
    return step / 400


def write_training_run(path: str) -> None:
    """A 2-layer LSTM analysed at STEPS: text, c and h, saturation of i, f, o and the cell ranking of BEST."""
    import tensorflow as tf

    from karpathy_rnn import summary

    with tf.summary.create_file_writer(path).as_default():
        for s, step in enumerate(STEPS):                 # in training order (TensorBoard drops steps that go back)
            summary.write_text(TEXT, step, source="test")
            for index, layer in enumerate(LAYERS, start=1):
                summary.write_activations(layer, "c", np.full((len(TEXT), UNITS), cell_values(step)), step, "lstm",
                                          (-1, 1), "tanh")
                summary.write_activations(layer, "h", np.zeros((len(TEXT), UNITS)), step, "lstm")
                for gate in GATES:
                    summary.write_saturation(layer, gate, *saturation_values(step, gate, layer), step, "lstm", index)
            ranking = {}
            for feature, points in BEST.items():
                if points[s] is not None:
                    layer, cell, r = points[s]
                    ranking[feature] = [{"layer": "layer1", "cell": (cell + 1) % UNITS, "r": r / 4},
                                        {"layer": layer, "cell": cell, "r": r}]
            summary.write_cell_ranking(ranking, step, "Pearson r", DESCRIPTIONS)


def write_plain_run(path: str) -> None:
    """A run with text, activations and one cell ranking: nothing to chart over training."""
    import tensorflow as tf

    from karpathy_rnn import summary

    with tf.summary.create_file_writer(path).as_default():
        summary.write_text(TEXT, 7, source="test")
        summary.write_activations("layer1", "c", np.zeros((len(TEXT), UNITS)), 7, "lstm")
        summary.write_cell_ranking({"quote": [{"layer": "layer1", "cell": 1, "r": 0.9}]}, 7, "Pearson r", {})


@pytest.fixture(scope="module")
def browser():
    yield from browser_session()


class Logdir:
    """A logdir served by tensorboard: first the plain run only; `trained()` adds the training run once."""

    def __init__(self, root: str, base: str):
        self.root, self.base, self.added = root, base, False

    def runs(self) -> dict:
        status, body = get_json(f"{self.base}/data/plugin/karpathy_rnn/runs")
        assert status == 200
        return {r["run"]: r for r in body["runs"]}

    def trained(self) -> str:
        """Writes the training run (once) and waits until TensorBoard has read all of it; the base URL."""
        if not self.added:
            write_training_run(os.path.join(self.root, RUN))
            self.added = True
        deadline = time.monotonic() + 90
        while not fully_loaded(self.runs().get(RUN)):
            assert time.monotonic() < deadline, f"tensorboard did not load {RUN!r}: {self.runs().get(RUN)}"
            time.sleep(0.5)
        return self.base


def fully_loaded(entry) -> bool:
    """Whether TensorBoard has read the training run (its cell ranking at the last step is the last thing written)."""
    return bool(entry and entry["training"] and entry["training"]["steps"] == STEPS and entry["text"]
                and entry["text"]["steps"] == STEPS and len(entry["activations"]) == 4 and entry["saturation"]
                and len(entry["saturation"]["gates"]) == 3)


def saturation_steps_listed(logdir) -> None:
    """The saturation view offers the steps /runs lists: every step of the run's saturation summaries."""
    assert logdir.runs()[RUN]["saturation"]["steps"] == STEPS, "/runs must list every step of the saturation"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("training") / "logdir")
    write_plain_run(os.path.join(root, PLAIN_RUN))
    with tensorboard(root, expect_runs=1, ready=lambda body: body["runs"][0]["cell_ranking"]) as base:
        yield Logdir(root, base)


def open_plugin(driver, base):
    driver.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
    wait(driver, lambda d: css(d, "button[data-view]"))


def open_view(driver, base, view):
    open_plugin(driver, base)
    wait(driver, lambda d: css(d, f"button[data-view={view}]"))[0].click()




def value_of(driver, selector):
    found = css(driver, selector)
    return found[0].get_attribute("value") if found else None


def no_injected_markup(driver) -> bool:
    """Whether no element came from markup in the data (the plugin draws no img or b) and no alert opened."""
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert
        return False
    except NoAlertPresentException:
        pass
    return driver.execute_script("return document.querySelectorAll('img, b').length === 0")


def series_points(driver) -> dict:
    """[(feature, [(step, r, cy)])] of the chart in drawing order, and the plot area (x, y, width, height)."""
    return driver.execute_script(
        "const svg = document.querySelector('svg.krnn-training-chart');"
        "const a = svg.querySelector('rect.krnn-plot-area');"
        "return [[...svg.querySelectorAll('g[data-feature]')].map((g) => [g.getAttribute('data-feature'),"
        "  [...g.querySelectorAll('circle[data-step][data-r]')].map((c) => [Number(c.getAttribute('data-step')),"
        "    Number(c.getAttribute('data-r')), Number(c.getAttribute('cy'))])]),"
        "  ['x', 'y', 'width', 'height'].map((k) => Number(a.getAttribute(k)))];")


def first_steps(driver) -> dict:
    return {row.get_attribute("data-feature"): row.get_attribute("data-first-step")
            for row in css(driver, "tr[data-feature]")}


def expected_first_steps(threshold) -> dict:
    return {f: "" if s is None else str(s) for f, s in FIRST_STEPS[threshold].items()}


def test_over_training_tab_appears_only_once_a_run_has_training_data(browser, logdir):
    open_plugin(browser, logdir.base)
    assert logdir.runs()[PLAIN_RUN]["training"] is None
    tabs = [b.get_attribute("data-view") for b in css(browser, "button[data-view]")]
    assert "text" in tabs and "training" not in tabs
    logdir.trained()
    css(browser, "button.krnn-reload")[0].click()
    wait(browser, lambda d: css(d, "button[data-view=training]"))
    assert css(browser, "button[data-view=training]")[0].text.lower() == "over training"
    # a run added after the page opened starts ticked (index.js ticks runs new since the last load): it is charted
    css(browser, "button[data-view=training]")[0].click()
    wait(browser, lambda d: css(d, "svg.krnn-training-chart"))
    box = [b for b in css(browser, "label.krnn-run") if b.get_attribute("title") == RUN][0]
    box.find_element("css selector", "input").click()
    wait(browser, lambda d: css(d, ".krnn-training .krnn-message.krnn-info"))
    assert not css(browser, "svg.krnn-training-chart")
    assert "two or more training steps" in css(browser, ".krnn-training .krnn-message")[0].text


def test_chart_has_a_series_per_feature_with_points_at_their_steps_and_r(browser, logdir):
    base = logdir.trained()
    open_view(browser, base, "training")
    wait(browser, lambda d: len(css(d, "svg.krnn-training-chart g[data-feature]")) == len(BEST))
    assert value_of(browser, "select[name=run]") == RUN
    drawn, (ax, ay, width, height) = series_points(browser)
    assert [feature for feature, _ in drawn] == list(BEST)      # one series per feature, in the route's order
    series = dict(drawn)
    for feature, points in BEST.items():
        expected = [(step, p[2]) for step, p in zip(STEPS, points) if p is not None]
        assert [(step, r) for step, r, _ in series[feature]] == expected, feature
        for (_, r, cy) in series[feature]:                     # y is |r| on 0..1, up is more
            assert abs(cy - (ay + (1 - abs(r)) * height)) < 0.01
    xs = browser.execute_script(
        "return [...document.querySelectorAll('g[data-feature=quote] circle')].map((c) => Number(c.getAttribute('cx')))")
    assert [round((x - ax) / width, 4) for x in xs] == [0, round(1 / 3, 4), round(2 / 3, 4), 1]
    # a feature absent at a step leaves a gap: two pieces of line
    path = browser.execute_script("return document.querySelector('g[data-feature=newline] path').getAttribute('d')")
    assert path.count("M") == 2 and path.count("L") == 1
    threshold_y = float(css(browser, "line.krnn-threshold")[0].get_attribute("y1"))
    assert abs(threshold_y - (ay + 0.5 * height)) < 0.01
    assert css(browser, "line.krnn-threshold")[0].value_of_css_property("stroke-dasharray") not in ("", "none")
    legend = [item.text for item in css(browser, ".krnn-training-legend .krnn-legend-item")]
    assert legend == list(BEST)
    ticks = [t.text for t in css(browser, "text.krnn-step-tick")]
    assert ticks == ["0", "100", "200", "300"]
    # hovering a point names its feature, step, r, layer and cell (in the readout and its tooltip)
    readout, title = hover_until(browser, "g[data-feature=quote] circle[data-step='200']", 0, "quote · step 200 · ",
                                 ".krnn-training .krnn-readout")
    assert readout == title == "quote · step 200 · r -0.600 · layer2 cell 5"
    assert no_injected_markup(browser)


def test_table_first_steps_follow_the_threshold_and_errors_show_as_messages(browser, logdir):
    base = logdir.trained()
    open_view(browser, base, "training")
    wait(browser, lambda d: first_steps(d) == expected_first_steps(0.5))
    cells = {row.get_attribute("data-feature"): [td.text for td in row.find_elements("css selector", "td")]
             for row in css(browser, "tr[data-feature]")}
    assert cells["quote"][1:] == ["200", "layer2 · cell 5 · r +0.800"]
    assert cells[HOSTILE_FEATURE][1:] == ["not yet", "layer1 · cell 7 · r -0.400"]
    assert cells[HOSTILE_FEATURE][0] == HOSTILE_FEATURE                         # markup shows as text
    titles = {row.get_attribute("data-feature"): row.find_element("css selector", "td").get_attribute("title")
              for row in css(browser, "tr[data-feature]")}
    assert titles[HOSTILE_FEATURE] == HOSTILE_DESCRIPTION
    for threshold in (0.25, 0.7):
        set_number(browser, "threshold", threshold)
        wait(browser, lambda d: first_steps(d) == expected_first_steps(threshold))
        _, (_, ay, _, height) = series_points(browser)
        y1 = float(css(browser, "line.krnn-threshold")[0].get_attribute("y1"))
        assert abs(y1 - (ay + (1 - threshold) * height)) < 0.01
    assert [td.text for td in css(browser, "tr[data-feature=quote] td")][1] == "300"
    set_number(browser, "threshold", 2)                                          # the route's 400 is a message
    wait(browser, lambda d: css(d, ".krnn-training .krnn-message.krnn-error"))
    assert "threshold" in css(browser, ".krnn-training .krnn-message.krnn-error")[0].text
    assert not css(browser, "svg.krnn-training-chart")
    set_number(browser, "threshold", 0.5)
    wait(browser, lambda d: first_steps(d) == expected_first_steps(0.5))
    assert no_injected_markup(browser)


def test_a_best_cell_opens_the_colored_text_at_its_layer_cell_and_step(browser, logdir):
    from karpathy_rnn.render import activation_colors

    base = logdir.trained()
    open_view(browser, base, "training")
    button = wait(browser, lambda d: css(d, "tr[data-feature=quote] button.krnn-best-cell"))[0]
    button.click()
    wait(browser, lambda d: css(d, "button[data-view=text]")[0].get_attribute("aria-selected") == "true")
    wait(browser, lambda d: value_of(d, "input[name=cell]") == "5" and value_of(d, "select[name=layer]") == "layer2")
    assert value_of(browser, "select[name=step]") == "300" and value_of(browser, "select[name=name]") == "c"
    assert value_of(browser, "select[name=run]") == RUN
    r, g, b = activation_colors(np.array([cell_values(300)]))[0].tolist()
    wait(browser, lambda d: d.execute_script(
        "const s = document.querySelector('pre.krnn-text span'); return s && getComputedStyle(s).backgroundColor")
        == f"rgb({r}, {g}, {b})")
    assert css(browser, "pre.krnn-text")[0].text.startswith('say "hi" & <b>bye</b>')
    assert no_injected_markup(browser)


def scatter_points(driver, selector) -> list:
    """[(layer, unit, x fraction, y fraction)] of the points of the scatter `selector`, from its plot area."""
    return driver.execute_script(
        "const svg = document.querySelector(arguments[0]); const a = svg.querySelector('rect.krnn-plot-area');"
        "const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((k) => Number(a.getAttribute(k)));"
        "return [...svg.querySelectorAll('circle.krnn-point')].map((p) => [p.getAttribute('data-layer'),"
        "  Number(p.getAttribute('data-unit')), (Number(p.getAttribute('cx')) - x) / w,"
        "  1 - (Number(p.getAttribute('cy')) - y) / h]);", selector)


def expected_points(step, gate, layer) -> list:
    left, right = saturation_values(step, gate, layer)
    return [(layer, unit, right[unit], left[unit]) for unit in range(SATURATION_UNITS)]


def close(got, expected) -> bool:
    return len(got) == len(expected) and all(
        g[:2] == list(e[:2]) and abs(g[2] - e[2]) < 1e-3 and abs(g[3] - e[3]) < 1e-3 for g, e in zip(got, expected))


def test_saturation_side_by_side_draws_a_scatter_per_layer_per_gate_for_the_step(browser, logdir):
    base = logdir.trained()
    saturation_steps_listed(logdir)
    open_view(browser, base, "saturation")
    choose(browser, "run", RUN)
    wait(browser, lambda d: value_of(d, "select[name=step]") == "300" and len(css(d, "svg.krnn-scatter")) == 3)
    assert value_of(browser, "select[name=layout]") == "together"
    choose(browser, "step", 100)
    choose(browser, "layout", "side-by-side")
    wait(browser, lambda d: len(css(d, "svg.krnn-scatter")) == 6)
    scatters = [(s.get_attribute("data-gate"), s.get_attribute("data-layer")) for s in css(browser, "svg.krnn-scatter")]
    assert scatters == [(gate, layer) for gate in GATES for layer in LAYERS]
    titles = [t.text for t in css(browser, ".krnn-layer-title")]
    assert titles == [f"{layer} ({SATURATION_UNITS} units)" for _ in GATES for layer in LAYERS]
    sizes = {(s.get_attribute("width"), s.get_attribute("height")) for s in css(browser, "svg.krnn-scatter")}
    assert len(sizes) == 1                                           # the same axes and scale for every layer
    for gate in GATES:
        for layer in LAYERS:
            got = scatter_points(browser, f"svg.krnn-scatter[data-gate={gate}][data-layer={layer}]")
            assert close(got, expected_points(100, gate, layer)), (gate, layer, got)
    choose(browser, "step", 200)
    wait(browser, lambda d: close(scatter_points(d, "svg.krnn-scatter[data-gate=f][data-layer=layer2]"),
                                  expected_points(200, "f", "layer2")))
    assert len(css(browser, "svg.krnn-scatter")) == 6
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector('circle.krnn-point')).transitionProperty").startswith("cx")
    # a layer's toggle hides its scatters
    css(browser, "button.krnn-layer-toggle[data-layer=layer1]")[0].click()
    assert [s.get_attribute("data-layer") for s in css(browser, "svg.krnn-scatter") if s.is_displayed()] \
        == ["layer2"] * 3
    css(browser, "button.krnn-layer-toggle[data-layer=layer1]")[0].click()
    assert no_injected_markup(browser)


def test_saturation_play_advances_the_step_and_moves_the_same_points(browser, logdir):
    base = logdir.trained()
    saturation_steps_listed(logdir)
    open_view(browser, base, "saturation")
    choose(browser, "run", RUN)
    wait(browser, lambda d: value_of(d, "select[name=step]") == "300" and len(css(d, "svg.krnn-scatter")) == 3)
    option = [o for o in css(browser, "select[name=run] option") if o.get_attribute("value") == RUN][0]
    assert option.text == RUN                                     # the run name shows as the very characters
    # at the last step, Play starts from the first
    css(browser, "button[data-action=play]")[0].click()
    wait(browser, lambda d: value_of(d, "select[name=step]") == "0")
    assert css(browser, "button[data-action=pause]")[0].text == "❚❚ Pause"
    selector = "svg.krnn-scatter[data-gate=i]"
    wait(browser, lambda d: close(sorted(scatter_points(d, selector)),
                                  sorted(expected_points(0, "i", "layer1") + expected_points(0, "i", "layer2"))))
    browser.execute_script("document.querySelectorAll('circle.krnn-point').forEach((c) => { c.krnnMark = 1; })")
    wait(browser, lambda d: value_of(d, "select[name=step]") == "100", timeout=10)
    wait(browser, lambda d: close(sorted(scatter_points(d, selector)),
                                  sorted(expected_points(100, "i", "layer1") + expected_points(100, "i", "layer2"))))
    # the same circles moved (keyed by layer and unit), none was drawn afresh
    assert browser.execute_script(
        "return [...document.querySelectorAll('circle.krnn-point')].every((c) => c.krnnMark === 1)")
    wait(browser, lambda d: value_of(d, "select[name=step]") == "300", timeout=10)
    wait(browser, lambda d: css(d, "button[data-action=play]"))   # stopped at the last step
    assert css(browser, "button[data-action=play]")[0].text == "▶ Play"
    wait(browser, lambda d: close(sorted(scatter_points(d, selector)),
                                  sorted(expected_points(300, "i", "layer1") + expected_points(300, "i", "layer2"))))
    # Pause stops it where it is
    choose(browser, "step", 0)
    wait(browser, lambda d: value_of(d, "select[name=step]") == "0" and css(d, "button[data-action=play]"))
    css(browser, "button[data-action=play]")[0].click()
    wait(browser, lambda d: value_of(d, "select[name=step]") == "100", timeout=10)
    wait(browser, lambda d: css(d, "button[data-action=pause]"))[0].click()
    wait(browser, lambda d: css(d, "button[data-action=play]"))
    stopped = value_of(browser, "select[name=step]")
    time.sleep(1.5)
    assert value_of(browser, "select[name=step]") == stopped


def test_captions_describe_what_each_view_shows(browser, logdir):
    """caption() of both views, created on the page with a stand-in app listing the logdir's runs."""
    base = logdir.trained()
    open_plugin(browser, base)
    captions = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        (async () => {
          const runs = (await (await fetch('runs')).json()).runs;
          const app = {selectedRuns: () => runs, runColor: () => '#000', show: () => {}};
          const training = (await import('./static/views/training.js')).createView(app);
          await training.open({run: arguments[0], threshold: 0.7});
          const saturation = (await import('./static/views/saturation.js')).createView(app);
          await saturation.open({run: arguments[0], step: 300, layout: 'side'});
          return [training.caption(), saturation.caption()];
        })().then(done, (e) => done(String(e)));""", RUN)
    training, saturation = captions
    assert training == {"title": "Over training", "run": RUN, "step": 300, "layer": None, "cell": None,
                        "details": "best |r| per feature against step; threshold 0.7"}
    assert saturation == {"title": "Saturation", "run": RUN, "step": 300, "layer": None, "cell": None,
                          "details": "gates i, f, o; layers side by side; left < 0.1, right > 0.9"}
    assert json.dumps(captions)
