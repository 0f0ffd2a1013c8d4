"""n-NN baselines (section 4.3): the one-hot input layer against an explicit float64 one-hot matmul, the windows
fed by tf.data, scoring a split as one stream, the paper's recipe, training with early stopping and resume, and
scripts/nn.py end to end (Table 2's row, one trace with whole distributions, bad input in one line)."""

import json
import os

import numpy as np
import pytest

from karpathy_rnn.errors import KRNNError


def test_one_hot_dense_is_the_dense_layer_on_concatenated_one_hots():
    """Row j*K + k of the kernel weighs "character k at position j": checked against one_hot(...).reshape @ W."""
    import keras

    from karpathy_rnn.layers import OneHotDense

    K, n, H = 7, 3, 5
    layer = OneHotDense(H, K, activation="tanh", seed=3, dtype="float64")
    ids = np.array([[0, 6, 2], [3, 3, 3], [6, 0, 1]])
    out = keras.ops.convert_to_numpy(layer(ids))
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in (layer.kernel, layer.bias))
    one_hot = np.eye(K)[ids].reshape(len(ids), n * K)                 # the paper's sparse nK-wide input
    np.testing.assert_allclose(out, np.tanh(one_hot @ kernel + bias), rtol=0, atol=1e-12)
    assert kernel.shape == (n * K, H) and np.abs(kernel).max() <= 0.08 and np.abs(bias).max() <= 0.08
    assert not np.allclose(kernel[:H].ravel()[:H], bias)             # kernel and bias: each its own stream
    again = OneHotDense.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()


def test_windows_are_the_n_characters_before_each_target():
    from karpathy_rnn.baselines import nn

    ids = np.arange(10, 22, dtype=np.int32)                            # 12 distinct ids
    batches = list(nn.window_dataset(ids, 3, 4))
    contexts = np.concatenate([b[0].numpy() for b in batches])
    targets = np.concatenate([b[1].numpy() for b in batches])
    np.testing.assert_array_equal(targets, ids[3:])
    np.testing.assert_array_equal(contexts, np.stack([ids[t - 3:t] for t in range(3, 12)]))
    shuffled = nn.window_dataset(ids, 3, 4, seed=1)
    epochs = [np.concatenate([b[1].numpy() for b in shuffled]) for _ in range(2)]
    assert sorted(epochs[0]) == list(ids[3:]) and sorted(epochs[1]) == list(ids[3:])   # each target once
    assert not np.array_equal(epochs[0], ids[3:]) and not np.array_equal(epochs[0], epochs[1])  # reshuffled
    with pytest.raises(KRNNError, match="no 3-character windows"):
        nn.window_dataset(ids[:3], 3, 4)


def test_with_context_keeps_the_last_n_characters_before():
    from karpathy_rnn.baselines import nn

    np.testing.assert_array_equal(nn.with_context(np.array([1, 2, 3, 4]), np.array([9]), 2), [3, 4, 9])
    np.testing.assert_array_equal(nn.with_context(np.array([1]), np.array([9]), 2), [1, 9])


def test_split_distributions_score_every_character_continuing_the_text_before():
    """Character 0 of the split sees the last n characters before it; rows are the softmax of the model's logits,
    whatever the chunking."""
    import keras

    from karpathy_rnn.baselines import nn

    K, n = 6, 2
    model = nn.build_model(K, n, 8, seed=1)
    rng = np.random.default_rng(0)
    before, ids = rng.integers(0, K, 50).astype(np.int32), rng.integers(0, K, 37).astype(np.int32)
    chunks = list(nn.split_distributions(model, before, ids, rows=10))
    assert [start for start, _ in chunks] == [0, 10, 20, 30]
    probabilities = np.concatenate([p for _, p in chunks])
    stream = np.concatenate([before, ids])
    windows = np.stack([stream[50 + t - n:50 + t] for t in range(len(ids))])
    logits = keras.ops.convert_to_numpy(model(windows)).astype(np.float64)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert probabilities.shape == (37, K)
    np.testing.assert_allclose(probabilities, expected, atol=1e-6)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    with pytest.raises(KRNNError, match="needs 2 characters before"):
        next(nn.split_distributions(model, before[:1], ids))


def test_the_recipe_is_section_3_3s():
    import keras

    from karpathy_rnn.baselines import nn

    model = nn.compile_model(nn.build_model(5, 2, 4), 2e-3, 0.95, 5.0)
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.RMSprop)
    assert float(optimizer.learning_rate) == pytest.approx(2e-3) and optimizer.rho == 0.95
    assert optimizer.clipvalue == 5.0
    assert nn.BATCH_SIZE == 100
    weights = np.concatenate([np.ravel(w.numpy()) for w in model.weights])
    assert np.abs(weights).max() <= 0.08 and np.abs(weights).max() > 0.07


