"""Issue 15.5: every file of a run broken as a crash, a full disk or a careless edit leaves it gives one line naming
the file, what is wrong and what to do, exit 2 (or, for checkpoints/checkpoint, a repaired index and a warning);
never a traceback, never garbage used."""

import os
import shutil

import pytest

from tests.corrupt_files import CASES, TRAIN_FLAGS, describe, make_run, matrix, outcome
from tests.training_helpers import error_line, run_script

pytestmark = pytest.mark.slow   # a real training run and 30 script processes

# what each case's one line must say, by the broken file: (name of the file, the fix it names)
EXPECTED = {"checkpoints/ckpt-*.index": ("no readable checkpoint in", "start the run again without --resume"),
            "checkpoints/ckpt-*.data-*": ("no readable checkpoint in", "start the run again without --resume"),
            "best.keras": ("best.keras is not a readable .keras model", "remove it and run train.py --resume"),
            "config.json": ("config.json", "restore it (results.json keeps a copy"),
            "results.json": ("results.json", "remove it: train.py --resume")}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("corrupt"))
    run_dir, corpus = make_run(folder)
    done = {(describe(case), command): process
            for case, command, process in matrix(run_dir, corpus, os.path.join(folder, "scratch"))}
    return run_dir, corpus, done


@pytest.mark.parametrize("case,command", [(case, command) for case in CASES for command in case[2]],
                         ids=lambda value: describe(value) if isinstance(value, tuple) else value)
def test_a_broken_run_file_gets_one_line_and_exit_2(outcomes, case, command):
    process = outcomes[2][describe(case), command]
    files = case[0]
    if files == "checkpoints/checkpoint":               # repaired from the checkpoints on disk, with a warning
        assert process.returncode == 0, outcome(process)
        assert "rewrote it to list the checkpoints on disk (ckpt-9, ckpt-12)" in process.stdout
        assert "resuming" in process.stdout and "from ckpt-12" in process.stdout
        return
    assert process.returncode == 2, outcome(process)
    line = error_line(process)
    names, fix = EXPECTED[files]
    assert names in line and fix in line, line
    if files.startswith("checkpoints/ckpt-"):
        assert "ckpt-12 (" in line and "ckpt-9 (" in line, line       # each checkpoint with its reason


def test_after_removing_a_broken_best_model_resume_writes_a_new_one(outcomes, tmp_path):
    run_dir, corpus, _ = outcomes
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    with open(copy / "best.keras", "r+b") as handle:
        handle.truncate(100)
    resume = ("train.py", "--corpus", corpus, "--logdir", tmp_path, "--name", "run", "--resume", *TRAIN_FLAGS)
    done = run_script(*resume)
    assert done.returncode == 2 and "remove it and run train.py --resume" in error_line(done)
    os.remove(copy / "best.keras")
    done = run_script(*resume)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "best.keras is missing; the next evaluation writes a new best model" in done.stdout
    assert "test cross-entropy" in done.stdout and (copy / "best.keras").is_file()
    assert run_script("sample.py", copy, "--length", 5).returncode == 0
