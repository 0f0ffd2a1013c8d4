"""The plugin's decoders over hostile summaries (issue 15.3): every route answers 200 or 400, never 500; /runs always
answers and lists every valid run with all its data; what is malformed is named under `problems` or in the 400."""

import collections
import json
import os

import pytest

from plugin_fuzz import CRAFTED, requests_for, write_fuzz_logdir
from test_plugin_routes import PREFIX, _client

pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def fuzz_logdir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("fuzz_logdir"))
    return root, write_fuzz_logdir(root)


def _answers(get) -> tuple[dict, collections.Counter]:
    """(/runs body, Counter of (route, status)) over every route of every run; get(route, params) -> (status, body)."""
    status, runs = get("runs", {})
    assert status == 200, runs
    statuses = collections.Counter()
    for entry in runs["runs"]:
        for route, params in requests_for(entry["run"]):
            code, body = get(route, params)
            statuses[route, code] += 1
            assert code in (200, 400), (entry["run"], route, params, code, body)
            if code == 400:
                assert isinstance(body["error"], str) and body["error"], body
    return runs, statuses


def _check_good_run(runs: dict) -> None:
    good = next(r for r in runs["runs"] if r["run"] == "good")
    assert good["text"] == {"steps": [1], "length": 6, "source": "test"}
    assert good["activations"] == [{"layer": "l1", "name": "c", "units": 2, "unit": "lstm", "range": [-1.0, 1.0],
                                     "transform": "none"}]
    assert good["saturation"] == {"steps": [1], "gates": ["f"]} and good["oracle"] == {"steps": [1]}
    assert good["cell_ranking"] == {"steps": [1]}
    assert good["connectivity"] == {"steps": [1], "texts": 1, "sources": [{"index": 0, "source": "test"}]}
    assert not [p for p in runs["problems"] if "'good'" in p]


def test_hostile_summaries_get_200_or_400_and_every_valid_run_still_works(fuzz_logdir):
    root, names = fuzz_logdir
    client = _client(root)

    def get(route, params):
        response = client.get(f"{PREFIX}/{route}", query_string=params)
        return response.status_code, json.loads(response.get_data(as_text=True))

    runs, statuses = _answers(get)
    _check_good_run(runs)
    assert statuses["colored_text", 200] and statuses["colored_text", 400]       # both kinds of answer were met
    for route in ("saturation", "oracle", "cell_ranking", "connectivity"):
        code, body = get(route, {"run": "good", "index": "0"})
        assert code == 200, body
    assert statuses["connectivity", 200] and statuses["connectivity", 400]
    # each crafted finding is refused by name: in /runs' problems (metadata) or in its route's 400 (values)
    problems = " | ".join(runs["problems"])
    crafted_metadata = [i for i, (_, part, _) in enumerate(CRAFTED) if part in ("content", "content_bytes")]
    for index in crafted_metadata:
        assert f"'crafted-{index:02d}'" in problems, (CRAFTED[index], problems[:2000])
    assert "units 'abc' is not a whole number" in problems and "layer_index 'x' is not a whole number" in problems
    code, body = get("cell_ranking", {"run": "crafted-08"})
    assert code == 400 and "r 'NaN' is not a number in [-1, 1]" in body["error"]
    code, body = get("cell_ranking", {"run": "crafted-06"})
    assert code == 400 and "nested too deeply" in body["error"]
    code, body = get("oracle", {"run": "crafted-13"})
    assert code == 400 and "characters 1000000000000000000000000000000 is not a whole number" in body["error"]
    code, body = get("oracle", {"run": "crafted-14"})            # group names like __proto__ are data: only split fails
    assert code == 400 and "split ['x'] is not text" in body["error"]
    code, body = get("oracle", {"run": "crafted-19"})            # an example's offsets and spans stay in its text
    assert code == 400 and "fragment 0: errors entry 0: 2 is not a whole number in [0, 1]" in body["error"]
    code, body = get("oracle", {"run": "crafted-20"})
    assert code == 400 and "fragment 0: repeat entry 0: 3 is not a whole number in [0, 2]" in body["error"]
    code, body = get("oracle", {"run": "crafted-21"})
    assert code == 400 and "slice 0: examples {'__proto__': []} is not a list of examples" in body["error"]


