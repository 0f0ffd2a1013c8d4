"""The plugin's routes through TensorBoard's own WSGI app and data provider, over summaries from the real writers."""

import json
import os

import numpy as np
import pytest

from plugin_helpers import (CONNECTIVITY_TEXTS, EARLY_STEP, HOSTILE_TEXT, KNOWN_CELL, KNOWN_LAYER, ORACLE_MODEL, STEP,
                            UNITS, agreement_body, brace_body, characters_body, connectivity_body, known_values,
                            oracle_slices, write_plugin_logdir)

PREFIX = "/data/plugin/karpathy_rnn"


def _client(logdir):
    return _client_and_multiplexer(logdir)[0]


def _client_and_multiplexer(logdir):
    """A test client of TensorBoard's WSGI app with this plugin over `logdir`, and the multiplexer reading it."""
    from werkzeug import test, wrappers

    from tb_plugin.plugin import KarpathyRNNPlugin
    from tensorboard.backend import application
    from tensorboard.context import RequestContext
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
    plugin = KarpathyRNNPlugin(base_plugin.TBContext(logdir=logdir, data_provider=provider))
    return test.Client(application.TensorBoardWSGI([plugin]), wrappers.Response), multiplexer


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    return write_plugin_logdir(str(tmp_path_factory.mktemp("plugin_logdir")))


@pytest.fixture(scope="module")
def client(logdir):
    return _client(logdir)


def get(client, route, **params):
    """(status, JSON body) of one route."""
    response = client.get(f"{PREFIX}/{route}", query_string=params)
    return response.status_code, json.loads(response.get_data(as_text=True))


def test_runs_lists_each_run_with_its_data_and_reports_malformed_tags(client):
    status, body = get(client, "runs")
    assert status == 200
    runs = {r["run"]: r for r in body["runs"]}
    assert sorted(runs) == ["gru", "lstm", "malformed"]              # scalars_only has no plugin data
    lstm = runs["lstm"]
    assert lstm["text"] == {"steps": [EARLY_STEP, STEP], "length": len(HOSTILE_TEXT * 3), "source": "test"}
    assert [(a["layer"], a["name"], a["units"]) for a in lstm["activations"]] == [
        ("layer1", "c", UNITS), ("layer1", "h", UNITS), ("layer2", "c", UNITS), ("layer2", "h", UNITS)]
    assert lstm["saturation"]["gates"] == ["i", "f", "o"] and lstm["oracle"] == {"steps": [STEP]}
    assert runs["gru"]["text"] is None and runs["gru"]["saturation"]["gates"] == ["r", "z"]
    assert lstm["brace"] == {"steps": [STEP]} and lstm["characters"] == {"steps": [STEP]}
    assert runs["gru"]["brace"] is None and runs["gru"]["characters"] is None     # so the tabs show only where useful
    assert lstm["agreement"] == {"steps": [STEP]} and runs["gru"]["agreement"] is None
    assert lstm["connectivity"] == {"steps": [STEP], "texts": 2, "sources": [      # from the metadata, not read
        {"index": 0, "source": "test observation 17"}, {"index": 1, "source": "user text"}]}
    assert runs["gru"]["connectivity"] is None and runs["malformed"]["connectivity"] is None
    problems = " | ".join(body["problems"])
    assert "'malformed', tag 'karpathy_rnn/activations/layer1/c': malformed karpathy_rnn summary metadata" in problems
    assert "'malformed', tag 'karpathy_rnn/oracle': malformed oracle breakdown" in problems


def test_colored_text_pages_the_text_with_the_cell_values(client):
    text = HOSTILE_TEXT * 3
    status, page = get(client, "colored_text", run="lstm", layer=KNOWN_LAYER, name="c", cell=KNOWN_CELL)
    assert status == 200
    assert page["text"] == text and page["length"] == len(text) and page["step"] == STEP
    assert page["values"] == known_values(len(text)).tolist()       # -1, -0.5, 0, 0.5, 1 are exact in float16
    assert page["transform"] == "tanh" and page["units"] == UNITS
    status, page = get(client, "colored_text", run="lstm", layer=KNOWN_LAYER, name="c", cell=KNOWN_CELL,
                       offset=100, limit=57, step=STEP)
    assert status == 200 and page["text"] == text[100:157] and page["offset"] == 100
    assert page["values"] == known_values(len(text))[100:157].tolist()
    status, page = get(client, "colored_text", run="lstm", layer=KNOWN_LAYER, name="c", cell=KNOWN_CELL, step=EARLY_STEP)
    assert status == 200 and page["step"] == EARLY_STEP                # each step keeps its own values
    assert page["values"] == (-known_values(len(text)) + 0.0).tolist()
    status, page = get(client, "colored_text", run="lstm", layer="layer2", name="c", cell=0, step=EARLY_STEP)
    assert status == 400 and page["error"].startswith(f"step {EARLY_STEP} is not in run 'lstm'")
    fiddle = text.index("🎻")                                         # offsets count code points, not UTF-16 units
    status, page = get(client, "colored_text", run="lstm", layer=KNOWN_LAYER, name="c", cell=0, offset=fiddle, limit=3)
    assert page["text"] == text[fiddle:fiddle + 3] and len(page["values"]) == 3


@pytest.mark.parametrize("params, fragment", [
    ({}, "missing parameter run"),
    ({"run": "nope", "layer": "layer1", "name": "c", "cell": 0}, "run 'nope' has no karpathy_rnn data; runs that do: gru, lstm"),
    ({"run": "lstm", "name": "c", "cell": 0}, "missing parameter layer"),
    ({"run": "lstm", "layer": "layer9", "name": "c", "cell": 0}, "no activations for layer9/c"),
    ({"run": "lstm", "layer": "layer1", "name": "q", "cell": 0}, "no activations for layer1/q"),
    ({"run": "lstm", "layer": "layer1", "name": "c"}, "missing parameter cell"),
    ({"run": "lstm", "layer": "layer1", "name": "c", "cell": 8}, "cell=8 is outside [0, 7]"),
    ({"run": "lstm", "layer": "layer1", "name": "c", "cell": -1}, "cell=-1 is outside [0, 7]"),
    ({"run": "lstm", "layer": "layer1", "name": "c", "cell": "3; DROP"}, "cell='3; DROP' is not a whole number"),
    ({"run": "lstm", "layer": "layer1", "name": "c", "cell": 1, "offset": 10**6}, "offset=1000000 is outside"),
    ({"run": "lstm", "layer": "layer1", "name": "c", "cell": 1, "limit": 0}, "limit=0 is outside [1, 20000]"),
    ({"run": "lstm", "layer": "layer1", "name": "c", "cell": 1, "limit": 20001}, "limit=20001 is outside [1, 20000]"),
    ({"run": "lstm", "layer": "layer1", "name": "c", "cell": 1, "step": 7}, "step 7 is not in run 'lstm'"),
    ({"run": "malformed", "layer": "layer1", "name": "h", "cell": 0}, "the text has 6 characters but"),
])
def test_colored_text_answers_400_with_a_message_for_bad_parameters(client, params, fragment):
    status, body = get(client, "colored_text", **params)
    assert status == 400
    assert fragment in body["error"]


