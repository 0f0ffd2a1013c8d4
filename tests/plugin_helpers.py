"""A logdir of the plugin's summaries written by the real writers (karpathy_rnn.summary), for the plugin's tests."""

from __future__ import annotations

import json
import os
import re

import numpy as np

from karpathy_rnn import summary

# User text that must stay text: markup, an event handler, quotes, an ampersand, a tab, non-ASCII.
HOSTILE_TEXT = ("<script>window.krnnInjected = 1</script>\n"
                "<img src=x onerror=\"window.krnnInjected = 2\"> 'single' & \"double\"\tTab\n"
                "Проза — naïve café 🎻 {brace} </pre><b>bold?</b>\n")
STEP = 1200
EARLY_STEP = 600                  # an earlier analysis of the lstm run: text and layer1's c only, cell values negated
UNITS = 8
KNOWN_LAYER, KNOWN_CELL = "layer1", 3


def known_values(length: int) -> np.ndarray:
    """Cell KNOWN_CELL of KNOWN_LAYER's c: -1, -0.5, 0, 0.5, 1 repeating (colours red, pink, white, light blue, blue)."""
    return np.resize(np.array([-1.0, -0.5, 0.0, 0.5, 1.0], np.float32), length)


# Examples of three slices (Figure 6's drill-down) with markup, an entity, newlines and an emoji before marked
# characters (offsets count code points, not UTF-16 units); the memory example is the earlier occurrence and the word,
# the repeated name boxed in both. "1000-memory" and the rest have none.
ORACLE_EXAMPLES = {
    "1-9 gram": [
        {"fragments": [{"start": 120, "text": "<script>alert(1)</script> &amp; 🎻 done", "errors": [1, 8, 27, 34],
                        "repeat": []}]},
        {"fragments": [{"start": 400, "text": "end of line\nnext", "errors": [11, 12], "repeat": []}]}],
    "100-memory": [
        {"fragments": [{"start": 50, "text": "saw 🎻 Rostóv at", "errors": [], "repeat": [[6, 12]]},
                       {"start": 900, "text": "said Rostóv.\n", "errors": [6, 7, 8], "repeat": [[5, 11]]}]}],
    "word 0-train": [
        {"fragments": [{"start": 7, "text": "x <img src=x onerror=window.krnnInjected=11> y", "errors": [0, 2],
                        "repeat": []}]}],
}
ORACLE_MODEL = "LSTM 2x128"


def oracle_slices(examples: bool = True) -> list[dict]:
    """A breakdown shaped like the paper's Figure 6 (counts invented for the tests), with ORACLE_EXAMPLES (every
    slice an "examples" list, as the decoder returns it) or, with examples=False, none (a summary from before)."""
    slices = [{"name": "1-9 gram", "group": "n-gram", "errors": 180},
              {"name": "100-memory", "group": "memory", "errors": 40},
              {"name": "1000-memory", "group": "memory", "errors": 20},
              {"name": "word 0-train", "group": "rare words", "errors": 90},
              {"name": "after space", "group": "word", "errors": 370},
              {"name": "punctuation", "group": "punctuation", "errors": 50},
              {"name": "boost 0.4", "group": "boost", "errors": 150},
              {"name": "remaining", "group": "remaining", "errors": 100}]
    if examples:
        for piece in slices:
            piece["examples"] = json.loads(json.dumps(ORACLE_EXAMPLES.get(piece["name"], [])))
    return slices


# Figure 1 (right) for five models: one named with markup, one of a unit with no colour of its own (n-gram).
AGREEMENT_MODELS = [{"name": "LSTM 1x64", "unit": "lstm", "layers": 1, "params": 20_000},
                    {"name": "GRU 2x128", "unit": "gru", "layers": 2, "params": 150_000},
                    {"name": "<img src=x onerror=window.krnnInjected=12>", "unit": "rnn", "layers": 3,
                     "params": 400_000},
                    {"name": "LSTM 3x512 trained for 50 epochs", "unit": "lstm", "layers": 4, "params": 4_000_000},
                    {"name": "20-gram", "unit": "n-gram", "layers": 1, "params": 0}]
AGREEMENT_MATRIX = [[1.0, 0.734, 0.61, 0.702, 0.55],
                    [0.734, 1.0, 0.688, 0.81, 0.52],
                    [0.61, 0.688, 1.0, 0.645, 0.49],
                    [0.702, 0.81, 0.645, 1.0, 0.58],
                    [0.55, 0.52, 0.49, 0.58, 1.0]]
