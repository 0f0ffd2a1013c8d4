"""The plugin's decoders over hostile summaries (issue 15.3): every route answers 200 or 400, never 500; /runs always
answers and lists every valid run with all its data; what is malformed is named under `problems` or in the 400."""

import collections
import json

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
    for route in ("saturation", "oracle", "cell_ranking"):
        code, body = get(route, {"run": "good"})
        assert code == 200, body
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
