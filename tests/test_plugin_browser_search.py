"""The colored-text view's bands, pattern search, play over training and caption, in a real browser: `tensorboard
--logdir` on a logdir written here with karpathy_rnn.summary's writers, Debian's headless Chromium through Selenium.

The logdir plants what the view must find: cells 3 and 7 of layer2's c switch on (0.9 at the latest step) exactly on
each "Natasha" of the text and sit at -0.2 elsewhere, no other cell of that layer reaches 0.5; the bands' cells cycle
through values exact in float16; a second run's name, layers and text are markup."""

import os
import re

import numpy as np
import pytest

from plugin_helpers import browser_session, hover_until
from tb_plugin.testing import css, tensorboard, wait

NAME = "Natasha"
FILLER = ["the", "snow", "fell", "over", "Moscow", "and", "Pierre", "walked", "slowly", "home", "while", "bells",
          "rang", "in", "distant", "churches", "quietly", "<b>", "&", "\"said\""]
STEPS = (100, 200, 300)
ON = {100: 0.3, 200: 0.6, 300: 0.9}          # the planted cells' value on the name, by step (0.3: below threshold)
PLANTED = (3, 7)
UNITS = 8
# values exact in float16 (and in 3 decimals), cycled through by the bands' cells
CYCLE = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 0.25, -0.25, 0.75, -0.75, 0.125, -0.125], np.float32)
RUN = "natasha"
HOSTILE_RUN = "zz <script>alert(1)</script> \"&<>"
HOSTILE_LAYER = "<b>L1</b>&amp;\"'"
HOSTILE_LINE = "<script>alert(1)</script> \"&<> <img src=x onerror=window.krnnInjected=1>\n"
HOSTILE_TEXT = HOSTILE_LINE * 30
HOSTILE_STEP = 7
PAGE = 5000                                   # the view's default page


