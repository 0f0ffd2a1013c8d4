"""The live probe (issue 34.4): the plugin runs a run's own model on a text the user types, in TensorBoard's process:
the routes against the model's own forward pass and connectivity, their refusals, and the text box in Chromium."""

import json
import os

import numpy as np
import pytest

from tests.training_helpers import tiny_config

WORDS = ["the", "cat", "<b>sat</b>", "on", "&amp;", "\"dog\"", "ran", "x<y", "{", "}"]
TEXT = 'the cat <b>sat</b> on "dog" & x<y {ran}\nthe dog sat'         # every character is in the vocabulary
PREFIX = "/data/plugin/karpathy_rnn"


def _corpus(folder) -> str:
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice(WORDS, 8)) + "\n" for _ in range(1500)]
    path = os.path.join(str(folder), "hostile.txt")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("".join(lines))
    return path


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    """A logdir with a tiny trained LSTM run, its analysis' summaries in RUN/analysis/test (so the run is listed and
    the model sits two folders up) and a run of summaries with no model above it."""
    import tensorflow as tf

    from karpathy_rnn import summary
    from karpathy_rnn.analysis.extract import open_gate_model, trace_ids
    from karpathy_rnn.analysis.publish import write_summaries
    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.training.trainer import Trainer

    root = tmp_path_factory.mktemp("probe") / "logdir"
    corpus = _corpus(root.parent)
    trainer = Trainer(tiny_config(corpus, root, name="lstm", max_steps=6, eval_every=3), log=lambda m: None,
                      progress_bar=False)
    trainer.run()
    model = open_gate_model(trainer.run_dir)
    with open(corpus, encoding="utf-8") as handle:
        text = handle.read(400)
    trace = trace_ids(model, np.concatenate([[0], Vocabulary(tuple(model.vocabulary)).encode(text)]),
                      str(root.parent / "trace"), lanes=1, corpus="hostile", split="test")
    write_summaries(trace, os.path.join(trainer.run_dir, "analysis", "test"), 6, None, None, 400)
    with tf.summary.create_file_writer(str(root / "no-model")).as_default():
        summary.write_text("abc", 1, source="test")
    return str(root), trainer.run_dir


@pytest.fixture(scope="module")
def client(logdir):
    from tests.test_plugin_routes import _client

    return _client(logdir[0])


def get(client, route, **params):
    response = client.get(f"{PREFIX}/{route}", query_string=params)
    return response.status_code, json.loads(response.get_data(as_text=True))


def test_runs_say_which_have_a_model_to_probe(client):
    _, body = get(client, "runs")
    runs = {r["run"]: r for r in body["runs"]}
    assert runs["lstm/analysis/test"]["probe"] == {"limit": 2000, "top": 5}      # the model two folders up
    assert runs["no-model"]["probe"] is None


def test_the_probe_answers_with_the_models_own_values_predictions_and_connectivity(client, logdir):
    from karpathy_rnn.analysis.connectivity import Connectivity
    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.models import load_model
    from karpathy_rnn.show import cell_activations

    run_dir = logdir[1]
    status, body = get(client, "probe", run="lstm/analysis/test", text=TEXT, layer="lstm2", name="c", cell=5)
    assert status == 200, body
    assert body["text"] == TEXT and body["length"] == len(TEXT) and body["transform"] == "tanh"
    assert [(l["layer"], l["units"]) for l in body["layers"]] == [("lstm1", 12), ("lstm2", 12)]
    reference = cell_activations(run_dir, TEXT, "lstm2", 5, "c")           # show.py's chunked pass: tanh(c)
    np.testing.assert_allclose(body["values"], reference.values, atol=2e-3)
    # the predictions: the Keras model's own forward pass over the whole text, softmax in float64
    model = load_model(os.path.join(run_dir, "best.keras"))
    characters = body_vocabulary(run_dir)
    ids = Vocabulary(tuple(characters)).encode(TEXT)
    logits = np.asarray(model(ids[None], training=False))[0].astype(np.float64)
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    for t in (0, 17, len(TEXT) - 1):
        best = np.argsort(-probabilities[t], kind="stable")[:5]
        assert [c for c, _ in body["top"][t]] == [characters[i] for i in best]
        np.testing.assert_allclose([p for _, p in body["top"][t]], probabilities[t, best], atol=1e-4)
    np.testing.assert_allclose(body["next"], probabilities[np.arange(len(ids) - 1), ids[1:]], atol=1e-4)
    # the connectivity of one position: the gradient norms of the most likely prediction there
    position = 20
    status, connected = get(client, "probe_connectivity", run="lstm/analysis/test", text=TEXT, position=position)
    assert status == 200, connected
    target = int(np.argmax(probabilities[position]))
    assert connected["target"] == characters[target] and len(connected["values"]) == position + 1
    expected = Connectivity(model).values(ids[:position + 1], [position], [target])[0]
    np.testing.assert_allclose(connected["values"], expected, rtol=1e-4, atol=1e-6)
    assert connected["values"][position] > 0


def body_vocabulary(run_dir):
    from karpathy_rnn.training.run_dir import read_config

    return read_config(run_dir)["vocabulary"]