def test_saturation_returns_each_gate_by_layer_as_written(client):
    status, body = get(client, "saturation", run="lstm")
    assert status == 200 and body["unit"] == "lstm" and body["thresholds"] == [0.1, 0.9] and body["step"] == STEP
    assert [g["gate"] for g in body["gates"]] == ["i", "f", "o"]
    rng = np.random.default_rng(0)                     # replay the helper's draws: c, h, then left/right per gate
    for layer_index in (1, 2):
        rng.normal(size=(len(HOSTILE_TEXT * 3), UNITS)), rng.uniform(-1, 1, (len(HOSTILE_TEXT * 3), UNITS))
        for gate in body["gates"]:
            left, right = rng.uniform(0, 0.5, UNITS), rng.uniform(0, 0.5, UNITS)
            entry = gate["layers"][layer_index - 1]
            assert entry["layer"] == f"layer{layer_index}" and entry["units"] == UNITS
            np.testing.assert_allclose(entry["left"], left, atol=6e-5)
            np.testing.assert_allclose(entry["right"], right, atol=6e-5)
    assert get(client, "saturation", run="lstm", step=3)[0] == 400


def test_oracle_and_cell_ranking_round_trip(client):
    status, body = get(client, "oracle", run="lstm")
    assert status == 200 and body["characters"] == 2400 and body["errors"] == 1000 and body["threshold"] == 0.5
    assert body["slices"] == oracle_slices() and body["split"] == "test" and body["model"] == ORACLE_MODEL
    assert body["slices"][1]["examples"][0]["fragments"][1] == {"start": 900, "text": "said Rostóv.\n",
                                                                "errors": [6, 7, 8], "repeat": [[5, 11]]}
    status, body = get(client, "cell_ranking", run="lstm")
    assert status == 200 and body["features"]["quote"] == [{"layer": KNOWN_LAYER, "cell": KNOWN_CELL, "r": 0.91}]
    assert body["descriptions"]["<b>markup</b>"] == "<i>a test</i>"   # data, escaped by the page
    assert get(client, "oracle", run="malformed")[1]["error"] == (
        "run 'malformed', tag 'karpathy_rnn/oracle': malformed oracle breakdown: need "
        '{"characters": int, "slices": [...]}')
    status, body = get(client, "oracle", run="gru", step=900)      # written without examples nor model: defaults
    assert status == 200 and body["errors"] == 1300 and body["model"] == ""
    assert [s["examples"] for s in body["slices"]] == [[]] * len(oracle_slices())
    assert get(client, "cell_ranking", run="gru")[0] == 400


def test_brace_and_characters_round_trip_exactly(client):
    status, body = get(client, "brace", run="lstm")
    assert status == 200 and body == {"run": "lstm", "step": STEP, **brace_body()}
    assert body["buckets"][2]["means"] == [None, None]                         # an empty bucket stays empty
    status, body = get(client, "characters", run="lstm")
    assert status == 200 and body == {"run": "lstm", "step": STEP, **characters_body()}
    assert get(client, "characters", run="lstm", step=STEP)[1] == body


def test_agreement_round_trips_exactly(client):
    status, body = get(client, "agreement", run="lstm")
    assert status == 200 and body == {"run": "lstm", "step": STEP, **agreement_body()}
    assert get(client, "agreement", run="lstm", step=STEP)[1] == body


@pytest.mark.parametrize("route, what", [("brace", "brace study"), ("characters", "character comparison"),
                                         ("agreement", "model agreement")])
def test_brace_and_characters_answer_400_where_there_is_none(client, route, what):
    assert get(client, route, run="gru") == (400, {"error": f"run 'gru' has no {what} (tag karpathy_rnn/{route})"})
    assert get(client, route) == (400, {"error": "missing parameter run"})
    status, body = get(client, route, run="nope")
    assert status == 400 and "run 'nope' has no karpathy_rnn data; runs that do: gru, lstm" in body["error"]
    status, body = get(client, route, run="lstm", step=EARLY_STEP)
    assert status == 400 and body["error"].startswith(f"step {EARLY_STEP} is not in run 'lstm'")
    status, body = get(client, route, run="lstm", step="x")
    assert status == 400 and body["error"] == "step='x' is not a whole number"


def whole_connectivity(client, **params) -> tuple[int, dict]:
    """(status, the connectivity text as written) from the route: the text without values, then one request per
    character for each model's row there (issue 31.9: the whole text at once reached 163 MB)."""
    status, body = get(client, "connectivity", **params)
    if status != 200:
        return status, body
    assert all(set(model) == {"name", "suggestions"} for model in body["models"])      # no values in the first answer
    rows = []
    for position in range(len(body["targets"])):
        answer = get(client, "connectivity", **params, position=position)[1]
        assert (answer["position"], answer["step"], answer["index"]) == (position, body["step"], body["index"])
        rows.append(answer["rows"])
    for m, model in enumerate(body["models"]):
        model["values"] = [row[m] for row in rows]
    return status, body


def test_connectivity_round_trips_one_text_per_request_exactly(client):
    for index in range(len(CONNECTIVITY_TEXTS)):
        status, body = whole_connectivity(client, run="lstm", index=index)
        assert status == 200 and body == {"run": "lstm", "step": STEP, "index": index, "texts": 2,
                                          **connectivity_body(index)}
        assert whole_connectivity(client, run="lstm", index=index, step=STEP)[1] == body
    assert body["models"][0]["values"][0] == [] and body["targets"][0] is None      # next character: row 0 empty
    status, answer = get(client, "connectivity", run="lstm", index=body["index"], position=len(body["targets"]))
    assert status == 400 and answer["error"] == f"position={len(body['targets'])} is outside [0, " \
                                                f"{len(body['targets']) - 1}]"


@pytest.mark.parametrize("params, fragment", [
    ({"run": "gru", "index": 0}, "run 'gru' has no connectivity study (tags karpathy_rnn/connectivity/<index>)"),
    ({"run": "lstm"}, "missing parameter index"),
    ({"run": "lstm", "index": ""}, "missing parameter index"),
    ({"run": "lstm", "index": 2}, "index=2: run 'lstm' has no connectivity text 2; its texts are 0, 1"),
    ({"run": "lstm", "index": -1}, "index=-1 is outside [0, any]"),
    ({"run": "lstm", "index": "0x1"}, "index='0x1' is not a whole number"),
    ({"run": "lstm", "index": "1.0"}, "index='1.0' is not a whole number"),
    ({"index": 0}, "missing parameter run"),
    ({"run": "nope", "index": 0}, "run 'nope' has no karpathy_rnn data; runs that do: gru, lstm"),
    ({"run": "lstm", "index": 0, "step": EARLY_STEP}, f"step {EARLY_STEP} is not in run 'lstm'"),
    ({"run": "lstm", "index": 1, "step": "x"}, "step='x' is not a whole number"),
])
def test_connectivity_answers_400_for_a_bad_index_or_a_run_without_it(client, params, fragment):
    status, body = get(client, "connectivity", **params)
    assert status == 400 and fragment in body["error"], body


def _changed(body: dict, change) -> dict:
    body = json.loads(json.dumps(body))
    change(body)
    return body


def _bucket_means(body, means):
    body["buckets"][0]["means"] = means


def _leaders(side, rows):
    return lambda body: body["leaders"].__setitem__(side, rows)


