"""The paper's Figure 1 numbers as data, the grid's shards and the table laid out like the figure."""

import numpy as np
import pytest

from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training.figure1 import (
    PAPER_TEST_LOSS,
    GridCell,
    figure1_csv,
    figure1_markdown,
    grid_cells,
    parse_shard,
    shard,
)


def test_paper_numbers_read_from_the_figure():
    assert len(PAPER_TEST_LOSS) == 2 * 4 * 3 * 3
    assert PAPER_TEST_LOSS["war_and_peace", "50k", "lstm", 1] == 1.449
    assert PAPER_TEST_LOSS["war_and_peace", "400k", "lstm", 2] == 1.137
    assert PAPER_TEST_LOSS["war_and_peace", "50k", "gru", 2] == 1.373
    assert PAPER_TEST_LOSS["linux_kernel", "130k", "rnn", 2] == 1.120
    assert PAPER_TEST_LOSS["linux_kernel", "1.3m", "gru", 3] == 0.829
    assert PAPER_TEST_LOSS["linux_kernel", "1.3m", "rnn", 1] is None          # "-": not trained in the paper
    assert sum(value is None for value in PAPER_TEST_LOSS.values()) == 6


@pytest.mark.parametrize("count", [1, 2, 3, 5, 72])
def test_shards_are_disjoint_and_cover_the_grid(count):
    cells = grid_cells()
    slices = [shard(cells, index, count) for index in range(1, count + 1)]
    assert sorted(sum(slices, []), key=cells.index) == cells
    assert len(set(sum(slices, []))) == len(cells) == 72
    assert max(map(len, slices)) - min(map(len, slices)) <= 1


@pytest.mark.parametrize("text", ["0/4", "5/4", "a/b", "3", "1/2/3"])
def test_bad_shard_is_refused(text):
    with pytest.raises(KRNNError, match="--shard"):
        parse_shard(text)


def test_table_puts_ours_beside_the_paper():
    cell = GridCell("war_and_peace", "50k", "gru", 2)
    results = {cell: {"test_loss_nats": 1.5, "test_loss_std": 0.002, "hidden": 53, "params": 44130,
                      "epochs_completed": 10}}
    markdown = figure1_markdown(results)
    assert "1.500 (1.373; +0.127)" in markdown
    assert "| 50k (64) |" in markdown and "**linux_kernel**" not in markdown
    assert "ICLR 2016, Figure 1" in markdown
    rows = figure1_csv(results).splitlines()
    assert rows[0].startswith("corpus,budget,unit,layers,hidden,params")
    assert rows[1] == "war_and_peace,50k,gru,2,53,44130,10,,1.5000,0.0020,-,1.373,+0.1270"   # no dropout, no block std


def test_table_marks_a_difference_beyond_two_block_bootstrap_deviations():
    """Issue 17.8: differences are judged by the block bootstrap (correlated neighbours), not the i.i.d. one."""
    from karpathy_rnn.training.evaluation import block_bootstrap_std, bootstrap_std

    cell = GridCell("war_and_peace", "50k", "gru", 2)                  # paper: 1.373
    near = {cell: {"test_loss_nats": 1.383, "test_loss_std": 0.002, "test_loss_std_block": 0.006}}
    far = {cell: {"test_loss_nats": 1.393, "test_loss_std": 0.002, "test_loss_std_block": 0.006}}
    assert "1.383 (1.373; +0.010) |" in figure1_markdown(near)          # 1.7 block deviations: not marked
    assert "1.393 (1.373; +0.020)* |" in figure1_markdown(far)          # 3.3: marked
    assert "0.0060" in figure1_csv(far).splitlines()[1]
    # losses correlated over runs of 50 characters: the block figure sees it, the i.i.d. one does not
    rng = np.random.default_rng(0)
    losses = np.repeat(rng.exponential(1.5, 2000), 50)
    assert block_bootstrap_std(losses, block=1000) > 4 * bootstrap_std(losses)
    independent = rng.exponential(1.5, 100_000)
    assert block_bootstrap_std(independent, block=1000) == pytest.approx(bootstrap_std(independent), rel=0.35)


