"""analyze.py import-states: states computed elsewhere become a states-only trace and its analyses (issue 34.3)."""

import json

import numpy as np
import pytest

from karpathy_rnn.analysis.import_states import (
    UNIT_GATES,
    import_states,
    parse_datasets,
    text_rows,
)
from karpathy_rnn.errors import KRNNError
from tests.training_helpers import error_line, run_script

h5py = pytest.importorskip("h5py")

TEXT = 'He said "yes" and left.\nShe said "no".\n' * 30


def _states(rows, units, seed):
    return np.random.default_rng(seed).uniform(-1, 1, size=(rows, units)).astype(np.float32)


def _h5(path, **arrays):
    with h5py.File(path, "w") as handle:
        for name, values in arrays.items():
            handle[name] = values
    return str(path)


def test_unit_gates_are_what_our_layers_return():
    from karpathy_rnn.layers import GRU, LSTM, VanillaRNN

    assert UNIT_GATES == {"lstm": LSTM.gate_names, "gru": GRU.gate_names, "rnn": VanillaRNN.gate_names}


def test_an_lstmvis_file_becomes_a_trace_of_its_values(tmp_path):
    first, second = _states(len(TEXT), 8, 0), _states(len(TEXT), 5, 1)
    path = _h5(tmp_path / "states.h5", states1=first, states2=second, words=np.arange(len(TEXT)))
    trace = import_states(TEXT, [path], str(tmp_path / "trace"), ["states1", "states2"])
    assert trace.text == TEXT and trace.states_only and trace.vocabulary == "".join(sorted(set(TEXT)))
    assert [(l.name, l.units, l.gates) for l in trace.layers] == [("lstm1", 8, ("c",)), ("lstm2", 5, ("c",))]
    np.testing.assert_array_equal(trace.gate(1, "c"), first.astype(np.float16))
    np.testing.assert_array_equal(trace.gate("lstm2", "c"), second.astype(np.float16))
    assert trace.meta["datasets"] == {"1.c": "states1", "2.c": "states2"}
    with pytest.raises(KRNNError, match="holds states imported from .* without their model, so it has no probab"):
        _ = trace.probabilities
    with pytest.raises(KRNNError, match="no probabilities"):
        _ = trace.target_probabilities


def test_npy_and_npz_files_with_named_gates_and_skipped_rows(tmp_path):
    c, h, f = _states(len(TEXT) + 1, 4, 2), _states(len(TEXT) + 1, 4, 3), _states(len(TEXT) + 1, 4, 4)
    for name, values in {"c1": c, "h1": h, "forget": f}.items():
        np.save(tmp_path / f"{name}.npy", values)
    trace = import_states(TEXT, [str(tmp_path / "c1.npy"), str(tmp_path / "h1.npy"), str(tmp_path / "forget.npy")],
                          str(tmp_path / "a"), ["c1", "h1=1.h", "forget=1.f"], skip_rows=1)
    assert trace.layers[0].gates == ("f", "c", "h")                  # the unit's order, whatever the order given
    np.testing.assert_array_equal(trace.gate(1, "h"), h[1:].astype(np.float16))     # row t+1 is character t
    np.testing.assert_array_equal(trace.gate(1, "f"), f[1:].astype(np.float16))
    np.savez(tmp_path / "s.npz", out=h[1:])
    trace = import_states(TEXT, [str(tmp_path / "s.npz")], str(tmp_path / "b"), ["out=1.h"], unit="gru")
    assert trace.layers[0].unit == "gru" and trace.cell_state_name(1) == "h"
    np.testing.assert_array_equal(trace.gate(1, "h"), h[1:].astype(np.float16))


def test_an_lstm_given_only_its_output_is_coloured_by_h():
    from karpathy_rnn.analysis.trace import LayerInfo

    class Fake:
        from karpathy_rnn.analysis.trace import Trace
        layers = (LayerInfo("lstm1", "lstm", 3, ("h",)),)
        layer = Trace.layer
        cell_state_name = Trace.cell_state_name

    assert Fake().cell_state_name(1) == "h"


def test_word_rows_cover_each_word_and_the_whitespace_after_it():
    assert text_rows("ab  cd\ne", "words").tolist() == [0, 0, 0, 0, 1, 1, 1, 2]
    assert text_rows("  ab c", "words").tolist() == [0, 0, 0, 0, 0, 1]     # before the first word: the first word
    assert text_rows("abc", "chars").tolist() == [0, 1, 2]
    with pytest.raises(KRNNError, match="no words"):
        text_rows(" \n ", "words")


def test_word_states_are_spread_over_their_characters(tmp_path):
    text = "the cat  sat\non it"
    words = _states(5, 3, 5)
    trace = import_states(text, [_h5(tmp_path / "w.h5", states=words)], str(tmp_path / "t"), tokens="words")
    np.testing.assert_array_equal(trace.gate(1, "c"), words[text_rows(text, "words")].astype(np.float16))
    assert trace.gate(1, "c")[4].tolist() == words[1].astype(np.float16).tolist()    # "c" of "cat": word 1


