"""Issue 16: what a new user meets first. A mistake is exactly one line on stderr, exit 2, found before TensorFlow
is imported (so at once, and without TensorFlow's start-up lines), whatever TF_CPP_MIN_LOG_LEVEL says or not."""

import os
import subprocess
import sys

import pytest

from tests.training_helpers import REPO

# Runs a script as `python scripts/<name>` would, then says on stdout whether TensorFlow was imported.
PROBE = ("import runpy, sys\n"
         "sys.argv = sys.argv[1:]\n"
         "try:\n"
         "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
         "except SystemExit as done:\n"
         "    print('tensorflow imported' if 'tensorflow' in sys.modules else 'tensorflow not imported')\n"
         "    raise\n")


def run_bare(script: str, *args, cwd=REPO) -> subprocess.CompletedProcess:
    """scripts/<script> with the user's environment as a new user has it: no TF_CPP_MIN_LOG_LEVEL."""
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-c", PROBE, os.path.join(REPO, "scripts", script), *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


MISTAKES = [
    ("train.py", ["--hidden", "-3"], "--hidden must be an integer >= 1, got -3"),
    ("train.py", ["--split", "50/40"], "50/40"),
    ("train.py", ["--learning-rate", "0"], "--learning-rate must be a number in (0"),
    ("train.py", ["--corpus", "/nonexistent/text.txt"], "does not exist"),
    ("sample.py", ["runs/nope"], "'runs/nope' does not exist"),
    ("sample.py", ["runs/nope", "--temperature", "0"], "temperature must be a number > 0"),
    ("export.py", ["runs/nope", "--out", "x"], "'runs/nope' does not exist"),
    ("analyze.py", ["runs/nope"], "'runs/nope' does not exist"),
    ("analyze.py", ["runs/nope", "--lanes", "0"], "--lanes must be >= 1"),
    ("prepare_data.py", ["/nonexistent/text.txt"], "does not exist"),
    ("prepare_data.py", ["war_and_peace", "--download", "--split", "50/40"], "50/40"),
    ("plugin_screenshots.py", ["/nonexistent", "--out", "x"], "is not a folder"),
    ("plugin_screenshots.py", [".", "--out", "x", "--cell", "layer2"], "--cell must be LAYER:CELL"),
    ("grid.py", ["--shard", "3/2"], "--shard"),
]


@pytest.mark.parametrize("script,args,fragment", MISTAKES, ids=[f"{s} {' '.join(a)}" for s, a, _ in MISTAKES])
def test_a_mistake_is_one_line_before_tensorflow_is_imported(script, args, fragment, tmp_path):
    done = run_bare(script, *args, cwd=tmp_path)
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr[-2000:]
    assert fragment in lines[0], lines[0]
    assert done.stdout.strip().endswith("tensorflow not imported"), done.stdout[-500:]


def test_a_binary_corpus_is_called_binary_not_given_a_converter_hint(tmp_path):
    elf = tmp_path / "program"
    elf.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    done = run_bare("train.py", "--corpus", elf, "--max-steps", 1, cwd=tmp_path)
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr[-2000:]
    assert "is a binary file (a NUL byte at offset 7)" in lines[0] and "iconv" not in lines[0]
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9 au lait\n".encode("latin1") * 100)
    done = run_bare("train.py", "--corpus", latin1, "--max-steps", 1, cwd=tmp_path)
    assert "iconv -f latin1 -t utf-8" in done.stderr                       # text in another encoding keeps its hint


@pytest.mark.slow
def test_tensorflow_start_up_lines_stay_out_of_a_real_run(tmp_path):
    """A whole (tiny) run prints no TensorFlow start-up line; with TF_CPP_MIN_LOG_LEVEL set they are the user's."""
    from tests.training_helpers import write_tiny_corpus

    corpus = write_tiny_corpus(tmp_path, characters=6000)
    done = run_bare("train.py", "--corpus", corpus, "--hidden", 8, "--batch-size", 10, "--unroll", 20, "--max-steps", 2,
                    "--sample-length", 0,
                    "--logdir", tmp_path / "runs", "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == "", done.stderr[-2000:]


@pytest.mark.slow
def test_analyze_finds_the_corpus_the_run_trained_on_without_being_told_again(tmp_path):
    """Issue 16.5: a run trained on a corpus found through $KRNN_DATA_DIR is analysed in a shell without it."""
    data = os.environ.get("KRNN_DATA_DIR")
    if not data or not os.path.isfile(os.path.join(data, "tiny_shakespeare.txt.gz")):
        pytest.skip("needs Tiny Shakespeare in $KRNN_DATA_DIR (CI sets it)")
    from tests.training_helpers import run_script

    done = run_script("train.py", "--corpus", "tiny_shakespeare", "--hidden", 8, "--batch-size", 10, "--unroll", 20,
                      "--max-steps", 2, "--sample-length", 0, "--logdir", tmp_path, "--name", "run", "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    env = {key: value for key, value in os.environ.items() if key != "KRNN_DATA_DIR"}
    done = run_script("analyze.py", "trace", tmp_path / "run", "--split", "val", "--no-progress",
                      env={**env, "KRNN_OFFLINE": "1", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "run" / "analysis" / "val" / "trace" / "trace.json").is_file()