AGREEMENT_EMBEDDING = [[-3.0, 1.0], [2.5, 4.0], [0.5, -2.0], [4.0, 0.25], [-1.0, -3.5]]


def agreement_body() -> dict:
    """An agreement study of AGREEMENT_MODELS (values invented for the tests)."""
    return {"models": json.loads(json.dumps(AGREEMENT_MODELS)), "matrix": [list(row) for row in AGREEMENT_MATRIX],
            "embedding": [list(point) for point in AGREEMENT_EMBEDDING], "characters": 50_000, "split": "test"}


COMPARED_MODELS = ["LSTM 2x128", "20-gram"]
# An excerpt of code with markup in it (it must stay text), coloured by difference() below.
COMPARED_TEXT = ("int f(x) {\n  s = '<script>alert(1)</script>' & \"<img src=x onerror=window.krnnInjected=7>\";"
                 " /* &amp; */\n  return x;\n}\n")
DIFFERENCE_CYCLE = [1.0, -1.0, 0.5, -0.5, 0.0, 0.25]     # colours blue, red, light blue, pink, white, pale blue


def brace_body() -> dict:
    """A brace study shaped like Figure 5 (left), an empty bucket among them (means invented for the tests)."""
    return {"models": list(COMPARED_MODELS), "bucket_width": 20, "braces": 10, "buckets": [
        {"start": 1, "end": 20, "count": 5, "means": [0.9, 0.6]},
        {"start": 21, "end": 40, "count": 3, "means": [0.75, 0.35]},
        {"start": 41, "end": 60, "count": 0, "means": [None, None]},
        {"start": 61, "end": 80, "count": 2, "means": [0.5, 0.125]}]}


def characters_body() -> dict:
    """A character comparison of COMPARED_TEXT: difference cycles through DIFFERENCE_CYCLE; three leaders a side."""
    def row(character, label, means, count):
        return {"character": character, "label": label, "means": means, "count": count}

    return {"models": list(COMPARED_MODELS), "text": COMPARED_TEXT, "start": 1000,
            "difference": np.resize(DIFFERENCE_CYCLE, len(COMPARED_TEXT)).tolist(),
            "leaders": [[row("\n", "\\n", [0.95, 0.5], 120), row(" ", "<s>", [0.9, 0.6], 300),
                         row("}", "}", [0.8, 0.6], 12)],
                        [row("<", "<", [0.3, 0.7], 40), row("&", "&", [0.4, 0.65], 9), row("x", "x", [0.5, 0.6], 30)]]}


# A connectivity study (Distill 2019) of two texts and three models: text 0 autocompletes words (a word's characters
# target the word, spaces and the newline are not scored), text 1 predicts the next character (row 0 is empty).
CONNECTIVITY_MODELS = ["LSTM 2x128", "GRU 2x128", "Nested LSTM"]
CONNECTIVITY_TEXTS = [("autocomplete", "test observation 17", "the cat sat\non the mat"),
                      ("next character", "user text", "to be or not to be")]
# p of the 1 to 3 suggestions per model, most likely first (percentages with one exact decimal)
SUGGESTION_P = [[0.625, 0.25, 0.125], [0.5, 0.375, 0.1], [0.875, 0.05, 0.0]]


def connectivity_targets(index: int) -> list:
    """The targets of CONNECTIVITY_TEXTS[index]: autocomplete, each character's word (null outside words); next
    character, the character itself (null for the first: nothing read yet)."""
    task, _, text = CONNECTIVITY_TEXTS[index]
    if task == "next character":
        return [None] + list(text[1:])
    targets = [None] * len(text)
    for match in re.finditer(r"\w+", text):
        targets[match.start():match.end()] = [match.group()] * (match.end() - match.start())
    return targets


def connectivity_values(index: int, model: int, j: int) -> list[float]:
    """Row j of `model`'s connectivity in text `index`: small whole numbers (0 to 4, so every share of the row's
    largest is k/2, k/3 or k/4: no ties when rounded to 3 decimals); autocomplete j + 1 values (the last model none
    where nothing is scored), next character j."""
    task = CONNECTIVITY_TEXTS[index][0]
    if task == "autocomplete":
        if model == 2 and connectivity_targets(index)[j] is None:
            return []
        return [float((t * (model + 2) + j) % 5) for t in range(j + 1)]
    return [float((t + j * (model + 1)) % 4) for t in range(j)]