def natasha_text() -> str:
    """About 6,500 characters of filler words in lines of about 70, NAME about every 900 characters (six on the
    first page of 5,000, two after)."""
    out, line, next_name, i = [], 0, 150, 0
    length = 0
    while length < 6500:
        if length >= next_name:
            word, next_name = NAME, next_name + 900
        else:
            word, i = FILLER[(i * 7 + i // len(FILLER)) % len(FILLER)], i + 1
        separator = "\n" if line > 64 else " "
        line = 0 if separator == "\n" else line + len(word) + 1
        piece = word + separator
        out.append(piece)
        length += len(piece)
    return "".join(out)


TEXT = natasha_text()
OCCURRENCES = [m.start() for m in re.finditer(NAME, TEXT)]


def band_values(layer: str, name: str, cell: int, step: int) -> np.ndarray:
    """The values written for the cells the bands show (float32, exact in float16)."""
    k = STEPS.index(step) + 1
    n = len(TEXT)
    if (layer, name, cell) == ("layer1", "c", 5):
        return np.roll(np.resize(CYCLE, n), k)
    if (layer, name, cell) == ("layer2", "h", 1):
        return np.resize(CYCLE[::-1], n) * (1 if k % 2 else -1)
    if (layer, name) == ("layer2", "c") and cell in PLANTED:
        return planted(step)
    raise KeyError((layer, name, cell))


def planted(step: int) -> np.ndarray:
    column = np.full(len(TEXT), -0.2, np.float32)
    for start in OCCURRENCES:
        column[start:start + len(NAME)] = ON[step]
    return column


def _natasha_run(path: str) -> None:
    import tensorflow as tf

    from karpathy_rnn import summary

    with tf.summary.create_file_writer(path).as_default():
        for step in STEPS:
            rng = np.random.default_rng(step)
            summary.write_text(TEXT, step, source="test")
            for layer in ("layer1", "layer2"):
                c = rng.uniform(-0.45, 0.45, (len(TEXT), UNITS)).astype(np.float32)
                h = rng.uniform(-0.45, 0.45, (len(TEXT), UNITS)).astype(np.float32)
                if layer == "layer1":
                    c[:, 5] = band_values("layer1", "c", 5, step)
                else:
                    for cell in PLANTED:
                        c[:, cell] = planted(step)
                    h[:, 1] = band_values("layer2", "h", 1, step)
                summary.write_activations(layer, "c", c, step, "lstm", (-1, 1), "tanh")
                summary.write_activations(layer, "h", h, step, "lstm")
            summary.write_cell_ranking({"name": [{"layer": "layer2", "cell": 3, "r": 0.95},
                                                 {"layer": "layer2", "cell": 7, "r": 0.93},
                                                 {"layer": "layer1", "cell": 5, "r": -0.6}]}, step,
                                       "Pearson r", {"name": "inside the name Natasha"})


def _hostile_run(path: str) -> None:
    """Markup as the run's name (two folders: `</script>` holds a slash), a layer's name and the text; cell 0 of the
    first layer's c is on exactly on each `<script>`."""
    import tensorflow as tf

    from karpathy_rnn import summary

    text = HOSTILE_TEXT
    with tf.summary.create_file_writer(path).as_default():
        summary.write_text(text, HOSTILE_STEP, source="<i>test</i>")
        for layer in (HOSTILE_LAYER, "layer2"):
            c = np.full((len(text), 2), -0.2, np.float32)
            for match in re.finditer("<script>", text):
                c[match.start():match.end(), 0] = 0.9
            summary.write_activations(layer, "c", c, HOSTILE_STEP, "lstm", (-1, 1), "tanh")


def ready(body) -> bool:
    runs = {r["run"]: r for r in body["runs"]}
    natasha, hostile = runs.get(RUN), runs.get(HOSTILE_RUN)
    return bool(natasha and natasha["text"] and natasha["text"]["steps"] == list(STEPS)
                and len(natasha["activations"]) == 4 and natasha["cell_ranking"]
                and natasha["cell_ranking"]["steps"] == list(STEPS)
                and hostile and hostile["text"] and len(hostile["activations"]) == 2)


@pytest.fixture(scope="module")
def browser():
    yield from browser_session()


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    logdir = tmp_path_factory.mktemp("search") / "logdir"
    _natasha_run(str(logdir / RUN))
    _hostile_run(os.path.join(str(logdir), HOSTILE_RUN))
    with tensorboard(str(logdir), expect_runs=2, ready=ready) as base:
        yield base


# --- helpers ---------------------------------------------------------------------------------------------------


def open_view(driver, base, run=RUN):
    """Opens the plugin on the colored text and waits for its first page of `run` (for the natasha run: the
    top-ranked cell, layer2 c 3, once the ranking arrived)."""
    driver.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
    wait(driver, lambda d: "layer2 c (tanh, cell state) cell 3" in css(d, ".krnn-readout")[0].text)
    if run != RUN:
        set_select(driver, "select[name=run]", run)
        wait(driver, lambda d: d.execute_script(
            "return document.querySelector('pre.krnn-text').textContent.startsWith(arguments[0])",
            run_text(run)[:40].replace("\n", "\u21b5\n")))


def run_text(run):
    return TEXT if run == RUN else HOSTILE_TEXT


def set_select(driver, selector, value):
    """Sets the <select> matching `selector` to `value` and fires its change event (again if it was redrawn)."""
    def attempt(d):
        return d.execute_script(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1];"
            "if (s.value !== arguments[1]) return false; s.dispatchEvent(new Event('change')); return true",
            selector, str(value))
    wait(driver, attempt)


def set_number(driver, selector, value):
    driver.execute_script("const f = document.querySelector(arguments[0]); f.value = arguments[1];"
                          "f.dispatchEvent(new Event('change'))", selector, str(value))


def shift_select(driver, first, last):
    """Clicks character `first`, then shift+clicks character `last`, as a person would: each span found afresh on
    each try (a redraw replaces it) until that span of the same drawing is marked (the anchor, then the selection)."""
    from selenium.webdriver import ActionChains
    from selenium.webdriver.common.keys import Keys

    def click(index, shift, mark):
        def attempt(d):
            character = css(d, f"pre.krnn-text span[data-index='{index}']")[0]
            d.execute_script("arguments[0].scrollIntoView({block: 'center'})", character)
            chain = ActionChains(d).key_down(Keys.SHIFT).click(character).key_up(Keys.SHIFT) if shift \
                else ActionChains(d).click(character)
            try:
                chain.perform()
            except Exception:
                ActionChains(d).reset_actions()            # no shift left held down for the next try
                raise
            return character.get_attribute(mark) is not None
        wait(driver, attempt)
    click(first, False, "data-anchor")
    click(last, True, "data-selected")


def marked(driver, attribute):
    return driver.execute_script(
        f"return [...document.querySelectorAll('pre.krnn-text span[{attribute}]')].map(s => Number(s.dataset.index))")


def search_requests(driver):
    return driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => /\\/search\\?/.test(e.name)).length")