@pytest.mark.slow
@pytest.mark.parametrize("load_fast", ["false", "true"])
def test_the_real_tensorboard_serves_hostile_summaries_without_a_500(fuzz_logdir, load_fast):
    from tb_plugin.testing import get_json, tensorboard

    root, names = fuzz_logdir
    with tensorboard(root, expect_runs=1, load_fast=load_fast,
                     ready=lambda body: any(r["run"] == "good" and r["oracle"] for r in body["runs"])) as base:
        def get(route, params):
            from urllib.parse import urlencode
            return get_json(f"{base}{PREFIX}/{route}?{urlencode(params)}")

        runs, _ = _answers(get)
    _check_good_run(runs)


# The brace, characters and agreement summaries (sections 4.3 and 3), hostile: (kind, what is changed, change) as in
# plugin_fuzz.CRAFTED ("body": the JSON body, "bytes": the tensor's bytes, "content": merged into the plugin content).
CRAFTED_LONGRANGE = [
    ("brace", "body", lambda b: b["buckets"][0].update(means=[1.5, 0.6]), "1.5 is not a number in [0, 1]"),
    ("brace", "body", lambda b: b["buckets"][0].update(means=[0.9, "NaN"]), "'NaN' is not a number in [0, 1]"),
    ("brace", "body", lambda b: b["buckets"][2].update(means=[0.5, None]), "no braces but means"),
    ("brace", "body", lambda b: b.update(braces=10**30), "braces 1000000000000000000000000000000 is not a whole"),
    ("brace", "body", lambda b: b.update(models={"__proto__": 1}), "models {'__proto__': 1} is not a list"),
    ("brace", "body", lambda b: b["buckets"].append("x"), "bucket 4 is 'x', not an object"),
    ("brace", "bytes", b'{"models": ["a"], "bucket_width": 20, "braces": 0, "buckets": [{"start": 1, "end": 20, '
                       b'"count": 0, "means": [NaN]}]}', "NaN is not a JSON number"),
    ("brace", "bytes", b'{"models": ["\xff"]}', "not UTF-8"),
    ("characters", "body", lambda b: b["difference"].pop(), "difference has 117 values"),
    ("characters", "body", lambda b: b["difference"].__setitem__(0, True), "True is not a number in [-1, 1]"),
    ("characters", "body", lambda b: b.update(text={"length": 3}), "malformed character comparison: need"),
    ("characters", "body", lambda b: b["leaders"][0].__setitem__(0, None), "leaders 0, entry 0 is None"),
    ("characters", "body", lambda b: b["leaders"][1][0].update(label="", character="constructor"), "character "
     "'constructor' is not one character"),
    ("characters", "body", lambda b: b.update(text="\udcff" + b["text"][1:]), "is not a UTF-8 string"),
    ("characters", "bytes", b'{"text": "' + b"[" * 100_000 + b'"}', "malformed character comparison: need"),
    ("characters", "bytes", b'{"text": "abc', "not JSON"),
    ("characters", "bytes", b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    ("characters", "content", {"kind": "oracle"}, "malformed oracle breakdown"),
    ("brace", "content", {"version": 2}, "karpathy_rnn summary format 2"),
    ("agreement", "body", lambda b: b["matrix"][0].__setitem__(1, 0.2), "matrix[1][0] is 0.734 but matrix[0][1] is "
     "0.2; agreement is symmetric"),
    ("agreement", "body", lambda b: b["matrix"][3].__setitem__(3, 1.5), "matrix entry 3: entry 3: 1.5 is not a number"),
    ("agreement", "body", lambda b: b["embedding"][2].__setitem__(0, None), "embedding entry 2: entry 0: None is not "
     "a number"),
    ("agreement", "body", lambda b: b.update(models={"__proto__": 1}), "malformed model agreement: need"),
    ("agreement", "body", lambda b: b["models"][1].update(name=b["models"][0]["name"]), "models name 'LSTM 1x64' "
     "twice"),
    ("agreement", "bytes", b'{"models": [{}, {}], "matrix": [[Infinity]]}', "Infinity is not a JSON number"),
    ("agreement", "content", {"version": 3}, "karpathy_rnn summary format 3"),
    ("connectivity", "body", lambda b: b["models"][0]["values"][3].append(1.0), "model 0 ('LSTM 2x128'): values row 3 "
     "has 5 values; an autocomplete row j holds at most j + 1 values"),
    ("connectivity", "body", lambda b: b["models"][1]["values"][2].__setitem__(0, "NaN"), "values row 2, entry 0: "
     "'NaN' is not a number in [0, inf]"),
    ("connectivity", "body", lambda b: b["models"][2]["values"][5].__setitem__(1, -1e-9), "values row 5, entry 1: "
     "-1e-09 is not a number in [0, inf]"),
    ("connectivity", "body", lambda b: b["models"][0]["suggestions"][3][0].update(p=2), "suggestions entry 3: entry 0: "
     "p 2 is not a number in [0, 1]"),
    ("connectivity", "body", lambda b: b["models"][0]["suggestions"].__setitem__(1, {"__proto__": []}),
     "suggestions entry 1: {'__proto__': []} is not a list of 0 to 3 suggestions"),
    ("connectivity", "body", lambda b: b.update(models={"__proto__": 1}), "malformed connectivity study: need"),
    ("connectivity", "body", lambda b: b["targets"].__setitem__(0, {"constructor": 1}), "targets entry 0: "
     "{'constructor': 1} is not a non-empty UTF-8 string"),
    ("connectivity", "body", lambda b: b.update(text="\udcff" + b["text"][1:]), "is not a non-empty UTF-8 string"),
    ("connectivity", "bytes", b'{"task": "autocomplete", "text": "a", "targets": [null], "models": [{"name": "m", '
                              b'"values": [[Infinity]], "suggestions": [[]]}]}', "Infinity is not a JSON number"),
    ("connectivity", "bytes", b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    ("connectivity", "content", {"index": "0"}, "index '0' is not a whole number"),
    ("connectivity", "content", {"source": ["x"]}, "source ['x'] is not a UTF-8 string"),
]
LONGRANGE_KINDS = ("brace", "characters", "agreement", "connectivity")
PARAMETERS = {"connectivity": {"index": "0"}}          # what each route needs besides the run


def _longrange_logdir(root: str, random_count: int = 24, seed: int = 43) -> dict[str, str]:
    """Runs under root: good (a valid brace study, character comparison, agreement study and connectivity text),
    crafted-N (CRAFTED_LONGRANGE) and random-N (one of the four mutated at random, the others valid); {run: the
    fragment its 400 must carry}."""
    import numpy as np
    import tensorflow as tf

    from karpathy_rnn import summary
    from plugin_fuzz import _mutate_bytes, _mutate_json, _write
    from plugin_helpers import agreement_body, brace_body, characters_body, connectivity_body

    valid = {"brace": (summary.BRACE_TAG, brace_body()), "characters": (summary.CHARACTERS_TAG, characters_body()),
             "agreement": (summary.AGREEMENT_TAG, agreement_body()),
             "connectivity": (summary.connectivity_tag(0), connectivity_body(0))}
    contents = {kind: {"kind": kind, "version": 1} for kind in valid}
    contents["connectivity"].update(index=0, source="test observation 17")
    rng = np.random.default_rng(seed)
    changes = {"good": None}
    for index, (kind, part, change, fragment) in enumerate(CRAFTED_LONGRANGE):
        changes[f"crafted-{index:02d}"] = (kind, part, change, fragment)
    for index in range(random_count):
        kind = LONGRANGE_KINDS[index % len(LONGRANGE_KINDS)]
        part = ("body", "bytes", "content")[rng.integers(3)]
        body = valid[kind][1]
        change = (_mutate_json(body, rng) if part == "body" else
                  _mutate_bytes(json.dumps(body).encode(), rng) if part == "bytes" else
                  _mutate_json(contents[kind], rng))
        changes[f"random-{index:02d}"] = (kind, part + "-random", change, "")
    for run, change in changes.items():
        with tf.summary.create_file_writer(os.path.join(root, run)).as_default():
            for kind, (tag, body) in valid.items():
                content, tensor = dict(contents[kind]), json.dumps(body).encode()
                if change is not None and change[0] == kind:
                    _, part, value, _ = change
                    if part == "body":
                        body = json.loads(tensor)
                        value(body)
                        tensor = json.dumps(body).encode("utf-8", "surrogatepass")
                    elif part == "body-random":
                        tensor = json.dumps(value).encode("utf-8", "surrogatepass")
                    elif part in ("bytes", "bytes-random"):
                        tensor = value
                    elif part == "content":
                        content = {**content, **value}
                    else:
                        content = value
                _write(tag, json.dumps(content).encode("utf-8", "surrogatepass"), np.array(tensor, dtype=object), 1)
    return {run: change[3] if change else "" for run, change in changes.items()}


def test_hostile_brace_characters_and_agreement_summaries_get_200_or_400_naming_the_fault(tmp_path):
    from plugin_helpers import agreement_body, brace_body, characters_body, connectivity_body

    expected = _longrange_logdir(str(tmp_path))
    client = _client(str(tmp_path))

    def get(route, params):
        response = client.get(f"{PREFIX}/{route}", query_string=params)
        return response.status_code, json.loads(response.get_data(as_text=True))

    status, runs = get("runs", {})
    assert status == 200
    listed = {entry["run"]: entry for entry in runs["runs"]}
    assert listed["good"]["brace"] == {"steps": [1]} and listed["good"]["characters"] == {"steps": [1]}
    assert listed["good"]["agreement"] == {"steps": [1]}
    assert not [p for p in runs["problems"] if "'good'" in p]
    assert get("brace", {"run": "good"}) == (200, {"run": "good", "step": 1, **brace_body()})
    assert get("characters", {"run": "good"}) == (200, {"run": "good", "step": 1, **characters_body()})
    assert get("agreement", {"run": "good"}) == (200, {"run": "good", "step": 1, **agreement_body()})
    whole = connectivity_body(0)
    assert get("connectivity", {"run": "good", "index": "0"}) == (200, {
        "run": "good", "step": 1, "index": 0, "texts": 1, **{k: v for k, v in whole.items() if k != "models"},
        "models": [{"name": m["name"], "suggestions": m["suggestions"]} for m in whole["models"]]})
    last = len(whole["text"]) - 1                                 # and the values one character at a time
    assert get("connectivity", {"run": "good", "index": "0", "position": str(last)}) == (200, {
        "run": "good", "step": 1, "index": 0, "texts": 1, "position": last,
        "rows": [m["values"][last] for m in whole["models"]]})
    assert listed["good"]["connectivity"] == {"steps": [1], "texts": 1, "sources": [
        {"index": 0, "source": "test observation 17"}]}
    problems = " | ".join(runs["problems"])
    statuses = collections.Counter()
    for run, fragment in expected.items():
        answers = {route: get(route, {"run": run, **PARAMETERS.get(route, {})}) for route in LONGRANGE_KINDS}
        for route, (code, body) in answers.items():
            statuses[code] += 1
            assert code in (200, 400), (run, route, code, body)
            if code == 400:
                assert isinstance(body["error"], str) and body["error"], body
        if run.startswith("crafted"):
            kind = CRAFTED_LONGRANGE[int(run.split("-")[1])][0]
            for other in set(LONGRANGE_KINDS) - {kind}:
                assert answers[other][0] == 200, (run, answers[other])      # the valid ones still work
            code, body = answers[kind]
            if CRAFTED_LONGRANGE[int(run.split("-")[1])][1] == "content":   # bad metadata: named under problems
                assert code == 400 and f"'{run}'" in problems and fragment in problems, (run, problems[:2000])
            else:
                assert code == 400 and fragment in body["error"], (run, body)
    assert statuses[200] and statuses[400]