def small_corpus(tmp_path):
    from karpathy_rnn.data.corpus import load_corpus
    from tests.training_helpers import write_tiny_corpus

    return load_corpus(write_tiny_corpus(tmp_path, characters=12_000))


def test_train_one_learns_stops_early_and_is_not_trained_twice(tmp_path):
    from karpathy_rnn.baselines import nn

    corpus = small_corpus(tmp_path)
    folder = str(tmp_path / "h16")
    result = nn.train_one(corpus, 2, 16, folder, epochs=30, patience=1)
    losses = result["val_losses"]
    assert result["epochs"] == len(losses) < 30                       # early stopping ended it
    assert result["best_epoch"] == int(np.argmin(losses)) + 1 == len(losses) - 1   # patience 1: one epoch more
    assert result["val_loss_nats"] == min(losses) < np.log(corpus.vocabulary.size) - 0.5
    model = nn.load(folder)                                            # best.keras: the best epoch's weights
    ids = corpus.split_ids("val")
    probabilities = np.concatenate([p for _, p in nn.split_distributions(model, corpus.split_ids("train"), ids)])
    assert -np.log(probabilities[np.arange(len(ids)), ids]).mean() == pytest.approx(min(losses), abs=2e-3)
    assert not os.path.exists(os.path.join(folder, "backup"))          # BackupAndRestore cleaned up
    again = nn.train_one(corpus, 2, 16, folder, epochs=30, patience=1)  # read back, not retrained
    assert again == result
    assert (result["learning_rate"], result["decay"], result["decay_after"]) == (2e-3, 0.95, 10)   # section 3.3
    with pytest.raises(KRNNError, match="holds an n-NN trained with .*'decay': 0.95.*not .*'decay': 0.5"):
        nn.train_one(corpus, 2, 16, folder, epochs=30, patience=1, schedule={"decay": 0.5, "decay_after": 2})
    done = os.path.join(folder, "result.json")            # issue 32.6: a broken one was json.load's traceback
    for broken in ("", json.dumps(result)[:40], json.dumps({"n": 2})):
        with open(done, "w", encoding="utf-8") as f:
            f.write(broken)
        with pytest.raises(KRNNError) as error:
            nn.train_one(corpus, 2, 16, folder, epochs=30, patience=1)
        assert str(error.value).startswith(done) and str(error.value).endswith(
            "remove it (or its folder) and run scripts/nn.py again to train that n-NN afresh"), str(error.value)


def test_nn_script_takes_each_orders_folder_for_one_writer(tmp_path):
    """Issue 32.8: two copies of nn.py both did the full work; a second refuses at once, naming the first."""
    from karpathy_rnn.atomic import FolderLock
    from tests.training_helpers import error_line, run_script, write_tiny_corpus

    path = write_tiny_corpus(tmp_path, characters=8_000)
    first = FolderLock(str(tmp_path / "out" / "tiny" / "n2"), "nn.py")
    done = run_script("nn.py", "--corpus", path, "--orders", "1-2", "--epochs", "1", "--out", tmp_path / "out")
    assert done.returncode == 2 and error_line(done) == (
        f"error: {tmp_path / 'out' / 'tiny' / 'n2'} is being written by another nn.py (PID {os.getpid()}); wait "
        "for it to end or stop it, or give other --orders or another --out")
    assert not (tmp_path / "out" / "tiny" / "n1" / "h128").exists()          # nothing trained before the refusal
    first.release()
    bad = run_script("nn.py", "--corpus", path, "--decay", "0", "--out", tmp_path / "out")
    assert bad.returncode == 2 and "decay" in error_line(bad)


def test_load_without_a_model_names_the_command(tmp_path):
    from karpathy_rnn.baselines import nn

    with pytest.raises(KRNNError, match=r"holds no trained n-NN.*scripts/nn.py"):
        nn.load(str(tmp_path))
    (tmp_path / "best.keras").write_bytes(b"not a model")
    with pytest.raises(KRNNError, match="cannot be read"):
        nn.load(str(tmp_path))