def page_bands(driver):
    """{index: [band values]} of every span of the page (data-bands parsed)."""
    pairs = driver.execute_script(
        "return [...document.querySelectorAll('pre.krnn-text span')].map(s => [Number(s.dataset.index), s.dataset.bands])")
    return {index: [float(v) + 0.0 for v in bands.split(",")] if bands else None for index, bands in pairs}


def expected_bands(bands, step, first, last):
    columns = [band_values(*band, step) for band in bands]
    return {i: [round(float(np.float16(c[i])), 3) + 0.0 for c in columns] for i in range(first, last)}


def css_colour(value):
    """common.js activationColor(value) for a value in [-1, 1]."""
    fade = 1 - abs(value)
    channel = lambda x: int(np.floor(x * 255 + 0.5))   # noqa: E731 (Math.round)
    return (f"rgb({channel(1 if value <= 0 else fade)}, {channel(fade)}, {channel(1 if value >= 0 else fade)})")


# --- tests -----------------------------------------------------------------------------------------------------


def test_bands_stripe_each_character_with_their_cells_values(browser, server):
    open_view(browser, server)
    assert not css(browser, ".krnn-band") and not css(browser, ".krnn-band-key")
    css(browser, "button[data-action=add-band]")[0].click()     # layer1 is not shown: its top-ranked cell
    wait(browser, lambda d: len(css(d, ".krnn-band-key")) == 1)
    css(browser, "button[data-action=add-band]")[0].click()     # every layer shown: layer2's next ranked cell
    wait(browser, lambda d: len(css(d, ".krnn-band-key")) == 2)
    bands = [("layer1", "c", 5), ("layer2", "c", 7)]
    assert [k.text for k in css(browser, ".krnn-band-key")] == ["1layer1 c (tanh, cell state) cell 5",
                                                                 "2layer2 c (tanh, cell state) cell 7"]
    assert [s.get_attribute("value") for s in css(browser, ".krnn-band select[name=band-layer]")] == ["layer1", "layer2"]
    assert [s.get_attribute("value") for s in css(browser, ".krnn-band input[name=band-cell]")] == ["5", "7"]
    shown = page_bands(browser)
    assert shown == expected_bands(bands, 300, 0, PAGE)
    # the stripes are drawn in those colours, under the character's own colour (layer2 c 3)
    first = browser.execute_script("const s = getComputedStyle(document.querySelector(\"span[data-index='0']\"));"
                                   "return [s.boxShadow, s.backgroundColor, parseFloat(s.paddingBottom)]")
    colours = re.findall(r"rgb\(\d+, \d+, \d+\)", first[0])[::-1]       # inset shadows, the bottom one first
    assert colours == [css_colour(v) for v in shown[0]] and first[1] == css_colour(-0.2) and first[2] == 6
    # the readout lists the bands' values too
    readout, _ = hover_until(browser, "pre.krnn-text span[data-index='4']", 0,      # its value not its neighbour's
                             ", 2 layer2 c (tanh, cell state) cell 7: ")        # the drawing with both bands
    value = expected_bands(bands, 300, 4, 5)[4]
    assert readout.endswith(f"; stripes 1 layer1 c (tanh, cell state) cell 5: {value[0]:+.3f}, "
                            f"2 layer2 c (tanh, cell state) cell 7: {value[1]:+.3f}")
    # a band's controls change it (layer2 h 1), its ✕ removes it, and the other keeps its values across steps
    set_select(browser, ".krnn-band[data-band='1'] select[name=band-name]", "h")
    wait(browser, lambda d: css(d, ".krnn-band-key")[1].text == "2layer2 h (output) cell 7")
    set_number(browser, ".krnn-band[data-band='1'] input[name=band-cell]", 1)
    wait(browser, lambda d: css(d, ".krnn-band-key")[1].text == "2layer2 h (output) cell 1")
    assert page_bands(browser) == expected_bands([bands[0], ("layer2", "h", 1)], 300, 0, PAGE)
    set_select(browser, "select[name=step]", 200)
    wait(browser, lambda d: "step 200" in css(d, ".krnn-readout")[0].text)
    assert page_bands(browser) == expected_bands([bands[0], ("layer2", "h", 1)], 200, 0, PAGE)
    css(browser, ".krnn-band[data-band='0'] button[data-action=remove-band]")[0].click()
    wait(browser, lambda d: len(css(d, ".krnn-band-key")) == 1)
    assert page_bands(browser) == expected_bands([("layer2", "h", 1)], 200, 0, PAGE)