def test_dataset_specs():
    assert [(a.dataset, a.layer, a.gate) for a in parse_datasets(["s1", "s2", "o2=2.h", "x=1.i"], "lstm")] == [
        ("s1", 1, "c"), ("s2", 2, "c"), ("o2", 2, "h"), ("x", 1, "i")]
    assert [(a.dataset, a.layer, a.gate) for a in parse_datasets(["a=b", "c"], "gru")] == [("a=b", 1, "h"),
                                                                                          ("c", 2, "h")]


@pytest.mark.parametrize("specs, unit, fragment", [
    (["s=1.z"], "lstm", "an LSTM has no 'z'; its states and gates are i, f, o, g, c, h"),
    (["s=1.c"], "rnn", "an RNN has no 'c'"),
    (["s1", "s2=1.c"], "lstm", "--dataset s1 and s2 are both layer 1's c"),
    (["s=2.c"], "lstm", "the datasets give layers 2; layers count 1, 2, ... with none left out"),
    (["s=1.f"], "lstm", "layer 1 has gates but no state"),
    (["s=0.c"], "lstm", "layers count from 1"),
    (["=1.c"], "lstm", "names no dataset"),
])
def test_bad_dataset_specs_are_one_line(specs, unit, fragment):
    with pytest.raises(KRNNError, match=None) as error:
        parse_datasets(specs, unit)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_bad_states_are_refused_naming_what_was_found(tmp_path):
    good = _states(len(TEXT), 4, 6)
    nan = good.copy()
    nan[37, 2] = np.nan
    huge = good.copy()
    huge[5, 0] = 1e6
    path = _h5(tmp_path / "s.h5", states1=good, states2=good, long=np.vstack([good, good[:2]]), nan=nan, huge=huge,
               narrow=good[:, :3], flat=good[:, 0])
    cases = [
        (["missing"], "no dataset 'missing' in --states"),
        (None, "name the states to read with --dataset"),
        (["long"], (f"has {len(TEXT) + 2:,} rows but the text has {len(TEXT):,} characters; give --skip-rows 2 "
                    "if the first rows")),
        (["nan"], "dataset 'nan' has nan at row 37, unit 2; states must be finite"),
        (["huge"], "dataset 'huge' has 1000000.0 at row 5, unit 0; states must be finite and within +-65504"),
        (["states1", "narrow=1.h"], "layer 1's states have different widths (c 4, h 3)"),
        (["flat"], f"has shape [{len(TEXT)}]; states are [rows, units]"),
    ]
    for specs, fragment in cases:
        with pytest.raises(KRNNError) as error:
            import_states(TEXT, [path], str(tmp_path / "out"), specs)
        assert fragment in str(error.value), (specs, str(error.value))
        assert f"states1 [{len(TEXT)}, 4]" in str(error.value) or specs not in (["missing"], None)   # what it has
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not an hdf5 file")
    with pytest.raises(KRNNError, match=r"--states '.*bad.h5' cannot be read as h5 \("):
        import_states(TEXT, [str(bad)], str(tmp_path / "o2"))
    (tmp_path / "s.txt").write_text("x")
    with pytest.raises(KRNNError, match="give an HDF5"):
        import_states(TEXT, [str(tmp_path / "s.txt")], str(tmp_path / "o3"))
    np.save(tmp_path / "fortran.npy", np.asfortranarray(good))
    np.save(tmp_path / "objects.npy", np.array([[1, "a"]], dtype=object))
    for name, fragment in [("fortran", "column-major"), ("objects", "holds Python objects")]:
        with pytest.raises(KRNNError, match=fragment):
            import_states(TEXT, [str(tmp_path / f"{name}.npy")], str(tmp_path / "o5"))
    with pytest.raises(KRNNError, match="give one HDF5 or .npz file, or several .npy files"):
        import_states(TEXT, [path, path], str(tmp_path / "o4"), ["states1"])


def _planted(text):
    """States [N, 6] whose cell 4 of layer 1 is exactly "inside quotes" and the rest noise; gates i f o."""
    from karpathy_rnn.analysis.features import text_features

    states = _states(len(text), 6, 7) * 0.1
    states[:, 4] = text_features(text, "prose")["in_quotes"] * 2 - 1
    gates = {g: 1 / (1 + np.exp(-_states(len(text), 6, 8 + k) * 4)) for k, g in enumerate("ifo")}
    gates["f"][:, 1] = 0.99                                           # one integrator: right-saturated always
    return states, gates