BAD_BRACE = [
    (lambda b: _bucket_means(b, [1.5, 0.6]), "bucket 0: means entry 0: 1.5 is not a number in [0, 1]"),
    (lambda b: _bucket_means(b, [0.9, -0.1]), "bucket 0: means entry 1: -0.1 is not a number in [0, 1]"),
    (lambda b: _bucket_means(b, [0.9, float("nan")]), "means entry 1: nan is not a number in [0, 1]"),
    (lambda b: _bucket_means(b, [0.9]), "bucket 0: means [0.9] is not a list of 2 values"),
    (lambda b: _bucket_means(b, [0.9, "0.6"]), "means entry 1: '0.6' is not a number"),
    (lambda b: b["buckets"][2].update(means=[0.5, None]), "bucket 2: no braces but means [0.5, None]"),
    (lambda b: b["buckets"][1].update(count=4), "braces 10 but the buckets count 11"),
    (lambda b: b["buckets"][1].update(count=-3), "bucket 1: count -3 is not a whole number"),
    (lambda b: b["buckets"][1].update(end=45), "bucket 1: 21..45 is not 20 characters wide"),
    (lambda b: b["buckets"].reverse(), "bucket 1: starts at 41, inside or before the bucket before it"),
    (lambda b: b.update(models=["a", "b", "c", "d", "e"]), "models ['a', 'b', 'c', 'd', 'e'] is not a list of 1 to 4"),
    (lambda b: b.update(models=[]), "models [] is not a list of 1 to 4 values"),
    (lambda b: b.update(models=["a", ""]), "models entry 1: '' is not a non-empty UTF-8 string"),
    (lambda b: b.update(models=["a", "a"]), "models ['a', 'a'] name a model twice"),
    (lambda b: b.update(bucket_width=0), "bucket_width 0 is not a whole number in [1,"),
    (lambda b: b.update(braces=True), "braces True is not a whole number"),
    (lambda b: b.pop("buckets"), "malformed brace study: need"),
]
BAD_CHARACTERS = [
    (lambda b: b["difference"].pop(), "difference has 117 values, not one per character of the text (118)"),
    (lambda b: b["difference"].append(0.0), "difference has 119 values, not one per character of the text (118)"),
    (lambda b: b["difference"].__setitem__(5, 1.5), "difference entry 5: 1.5 is not a number in [-1, 1]"),
    (lambda b: b["difference"].__setitem__(7, None), "difference entry 7: None is not a number in [-1, 1]"),
    (lambda b: b.update(models=["LSTM", "20-gram", "n-NN"]), "models ['LSTM', '20-gram', 'n-NN'] is not a list of 2 "
     "values"),
    (lambda b: b.update(models=["LSTM"]), "models ['LSTM'] is not a list of 2 values"),
    (lambda b: b["leaders"][0][1]["means"].__setitem__(0, 1.5), "leaders 0, entry 1: means entry 0: 1.5 is not a "
     "number in [0, 1]"),
    (lambda b: b["leaders"][1][0].update(means=[0.7, 0.3]), "leaders 1, entry 0: means [0.7, 0.3], but '20-gram' "
     "should lead"),
    (lambda b: b["leaders"][0][2].update(character="ab"), "leaders 0, entry 2: character 'ab' is not one character"),
    (lambda b: b["leaders"][0][2].update(character="\n"), "leaders 0, entry 2: '\\n' is listed twice"),
    (lambda b: b["leaders"][1][2].update(count=0), "leaders 1, entry 2: count 0 is not a whole number in [1,"),
    (lambda b: b["leaders"][0].extend(dict(b["leaders"][0][0], character=chr(0x61 + i)) for i in range(8)),
     "leaders 0 has 11 characters, at most 10"),
    (lambda b: b.update(leaders=[b["leaders"][0]]), "leaders [[{"),
    (lambda b: b.update(start=-1), "start -1 is not a whole number"),
    (lambda b: b.update(text="x" * 1_000_001, difference=[0.0] * 1_000_001), "text 'xxx"),
]


@pytest.mark.parametrize("change, fragment", BAD_BRACE + BAD_CHARACTERS,
                         ids=[f"brace-{i}" for i in range(len(BAD_BRACE))]
                         + [f"characters-{i}" for i in range(len(BAD_CHARACTERS))])
def test_brace_and_characters_writers_refuse_malformed_bodies(tmp_path, change, fragment):
    """The writers check with summary_schema before writing (a bad body leaves no summary), the decoders the same."""
    import tensorflow as tf
    from tensorboard.backend.event_processing import event_accumulator

    from karpathy_rnn import summary
    from karpathy_rnn.errors import KRNNError

    is_brace = (change, fragment) in BAD_BRACE
    write, decode = ((summary.write_brace_study, summary.decode_brace) if is_brace
                     else (summary.write_character_comparison, summary.decode_characters))
    body = _changed(brace_body() if is_brace else characters_body(), change)
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        with pytest.raises(KRNNError) as raised:
            write(body, 1)
    assert fragment in str(raised.value)
    assert str(raised.value).startswith(f"malformed {'brace study' if is_brace else 'character comparison'}")
    with pytest.raises(KRNNError) as raised:
        decode(json.dumps(body))
    assert ("NaN is not a JSON number" if "nan is not" in fragment else fragment) in str(raised.value)
    assert event_accumulator.EventAccumulator(str(tmp_path)).Reload().Tags()["tensors"] == []


def _oracle_body() -> dict:
    return {"characters": 2400, "threshold": 0.5, "split": "test", "model": ORACLE_MODEL, "slices": oracle_slices()}


def _fragment(slice_index, example, fragment, **change):
    return lambda body: body["slices"][slice_index]["examples"][example]["fragments"][fragment].update(change)


def _symmetric(i, j, value):
    def change(body):
        body["matrix"][i][j] = body["matrix"][j][i] = value
    return change