def test_find_similar_lists_the_other_occurrences_and_jumps_to_them(browser, server):
    open_view(browser, server)
    selected = OCCURRENCES[1]
    shift_select(browser, selected, selected + len(NAME) - 1)
    wait(browser, lambda d: marked(d, "data-selected") == list(range(selected, selected + len(NAME))))
    assert css(browser, "[data-testid=selection]")[0].text.endswith(f'(7) "{NAME}"')
    css(browser, "button[data-action=search]")[0].click()
    results = wait(browser, lambda d: css(d, ".krnn-search .krnn-search-result"))
    others = [o for o in OCCURRENCES if o != selected]
    assert [int(r.get_attribute("data-start")) for r in results] == others      # all score 1: earliest first
    assert [int(r.get_attribute("data-end")) for r in results] == [o + len(NAME) for o in others]
    assert [r.find_element("css selector", "mark").text for r in results] == [NAME] * len(others)
    panel = css(browser, ".krnn-search")[0].text
    assert "cells 3, 7 of layer2 c" in panel and f"{len(others)} matches" in panel and "Jaccard" in panel
    assert "1.000 · 2 cells on" in results[0].text
    # the context around a match, newlines as ↵
    first = others[0]
    before = results[0].find_element("css selector", ".krnn-search-before").get_attribute("textContent")
    after = results[0].find_element("css selector", ".krnn-search-after").get_attribute("textContent")
    assert before == TEXT[max(first - 40, 0):first].replace("\n", "\u21b5")
    assert after == TEXT[first + 7:first + 47].replace("\n", "\u21b5")
    # a match on this page: marked, the selection still marked
    results[0].click()
    wait(browser, lambda d: marked(d, "data-match") == list(range(first, first + len(NAME))))
    assert marked(browser, "data-selected") == list(range(selected, selected + len(NAME)))
    # a match on the next page: the page holding it opens, its characters marked and scrolled into view
    later = [o for o in others if o >= PAGE][0]
    css(browser, f".krnn-search-result[data-start='{later}']")[0].click()
    wait(browser, lambda d: marked(d, "data-match") == list(range(later, later + len(NAME))))
    assert css(browser, "[data-testid=page-range]")[0].text == f"Characters 5,001–{len(TEXT):,} of {len(TEXT):,}"
    assert "".join(s.text for s in css(browser, "pre.krnn-text span[data-match]")) == NAME
    wait(browser, lambda d: d.execute_script(
        "const box = document.querySelector('pre.krnn-text').getBoundingClientRect();"
        "const s = document.querySelector('pre.krnn-text span[data-match]').getBoundingClientRect();"
        "return s.top >= box.top && s.bottom <= box.bottom"))
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector('span[data-match]')).outlineStyle") == "solid"


