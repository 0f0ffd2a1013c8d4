"""scripts/export.py and scripts/sample.py: a trained run becomes a SavedModel that samples like the run."""

import numpy as np
import pytest

from karpathy_rnn.errors import KRNNError, UnknownCharacterError
from tests.training_helpers import error_line, run_script, run_without_tensorflow, tiny_config, write_tiny_corpus

pytestmark = pytest.mark.slow   # real training runs and script processes


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A finished tiny run directory (2-layer LSTM)."""
    from karpathy_rnn.training.trainer import Trainer

    folder = tmp_path_factory.mktemp("run")
    corpus = write_tiny_corpus(folder)
    trainer = Trainer(tiny_config(corpus, folder, name="run", max_steps=30, eval_every=10), log=lambda m: None,
                      progress_bar=False)
    trainer.run()
    return trainer.run_dir


@pytest.fixture(scope="module")
def exported(trained_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "model"
    done = run_script("export.py", trained_run, "--out", out)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SavedModel written" in done.stdout
    return str(out)


def test_saved_model_steps_like_the_run(trained_run, exported):
    from karpathy_rnn.sampling import open_language_model

    run, saved = open_language_model(trained_run), open_language_model(exported)
    assert run.vocabulary == saved.vocabulary
    ids = run.vocabulary.encode("the cat sat on a mat\nif ( x = 1; }")[None, :]
    whole, _ = saved.step(ids, saved.zero_states(1))
    first, states = run.step(ids[:, :10], run.zero_states(1))
    second, _ = run.step(ids[:, 10:], states)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, atol=1e-5)


def test_sample_script_gives_the_same_text_from_run_and_saved_model(trained_run, exported):
    texts = []
    for model in (trained_run, exported):
        done = run_script("sample.py", model, "--prime", "the ", "--temperature", "0.8", "--length", "120",
                          "--seed", "4")
        assert done.returncode == 0, done.stderr[-2000:]
        texts.append(done.stdout)
    assert texts[0] == texts[1]
    assert texts[0].startswith("the ") and len(texts[0]) == 4 + 120 + 1


def test_sampling_follows_the_distribution(trained_run):
    """With a seed, the same text; a low temperature picks the most likely character."""
    from karpathy_rnn.sampling import open_language_model, sample_text

    stepper = open_language_model(trained_run)
    assert sample_text(stepper, "the ", 40, 1.0, seed=1) == sample_text(stepper, "the ", 40, 1.0, seed=1)
    logits, _ = stepper.step(stepper.vocabulary.encode("the ")[None, :], stepper.zero_states(1))
    greedy = stepper.vocabulary.chars[int(np.argmax(logits[0, -1]))]
    assert sample_text(stepper, "the ", 1, 1e-4, seed=2) == greedy
    with pytest.raises(UnknownCharacterError, match="'Q'"):
        sample_text(stepper, "Q", 5)
    with pytest.raises(KRNNError, match="temperature"):
        sample_text(stepper, "the", 5, temperature=-1)


@pytest.mark.parametrize("args, message", [
    (["--temperature", "0"], "temperature must be a number > 0"),
    (["--prime", "Zzz"], "not in the model's"),
    (["--prime", "th\u00e9"], "'\u00e9' (U+00E9)"),
    (["--length", "-3"], "--length must be >= 0"),
])
def test_sample_bad_input_is_refused_before_tensorflow(trained_run, args, message):
    """Issue 32.2: a prime character the model lacks was refused after the model loaded; the run's config.json
    decides it at once."""
    done = run_without_tensorflow("sample.py", trained_run, *args)
    assert done.returncode == 2 and message in error_line(done), done.stderr[-1500:]


def test_sample_and_export_refuse_what_is_not_a_model(tmp_path, trained_run, exported):
    missing = run_script("sample.py", tmp_path / "nothing")
    assert missing.returncode == 2 and "does not exist" in error_line(missing)
    empty = run_script("sample.py", tmp_path)
    assert empty.returncode == 2 and "neither a run directory" in error_line(empty)
    export_empty = run_script("export.py", tmp_path, "--out", tmp_path / "out")
    assert export_empty.returncode == 2 and "holds no best.keras" in error_line(export_empty)
    again = run_script("export.py", trained_run, "--out", exported)
    assert again.returncode == 2 and "already exists" in error_line(again)


def test_an_unwritable_out_names_the_path_given_and_the_true_reason(tmp_path):
    """Issue 32.5: `export.py RUN --out /proc/wp` said "cannot write --out folder '/proc' (No such file or
    directory)": another path, and a reason that is wrong for a folder that exists."""
    from karpathy_rnn.cli import writable_folder

    (tmp_path / "a_file").write_text("x")
    for path, reason in (("/proc/wp", "('/proc' exists but its file system lets nothing be created in it)"),
                         ("/proc/a/b", "('/proc' exists but its file system lets nothing be created in it)"),
                         (str(tmp_path / "a_file" / "wp"), "(Not a directory)")):
        with pytest.raises(KRNNError) as error:
            writable_folder(path, "--out")
        assert str(error.value) == f"cannot write --out {path!r} {reason}; give a writable --out"


@pytest.mark.parametrize("out,folder", [("/proc/forbidden/x", "/proc/forbidden/x"), ("a_file/wp", "a_file/wp")])
def test_an_unwritable_out_is_one_line_in_every_script_that_writes(trained_run, tmp_path, out, folder):
    """Issue 16.4: TensorFlow's file errors were a 33-line traceback; every --out/--logdir is checked first."""
    from tests.test_first_hour import run_bare

    (tmp_path / "a_file").write_text("x")
    for script, args in (("export.py", [trained_run, "--out", out]),
                         ("analyze.py", [trained_run, "--out", out, "--no-png"]),
                         ("analyze.py", [trained_run, "--logdir", out, "--no-png", "--out", tmp_path / "ok"]),
                         ("analyze.py", ["color", trained_run, "--layer", 1, "--cell", 0, "--text", "ab",
                                         "--out", f"{out}/cell.html"]),
                         ("plugin_screenshots.py", [tmp_path, "--out", out])):
        done = run_bare(script, *args, cwd=tmp_path)
        lines = done.stderr.splitlines()
        assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: cannot write"), \
            (script, done.stderr[-1500:])
        assert folder in lines[0], lines[0]
