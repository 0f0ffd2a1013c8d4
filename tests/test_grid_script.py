"""scripts/grid.py: cells train, finished cells are skipped, interrupted ones resume, shards are disjoint."""

import csv
import io
import json

import pytest

from tests.training_helpers import error_line, run_script, write_tiny_corpus

pytestmark = pytest.mark.slow   # real training runs and script processes

COMMON = ["--budgets", "50k", "--layers", "1", "--max-steps", "2", "--batch-size", "10", "--unroll", "20",
          "--no-progress"]


def test_grid_trains_skips_and_resumes(tmp_path):
    corpus = write_tiny_corpus(tmp_path)
    logdir = tmp_path / "grid"
    first = run_script("grid.py", "--corpora", corpus, "--units", "lstm", "rnn", "--logdir", logdir, *COMMON)
    assert first.returncode == 0, first.stderr[-3000:]
    cells = ["tiny-50k-lstm-1", "tiny-50k-rnn-1"]
    for cell in cells:
        results = json.loads((logdir / cell / "results.json").read_text())
        assert results["config"]["budget"] == "50k" and results["steps"] == 2
    lstm = json.loads((logdir / cells[0] / "results.json").read_text())
    assert lstm["hidden"] == 64                                  # the budget's 1-layer LSTM
    rows = list(csv.DictReader(io.StringIO((logdir / "figure1.csv").read_text())))
    assert [(row["unit"], row["hidden"]) for row in rows] == [("lstm", "64"), ("rnn", str(
        json.loads((logdir / cells[1] / "results.json").read_text())["hidden"]))]
    assert "**tiny**" in (logdir / "figure1.md").read_text()

    # an interrupted cell (checkpoint, no results) resumes; a finished one is skipped
    (logdir / cells[1] / "results.json").unlink()
    second = run_script("grid.py", "--corpora", corpus, "--units", "lstm", "rnn", "--logdir", logdir, *COMMON)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"{cells[0]}: finished, skipped" in second.stdout and "resuming" in second.stdout
    assert json.loads((logdir / cells[1] / "results.json").read_text())["steps"] == 2
    # asking for more steps extends the finished cells instead of skipping them
    third = run_script("grid.py", "--corpora", corpus, "--units", "lstm", "--logdir", logdir, *COMMON,
                       "--max-steps", "4")
    assert third.returncode == 0, third.stderr[-3000:]
    assert "skipped" not in third.stdout
    assert json.loads((logdir / cells[0] / "results.json").read_text())["steps"] == 4


def test_shards_split_the_cells(tmp_path):
    corpus = write_tiny_corpus(tmp_path)
    logdir = tmp_path / "grid"
    seen = []
    for index in (1, 2):
        done = run_script("grid.py", "--corpora", corpus, "--units", "rnn", "gru", "--logdir", logdir, *COMMON,
                          "--shard", f"{index}/2")
        assert done.returncode == 0, done.stderr[-3000:]
        seen.append({line.split("] ")[1] for line in done.stdout.splitlines() if line.startswith("[")})
    assert seen == [{"tiny-50k-rnn-1"}, {"tiny-50k-gru-1"}]
    table = run_script("grid.py", "--table-only", "--logdir", logdir)
    assert table.returncode == 0 and len((logdir / "figure1.csv").read_text().splitlines()) == 3


def test_grid_bad_shard(tmp_path):
    done = run_script("grid.py", "--shard", "3/2", "--logdir", tmp_path)
    assert done.returncode == 2 and "--shard '3/2'" in error_line(done)


def test_grid_trains_each_cell_at_each_dropout_rate_and_keeps_the_best(tmp_path):
    """Issue 17.9: --dropout 0 0.5 trains NAME and NAME-dropout0.5; the table keeps the lower validation loss."""
    corpus = write_tiny_corpus(tmp_path)
    logdir = tmp_path / "grid"
    done = run_script("grid.py", "--corpora", corpus, "--units", "lstm", "--logdir", logdir, *COMMON,
                      "--dropout", "0", "0.5")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[1/2] tiny-50k-lstm-1" in done.stdout and "[2/2] tiny-50k-lstm-1-dropout0.5" in done.stdout
    runs = {name: json.loads((logdir / name / "results.json").read_text())
            for name in ("tiny-50k-lstm-1", "tiny-50k-lstm-1-dropout0.5")}
    assert runs["tiny-50k-lstm-1-dropout0.5"]["config"]["dropout"] == 0.5
    best = min(runs.values(), key=lambda r: r["val_loss_nats"])
    rows = list(csv.DictReader(io.StringIO((logdir / "figure1.csv").read_text())))
    assert len(rows) == 1 and float(rows[0]["dropout"]) == best["config"]["dropout"]
    assert rows[0]["test_loss_nats"] == f"{best['test_loss_nats']:.4f}"


def test_kept_results_let_a_later_sitting_skip_a_cell_whose_run_is_gone(tmp_path):
    """Issue 33: --keep DIR copies each finished cell's results.json into DIR (the repository); a cell found there is
    skipped when LOGDIR lost its run, and the table is rebuilt from both folders into both."""
    import shutil

    corpus = write_tiny_corpus(tmp_path)
    logdir, kept = tmp_path / "grid", tmp_path / "docs" / "figure1"
    first = run_script("grid.py", "--corpora", corpus, "--units", "lstm", "--logdir", logdir, *COMMON,
                       "--keep", kept)
    assert first.returncode == 0, first.stderr[-3000:]
    trained = json.loads((logdir / "tiny-50k-lstm-1" / "results.json").read_text())
    assert json.loads((kept / "tiny-50k-lstm-1" / "results.json").read_text()) == trained
    assert sorted(p.name for p in (kept / "tiny-50k-lstm-1").iterdir()) == ["results.json"]     # no checkpoints
    shutil.rmtree(logdir)                                                  # a new machine: the runs are gone
    second = run_script("grid.py", "--corpora", corpus, "--units", "lstm", "rnn", "--logdir", logdir, *COMMON,
                        "--keep", kept)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"tiny-50k-lstm-1: finished, kept in {kept}, skipped" in second.stdout
    assert not (logdir / "tiny-50k-lstm-1").exists() and (kept / "tiny-50k-rnn-1" / "results.json").is_file()
    for folder in (logdir, kept):
        rows = list(csv.DictReader(io.StringIO((folder / "figure1.csv").read_text())))
        assert [row["unit"] for row in rows] == ["lstm", "rnn"]
        assert "| tiny | 50k RNN 1 | 50k LSTM 1 |" in (folder / "figure1.md").read_text()
