"""scripts/analyze.py end to end on a tiny trained run (and its SavedModel): files, summaries, bad input."""

import json
import os

import numpy as np
import pytest

from tests.training_helpers import error_line, run_script, run_without_tensorflow, tiny_config, write_tiny_corpus

pytestmark = pytest.mark.slow   # a real training run and script processes


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(run directory of a tiny 2-layer LSTM, its corpus path, a GRU run directory)."""
    from karpathy_rnn.training.trainer import Trainer

    folder = tmp_path_factory.mktemp("runs")
    corpus = write_tiny_corpus(folder, characters=20_000)
    runs = []
    for unit in ("lstm", "gru"):
        trainer = Trainer(tiny_config(corpus, folder, unit=unit, name=unit, max_steps=12, eval_every=6),
                          log=lambda m: None, progress_bar=False)
        trainer.run()
        runs.append(trainer.run_dir)
    return runs[0], corpus, runs[1]


def test_analyze_run_writes_trace_figures_report_and_summaries(trained):
    run, corpus, _ = trained
    done = run_script("analyze.py", run, "--split", "test", "--no-progress", "--lanes", "4", "--warmup", "50",
                      "--summary-chars", "300", "--summary-states", "c", "h", "f")
    assert done.returncode == 0, done.stderr[-3000:]
    out = os.path.join(run, "analysis", "test")
    for name in ("cells.csv", "cells.json", "figure2.html", "figure3.png", "saturation.json", "report.md",
                 "trace/trace.json", "trace/lstm2.f.npy", "figure2_line_position.png"):
        assert os.path.isfile(os.path.join(out, name)), name
    from karpathy_rnn.analysis.trace import Trace
    from karpathy_rnn.data.corpus import load_corpus

    trace = Trace(os.path.join(out, "trace"))
    assert trace.text == load_corpus(corpus).text("test")
    saturation = json.load(open(os.path.join(out, "saturation.json")))
    assert set(saturation["fractions"]) == {"lstm1", "lstm2"} and set(saturation["fractions"]["lstm1"]) == set("ifo")
    assert "forget gates left-saturated > 90% of the time" in done.stdout
    ranking = json.load(open(os.path.join(out, "cells.json")))
    assert "line_position" in ranking and ranking["line_position"][0]["layer"] in ("lstm1", "lstm2")

    from tensorboard.backend.event_processing import event_accumulator
    from karpathy_rnn import summary

    events = [f for f in os.listdir(out) if f.endswith(".karpathy_rnn")]
    assert len(events) == 1
    acc = event_accumulator.EventAccumulator(os.path.join(out, events[0]), size_guidance={"tensors": 0}).Reload()
    tags = set(acc.Tags()["tensors"])
    assert {summary.TEXT_TAG, summary.CELL_RANKING_TAG, summary.activations_tag("lstm2", "f"),
            summary.saturation_tag("lstm1", "o")} <= tags
    best_step = json.load(open(os.path.join(run, "results.json")))["best_step"]
    assert acc.Tensors(summary.TEXT_TAG)[0].step == best_step
    from tensorboard.util import tensor_util

    stored = summary.decode_cell_ranking(summary.decode_string(tensor_util.make_ndarray(
        acc.Tensors(summary.CELL_RANKING_TAG)[0].tensor_proto)))          # issue 31.2: what was ranked vs stored
    coverage = stored["coverage"]
    assert (coverage["ranked"], coverage["stored"], coverage["split"]) == (len(trace.text), 300, "test")
    assert set(coverage["features"]) == set(stored["features"])
    newline_first = trace.text.index("\n")                               # line_position is 0 only after a newline
    assert coverage["features"]["line_position"]["first"] == (1 if trace.text[0] != "\n" else newline_first + 2)

    again = run_script("analyze.py", run, "--no-progress", "--no-png", "--lanes", "4", "--warmup", "50")
    assert again.returncode == 0 and "reusing the trace" in again.stdout
    assert [f for f in os.listdir(out) if f.endswith(".karpathy_rnn")] != events     # replaced, not added
    assert len([f for f in os.listdir(out) if f.endswith(".karpathy_rnn")]) == 1
    other_lanes = run_script("analyze.py", run, "--no-progress", "--no-png", "--lanes", "2")
    assert other_lanes.returncode == 0 and "reusing" not in other_lanes.stdout and "traced" in other_lanes.stdout


def test_analysis_files_hold_what_the_trace_says_and_a_new_model_file_is_traced_again(trained, tmp_path):
    """cells.json's top cells are the |r|-strongest of all cells (r recomputed in float64 from the trace),
    saturation.json's fractions are the trace's, and a retrained best.keras, or --retrace, traces again."""
    import shutil

    import keras

    from karpathy_rnn.analysis.features import text_features
    from karpathy_rnn.analysis.trace import Trace

    run = shutil.copytree(trained[0], tmp_path / "run")            # its best.keras is replaced below
    out = tmp_path / "out"
    args = ("--no-progress", "--no-png", "--lanes", "1", "--out", out, "--features", "prose", "--top", "2")
    first = run_script("analyze.py", run, *args)
    assert first.returncode == 0, first.stderr[-3000:]
    trace = Trace(out / "trace")
    features = text_features(trace.text, "prose")
    ranking = json.load(open(out / "cells.json"))
    for feature, cells in ranking.items():
        r = {layer.name: np.array([np.corrcoef(np.tanh(trace.gate(layer.name, "c")[:, k].astype(np.float64)),
                                               features[feature])[0, 1] for k in range(layer.units)])
             for layer in trace.layers}
        strongest = sorted(((abs(v), name, k) for name, values in r.items() for k, v in enumerate(values)
                            if v == v), reverse=True)[:2]
        assert [(c["layer"], c["cell"]) for c in cells] == [(name, k) for _, name, k in strongest], feature
        assert [c["r"] for c in cells] == pytest.approx([r[name][k] for _, name, k in strongest], abs=1e-5)
    saturation = json.load(open(out / "saturation.json"))
    for layer in trace.layers:
        for gate in "ifo":
            values = trace.gate(layer.name, gate).astype(np.float32)
            stored = saturation["fractions"][layer.name][gate]
            np.testing.assert_allclose(stored["left"], (values < np.float32(0.1)).mean(axis=0), atol=1e-6)
            np.testing.assert_allclose(stored["right"], (values > np.float32(0.9)).mean(axis=0), atol=1e-6)

    before = np.array(trace.probabilities)
    model = keras.saving.load_model(run / "best.keras", compile=False)     # "retrained": other weights
    model.set_weights([w * 0.5 for w in model.get_weights()])
    model.save(run / "best.keras")
    again = run_script("analyze.py", run, *args)
    assert again.returncode == 0 and "reusing" not in again.stdout and "traced" in again.stdout, again.stdout
    assert not np.allclose(Trace(out / "trace").probabilities, before)
    reused = run_script("analyze.py", run, *args)
    assert reused.returncode == 0 and "reusing the trace" in reused.stdout
    forced = run_script("analyze.py", run, *args, "--retrace")
    assert forced.returncode == 0 and "reusing" not in forced.stdout and "traced" in forced.stdout


def test_saved_model_and_color(trained, tmp_path):
    run, corpus, _ = trained
    exported = tmp_path / "saved"
    assert run_script("export.py", run, "--out", exported).returncode == 0
    done = run_script("analyze.py", "trace", exported, "--corpus", corpus, "--split", "val", "--lanes", "1",
                      "--out", tmp_path / "a", "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    from karpathy_rnn.analysis.trace import Trace

    from_saved = Trace(tmp_path / "a" / "trace")
    done = run_script("analyze.py", "trace", run, "--split", "val", "--lanes", "1", "--out", tmp_path / "b")
    assert done.returncode == 0, done.stderr[-3000:]
    tracing = [line for line in done.stderr.splitlines() if line.startswith("tracing")]   # issue 32.4: piped
    assert "\r" not in done.stderr and 1 <= len(tracing) <= 11 and "100.0%" in tracing[-1], done.stderr[-2000:]
    np.testing.assert_allclose(from_saved.probabilities, Trace(tmp_path / "b" / "trace").probabilities, atol=1e-5)

    page = tmp_path / "cell.html"
    text = "the cat sat on a mat\nif ( x = 1; }"                    # escaping: tests/test_render_and_summary.py
    done = run_script("analyze.py", "color", run, "--layer", "2", "--cell", "3", "--text", text, "--out", page)
    assert done.returncode == 0, done.stderr[-3000:]
    html = page.read_text()
    assert html.count("<span ") == len(text) and "lstm2 cell 3 (tanh(c))" in html


@pytest.mark.parametrize("args, message", [
    (["color", "{gru}", "--layer", "1", "--cell", "0", "--state", "f", "--text", "the"], "has no 'f'"),
    (["{empty}"], "neither a run directory"),
    (["{missing}"], "does not exist"),
    (["{run}", "--lanes", "0"], "--lanes must be >= 1"),
    (["{gru}", "--summary-states", "c", "f"], "--summary-states c f: not a state or gate of this model"),
    (["{run}", "--corpus", "{other}"], "not in the model's"),
])
def test_bad_input_is_one_line(trained, tmp_path, args, message):
    run, corpus, gru = trained
    (tmp_path / "empty").mkdir()
    other = tmp_path / "other.txt"
    other.write_text("QQQ ZZZ " * 2000)
    values = {"run": run, "gru": gru, "empty": tmp_path / "empty", "missing": tmp_path / "nope", "other": other}
    done = run_script("analyze.py", *[a.format(**{k: str(v) for k, v in values.items()}) for a in args],
                      "--no-progress" if args[0] != "color" else "--out", *([] if args[0] != "color" else [tmp_path / "c.html"]))
    assert done.returncode == 2, done.stdout + done.stderr[-2000:]
    assert message in error_line(done)


@pytest.mark.parametrize("args, message", [
    (["--layer", "2", "--cell", "99", "--text", "the"], "cell 99 is out of range: layer lstm2 has 12 cells, 0..11"),
    (["--layer", "2", "--cell", "12", "--text", "the"], "cell 12 is out of range"),
    (["--layer", "lstm2", "--cell", "-1", "--text", "the"], "cell -1 is out of range"),
    (["--layer", "3", "--cell", "0", "--text", "the"], "layer 3 is out of range: the model has 2 layer(s)"),
    (["--layer", "lstm3", "--cell", "0", "--text", "the"], "no layer 'lstm3'; the model has lstm1, lstm2"),
    (["--layer", "1", "--cell", "0", "--text", "the \u00e9"], "\u00e9"),
])
def test_color_refusals_config_json_decides_come_before_tensorflow(trained, tmp_path, args, message):
    """Issue 32.2: a layer, cell or character the run lacks was refused only after the model loaded (28-32 s)."""
    done = run_without_tensorflow("analyze.py", "color", trained[0], *args, "--out", tmp_path / "c.html")
    assert done.returncode == 2 and message in error_line(done), done.stderr[-1500:]


def test_gru_run_gets_its_own_defaults_and_claims(trained, tmp_path):
    _, _, gru = trained
    done = run_script("analyze.py", gru, "--no-progress", "--no-png", "--lanes", "2", "--out", tmp_path / "g")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "GRU first layer: r right-saturated" in done.stdout
    from tensorboard.backend.event_processing import event_accumulator
    from karpathy_rnn import summary

    acc = event_accumulator.EventAccumulator(str(tmp_path / "g"), size_guidance={"tensors": 0}).Reload()
    tags = set(acc.Tags()["tensors"])
    assert summary.activations_tag("gru1", "h") in tags and summary.saturation_tag("gru2", "z") in tags
    assert not any(tag.startswith("karpathy_rnn/activations/") and tag.split("/")[3] == "c" for tag in tags)


def test_help_documents_the_default_command_and_sub_commands():
    done = run_script("analyze.py", "--help")
    assert done.returncode == 0
    for flag in ("--split", "--corpus", "--lanes", "--warmup", "--top", "--summary-chars", "--summary-states",
                 "analyze.py color --help", "(default: 1)"):
        assert flag in done.stdout, flag
    assert "error: the following arguments are required: RUN_OR_SAVEDMODEL" in error_line(run_script("analyze.py"))


def test_show_colored_text_is_the_color_commands_figure_inline(trained, tmp_path):
    """Issue 34.5: show.colored_text renders in a notebook (_repr_html_) what `analyze.py color` writes, for a run
    directory or a model in memory, the scale's key included (escaping: tests/test_render_and_summary.py)."""
    import re

    from karpathy_rnn import show
    from karpathy_rnn.errors import KRNNError
    from karpathy_rnn.models import load_model

    run, _, gru = trained
    text = "the cat sat on a mat\n"
    page = tmp_path / "cell.html"
    done = run_script("analyze.py", "color", run, "--layer", "2", "--cell", "3", "--text", text, "--out", page)
    assert done.returncode == 0, done.stderr[-2000:]
    inline = show.colored_text(run, text, layer=2, cell=3)
    fragment = inline._repr_html_()
    assert fragment in page.read_text()                              # the same figure, byte for byte
    assert "lstm2 cell 3 (tanh(c))" in fragment
    assert fragment.count("<span ") == len(text)
    in_memory = show.colored_text(load_model(f"{run}/best.keras"), text, layer="lstm2", cell=3)
    titles = lambda html: [float(v) for v in re.findall(r'title="([^"]*)"', html)]                   # noqa: E731
    assert titles(in_memory._repr_html_()) == titles(fragment)         # the same values on hover
    # an independent reading: the probe model's c of lstm2, cell 3, over the same characters, through tanh
    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.models import model_characters, probe_model

    model = load_model(f"{run}/best.keras")
    ids = Vocabulary(tuple(model_characters(model))).encode(text)[None]
    c = np.asarray(probe_model(model)(ids)["gates"]["lstm2"]["c"])[0, :, 3]
    np.testing.assert_allclose(titles(fragment), np.tanh(c), atol=2e-3)    # float16 in the trace path, 3 decimals
    from karpathy_rnn.render import scale_key_html

    gate = show.colored_text(gru, "the mat", layer=1, cell=0, state="z")._repr_html_()
    assert "gru1 cell 0 (z)" in gate and scale_key_html((0.0, 1.0)) in gate           # a gate on its 0..1 scale
    assert scale_key_html((-1.0, 1.0)) in fragment
    assert show.colored_text(run, text, layer=1, cell=0).save(tmp_path / "saved.html").endswith("saved.html")
    assert (tmp_path / "saved.html").read_text().startswith("<!DOCTYPE html>")
    for kwargs, message in [(dict(layer=9), "layer 9 is out of range"), (dict(cell=99), "cell 99 is out of range"),
                            (dict(state="q"), "has no 'q'")]:
        with pytest.raises(KRNNError, match=message):
            show.colored_text(run, "the", **kwargs)