BAD_ORACLE = [
    (_fragment(0, 0, 0, errors=[1, 8, 27, 38]), "slice 0, example 0, fragment 0: errors entry 3: 38 is not a whole "
     "number in [0, 37] (offsets within its 38 characters)"),
    (_fragment(0, 1, 0, errors=[-1]), "slice 0, example 1, fragment 0: errors entry 0: -1 is not a whole number"),
    (_fragment(0, 1, 0, errors=None), "fragment 0: errors None is not a list"),
    (_fragment(1, 0, 1, repeat=[[5, 14]]), "slice 1, example 0, fragment 1: repeat entry 0: 14 is not a whole number "
     "in [0, 13] (half-open spans [a, b) within its 13 characters)"),
    (_fragment(1, 0, 1, repeat=[[6, 6]]), "repeat entry 0: [6, 6] is not increasing"),
    (_fragment(1, 0, 1, repeat=[[0, 4], [3, 6]]), "fragment 1: repeat spans [[0, 4], [3, 6]] overlap or are out of "
     "order"),
    (_fragment(1, 0, 1, start=60), "slice 1, example 0, fragment 1: starts at 60, before the fragment before it ends "
     "(65); fragments go in text order"),
    (_fragment(1, 0, 0, start=-3), "fragment 0: start -3 is not a whole number"),
    (_fragment(0, 1, 0, text=""), "fragment 0: text '' is not a non-empty UTF-8 string of at most 400 characters"),
    (_fragment(0, 1, 0, text="x" * 401, errors=[]), "text 'xxxx"),
    (lambda b: b["slices"][0]["examples"][0]["fragments"].extend([{"start": 900 + k, "text": "a", "errors": []}
                                                                  for k in range(3)]),
     "slice 0, example 0: 4 fragments; an example is {\"fragments\": [1 to 3 pieces"),
    (lambda b: b["slices"][0]["examples"][0].update(fragments=[]), "example 0: 0 fragments"),
    (lambda b: b["slices"][0]["examples"].__setitem__(1, "x"), "slice 0, example 1: 'x'; an example is"),
    (lambda b: b["slices"][2].update(examples=b["slices"][0]["examples"] * 11), "slice 2: 22 examples, at most 20"),
    (lambda b: b["slices"][2].update(examples={"fragments": []}), "slice 2: examples {'fragments': []} is not a list"),
    (lambda b: b.update(model=5), "model 5 is not a name"),
]
BAD_AGREEMENT = [
    (lambda b: b["matrix"][0].__setitem__(1, 0.7), "matrix[1][0] is 0.734 but matrix[0][1] is 0.7; agreement is "
     "symmetric"),
    (_symmetric(2, 3, 1.5), "matrix entry 2: entry 3: 1.5 is not a number in [0, 1]"),
    (_symmetric(1, 4, -0.5), "matrix entry 1: entry 4: -0.5 is not a number in [0, 1]"),
    (_symmetric(0, 1, float("nan")), "matrix entry 0: entry 1: nan is not a number in [0, 1]"),
    (lambda b: b["matrix"][2].__setitem__(2, 0.9), "matrix[2][2] is 0.9; a model always agrees with itself (1)"),
    (lambda b: b["matrix"][4].pop(), "matrix entry 4: [0.55, 0.52, 0.49, 0.58] is not a list of 5 values"),
    (lambda b: b["matrix"].pop(), "matrix [[1.0, 0.734"),
    (lambda b: b["embedding"].pop(), "embedding has 4 points for 5 models; one [x, y] per model ([] only with fewer "
     "than 3 models)"),
    (lambda b: b.update(embedding=[]), "embedding has 0 points for 5 models"),
    (lambda b: b["embedding"][0].__setitem__(1, "x"), "embedding entry 0: entry 1: 'x' is not a number"),
    (lambda b: b["embedding"][3].append(1.0), "embedding entry 3: [4.0, 0.25, 1.0] is not a list of 2 values"),
    (lambda b: b.update(models=b["models"][:1]), "1 model; agreement compares 2 to 500"),
    (lambda b: b["models"][1].update(name="LSTM 1x64"), "models name 'LSTM 1x64' twice"),
    (lambda b: b["models"][1].update(layers=0), "model 1: layers 0 is not a whole number in [1, 10000]"),
    (lambda b: b["models"][3].update(params=-1), "model 3: params -1 is not a whole number"),
    (lambda b: b["models"][0].update(name=""), "model 0: name '' is not a non-empty UTF-8 string"),
    (lambda b: b["models"][0].update(unit=None), "model 0: unit None is not a UTF-8 string"),
    (lambda b: b.pop("characters"), "characters None is not a whole number"),
    (lambda b: b.pop("matrix"), "malformed model agreement: need"),
]


@pytest.mark.parametrize("change, fragment", BAD_ORACLE + BAD_AGREEMENT,
                         ids=[f"oracle-{i}" for i in range(len(BAD_ORACLE))]
                         + [f"agreement-{i}" for i in range(len(BAD_AGREEMENT))])
def test_oracle_examples_and_agreement_writers_refuse_malformed_bodies(tmp_path, change, fragment):
    """Offsets outside their text, spans past its end, too many fragments or examples, an asymmetric matrix or one
    outside [0, 1]: the writers refuse before writing, the decoders the same, each naming the fault."""
    import tensorflow as tf
    from tensorboard.backend.event_processing import event_accumulator

    from karpathy_rnn import summary
    from karpathy_rnn.errors import KRNNError

    is_oracle = (change, fragment) in BAD_ORACLE
    body = _changed(_oracle_body() if is_oracle else agreement_body(), change)
    what = "oracle breakdown" if is_oracle else "model agreement"
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        with pytest.raises(KRNNError) as raised:
            if is_oracle:
                summary.write_oracle(body["slices"], body["characters"], 1, body["threshold"], body["split"],
                                     body["model"])
            else:
                summary.write_agreement(body, 1)
    assert fragment in str(raised.value) and str(raised.value).startswith(f"malformed {what}")
    with pytest.raises(KRNNError) as raised:
        (summary.decode_oracle if is_oracle else summary.decode_agreement)(json.dumps(body))
    assert ("NaN is not a JSON number" if "nan is not" in fragment else fragment) in str(raised.value)
    assert event_accumulator.EventAccumulator(str(tmp_path)).Reload().Tags()["tensors"] == []


def _model(m, **change):
    return lambda body: body["models"][m].update(change)


def _row(m, j, change):
    return lambda body: change(body["models"][m]["values"][j])


def _suggestion(m, j, change):
    return lambda body: change(body["models"][m]["suggestions"][j])


# (text index, change, what the message names): each refused by the writer and the decoder.
BAD_CONNECTIVITY = [
    (0, _row(0, 3, lambda row: row.append(1.0)), "model 0 ('LSTM 2x128'): values row 3 has 5 values; an autocomplete "
     "row j holds at most j + 1 values (characters 0..j)"),
    (1, _row(1, 0, lambda row: row.append(0.5)), "model 1 ('GRU 2x128'): values row 0 has 1 values; a next-character "
     "row j holds at most j values (characters 0..j-1; row 0 is empty)"),
    (1, _row(0, 6, lambda row: row.extend([1.0, 1.0])), "model 0 ('LSTM 2x128'): values row 6 has 8 values; a "
     "next-character row j holds at most j values"),
    (0, _row(1, 5, lambda row: row.__setitem__(2, -0.5)), "model 1 ('GRU 2x128'): values row 5, entry 2: -0.5 is not "
     "a number in [0, inf]"),
    (0, _row(2, 4, lambda row: row.__setitem__(1, float("nan"))), "values row 4, entry 1: nan is not a number"),
    (0, _row(2, 4, lambda row: row.__setitem__(0, float("inf"))), "values row 4, entry 0: inf is not a number"),
    (0, _row(0, 2, lambda row: row.__setitem__(0, "1")), "values row 2, entry 0: '1' is not a number"),
    (0, _row(0, 2, lambda row: row.__setitem__(1, True)), "values row 2, entry 1: True is not a number"),
    (0, lambda b: b["models"][2]["values"].pop(), "model 2 ('Nested LSTM'): values has 21 rows, not one per character "
     "of the text (22)"),
    (1, lambda b: b["models"][0].update(values=None), "model 0 ('LSTM 2x128'): values None is not a list, not one"),
    (0, _suggestion(0, 3, lambda row: row[0].update(p=1.5)), "model 0 ('LSTM 2x128'): suggestions entry 3: entry 0: "
     "p 1.5 is not a number in [0, 1]"),
    (0, _suggestion(1, 2, lambda row: row[0].update(p=-0.25)), "suggestions entry 2: entry 0: p -0.25 is not a number "
     "in [0, 1]"),
    (0, _suggestion(0, 3, lambda row: row.reverse()), "suggestions entry 3: entry 1: p 0.25 is above the entry before "
     "it (0.125); suggestions go most likely first"),
    (0, _suggestion(0, 3, lambda row: row.append({"label": "hat", "p": 0.0})), "suggestions entry 3: has 4 suggestions, at most "
     "3"),
    (0, _suggestion(0, 3, lambda row: row.__setitem__(1, "the")), "suggestions entry 3: entry 1: 'the' is not "
     "{\"label\", \"p\"}"),
    (0, _suggestion(0, 3, lambda row: row[2].update(label="the")), "suggestions entry 3: entry 2: 'the' is listed "
     "twice"),
    (0, _suggestion(0, 3, lambda row: row[1].update(label="")), "suggestions entry 3: entry 1: label '' is not a "
     "non-empty UTF-8 string"),
    (0, lambda b: b["models"][1]["suggestions"].pop(), "model 1 ('GRU 2x128'): suggestions has 21 rows, not one per "
     "character of the text (22)"),
    (0, lambda b: b["models"].extend(b["models"][:2]), "5 models; a connectivity study shows 1 to 4"),
    (0, lambda b: b.update(models=[]), "0 models; a connectivity study shows 1 to 4"),
    (0, _model(2, name="LSTM 2x128"), "models name 'LSTM 2x128' twice"),
    (0, _model(1, name=""), "model 1: name '' is not a non-empty UTF-8 string"),
    (0, lambda b: b["models"].__setitem__(1, ["GRU"]), "model 1 is ['GRU'], not {\"name\", \"values\", "
     "\"suggestions\"}"),
    (0, lambda b: b["targets"].pop(), "targets has 21 entries, not one per character of the text (22)"),
    (1, lambda b: b["targets"].append("x"), "targets has 19 entries, not one per character of the text (18)"),
    (0, lambda b: b["targets"].__setitem__(4, 5), "targets entry 4: 5 is not a non-empty UTF-8 string"),
    (0, lambda b: b.update(text=""), "text '' is not a non-empty UTF-8 string of at most 2000 characters"),
    (0, lambda b: b.update(text="x" * 2001), "text 'xxxx"),
    (0, lambda b: b.update(task="translation"), "task 'translation' is not one of 'autocomplete', 'next character'"),
    (0, lambda b: b.update(source=17), "source 17 is not a UTF-8 string"),
    (0, lambda b: b.pop("models"), "malformed connectivity study: need"),
]