def test_a_mouse_selection_maps_to_the_characters_under_it(browser, server):
    open_view(browser, server)
    start = OCCURRENCES[2]
    # a range from inside the character before the name to the start of the character after it, as a drag leaves
    browser.execute_script(
        "const at = i => document.querySelector(`pre.krnn-text span[data-index='${i}']`).firstChild;"
        "const range = document.createRange(); range.setStart(at(arguments[0] - 1), 1);"
        "range.setEnd(at(arguments[0] + 7), 0); const s = window.getSelection(); s.removeAllRanges(); s.addRange(range);"
        "at(arguments[0]).parentElement.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}))", start)
    wait(browser, lambda d: marked(d, "data-selected") == list(range(start, start + len(NAME))))
    css(browser, "button[data-action=search]")[0].click()
    wait(browser, lambda d: css(d, ".krnn-search-result"))
    starts = [int(r.get_attribute("data-start")) for r in css(browser, ".krnn-search-result")]
    assert starts == [o for o in OCCURRENCES if o != start]


def test_search_checks_the_selection_first_and_says_when_no_cell_qualifies(browser, server):
    open_view(browser, server)
    css(browser, "button[data-action=search]")[0].click()            # nothing selected
    wait(browser, lambda d: "Nothing is selected" in css(d, ".krnn-search .krnn-message")[0].text)
    shift_select(browser, 10, 2510)                                   # 2,501 characters
    wait(browser, lambda d: len(marked(d, "data-selected")) == 2501)
    css(browser, "button[data-action=search]")[0].click()
    wait(browser, lambda d: "2,501 characters" in css(d, ".krnn-search .krnn-message")[0].text)
    assert "1 to 2,000" in css(browser, ".krnn-search .krnn-message")[0].text
    assert search_requests(browser) == 0                              # neither went to the server
    # at step 100 the planted cells stay below 0.5: no cell qualifies, and the view says so
    set_select(browser, "select[name=step]", 100)
    wait(browser, lambda d: "step 100" in css(d, ".krnn-readout")[0].text)
    shift_select(browser, OCCURRENCES[0], OCCURRENCES[0] + 6)
    css(browser, "button[data-action=search]")[0].click()
    wait(browser, lambda d: "no cell of layer2 c" in css(d, ".krnn-search-cells")[0].text)
    assert "0 matches" in css(browser, ".krnn-search")[0].text and not css(browser, ".krnn-search-result")
    assert search_requests(browser) == 1
    # a threshold out of range is caught here too
    set_number(browser, "input[name=threshold]", 3)
    css(browser, "button[data-action=search]")[0].click()
    wait(browser, lambda d: "from -1 to 1" in css(d, ".krnn-search .krnn-message")[0].text)


def test_play_steps_through_training_keeping_the_cell_and_stops(browser, server):
    open_view(browser, server)
    css(browser, "button[data-action=add-band]")[0].click()
    wait(browser, lambda d: len(css(d, ".krnn-band-key")) == 1)
    set_select(browser, "select[name=step]", 100)
    wait(browser, lambda d: "step 100" in css(d, ".krnn-readout")[0].text)
    button = css(browser, "button[data-action=play]")[0]
    assert button.text == "▶ Play"
    button.click()
    seen = []

    def finished(d):                       # what each drawn step shows (a step still loading is not drawn yet)
        step, label, loading = d.execute_script(
            "return [document.querySelector('select[name=step]').value,"
            "document.querySelector('button[data-action=play]').textContent,"
            "document.querySelector('.krnn-status').textContent.includes('Loading')]")
        if loading:
            return False
        if not seen or seen[-1] != (step, label):
            seen.append((step, label))
        return step == "300" and label == "▶ Play"
    wait(browser, finished, timeout=20)
    assert seen == [("100", "❚❚ Pause"), ("200", "❚❚ Pause"), ("300", "▶ Play")]    # stops once the last is drawn
    assert css(browser, "input[name=cell]")[0].get_attribute("value") == "3"
    assert css(browser, "select[name=layer]")[0].get_attribute("value") == "layer2"
    assert "step 300" in css(browser, ".krnn-readout")[0].text and len(css(browser, ".krnn-band-key")) == 1
    on = browser.execute_script(f"return getComputedStyle(document.querySelector(\"span[data-index='{OCCURRENCES[0]}']\"))"
                                ".backgroundColor")
    assert on == css_colour(float(np.float16(0.9)))
    # Pause stops it where it is
    set_select(browser, "select[name=step]", 100)
    wait(browser, lambda d: "step 100" in css(d, ".krnn-readout")[0].text)
    css(browser, "button[data-action=play]")[0].click()
    wait(browser, lambda d: css(d, "button[data-action=play]")[0].text == "❚❚ Pause")
    css(browser, "button[data-action=play]")[0].click()
    wait(browser, lambda d: css(d, "button[data-action=play]")[0].text == "▶ Play")
    import time

    time.sleep(1.5)
    assert css(browser, "select[name=step]")[0].get_attribute("value") == "100"