@pytest.mark.parametrize("params, fragment", [
    ({"text": "x" * 2001}, "the text has 2,001 characters; the probe takes at most 2,000: shorten it"),
    ({"text": "the cat \u2603 sat"}, "character(s) not in the model's"),
    ({"text": ""}, "the text is empty"),
    ({"text": "the cat", "cell": 12}, "cell 12 is outside layer lstm1's 0..11"),
    ({"text": "the cat", "layer": "lstm9"}, "no layer 'lstm9'"),
    ({"text": "the cat", "name": "z"}, "layer lstm1 (LSTM) has no 'z'"),
])
def test_bad_probes_answer_400_with_one_line(client, params, fragment):
    status, body = get(client, "probe", run="lstm/analysis/test", **params)
    assert status == 400 and fragment in body["error"] and "\n" not in body["error"], body


def test_bad_connectivity_requests_and_runs_without_a_model_answer_400(client):
    status, body = get(client, "probe_connectivity", run="lstm/analysis/test", text="the cat", position=7)
    assert status == 400 and "position 7 is outside the text's 0..6" in body["error"]
    status, body = get(client, "probe", run="no-model", text="abc")
    assert status == 400 and "run 'no-model' has no model to probe" in body["error"]
    status, body = get(client, "probe", run="../../etc", text="abc")
    assert status == 400 and "has no karpathy_rnn data" in body["error"]


@pytest.fixture(scope="module")
def browser():
    from plugin_helpers import browser_session

    yield from browser_session(1280, 900, script_timeout=60)


def test_the_text_box_colours_predicts_connects_and_keeps_user_text_as_text(browser, logdir):
    from selenium.webdriver import ActionChains

    from tb_plugin.testing import css, tensorboard, wait

    with tensorboard(logdir[0], expect_runs=2) as base:
        browser.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
        wait(browser, lambda d: css(d, "pre.krnn-text span"))
        browser.execute_script("document.querySelector('[data-testid=probe]').open = true")
        box = css(browser, "textarea[name=probe-text]")[0]
        box.send_keys(TEXT)
        css(browser, "[data-action=probe]")[0].click()
        wait(browser, lambda d: len(css(d, "[data-testid=probe-text] span")) == len(TEXT), timeout=60)
        shown = browser.execute_script("return document.querySelector('[data-testid=probe-text]').textContent")
        assert shown == TEXT.replace("\n", "\u21b5\n")                    # the user's "<b>" is text, not markup
        assert not css(browser, "[data-testid=probe-text] b")
        spans = css(browser, "[data-testid=probe-text] span")
        ActionChains(browser).move_to_element(spans[4]).perform()
        wait(browser, lambda d: "most likely next" in css(d, "[data-testid=probe-readout]")[0].text)
        assert css(browser, "[data-testid=probe-readout]")[0].text.startswith('"c" (character 4)')
        spans[20].click()
        wait(browser, lambda d: css(d, "[data-testid=probe-connectivity]"), timeout=60)
        colours = browser.execute_script("return [...document.querySelectorAll('[data-testid=probe-text] span')]"
                                         ".map((s) => getComputedStyle(s).backgroundColor)")
        assert colours[21:] == ["rgb(255, 255, 255)"] * (len(TEXT) - 21)   # after the position: nothing
        assert colours.count("rgb(53, 183, 121)") >= 1     # the strongest pull: the article's green, full
        assert any(c not in ("rgb(255, 255, 255)", "rgb(53, 183, 121)") for c in colours[:21])   # and shades
        # typing another text changes the picture
        box.clear()
        box.send_keys("the dog ran")
        css(browser, "[data-action=probe]")[0].click()
        wait(browser, lambda d: d.execute_script(
            "return document.querySelector('[data-testid=probe-text]').textContent") == "the dog ran")
        # a character outside the vocabulary: the message names it
        box.send_keys("\u2603")
        css(browser, "[data-action=probe]")[0].click()
        wait(browser, lambda d: "not in the model's" in css(d, "[data-testid=probe-status]")[0].text)
        assert "\u2603" in css(browser, "[data-testid=probe-status]")[0].text
        # too long: a message in the view, no traceback, nothing drawn
        browser.execute_script("const box = document.querySelector('textarea[name=probe-text]');"
                               "box.value = 'x'.repeat(2001);")
        css(browser, "[data-action=probe]")[0].click()
        wait(browser, lambda d: "at most 2,000" in css(d, "[data-testid=probe-status]")[0].text)
        assert not css(browser, "[data-testid=probe-text] span")


def test_a_model_is_looked_for_only_inside_the_logdir(logdir, tmp_path):
    from tensorboard.plugins import base_plugin

    from tb_plugin.plugin import KarpathyRNNPlugin

    root, run_dir = logdir
    plugin = KarpathyRNNPlugin(base_plugin.TBContext(logdir=os.path.join(run_dir, "analysis"), data_provider=None))
    assert plugin._run_model("test") is None                  # best.keras is above this logdir: not reached
    assert plugin._run_model("..") is None and plugin._run_model("../analysis/..") is None    # nor named from it
    plugin = KarpathyRNNPlugin(base_plugin.TBContext(logdir=root, data_provider=None))
    assert plugin._run_model("lstm/analysis/test") == os.path.join(os.path.realpath(run_dir), "best.keras")
    assert plugin._run_model("../x") is None and plugin._run_model("lstm/../../x") is None