@pytest.mark.parametrize("index, change, fragment", BAD_CONNECTIVITY,
                         ids=[f"connectivity-{i}" for i in range(len(BAD_CONNECTIVITY))])
def test_connectivity_writer_refuses_malformed_bodies(tmp_path, index, change, fragment):
    """Rows longer than the characters a prediction has read, values below 0 or not finite, p outside [0, 1] or out
    of order, 5 models, names twice, a row or target per character too many or too few: the writer refuses before
    writing, the decoder the same, each naming the model and field."""
    import tensorflow as tf
    from tensorboard.backend.event_processing import event_accumulator

    from karpathy_rnn import summary
    from karpathy_rnn.errors import KRNNError

    body = _changed(connectivity_body(index), change)
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        with pytest.raises(KRNNError) as raised:
            summary.write_connectivity(body, 1, index)
    assert fragment in str(raised.value) and str(raised.value).startswith("malformed connectivity study")
    with pytest.raises(KRNNError) as raised:
        summary.decode_connectivity(json.dumps(body))
    constant = {"nan is not": "NaN is not a JSON number", "inf is not": "Infinity is not a JSON number"}
    assert next((v for k, v in constant.items() if k in fragment), fragment) in str(raised.value)
    assert event_accumulator.EventAccumulator(str(tmp_path)).Reload().Tags()["tensors"] == []


def test_connectivity_writer_takes_numpy_rows_and_refuses_a_bad_index(tmp_path):
    """An analysis's results (float32 rows, NumPy integers) are written as plain JSON; the index is a whole number
    >= 0, and a run lists its texts by the index in their metadata, whatever order they were written in."""
    import tensorflow as tf

    from karpathy_rnn import summary
    from karpathy_rnn.errors import KRNNError

    expected = [connectivity_body(index) for index in (0, 1)]
    numpy_bodies = [dict(body, models=[dict(model, values=[np.asarray(row, np.float32) for row in model["values"]])
                                       for model in body["models"]]) for body in expected]
    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default():
        for bad in (-1, True, 1.5, "0", None):
            with pytest.raises(KRNNError, match="connectivity index .* is not a whole number >= 0"):
                summary.write_connectivity(expected[0], 3, bad)
        summary.write_connectivity(numpy_bodies[1], 3, np.int64(7))
        summary.write_connectivity(numpy_bodies[0], 3, 0)
    client = _client(str(tmp_path))
    listed = get(client, "runs")[1]["runs"][0]["connectivity"]
    assert listed == {"steps": [3], "texts": 2, "sources": [{"index": 0, "source": "test observation 17"},
                                                             {"index": 7, "source": "user text"}]}
    assert whole_connectivity(client, run="run", index=7) == (200, {"run": "run", "step": 3, "index": 7, "texts": 2,
                                                                     **expected[1]})
    assert whole_connectivity(client, run="run", index=0)[1]["models"] == expected[0]["models"]
    assert get(client, "connectivity", run="run", index=1)[0] == 400


def test_agreement_takes_near_symmetry_two_models_without_an_embedding_and_numpy_values(tmp_path):
    """Symmetric within 1e-6 is symmetric; two models need no t-SNE; NumPy arrays and integers (an analysis's
    results) are written as plain JSON, equal to the lists."""
    import tensorflow as tf

    from karpathy_rnn import summary

    body = agreement_body()
    body["matrix"][0][1] += 5e-7
    assert summary.decode_agreement(json.dumps(body))["matrix"][0][1] == 0.734 + 5e-7
    pair = {"models": body["models"][:2], "matrix": [[1.0, 0.734], [0.734, 1.0]], "embedding": [], "characters": 10,
            "split": ""}
    assert summary.decode_agreement(json.dumps(pair))["embedding"] == []
    expected = agreement_body()
    numpy_body = dict(expected, matrix=np.array(expected["matrix"]), embedding=np.array(expected["embedding"]),
                      characters=np.int64(50_000),
                      models=[dict(m, params=np.int64(m["params"]), layers=np.int32(m["layers"]))
                              for m in expected["models"]])
    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default():
        summary.write_agreement(numpy_body, 3)
        summary.write_oracle([dict(s, errors=np.int64(s["errors"]), examples=[
            {"fragments": [dict(f, start=np.int64(f["start"]), errors=np.array(f["errors"], np.int64),
                                repeat=np.array(f["repeat"], np.int64).reshape(-1, 2)) for f in e["fragments"]]}
            for e in s["examples"]]) for s in oracle_slices()], np.int64(2400), 3, split="test", model="m")
    client = _client(str(tmp_path))
    assert get(client, "agreement", run="run") == (200, {"run": "run", "step": 3, **expected})
    status, body = get(client, "oracle", run="run")
    assert status == 200 and body["slices"] == oracle_slices() and body["model"] == "m"


def test_brace_and_characters_writers_take_numpy_values(tmp_path):
    """An analysis's results (NumPy numbers and arrays) are written as plain JSON, equal to the lists."""
    import tensorflow as tf

    from karpathy_rnn import summary

    brace, characters = brace_body(), characters_body()
    numpy_brace = dict(brace, braces=np.int64(10), bucket_width=np.int32(20))
    numpy_characters = dict(characters, difference=np.asarray(characters["difference"], np.float32),
                            start=np.int64(1000))
    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default():
        summary.write_brace_study(numpy_brace, 3)
        summary.write_character_comparison(numpy_characters, 3)
    client = _client(str(tmp_path))
    assert get(client, "brace", run="run") == (200, {"run": "run", "step": 3, **brace})
    assert get(client, "characters", run="run") == (200, {"run": "run", "step": 3, **characters})