def connectivity_suggestions(index: int, model: int, j: int) -> list[dict]:
    """`model`'s 0 to 3 suggestions at character j of text `index`, the target among them at rank `model` where it
    fits (so each model is right somewhere), p from SUGGESTION_P."""
    task, _, text = CONNECTIVITY_TEXTS[index]
    target = connectivity_targets(index)[j]
    pool = sorted(set(text.split()) if task == "autocomplete" else set(text))
    others = [label for label in pool if label != target]
    labels = others[(j + model) % len(others):] + others[:(j + model) % len(others)]
    if target is not None and (j + model) % 2 == 0:
        labels.insert(model, target)
    count = (j + model) % 4
    return [{"label": label, "p": p} for label, p in zip(labels[:count], SUGGESTION_P[model])]


def connectivity_body(index: int = 0) -> dict:
    """Text `index` (0 or 1) of the connectivity study of CONNECTIVITY_MODELS."""
    task, source, text = CONNECTIVITY_TEXTS[index]
    return {"task": task, "source": source, "text": text, "targets": connectivity_targets(index),
            "models": [{"name": name,
                        "values": [connectivity_values(index, m, j) for j in range(len(text))],
                        "suggestions": [connectivity_suggestions(index, m, j) for j in range(len(text))]}
                       for m, name in enumerate(CONNECTIVITY_MODELS)]}


def _lstm_run(path: str, text: str, seed: int, oracle: bool) -> None:
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    with tf.summary.create_file_writer(path).as_default():
        summary.write_text(text, STEP, source="test", start=0)
        for index, layer in enumerate(("layer1", "layer2"), start=1):
            c = np.tanh(rng.normal(size=(len(text), UNITS))).astype(np.float32)
            if layer == KNOWN_LAYER:
                c[:, KNOWN_CELL] = known_values(len(text))
            summary.write_activations(layer, "c", c, STEP, "lstm", (-1, 1), "tanh")
            summary.write_activations(layer, "h", rng.uniform(-1, 1, (len(text), UNITS)), STEP, "lstm")
            for gate in ("i", "f", "o"):
                left, right = rng.uniform(0, 0.5, UNITS), rng.uniform(0, 0.5, UNITS)
                summary.write_saturation(layer, gate, left, right, STEP, "lstm", index)
        summary.write_cell_ranking({"quote": [{"layer": KNOWN_LAYER, "cell": KNOWN_CELL, "r": 0.91}],
                                    "<b>markup</b>": [{"layer": "layer2", "cell": 5, "r": -0.4}]}, STEP,
                                   "Pearson r", {"quote": "inside a quotation", "<b>markup</b>": "<i>a test</i>"})
        if oracle:
            summary.write_oracle(oracle_slices(), 2400, STEP, split="test", model=ORACLE_MODEL)
            summary.write_brace_study(brace_body(), STEP)
            summary.write_character_comparison(characters_body(), STEP)
            summary.write_agreement(agreement_body(), STEP)
            for index in range(len(CONNECTIVITY_TEXTS)):
                summary.write_connectivity(connectivity_body(index), STEP, index)