def test_open_sets_everything_and_caption_describes_it(browser, server):
    open_view(browser, server)
    caption = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        (async () => {
          const {createView} = await import('./static/views/colored_text.js');
          const runs = (await (await fetch('runs')).json()).runs;
          const view = createView({selectedRuns: () => runs});
          const empty = view.caption();
          document.body.append(view.element);
          await view.open({run: arguments[0], step: 200, layer: 'layer2', name: 'c', cell: 7, offset: 5000,
                           bands: [{layer: 'layer1', name: 'c', cell: 5}, {layer: 'layer2', name: 'h', cell: 1}]});
          const spans = [...view.element.querySelectorAll('pre.krnn-text span')];
          done({empty, caption: view.caption(), first: spans[0].dataset.index, bands: spans[0].dataset.bands,
                count: spans.length});
        })().catch((error) => done({error: String(error)}));""", RUN)
    assert "error" not in caption, caption
    assert caption["empty"]["title"] == "Colored text" and caption["empty"]["details"] is None
    assert caption["caption"] == {"title": "Colored text", "run": RUN, "step": 200, "layer": "layer2", "cell": 7,
                                  "details": f"c (tanh, cell state), characters 5,001–{len(TEXT):,}; "
                                             "colour scale \u22121 / 0 / +1 = red / white / blue; "
                                             "bands: layer1 c 5, layer2 h 1"}
    assert caption["first"] == "5000" and caption["count"] == len(TEXT) - PAGE
    assert [float(v) for v in caption["bands"].split(",")] == expected_bands(
        [("layer1", "c", 5), ("layer2", "h", 1)], 200, 5000, 5001)[5000]


def test_hostile_text_names_and_results_stay_text(browser, server):
    open_view(browser, server, HOSTILE_RUN)
    shown = browser.execute_script("return document.querySelector('pre.krnn-text').textContent")
    assert shown == HOSTILE_TEXT.replace("\n", "\u21b5\n")
    set_select(browser, "select[name=layer]", HOSTILE_LAYER)
    wait(browser, lambda d: f"{HOSTILE_LAYER} c (tanh, cell state) cell 1" in css(d, ".krnn-readout")[0].text)
    css(browser, "button[data-action=add-band]")[0].click()
    wait(browser, lambda d: len(css(d, ".krnn-band-key")) == 1)
    css(browser, "button[data-action=add-band]")[0].click()
    wait(browser, lambda d: len(css(d, ".krnn-band-key")) == 2)
    assert [k.text for k in css(browser, ".krnn-band-key")] == ["1layer2 c (tanh, cell state) cell 0",
                                                                 f"2{HOSTILE_LAYER} c (tanh, cell state) cell 0"]
    shift_select(browser, len(HOSTILE_LINE), len(HOSTILE_LINE) + 7)       # the second line's <script>
    css(browser, "button[data-action=search]")[0].click()
    results = wait(browser, lambda d: css(d, ".krnn-search-result"))
    assert len(results) == 20 and "29 matches, the best 20 listed" in css(browser, ".krnn-search")[0].text
    assert {r.find_element("css selector", "mark").text for r in results} == {"<script>"}
    assert results[1].find_element("css selector", ".krnn-search-after").get_attribute("textContent") \
        == HOSTILE_LINE[8:48].replace("\n", "\u21b5")
    assert f"cell 0 of {HOSTILE_LAYER} c" in css(browser, ".krnn-search-cells")[0].text
    assert browser.execute_script("return document.querySelectorAll('img, b, i, script:not([type=module])').length"
                                  " === 0 && window.krnnInjected === undefined")
    caption = css(browser, "select[name=run]")[0].get_attribute("value")
    assert caption == HOSTILE_RUN