def test_each_cell_keeps_the_dropout_rate_with_the_best_validation_loss(tmp_path):
    """Issue 17.9: the paper cross-validates dropout per model; grid.py --dropout 0 0.25 0.5 trains each cell at
    each rate and the table keeps the best on validation, naming the rate chosen."""
    import json

    from karpathy_rnn.training.figure1 import collect_results, dropout_run_name

    cell = GridCell("war_and_peace", "50k", "lstm", 2)
    for dropout, val, test in ((0.0, 1.50, 1.49), (0.25, 1.40, 1.41), (0.5, 1.45, 1.44)):
        folder = tmp_path / dropout_run_name(cell, dropout)
        folder.mkdir()
        config = {"corpus_name": "war_and_peace", "budget": "50k", "unit": "lstm", "layers": 2, "dropout": dropout}
        (folder / "results.json").write_text(json.dumps({"val_loss_nats": val, "test_loss_nats": test,
                                                         "config": config}))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["war_and_peace-50k-lstm-2",
                                                           "war_and_peace-50k-lstm-2-dropout0.25",
                                                           "war_and_peace-50k-lstm-2-dropout0.5"]
    results = collect_results(str(tmp_path))
    assert results[cell]["test_loss_nats"] == 1.41 and results[cell]["dropout_tried"] == [0.0, 0.25, 0.5]
    assert "1.410 (1.442; -0.032) d=0.25" in figure1_markdown(results)              # paper, LSTM 2 layers: 1.442
    assert figure1_csv(results).splitlines()[1].split(",")[7] == "0.25"


