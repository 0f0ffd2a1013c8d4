"""Training dynamics against the n-NNs (Figure 5, right): the measurement on known distributions, the schedule,
a real training run whose logged comparison is recomputed from its weights and the n-NN traces in NumPy, resume,
and bad --compare-nn input in one line."""

import csv
import os

import numpy as np
import pytest

from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training import compare


class _Corpus:
    """Just what NNComparison reads of a corpus."""

    def __init__(self, test, before):
        self.test, self.before = np.asarray(test), before

    def split_ids(self, which):
        return self.test

    def scoring_ids(self, which):
        return np.concatenate([[self.before], self.test]).astype(np.int32)


class _Trace:
    def __init__(self, probabilities):
        self.probabilities, self.length, self.path = probabilities, len(probabilities), "t"


def test_measure_is_the_symmetric_kl_and_the_loss_difference_by_hand():
    p = np.array([[0.5, 0.5], [0.9, 0.1]])              # the model
    q = np.array([[0.25, 0.75], [0.9, 0.1]])            # an n-NN
    comparison = compare.NNComparison({"1-NN": _Trace(q)}, _Corpus([1, 0, 1], before=0), characters=2)
    np.testing.assert_array_equal(comparison.targets, [1, 0])
    kl, delta = comparison.measure(p)["1-NN"]
    by_hand = (0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75)) + (0.25 * np.log(0.25 / 0.5)
                                                                         + 0.75 * np.log(0.75 / 0.5))
    assert kl == pytest.approx(by_hand / 2)              # row 2 identical: KL 0
    assert delta == pytest.approx((-np.log(0.75) - np.log(0.9)) / 2 - (-np.log(0.5) - np.log(0.9)) / 2)
    assert delta < 0                                     # the n-NN is better here: negative
    with pytest.raises(KRNNError, match="fewer than the 3"):
        compare.NNComparison({"1-NN": _Trace(q)}, _Corpus([1, 0, 1], before=0), characters=3)


def _corpus(name="tiny"):
    """What nn_traces reads of a corpus (the fake traces of tests/test_analyze_longrange.fake_run: "ab")."""
    from types import SimpleNamespace

    return SimpleNamespace(name=name, sha256=None, vocabulary=SimpleNamespace(chars=["a", "b"]))


def test_nn_traces_are_in_the_order_of_n(tmp_path):
    """2-NN before 10-NN (not as names sort), given as trace folders in any order or as scripts/nn.py's folder."""
    from tests.test_analyze_longrange import fake_run

    orders = (10, 2, 12, 1, 11, 3, 4, 5, 6, 7, 8, 9)
    paths = [fake_run(tmp_path, n, {"test_loss_nats": 1.0, "hidden": 8, "val_loss_nats": {"8": 1.0}}, "nn")
             for n in orders]
    wanted = [f"{n}-NN" for n in range(1, 13)]
    assert list(compare.nn_traces([os.path.join(path, "trace_test") for path in paths], _corpus())) == wanted
    assert list(compare.nn_traces([str(tmp_path)], _corpus())) == wanted
    assert list(compare.nn_traces([os.path.join(paths[0], "trace_test"), os.path.join(paths[1], "trace_test")],
                                  _corpus())) == ["2-NN", "10-NN"]


def test_a_val_split_trace_or_a_damaged_folder_is_one_line(tmp_path):
    """An n-NN trace of the validation split (Figure 5 compares on test), and a results.json cut short in
    scripts/nn.py's folder: KRNNError in one line naming it, what is wrong and the fix."""
    from tests.test_analyze_longrange import fake_run, truncate

    path = fake_run(tmp_path / "val", 2, {"val_loss_nats": 1.0}, "nn", splits=("val",))
    with pytest.raises(KRNNError) as error:
        compare.nn_traces([os.path.join(path, "trace_val")], _corpus())
    message = str(error.value)
    assert "trace_val' is not an n-NN trace of tiny's test split" in message and "(it is of the val split)" in message
    assert "`python scripts/nn.py --corpus tiny`" in message and "\n" not in message
    path = fake_run(tmp_path / "cut", 3, {"test_loss_nats": 1.0, "hidden": 8, "val_loss_nats": {"8": 1.0}}, "nn")
    truncate(os.path.join(path, "results.json"))
    with pytest.raises(KRNNError) as error:
        compare.nn_traces([str(tmp_path / "cut")], _corpus())
    message = str(error.value)
    assert "n3/results.json' is not readable JSON" in message and "\n" not in message
    assert "`python scripts/nn.py --corpus tiny --orders 3 --split test` again" in message