def write_plugin_logdir(root: str, long_text: int = 0) -> str:
    """runs under `root`: lstm (everything, hostile text), gru (saturation + an oracle breakdown without examples),
    scalars_only, malformed."""
    import tensorflow as tf

    from tensorboard.compat.proto import summary_pb2

    text = HOSTILE_TEXT * 3 + ("x" * long_text)
    with tf.summary.create_file_writer(os.path.join(root, "lstm")).as_default():   # steps in training order:
        early = np.zeros((len(text), UNITS), np.float32)          # TensorBoard drops steps above one that comes later
        early[:, KNOWN_CELL] = -known_values(len(text))
        summary.write_text(text, EARLY_STEP, source="test")
        summary.write_activations(KNOWN_LAYER, "c", early, EARLY_STEP, "lstm", (-1, 1), "tanh")
    _lstm_run(os.path.join(root, "lstm"), text, 0, oracle=True)
    with tf.summary.create_file_writer(os.path.join(root, "gru")).as_default():
        rng = np.random.default_rng(1)
        for index, layer in enumerate(("layer1", "layer2"), start=1):
            for gate in ("r", "z"):
                summary.write_saturation(layer, gate, rng.uniform(0, 0.5, 6), rng.uniform(0, 0.5, 6), 900, "gru", index)
        slices = oracle_slices(examples=False)            # written before examples: the view says it has none
        slices[-1]["errors"] = 400
        summary.write_oracle(slices, 3000, 900, split="test")
    with tf.summary.create_file_writer(os.path.join(root, "scalars_only")).as_default():
        tf.summary.scalar("train/loss", 1.5, step=1)
    with tf.summary.create_file_writer(os.path.join(root, "malformed")).as_default():
        bad = tf.compat.v1.SummaryMetadata(plugin_data=tf.compat.v1.SummaryMetadata.PluginData(
            plugin_name=summary.PLUGIN_NAME, content=b"{not json"), data_class=summary_pb2.DATA_CLASS_TENSOR)
        tf.summary.write("karpathy_rnn/activations/layer1/c", np.zeros((3, 2), np.float16), step=1, metadata=bad)
        summary.write_text("abcdef", 1, source="test")
        summary.write_activations("layer1", "h", np.zeros((4, 2)), 1, "gru")     # 4 rows for 6 characters
        tf.summary.write(summary.ORACLE_TAG, np.array(json.dumps({"characters": 3}).encode(), dtype=object), step=1,
                         metadata=summary._metadata("oracle"))
    return root


# --- the browser tests' shared pieces ---------------------------------------------------------------------------

def krnn_export(driver, view, params, kind):
    """window.krnnExport(view, params, kind) -> {ok, filename, data} or {ok: False, error}."""
    return driver.execute_async_script(
        "const [view, params, kind, done] = arguments;"
        "window.krnnExport(view, params, kind).then((r) => done({ok: true, filename: r.filename, data: r.data}),"
        "                                           (e) => done({ok: false, error: String(e.message || e)}));",
        view, params, kind)


def browser_session(width: int = 1280, height: int = 800, script_timeout: int | None = None):
    """A module fixture's body: Debian's headless Chromium (a failure in CI where it is missing, a skip elsewhere),
    quit after the module."""
    import pytest

    from tb_plugin.testing import chromium_available, headless_chromium

    if not chromium_available():
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium and chromium-driver (.ci/run installs them)")
        pytest.skip("Debian's chromium and chromium-driver are not installed (apt install chromium chromium-driver)")
    driver = headless_chromium(width, height)
    if script_timeout is not None:
        driver.set_script_timeout(script_timeout)
    yield driver
    driver.quit()


def choose(driver, name, value):
    """Picks `value` in the <select name=...> and lets the view reload (again if the view redrew the menu
    meanwhile: the colored text opens on the top-ranked cell once the ranking arrives)."""
    from selenium.webdriver.support.ui import Select

    from tb_plugin.testing import css, wait

    def attempt(d):
        Select(css(d, f"select[name='{name}']")[0]).select_by_value(str(value))
        return True
    wait(driver, attempt)


def set_number(driver, name, value):
    """Types `value` into the <input name=...> and fires its change event (again if the view redrew it meanwhile)."""
    from tb_plugin.testing import css, wait

    def attempt(d):
        field = css(d, f"input[name='{name}']")[0]
        d.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))",
                         field, str(value))
        return True
    wait(driver, attempt)


def text_settled(driver) -> bool:
    """Whether the colored text has drawn its latest request (no newer page is loading to replace the spans)."""
    from tb_plugin.testing import css

    return "Loading" not in css(driver, ".krnn-status")[0].get_attribute("textContent")


def hover_until(driver, selector, index, shows, readout=".krnn-readout"):
    """Hovers the index-th element matching `selector`, found afresh on each try (a redraw replaces it), until the
    readout's text contains `shows` (or, `shows` a function, until shows(text, element) is true): (that text, the
    element's title: its title attribute, or an SVG element's <title>), both of the same drawing."""
    from selenium.webdriver import ActionChains

    from tb_plugin.testing import css, wait

    def attempt(d):
        element = css(d, selector)[index]
        ActionChains(d).move_to_element(element).perform()
        text = css(d, readout)[0].text
        if not (shows(text, element) if callable(shows) else shows in text):
            return False
        return text, d.execute_script(   # raises StaleElementReference (and tries again) if a redraw replaced it
            "const e = arguments[0]; if (e.hasAttribute('title')) return e.getAttribute('title');"
            "const t = e.querySelector(':scope > title'); return t ? t.textContent : null", element)
    return wait(driver, attempt)