def test_static_files_are_served_and_nothing_else(client):
    response = client.get(f"{PREFIX}/index.js")
    assert response.status_code == 200 and "export async function render" in response.get_data(as_text=True)
    assert response.mimetype == "text/javascript"
    for path in ("static/common.js", "static/style.css", "static/views/colored_text.js", "static/views/oracle.js",
                 "static/views/brace.js", "static/views/characters.js", "static/views/agreement.js",
                 "static/views/connectivity.js"):
        assert client.get(f"{PREFIX}/{path}").status_code == 200, path
    for path in ("static/../plugin.py", "static/%2e%2e/plugin.py", "static/nope.js", "static//etc/passwd"):
        assert client.get(f"{PREFIX}/{path}").status_code == 404, path


def test_an_empty_logdir_lists_no_runs(tmp_path):
    status, body = get(_client(str(tmp_path)), "runs")
    assert status == 200 and body == {"runs": [], "problems": []}
    status, body = get(_client(str(tmp_path)), "oracle", run="x")
    assert status == 400 and "runs that do: none" in body["error"]


def test_frontend_metadata_names_the_module_and_tab():
    from tb_plugin.plugin import KarpathyRNNPlugin
    from tensorboard.plugins import base_plugin

    metadata = KarpathyRNNPlugin(base_plugin.TBContext(data_provider=None)).frontend_metadata()
    assert metadata.es_module_path == "/index.js" and metadata.tab_name == "karpathy_rnn"


def test_every_view_module_is_package_data():
    """setup.py's package_data globs cover every static file, so a wheel carries the whole front end."""
    from tb_plugin.plugin import STATIC_DIR, _static_files

    patterns = ["static/*.js", "static/*.css", "static/views/*.js", "static/views/*.css"]
    import fnmatch
    for path in _static_files():
        relative = "static" + path
        assert any(fnmatch.fnmatch(relative, p) and relative.count("/") == p.count("/") for p in patterns), relative
    assert os.path.isfile(os.path.join(STATIC_DIR, "index.js"))


def test_colored_text_joins_blocks_and_reads_summaries_written_before_blocks(tmp_path):
    import tensorflow as tf

    from karpathy_rnn import summary

    text = "".join(chr(0x61 + i % 26) for i in range(1000))
    values = np.random.default_rng(2).uniform(-1, 1, (1000, 3000)).astype(np.float32)    # blocks of 256 rows
    with tf.summary.create_file_writer(str(tmp_path / "wide")).as_default():
        summary.write_text(text, 9)
        summary.write_activations("lstm1", "h", values, 9, "lstm")
    with tf.summary.create_file_writer(str(tmp_path / "legacy")).as_default():   # format 1 before blocks
        summary.write_text(text, 9)
        tf.summary.write("karpathy_rnn/activations/lstm1/h", values[:, :4].astype(np.float16), step=9,
                         metadata=summary._metadata("activations", layer="lstm1", name="h", unit="lstm", units=4,
                                                    range=[-1, 1], transform="none"))
    client = _client(str(tmp_path))
    runs = {r["run"]: r for r in get(client, "runs")[1]["runs"]}
    assert runs["wide"]["activations"] == [{"layer": "lstm1", "name": "h", "units": 3000, "unit": "lstm",
                                            "range": [-1.0, 1.0], "transform": "none"}]     # one entry, 4 blocks
    for offset, limit in ((0, 1000), (200, 400), (255, 2), (768, 20000), (999, 5)):
        for run, cell in (("wide", 2999), ("legacy", 3)):
            status, page = get(client, "colored_text", run=run, layer="lstm1", name="h", cell=cell, offset=offset,
                               limit=limit)
            assert status == 200 and page["text"] == text[offset:offset + limit], (run, offset, limit)
            expected = np.round(values[offset:offset + limit, cell].astype(np.float16).astype(np.float64), 4)
            assert page["values"] == expected.tolist(), (run, offset, limit)


def test_reader_cache_keeps_to_its_byte_budget_and_reads_each_miss_once():
    from types import SimpleNamespace

    from tb_plugin.reader import Series, SummaryReader

    calls = []

    class Provider:                                    # a data provider of 1 MiB float16 tensors
        def read_tensors(self, ctx, experiment_id, plugin_name, downsample, run_tag_filter):
            calls.append(sorted(run_tag_filter.tags))
            return {"r": {tag: [SimpleNamespace(step=1, numpy=np.zeros((512, 1024), np.float16))]
                          for tag in run_tag_filter.tags}}

    reader = SummaryReader(Provider(), cache_bytes=3 * 2**20)
    blocks = [Series("r", f"karpathy_rnn/activations/l/c/{k}", {"kind": "activations", "units": 1024}, 1, 1.0)
              for k in range(5)]
    reader.read_many(None, "", blocks[:2])                     # one call for both misses
    reader.read_many(None, "", blocks[:2])                     # cached: no call
    assert calls == [[blocks[0].tag, blocks[1].tag]]
    for block in blocks[2:]:
        reader.read(None, "", block)
    assert reader._cached_bytes == 3 * 2**20 and len(reader._cache) == 3     # the oldest two evicted
    reader.read(None, "", blocks[0])
    assert calls[-1] == [blocks[0].tag]


def test_reader_reads_many_series_in_concurrent_calls_each_once():
    """A whole state (74 blocks) is read in READ_CALLS concurrent calls of >= READ_CALL_SERIES blocks (the Rust data
    server answers them on its threads), every block in exactly one call, each decoded as its own; a few in one."""
    from types import SimpleNamespace

    from tb_plugin.reader import READ_CALL_SERIES, READ_CALLS, Series, SummaryReader

    calls = []

    class Provider:                                    # block k holds k everywhere
        def read_tensors(self, ctx, experiment_id, plugin_name, downsample, run_tag_filter):
            calls.append(sorted(run_tag_filter.tags))
            return {"r": {tag: [SimpleNamespace(step=1, numpy=np.full((4, 2), int(tag.rsplit("/", 1)[1]), np.float16))]
                          for tag in run_tag_filter.tags}}

    blocks = [Series("r", f"karpathy_rnn/activations/l/c/{k}", {"kind": "activations", "units": 2}, 1, 1.0)
              for k in range(74)]
    values = SummaryReader(Provider()).read_many(None, "", blocks)
    assert len(calls) == READ_CALLS and min(map(len, calls)) >= READ_CALL_SERIES
    assert sorted(tag for call in calls for tag in call) == sorted(b.tag for b in blocks)
    assert [int(v[0][1][0, 0]) for v in values] == list(range(74))
    calls.clear()
    SummaryReader(Provider()).read_many(None, "", blocks[:2 * READ_CALL_SERIES - 1])
    assert len(calls) == 1