def test_schedule_every_twentieth_epoch_for_three_epochs():
    steps = [s for s in range(1, 500) if compare.due(s, 100, 0)]
    assert steps == list(range(5, 301, 5))
    assert [s for s in range(1, 50) if compare.due(s, 10, 7)] == [7, 14, 21, 28]


def test_rows_after_a_checkpoint_are_dropped(tmp_path):
    for step in (5, 10, 15):
        compare.append_rows(str(tmp_path), step, step / 10, {"1-NN": (0.5, 0.1), "2-NN": (0.4, -0.1)})
    compare.drop_rows_after(str(tmp_path), 10)
    rows = compare.read_rows(str(tmp_path / compare.CSV_FILE))
    np.testing.assert_array_equal(rows["1-NN"]["step"], [5, 10])
    np.testing.assert_array_equal(rows["2-NN"]["delta_loss"], [-0.1, -0.1])


@pytest.mark.slow
def test_a_run_logs_what_its_weights_and_the_traces_give(tmp_path):
    """Every 4 steps of a 12-step run: rows and scalars; the last row recomputed from the final weights."""
    import keras

    from karpathy_rnn.analysis.trace import Trace
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.training.trainer import Trainer
    from tests.baseline_helpers import write_baselines
    from tests.test_analyze_longrange import score_validation
    from tests.training_helpers import QUIET, logged, tiny_config, write_tiny_corpus

    path = write_tiny_corpus(tmp_path, characters=20_000)
    corpus = load_corpus(path)
    ngram, nn = write_baselines(corpus, str(tmp_path))
    score_validation(corpus, ngram, nn)           # analyze.py longrange below chooses its best on validation
    trainer = Trainer(tiny_config(path, tmp_path, name="run", max_steps=12, eval_every=6, compare_nn=[nn],
                                  compare_every=4, compare_chars=300), **QUIET)
    trainer.run()
    rows = compare.read_rows(os.path.join(trainer.run_dir, compare.CSV_FILE))
    assert list(rows) == ["1-NN", "2-NN"]
    np.testing.assert_array_equal(rows["1-NN"]["step"], [4, 8, 12])
    assert [step for step, _ in logged(trainer.run_dir, "compare/kl/2-NN")] == [4, 8, 12]
    # the final weights against the traces, in NumPy: one pass over the first 300 test characters from zero
    ids = corpus.scoring_ids("test")[:301]
    logits = keras.ops.convert_to_numpy(trainer.model(ids[None, :-1].astype(np.int32)))[0].astype(np.float64)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    targets = ids[1:]
    for name in ("1-NN", "2-NN"):
        q = np.asarray(Trace(os.path.join(nn, "tiny", f"n{name[0]}", "trace_test")).probabilities[:300], np.float64)
        kl = np.mean(np.sum((p - q) * (np.log(p) - np.log(q)), axis=1))
        delta = np.mean(-np.log(q[np.arange(300), targets])) - np.mean(-np.log(p[np.arange(300), targets]))
        assert rows[name]["symmetric_kl"][-1] == pytest.approx(kl, abs=2e-5)
        assert rows[name]["delta_loss"][-1] == pytest.approx(delta, abs=2e-5)
        assert logged(trainer.run_dir, f"compare/delta_loss/{name}")[-1][1] == pytest.approx(delta, abs=2e-5)
    # analyze.py longrange draws the two panels from the run's rows
    from tests.training_helpers import run_script

    done = run_script("analyze.py", "longrange", trainer.run_dir, "--ngram", ngram, "--nn", nn, "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    assert os.path.getsize(os.path.join(trainer.run_dir, "analysis", "test", "longrange", "figure5_dynamics.png")) > 1000


@pytest.mark.slow
def test_bad_compare_nn_is_one_line(tmp_path):
    from tests.training_helpers import error_line, run_script, write_tiny_corpus

    path = write_tiny_corpus(tmp_path, characters=20_000)
    os.makedirs(tmp_path / "notes")
    for given, message in ((tmp_path / "notes", "holds no n-NN models"), (tmp_path / "nowhere", "does not exist")):
        bad = run_script("train.py", "--corpus", path, "--hidden", "8", "--max-steps", "2", "--logdir",
                         tmp_path / "runs", "--compare-nn", given)
        assert bad.returncode == 2 and message in error_line(bad), bad.stderr[-1000:]
        assert not os.path.exists(tmp_path / "runs")      # refused before a run directory was made
    bad = run_script("train.py", "--corpus", path, "--compare-chars", "0", "--logdir", tmp_path / "runs")
    assert bad.returncode == 2 and "--compare-chars" in error_line(bad)