@pytest.mark.slow
def test_nn_script_prints_table_2s_row_and_writes_a_trace_of_whole_distributions(tmp_path):
    from karpathy_rnn.analysis.trace import Trace
    from karpathy_rnn.data.corpus import load_corpus
    from tests.training_helpers import error_line, run_script, write_tiny_corpus

    path = write_tiny_corpus(tmp_path, characters=8_000)
    out = tmp_path / "out"
    done = run_script("nn.py", "--corpus", path, "--orders", "1-2", "--hidden-sizes", "4,16", "--epochs", "3",
                      "--out", out)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |")]
    assert len(rows) == 2 and "total training time" in done.stdout
    corpus = load_corpus(path)
    for n in (1, 2):
        folder = out / "tiny" / f"n{n}"
        results = json.load(open(folder / "results.json"))
        chosen = min(results["val_loss_nats"], key=results["val_loss_nats"].get)
        assert results["hidden"] == int(chosen) and set(results["val_loss_nats"]) == {"4", "16"}
        assert os.path.isfile(folder / "best.keras") and os.path.isfile(folder / "h4" / "result.json")
        trace = Trace(folder / "trace_test")
        assert trace.distributions and trace.text == corpus.text("test")
        probabilities = np.asarray(trace.probabilities)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-4)
        targets = np.asarray(trace.targets)
        loss = -np.log(probabilities[np.arange(len(targets)), targets].astype(np.float64)).mean()
        assert results["test_loss_nats"] == pytest.approx(loss)
        assert f"| {n} | {results['hidden']} |" in rows[n - 1] and f"{loss:.3f}" in rows[n - 1]
    again = run_script("nn.py", "--corpus", path, "--orders", "1-2", "--hidden-sizes", "4,16", "--epochs", "3",
                       "--out", out, "--split", "val")            # the models read back, the val split traced
    assert again.returncode == 0, again.stderr[-2000:]               # was a TypeError: the dict of val losses
    results = json.load(open(out / "tiny" / "n2" / "results.json"))
    trace = Trace(out / "tiny" / "n2" / "trace_val")
    probabilities = np.asarray(trace.probabilities)
    targets = np.asarray(trace.targets)
    loss = -np.log(probabilities[np.arange(len(targets)), targets].astype(np.float64)).mean()
    assert results["val_trace_loss_nats"] == pytest.approx(loss) and f"| {loss:.3f} |" in again.stdout
    assert results["val_loss_nats"][str(results["hidden"])] == pytest.approx(loss, abs=2e-3)
    for args, named in [(("--orders", "0"), "n-NN context 0"), (("--orders", "21"), "n-NN context 21"),
                        (("--orders", "x"), "--orders 'x'"), (("--hidden-sizes", "0,4"), "--hidden-sizes '0,4'"),
                        (("--epochs", "0"), "--epochs (0)")]:
        bad = run_script("nn.py", "--corpus", path, "--out", out, *args)
        assert bad.returncode == 2 and named in error_line(bad), (args, bad.stderr[-500:])


def test_nn_script_keeps_small_results_in_the_repository_and_reads_them_back(tmp_path):
    """Issue 33: --keep DIR copies each order's results.json and its sizes' result.json (no models, no traces); a
    later sitting that lost --out does not train that order again for the same request, and does for another."""
    import shutil

    from tests.training_helpers import run_script, write_tiny_corpus

    path = write_tiny_corpus(tmp_path, characters=8_000)
    out, kept = tmp_path / "out", tmp_path / "docs" / "table2_nn"
    common = ("--corpus", path, "--orders", "1", "--hidden-sizes", "4", "--out", out, "--keep", kept)
    first = run_script("nn.py", *common, "--epochs", "2")
    assert first.returncode == 0, first.stderr[-2000:]
    files = sorted(str(p.relative_to(kept)) for p in kept.rglob("*") if p.is_file())
    assert files == ["tiny/n1/h4/result.json", "tiny/n1/results.json"]
    assert json.load(open(kept / "tiny" / "n1" / "results.json")) == json.load(open(out / "tiny" / "n1" /
                                                                                     "results.json"))
    row = next(line for line in first.stdout.splitlines() if line.startswith("| 1 |"))
    shutil.rmtree(out)
    again = run_script("nn.py", *common, "--epochs", "2")
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"n = 1: kept in {kept}, not trained again" in again.stdout and row in again.stdout
    assert not (out / "tiny" / "n1" / "h4").exists()
    other = run_script("nn.py", *common, "--epochs", "3")                  # another request: trained
    assert other.returncode == 0, other.stderr[-2000:]
    assert "kept in" not in other.stdout and (out / "tiny" / "n1" / "h4" / "result.json").is_file()
    assert json.load(open(kept / "tiny" / "n1" / "results.json"))["max_epochs"] == 3


def test_paper_nn_numbers_are_table_2s():
    from karpathy_rnn.baselines.paper import paper_nn

    assert paper_nn("war_and_peace", 1) == 2.399 and paper_nn("war_and_peace", 6) == 1.321
    assert paper_nn("linux_kernel_paper", 6) == 1.376 == paper_nn("linux_kernel", 6)
    assert paper_nn("war_and_peace", 7) is None and paper_nn("tiny", 1) is None