def test_runs_reuses_the_tag_listing_for_two_seconds(tmp_path, monkeypatch):
    """docs/ARCHITECTURE.md: the reader reuses a tag listing for 2 s (a call to the Rust data server costs ~45 ms),
    then lists the tags again: a run TensorBoard has read meanwhile shows from then on. The reader's clock is a
    fake one (no test waits); the data provider is TensorBoard's own, its listings counted."""
    import tensorflow as tf

    from karpathy_rnn import summary
    from tb_plugin import reader
    from tensorboard.backend.event_processing import data_provider

    def write_run(name):
        with tf.summary.create_file_writer(str(tmp_path / name)).as_default():
            summary.write_text("abc", 1, source="test")

    now = [1000.0]
    monkeypatch.setattr(reader, "time", type("Clock", (), {"monotonic": staticmethod(lambda: now[0])}))
    listings = []
    monkeypatch.setattr(data_provider.MultiplexerDataProvider, "list_tensors",
                        lambda self, *a, _list=data_provider.MultiplexerDataProvider.list_tensors, **k:
                        listings.append(now[0]) or _list(self, *a, **k))
    write_run("first")
    client, multiplexer = _client_and_multiplexer(str(tmp_path))

    def runs():
        status, body = get(client, "runs")
        assert status == 200
        return [r["run"] for r in body["runs"]]

    assert runs() == ["first"] and listings == [1000.0]
    write_run("second")                                    # TensorBoard reads the new run ...
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    now[0] = 1001.99                                       # ... within 2 s the plugin keeps its listing
    assert runs() == ["first"] and listings == [1000.0]
    now[0] = 1002.01                                       # 2 s on: listed again, the new run shows
    assert runs() == ["first", "second"] and listings == [1000.0, 1002.01]
    now[0] = 1003.5
    assert runs() == ["first", "second"] and listings == [1000.0, 1002.01]


# --- bands, pattern search and the cell ranking over training (issue 22) ------------------------------------------

SEARCH_TEXT = "<b>Natasha</b> said. Then Natasha left; Natashas came & Nat stayed. Natasha!\n" * 3
RANKING_STEPS = (0, 100, 200, 300)
QUOTE_R = (0.1, -0.3, -0.6, 0.8)            # best |r| of "quote" per step: passes 0.5 at step 200


