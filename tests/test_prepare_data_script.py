"""scripts/prepare_data.py as a user runs it: describe, bad input (one line, exit 2), rebuild."""

import gzip
import json
import os
import subprocess
import sys
import tarfile

import pytest

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "prepare_data.py")


def run(*args, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, env=full_env,
                          timeout=300)


def test_describes_every_known_corpus(shared_data):
    result = run("--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {"war_and_peace", "linux_kernel", "linux_kernel_paper", "tiny_shakespeare", "python_stdlib",
                         "text8"}
    assert rows["text8"]["found"] is False and "mattmahoney.net/dc/text8.zip" in rows["text8"]["how_to_get"]
    assert rows["linux_kernel_paper"]["found"] is False and "char-rnn/linux_input.txt" in rows["linux_kernel_paper"][
        "how_to_get"]                                          # the shared data holds the 6.1 rebuild only
    assert rows["war_and_peace"]["characters"] == 3_258_225 and rows["war_and_peace"]["matches_reference"]
    assert rows["linux_kernel"]["split"] == "90/5/5" and rows["linux_kernel"]["vocabulary_size"] == 108
    assert rows["python_stdlib"]["characters"] == 3_000_000
    assert rows["war_and_peace"]["batches_per_epoch"] == 2_606_579 // 10_000


def test_a_named_missing_corpus_says_where_to_put_it(tmp_path):
    result = run("war_and_peace", env={"KRNN_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "put war_and_peace.txt or war_and_peace.txt.gz" in result.stderr and str(tmp_path) in result.stderr


def test_small_file_with_small_batches(tmp_path):
    (tmp_path / "small.txt").write_text("hello\n" * 10)
    result = run(str(tmp_path / "small.txt"), "--batch-size", "2", "--unroll", "5", "--split", "80/10/10", "--json")
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert (row["train"], row["batches_per_epoch"]) == (48, 4)  # 47 pairs // 2 lanes // 5 steps


def test_missing_corpora_are_described_with_how_to_get_them(tmp_path):
    result = run(env={"KRNN_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "war_and_peace     not found: python scripts/prepare_data.py war_and_peace --download" in result.stdout
    assert "python_stdlib" in result.stdout and "3,000,000" in result.stdout


@pytest.mark.parametrize("args, fragment", [
    (["war_and_piece"], "unknown corpus 'war_and_piece'"),
    (["{missing}"], "does not exist"),
    (["{empty}"], "is empty"),
    (["{binary}"], "not UTF-8 text"),
    (["{small}", "--split", "80/10/5"], "adds up to 95, not 100"),
    (["war_and_peace", "--source", "/x"], "--source rebuilds the Linux Kernel corpus only"),
    (["{small}"], "shorter than one batch of 100 lanes x 100 steps (needs 10001)"),
    (["{small}", "--batch-size", "0"], "batch size must be a positive integer, got 0"),
    (["linux_kernel", "--source", "{missing}"], "does not exist"),
    (["war_and_peace", "--data-dir", "{missing}"], "is not a folder"),
    (["--bogus"], "unrecognized arguments: --bogus; see prepare_data.py --help"),
    (["--batch-size", "many"], "argument --batch-size: invalid int value: 'many'"),
])
def test_bad_input_gives_one_line_and_exit_2(tmp_path, args, fragment):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x01")
    (tmp_path / "small.txt").write_text("hello\n" * 10)
    paths = {k: str(tmp_path / f"{k}.txt") for k in ("missing", "empty", "binary", "small")}
    result = run(*[a.format(**paths) for a in args])
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_rebuilds_linux_corpus_from_a_tarball(tmp_path):
    src = tmp_path / "linux-source-6.1"
    for i in range(20):
        (src / "drivers").mkdir(parents=True, exist_ok=True)
        (src / "drivers" / f"d{i}.c").write_text(f"static int d{i};\n")
    tarball = tmp_path / "linux.tar.xz"
    with tarfile.open(tarball, "w:xz") as tar:
        tar.add(src, arcname=src.name)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "linux_kernel.txt.gz"
    result = run("linux_kernel", "--source", str(tarball), "--out", str(tmp_path / "out"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    with gzip.open(out, "rt", encoding="utf-8") as f:
        text = f.read()
    assert summary["characters"] == len(text) == sum(len(f"static int d{i};\n") for i in range(20))
    assert summary["files_used"] == 20 and summary["matches_reference"] is False
    assert sorted(os.listdir(tmp_path / "out")) == ["linux_kernel.txt.gz"]  # no temporary file left
    cache = tmp_path / "new_cache"  # the default --out: the user cache, made if missing
    assert run("linux_kernel", "--source", str(src), env={"KRNN_CACHE_DIR": str(cache)}).returncode == 0
    assert sorted(os.listdir(cache)) == ["linux_kernel.txt.gz"]
    plain = tmp_path / "linux.txt"
    assert run("linux_kernel", "--source", str(src), "--out", str(plain)).returncode == 0
    assert plain.read_text(encoding="utf-8") == text
