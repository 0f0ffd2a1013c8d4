"""train.py --precision bf16 (Keras' mixed_bfloat16): the same model as fp32 within bfloat16's rounding, float32
weights, loss and carried states, and a bf16 run that resumes bit-identically, as an fp32 run does."""

import json

import keras
import numpy as np
import pytest

from tests.training_helpers import QUIET, error_line, run_script, tiny_config, write_tiny_corpus

pytestmark = pytest.mark.slow   # real training runs


@pytest.fixture
def corpus(tmp_path):
    return write_tiny_corpus(tmp_path)


def test_bf16_and_fp32_runs_of_one_seed_end_close_with_float32_weights_and_states(corpus, tmp_path):
    from karpathy_rnn.training.trainer import Trainer

    results, trainers = {}, {}
    for precision in ("fp32", "bf16"):
        trainer = Trainer(tiny_config(corpus, tmp_path, name=precision, precision=precision, max_steps=40,
                                      eval_every=20, hidden=24), **QUIET)
        results[precision] = trainer.run()
        trainers[precision] = trainer
        keras.backend.clear_session()
    bf16 = trainers["bf16"]
    assert [layer.dtype_policy.name for layer in bf16.model.layers[1:]] == [
        "mixed_bfloat16", "mixed_bfloat16", "mixed_bfloat16", "float32"]   # one-hot, 2 LSTMs; the logits float32
    assert all(v.dtype in ("float32", "int64") for v in bf16.model.variables + bf16.optimizer.variables)
    assert all(v.dtype == "float32" for v in bf16.progress.states.values())     # carried across batches in float32
    assert json.loads((tmp_path / "bf16" / "config.json").read_text())["precision"] == "bf16"
    fp32_val, bf16_val = results["fp32"]["val_loss_nats"], results["bf16"]["val_loss_nats"]
    start = np.log(len(bf16.corpus.vocabulary.chars))
    assert fp32_val < start - 0.5 and bf16_val < start - 0.5        # both learned
    assert abs(fp32_val - bf16_val) < 0.05                          # the same model, up to bf16's rounding
    for a, b in zip(trainers["fp32"].model.weights, bf16.model.weights):   # the same start, so near weights
        a, b = np.asarray(a), np.asarray(b)
        assert np.abs(a - b).max() < 0.1 * max(np.abs(a).max(), 1e-3), a.shape


def test_a_bf16_run_resumes_bit_identically(corpus, tmp_path):
    from karpathy_rnn.training.trainer import Trainer

    config = dict(max_steps=11, eval_every=4, checkpoint_every=3, precision="bf16", dropout=0.25)
    straight = Trainer(tiny_config(corpus, tmp_path, name="straight", **config), **QUIET)
    straight.run()
    keras.backend.clear_session()
    Trainer(tiny_config(corpus, tmp_path, name="resumed", **{**config, "max_steps": 6}), **QUIET).run()
    keras.backend.clear_session()
    second = Trainer(tiny_config(corpus, tmp_path, name="resumed", resume=True, **config), **QUIET)
    results = second.run()
    for a, b in zip(straight.model.variables + straight.optimizer.variables,
                    second.model.variables + second.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)
    expected = json.loads((tmp_path / "straight" / "results.json").read_text())
    for key in ("test_loss_nats", "val_loss_nats", "steps"):
        assert results[key] == expected[key], key


def test_precision_is_checked_and_kept_on_resume(corpus, tmp_path):
    common = ["--corpus", corpus, "--hidden", "8", "--batch-size", "10", "--unroll", "20", "--max-steps", "2",
              "--logdir", tmp_path, "--name", "run", "--no-progress"]
    unknown = run_script("train.py", *common, "--precision", "fp8")
    assert unknown.returncode == 2
    assert "unknown --precision 'fp8'; use one of fp32, bf16" in error_line(unknown)
    assert run_script("train.py", *common, "--precision", "bf16").returncode == 0
    other = run_script("train.py", *common, "--resume", "--max-steps", "3")     # fp32 now: refused, as --hidden is
    assert other.returncode == 2 and "precision='bf16' there, 'fp32' here" in error_line(other)


def test_bf16_where_tensorflow_cannot_multiply_it_is_one_clear_error(monkeypatch):
    import tensorflow as tf

    from karpathy_rnn.errors import KRNNError
    from karpathy_rnn.training import precision

    def no_kernel(*args, **kwargs):
        raise tf.errors.NotFoundError(None, None, "No registered 'MatMul' OpKernel for 'CPU' with T=DT_BFLOAT16")

    monkeypatch.setattr(tf, "matmul", no_kernel)
    with pytest.raises(KRNNError, match=r"--precision bf16: TensorFlow cannot multiply bfloat16 matrices on this "
                                        r"machine \(NotFoundError: No registered 'MatMul'.*use --precision fp32"):
        precision.check_precision("bf16", log=lambda message: None)
    notes = []
    monkeypatch.undo()
    monkeypatch.setattr(precision, "bf16_units", lambda flags=None: [])
    assert precision.check_precision("bf16", log=notes.append) == "mixed_bfloat16"
    assert notes and "no bfloat16 units" in notes[0]
    monkeypatch.undo()
    assert precision.bf16_units({"avx512_bf16", "amx_bf16"}) == ["AMX-BF16", "AVX512-BF16"]
    assert precision.bf16_units({"avx512f"}) == []