def test_bootstraps_give_the_known_spread_of_a_mean():
    """Figure 1's error bars: the standard deviation (not the variance) of the mean of N values, each resample
    N draws: sigma / sqrt(N) for independent values, sigma / sqrt(N / L) for runs of L equal values."""
    from karpathy_rnn.training.evaluation import block_bootstrap_std, bootstrap_std

    rng = np.random.default_rng(1)
    sigma, n = 2.0, 20_000
    independent = rng.normal(1.5, sigma, n)
    assert bootstrap_std(independent) == pytest.approx(sigma / np.sqrt(n), rel=0.2)
    assert block_bootstrap_std(independent, block=100) == pytest.approx(sigma / np.sqrt(n), rel=0.2)
    runs = np.repeat(rng.normal(1.5, sigma, n // 100), 100)             # 200 independent runs of 100
    assert block_bootstrap_std(runs, block=100) == pytest.approx(sigma / np.sqrt(n / 100), rel=0.2)


def _write_result(folder, name, corpus, budget, unit, layers, test, block=0.01, val=None, dropout=0.0):
    import json

    path = folder / name
    path.mkdir(parents=True)
    config = {"corpus_name": corpus, "budget": budget, "unit": unit, "layers": layers, "dropout": dropout}
    (path / "results.json").write_text(json.dumps({"test_loss_nats": test, "test_loss_std_block": block,
                                                   "val_loss_nats": test if val is None else val,
                                                   "config": config}))


def test_results_are_read_from_the_logdir_and_the_kept_folder_the_logdir_first(tmp_path):
    """Issue 33: a cell kept in the repository (grid.py --keep) counts when LOGDIR lost it; LOGDIR wins a tie."""
    from karpathy_rnn.training.figure1 import collect_results, keep_results

    logdir, kept = tmp_path / "runs", tmp_path / "docs"
    _write_result(logdir, "war_and_peace-50k-lstm-1", "war_and_peace", "50k", "lstm", 1, 1.50)
    _write_result(kept, "war_and_peace-50k-lstm-1", "war_and_peace", "50k", "lstm", 1, 1.60)
    _write_result(kept, "war_and_peace-50k-gru-1", "war_and_peace", "50k", "gru", 1, 1.45)
    results = collect_results(str(logdir), str(kept))
    assert {cell.unit: r["test_loss_nats"] for cell, r in results.items()} == {"lstm": 1.50, "gru": 1.45}
    assert collect_results(str(kept), str(logdir))[GridCell("war_and_peace", "50k", "lstm", 1)][
        "test_loss_nats"] == 1.60
    assert collect_results(str(tmp_path / "none")) == {}
    # keeping copies a finished run's results.json under its run name, and nothing of an unfinished one
    copied = keep_results(str(logdir / "war_and_peace-50k-lstm-1"), str(tmp_path / "kept2"))
    assert copied == str(tmp_path / "kept2" / "war_and_peace-50k-lstm-1" / "results.json")
    assert collect_results(str(tmp_path / "kept2"))[GridCell("war_and_peace", "50k", "lstm", 1)][
        "test_loss_nats"] == 1.50
    (logdir / "unfinished").mkdir()
    assert keep_results(str(logdir / "unfinished"), str(tmp_path / "kept2")) is None
    assert not (tmp_path / "kept2" / "unfinished").exists()


def test_differences_between_models_against_the_papers_by_hand(tmp_path):
    """Issue 33: each cell minus its budget's 1-layer LSTM and minus the same model one budget below."""
    from karpathy_rnn.training.figure1 import collect_results, differences_markdown, model_differences

    # paper, War and Peace: 50k LSTM 1 1.449, GRU 2 1.373; 130k LSTM 1 1.277, GRU 2 1.226
    for budget, unit, layers, test, block in (("50k", "lstm", 1, 1.52, 0.003), ("50k", "gru", 2, 1.44, 0.004),
                                              ("130k", "lstm", 1, 1.35, 0.003), ("130k", "gru", 2, 1.31, 0.004)):
        _write_result(tmp_path, f"war_and_peace-{budget}-{unit}-{layers}", "war_and_peace", budget, unit, layers,
                      test, block)
    rows = model_differences(collect_results(str(tmp_path)))
    table = {(r["cell"].budget, r["cell"].unit, r["minus"].budget, r["minus"].unit): r for r in rows}
    assert list(table) == [("50k", "gru", "50k", "lstm"), ("130k", "lstm", "50k", "lstm"),
                           ("130k", "gru", "130k", "lstm"), ("130k", "gru", "50k", "gru")]
    gru_50k = table["50k", "gru", "50k", "lstm"]
    assert gru_50k["ours"] == pytest.approx(1.44 - 1.52) and gru_50k["paper"] == pytest.approx(1.373 - 1.449)
    assert gru_50k["gap"] == pytest.approx((1.44 - 1.52) - (1.373 - 1.449))                # -0.004
    assert gru_50k["std"] == pytest.approx(0.005)                                           # 3-4-5
    scaled = table["130k", "gru", "50k", "gru"]
    assert scaled["ours"] == pytest.approx(1.31 - 1.44) and scaled["paper"] == pytest.approx(1.226 - 1.373)
    markdown = differences_markdown(collect_results(str(tmp_path)))
    assert "| war_and_peace | 50k GRU 2 | 50k LSTM 1 | -0.080 | -0.076 | -0.004 | 0.005 | yes |" in markdown
    assert "| war_and_peace | 130k LSTM 1 | 50k LSTM 1 | -0.170 | -0.172 | +0.002 | 0.004 | yes |" in markdown
    assert "| war_and_peace | 130k GRU 2 | 50k GRU 2 | -0.130 | -0.147 | +0.017 | 0.006 | yes |" in markdown
    assert "| war_and_peace | 130k GRU 2 | 130k LSTM 1 | -0.040 | -0.051 | +0.011 | 0.005 | yes |" in markdown
    # a cell the paper lacks (RNN at 1.3M) has no paper difference; a gap over 0.02 is "no"
    _write_result(tmp_path, "war_and_peace-1.3m-lstm-1", "war_and_peace", "1.3m", "lstm", 1, 1.20)
    _write_result(tmp_path, "war_and_peace-1.3m-rnn-1", "war_and_peace", "1.3m", "rnn", 1, 1.25)
    markdown = differences_markdown(collect_results(str(tmp_path)))
    assert "| war_and_peace | 1.3m RNN 1 | 1.3m LSTM 1 | +0.050 | - | - | 0.014 | - |" in markdown
    _write_result(tmp_path, "war_and_peace-130k-rnn-1", "war_and_peace", "130k", "rnn", 1, 1.44, 0.003)
    markdown = differences_markdown(collect_results(str(tmp_path)))
    assert "| war_and_peace | 130k RNN 1 | 130k LSTM 1 | +0.090 | +0.140 | -0.050 | 0.004 | no |" in markdown