def test_the_script_ranks_a_planted_quote_cell_and_tensorboard_shows_the_run(tmp_path):
    from tests.test_plugin_routes import _client

    text_path = tmp_path / "text.txt"
    text_path.write_text(TEXT, encoding="utf-8")
    states, gates = _planted(TEXT)
    path = _h5(tmp_path / "lstmvis.h5", states1=states, i1=gates["i"], f1=gates["f"], o1=gates["o"])
    out = tmp_path / "runs" / "imported"
    done = run_script("analyze.py", "import-states", "--states", path, "--dataset", "states1", "i1=1.i", "f1=1.f",
                      "o1=1.o", "--text", text_path, "--out", out, "--no-png", "--no-progress")
    assert done.returncode == 0, done.stderr
    cells = json.loads((out / "cells.json").read_text())
    best = cells["in_quotes"][0] if "in_quotes" in cells else cells["features"]["in_quotes"][0]
    assert (best["layer"], best["cell"]) == ("lstm1", 4) and best["r"] == pytest.approx(1.0, abs=1e-3)
    saturation = json.loads((out / "saturation.json").read_text())
    assert "lstm1" in json.dumps(saturation)
    imported = json.loads((out / "imported_states.json").read_text())
    assert imported["datasets"] == {"1.i": "i1", "1.f": "f1", "1.o": "o1", "1.c": "states1"}
    for name in ("report.md", "figure2.html", "figure3.png", "trace/trace.json"):
        assert (out / name).is_file(), name

    client = _client(str(tmp_path / "runs"))
    runs = {r["run"]: r for r in json.loads(client.get("/data/plugin/karpathy_rnn/runs").get_data())["runs"]}
    assert runs["imported"]["saturation"]["gates"] == ["i", "f", "o"]
    ranking = json.loads(client.get("/data/plugin/karpathy_rnn/cell_ranking", query_string={"run": "imported"})
                         .get_data())
    assert runs["imported"]["cell_ranking"] and "lstm1" in json.dumps(ranking) and "in_quotes" in json.dumps(ranking)
    assert [(a["layer"], a["name"]) for a in runs["imported"]["activations"]] == [("lstm1", "c")]   # no h given
    page = json.loads(client.get("/data/plugin/karpathy_rnn/colored_text", query_string={
        "run": "imported", "layer": "lstm1", "name": "c", "cell": 4}).get_data())
    shown = np.tanh(states[:, 4].astype(np.float16).astype(np.float32)).astype(np.float16)   # the view shows tanh(c)
    assert page["text"] == TEXT and page["transform"] == "tanh" and \
        page["values"] == pytest.approx(shown.astype(float).tolist(), abs=1e-4)

    # pattern search (LSTMVis' match) over the imported states: a quotation selected finds the others
    start = TEXT.index('"yes"')
    found = json.loads(client.get("/data/plugin/karpathy_rnn/search", query_string={
        "run": "imported", "layer": "lstm1", "name": "c", "start": start, "end": start + 4,
        "threshold": 0.5}).get_data())
    assert 4 in found["cells"] and found["matches"], found
    assert all(TEXT[m["start"]] == '"' for m in found["matches"])              # each match opens a quotation
    # what needs a model's predictions says so in one line
    for script, args in [("analyze.py", ["longrange", out, "--ngram", tmp_path]), ("analyze.py", [out]),
                         ("sample.py", [out])]:
        refused = run_script(script, *args)
        assert refused.returncode == 2 and "holds states imported by `analyze.py import-states`, not a model" in \
            error_line(refused), (script, refused.stderr)


def test_states_at_several_steps_give_the_emergence_of_each_cell(tmp_path):
    text_path = tmp_path / "text.txt"
    text_path.write_text(TEXT, encoding="utf-8")
    states, _ = _planted(TEXT)
    early = _h5(tmp_path / "early.h5", states1=_states(len(TEXT), 6, 11))
    late = _h5(tmp_path / "late.h5", states1=states)
    out = tmp_path / "runs" / "steps"
    done = run_script("analyze.py", "import-states", "--states", early, late, "--steps", "100", "200", "--text",
                      text_path, "--out", out, "--no-png", "--no-progress")
    assert done.returncode == 0, done.stderr
    emergence = json.loads((out / "training" / "emergence.json").read_text())
    assert emergence["steps"] == [100, 200]
    quotes = next(entry for entry in emergence["features"] if entry["feature"] == "in_quotes")
    assert quotes["first_step"] == 200 and quotes["points"][1]["cell"] == 4
    assert json.loads((out / "trace" / "trace.json").read_text())["step"] == 200


@pytest.mark.parametrize("args, fragment", [
    (["--steps", "1", "2"], "--steps gives 2 step(s) for 1 --states file(s)"),
    (["--skip-rows", "-1"], "--skip-rows"),
    (["--dataset", "nope"], "no dataset 'nope' in --states"),
])
def test_the_script_refuses_bad_input_in_one_line(tmp_path, args, fragment):
    text_path = tmp_path / "text.txt"
    text_path.write_text(TEXT, encoding="utf-8")
    path = _h5(tmp_path / "s.h5", states1=_states(len(TEXT), 3, 0))
    done = run_script("analyze.py", "import-states", "--states", path, "--text", text_path, "--out",
                      tmp_path / "o", *args)
    assert done.returncode == 2 and fragment in error_line(done), done.stderr
    done = run_script("analyze.py", "import-states", "--states", path, "--text", tmp_path / "none.txt", "--out",
                      tmp_path / "o")
    assert done.returncode == 2 and "--text" in error_line(done) and "does not exist" in error_line(done)