@pytest.fixture(scope="module")
def training_client(tmp_path_factory):
    """A run with the cell ranking at four steps, and at the last one a text whose layer2 cells 1 and 4 are on exactly
    over each "Natasha" (cell 5 too on the first one)."""
    import tensorflow as tf

    from karpathy_rnn import summary

    root = str(tmp_path_factory.mktemp("training_logdir"))
    with tf.summary.create_file_writer(os.path.join(root, "run")).as_default():
        for step, r in zip(RANKING_STEPS, QUOTE_R):
            features = {"quote": [{"layer": "layer1", "cell": step // 100, "r": r},
                                  {"layer": "layer2", "cell": 7, "r": r / 2}]}
            if step >= 100:
                features["line position"] = [{"layer": "layer2", "cell": 2, "r": 0.2}]
            summary.write_cell_ranking(features, step, "Pearson r", {"quote": "inside a quotation"})
            summary.write_saturation("layer1", "f", np.full(6, step / 1000), np.zeros(6), step, "lstm", 1)
        step = RANKING_STEPS[-1]
        summary.write_text(SEARCH_TEXT, step, source="val")
        rows = np.full((len(SEARCH_TEXT), 6), -0.3, np.float32)
        starts = [i for i in range(len(SEARCH_TEXT)) if SEARCH_TEXT.startswith("Natasha", i)]
        for start in starts:
            rows[start:start + 7, [1, 4]] = 0.9
        rows[starts[0]:starts[0] + 7, 5] = 0.8
        summary.write_activations("layer2", "c", rows, step, "lstm", (-1, 1), "tanh")
        summary.write_activations("layer1", "c", -rows, step, "lstm", (-1, 1), "tanh")
    return _client(root)


def test_runs_lists_training_steps_only_where_the_ranking_has_several(client, training_client):
    _, listing = get(training_client, "runs")
    assert listing["runs"][0]["training"] == {"steps": list(RANKING_STEPS), "written": len(RANKING_STEPS)}
    assert listing["runs"][0]["saturation"]["steps"] == list(RANKING_STEPS)     # every step, not the last only
    assert get(training_client, "saturation", run="run", step=100)[1]["gates"][0]["layers"][0]["left"][0] == 0.1
    _, listing = get(client, "runs")
    assert all(entry["training"] is None for entry in listing["runs"])       # one step only


def test_emergence_gives_the_best_cell_per_step_and_the_first_step_past_the_threshold(training_client):
    status, body = get(training_client, "emergence", run="run")
    assert status == 200 and body["steps"] == list(RANKING_STEPS) and body["threshold"] == 0.5
    quote, line = body["features"]
    assert quote["feature"] == "quote" and quote["description"] == "inside a quotation"
    assert [p["r"] for p in quote["points"]] == list(QUOTE_R)
    assert [(p["layer"], p["cell"]) for p in quote["points"]] == [("layer1", s // 100) for s in RANKING_STEPS]
    assert quote["first_step"] == 200
    assert line["feature"] == "line position" and line["first_step"] is None
    assert [p["r"] for p in line["points"]] == [None, 0.2, 0.2, 0.2]           # absent at step 0: a gap
    assert get(training_client, "emergence", run="run", threshold="0.25")[1]["features"][0]["first_step"] == 100
    assert get(training_client, "emergence", run="run", threshold="0.1")[1]["features"][1]["first_step"] == 100
    status, body = get(training_client, "emergence", run="run", threshold="2")
    assert status == 400 and "threshold=2 is outside [0.0, 1.0]" in body["error"]


def test_emergence_is_bounded_to_the_strongest_features_and_computed_once_per_data_and_threshold(tmp_path):
    """Issue 31.9: /emergence cost steps x feature names per request (11 MB in 15-21 s for a file naming many
    features); it now charts the 24 strongest and keeps each answer until the rankings change."""
    import tensorflow as tf

    from karpathy_rnn import summary
    from karpathy_rnn.analysis import over_training
    from tb_plugin.plugin import MAX_EMERGENCE_FEATURES

    names = [f"feature {k:03d}" for k in range(200)]
    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default():
        for step in range(0, 1000, 100):
            summary.write_cell_ranking({name: [{"layer": "l1", "cell": k, "r": (k % 97) / 100}]
                                        for k, name in enumerate(names)}, step, "Pearson r", {})
    client, _ = _client_and_multiplexer(str(tmp_path))
    calls = []
    original = over_training.emergence
    over_training.emergence = lambda *a, **k: calls.append(a[1:]) or original(*a, **k)
    try:
        status, body = get(client, "emergence", run="run")
        assert status == 200 and body["features_total"] == 200 and len(body["features"]) == MAX_EMERGENCE_FEATURES
        strongest = sorted(names, key=lambda n: -(names.index(n) % 97))[:MAX_EMERGENCE_FEATURES]
        assert {f["feature"] for f in body["features"]} == set(strongest)
        assert [f["feature"] for f in body["features"]] == [n for n in names if n in strongest]   # order of appearance
        assert get(client, "emergence", run="run") == (200, body) and len(calls) == 1        # the answer is kept
        get(client, "emergence", run="run", threshold="0.25")
        assert len(calls) == 2                                                          # another threshold: computed
    finally:
        over_training.emergence = original


def test_colored_text_bands_carry_other_cells_over_the_same_characters(training_client):
    status, page = get(training_client, "colored_text", run="run", layer="layer2", name="c", cell=1, offset=5,
                       limit=30, bands="layer1:c:4,layer2:c:5")
    assert status == 200 and len(page["values"]) == 30
    assert [band["layer"] for band in page["bands"]] == ["layer1", "layer2"]
    assert page["bands"][0]["values"] == [-v for v in page["values"]] and page["bands"][0]["cell"] == 4
    assert page["bands"][1]["values"][:6] == pytest.approx([0.8] * 5 + [-0.3], abs=1e-3)     # "Natasha" ends at 10
    assert "bands" not in get(training_client, "colored_text", run="run", layer="layer2", name="c", cell=1)[1]


@pytest.mark.parametrize("bands, fragment", [
    ("layer1:c", "'layer1:c' is not layer:name:cell"),
    ("layer1:c:x", "'layer1:c:x' is not layer:name:cell"),
    ("layer9:c:0", "no activations for layer9/c"),
    ("layer1:c:6", "cell 6 of layer1/c is outside [0, 5]"),
    (",".join(["layer1:c:0"] * 9), "9 asked, at most 8"),
])
def test_colored_text_refuses_bad_bands_with_a_message(training_client, bands, fragment):
    status, body = get(training_client, "colored_text", run="run", layer="layer2", name="c", cell=1, bands=bands)
    assert status == 400 and fragment in body["error"]


def test_search_finds_the_other_places_the_selected_cells_switch_on(training_client):
    starts = [i for i in range(len(SEARCH_TEXT)) if SEARCH_TEXT.startswith("Natasha", i)]
    second = starts[1]
    status, body = get(training_client, "search", run="run", layer="layer2", name="c", start=second, end=second + 7,
                       context=5)
    assert status == 200 and body["cells"] == [1, 4] and body["note"] == "" and body["step"] == RANKING_STEPS[-1]
    assert body["total"] == len(starts) - 1 and "Jaccard" in body["similarity"]
    found = {m["start"]: m for m in body["matches"]}
    assert set(found) == set(starts) - {second}
    assert all(m["text"] == "Natasha" for m in body["matches"])
    assert found[starts[0]]["score"] == pytest.approx(2 / 3, abs=1e-4) and found[starts[0]]["cells_on"] == 3
    assert found[starts[0]]["before"] == "<b>" and found[starts[0]]["after"] == "</b> "
    assert body["matches"][-1]["start"] == starts[0]                          # the lowest score comes last
    status, body = get(training_client, "search", run="run", layer="layer2", name="c", start=second + 1,
                       end=second + 7)
    assert status == 200 and body["cells"] == [] and body["matches"] == [] and "lower the threshold" in body["note"]


@pytest.mark.parametrize("params, fragment", [
    ({"start": 5, "end": 5}, "the selection [5, 5) is empty: select 1 to 2,000 characters"),
    ({"start": 0, "end": 2001}, "2,001 characters; select at most 2,000"),
    ({"start": 0, "end": len(SEARCH_TEXT) + 1}, f"outside the text's {len(SEARCH_TEXT)} characters"),
    ({"start": 0}, "missing parameter end"),
    ({"start": 0, "end": 3, "threshold": "high"}, "threshold='high' is not a number"),
    ({"start": 0, "end": 3, "limit": 101}, "limit=101 is outside [1, 100]"),
    ({"start": 0, "end": 3, "step": 100}, "step 100 is not in run 'run'"),
])
def test_search_answers_400_with_one_clear_line(training_client, params, fragment):
    status, body = get(training_client, "search", run="run", layer="layer2", name="c", **params)
    assert status == 400 and fragment in body["error"]


@pytest.mark.parametrize("budget", ["default", "one byte"])
def test_a_page_served_starts_reading_its_whole_column_for_a_search(tmp_path, monkeypatch, budget):
    """After a colored_text page, the plugin reads the rest of that state's blocks in the background, then the run's
    other states, so the first search on any of them finds its rows decoded; the search answers the same as without."""
    import time

    import tensorflow as tf

    from karpathy_rnn import summary
    from tb_plugin.plugin import KarpathyRNNPlugin
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from werkzeug import test, wrappers
    from tensorboard.backend import application
    from tensorboard.context import RequestContext

    units, text = 2048, SEARCH_TEXT * 3                       # 2,048 units: blocks of 256 characters
    rows = np.full((len(text), units), -0.3, np.float32)
    for start in (i for i in range(len(text)) if text.startswith("Natasha", i)):
        rows[start:start + 7, [1, 4]] = 0.9
    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default():
        summary.write_text(text, 5, source="val")
        summary.write_activations("layer1", "c", rows, 5, "lstm", (-1, 1), "tanh")
        summary.write_activations("layer2", "h", -rows, 5, "lstm", (-1, 1), "none")
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    plugin = KarpathyRNNPlugin(base_plugin.TBContext(logdir=str(tmp_path), data_provider=
                                                      data_provider.MultiplexerDataProvider(multiplexer, str(tmp_path))))
    client = test.Client(application.TensorBoardWSGI([plugin]), wrappers.Response)
    if budget == "one byte":                                   # the shown state is read all the same, no other
        monkeypatch.setattr("tb_plugin.plugin.PREFETCH_BYTES", 1)
    series, _ = plugin._reader.index(RequestContext(), "")
    states = {name: [s for s in series["run"].values() if s.kind == "activations" and s.content["name"] == name]
              for name in ("c", "h")}
    assert len(states["c"]) > 2 and not plugin._reader.holds("", states["c"] + states["h"])
    status, page = get(client, "colored_text", run="run", layer="layer1", name="c", cell=1, limit=100)
    assert status == 200 and len(page["values"]) == 100
    deadline = time.monotonic() + 30
    while plugin._loading and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not plugin._loading and plugin._reader.holds("", states["c"])                     # the page's state
    assert plugin._reader.holds("", states["h"]) == (budget == "default")                   # one no page showed
    column = plugin._column(RequestContext(), "", "run", sorted(states["c"], key=lambda s: s.content["start"]),
                            len(text), 5)
    assert len(column.pieces) == len(states["c"])                       # the cached blocks, not one copy of them
    np.testing.assert_array_equal(column.take(np.arange(len(text))), rows.astype(np.float16).astype(np.float32))
    second = text.index("Natasha", 10)
    status, found = get(client, "search", run="run", layer="layer1", name="c", start=second, end=second + 7)
    assert status == 200 and found["cells"] == [1, 4] and found["total"] == text.count("Natasha") - 1


@pytest.mark.parametrize("field, other", [("units", 3), ("total", 301), ("range", [0.0, 1.0])])
def test_blocks_of_one_state_that_disagree_are_a_400_naming_run_tag_and_field(tmp_path, field, other):
    """Issue 31.9: two blocks of one layer's state with different units (each valid alone) gave HTTP 500 on
    /colored_text and /search and killed the background read with a traceback."""
    import tensorflow as tf

    from karpathy_rnn import summary

    content = {"layer": "layer1", "name": "c", "unit": "lstm", "units": 4, "range": [-1.0, 1.0], "transform": "tanh",
               "total": 300}
    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default():
        summary.write_text("ab" * 150, 5, source="val")
        summary._write(summary.activations_tag("layer1", "c", 0), np.zeros((256, 4), np.float16), 5, "activations",
                       start=0, rows=256, **content)
        changed = {**content, field: other}
        summary._write(summary.activations_tag("layer1", "c", 256),
                       np.zeros((44, changed["units"]), np.float16), 5, "activations", start=256, rows=44, **changed)
    client = _client(str(tmp_path))
    for route, params in (("colored_text", {"cell": 0, "offset": 250, "limit": 20}), ("search", {"start": 3, "end": 5})):
        status, body = get(client, route, run="run", layer="layer1", name="c", **params)
        assert status == 400, (route, body)
        assert body["error"].startswith(f"malformed summaries in run 'run': karpathy_rnn/activations/layer1/c/256 has "
                                        f"{field} {other}, karpathy_rnn/activations/layer1/c/0 ")

