"""The paper's training recipe (section 3.3) as the trainer really applies it (issue 18): RMSProp on clipped
gradients with the rho and epsilon documented, the learning-rate decay, early stopping, the test loss of the
best model, resume only on the same data, and the XLA switch. Each test spies on a tiny run."""

import json
import os

import numpy as np
import pytest

from tests.training_helpers import QUIET, error_line, logged, run_script, tiny_config, write_tiny_corpus


@pytest.fixture
def corpus(tmp_path):
    return write_tiny_corpus(tmp_path)


def scalars(run_dir, tag):
    """[(step, value)] of a scalar tag in a run directory's TensorBoard events."""
    return [(step, float(value)) for step, value in logged(run_dir, tag)]


def test_update_is_rmsprop_with_the_documented_rho_and_epsilon_on_clipped_gradients(corpus, tmp_path):
    """A --clip of 1e-7 clips most gradient elements of this tiny model: the optimiser must be handed exactly the true
    gradient clipped to [-clip, clip] (the batch's mean cross-entropy, recomputed here at the same weights), and
    each step's weight change must be RMSProp on it in float64: v = rho v + (1 - rho) g^2,
    w -= lr g / sqrt(v + 1e-16) (ARCHITECTURE.md: epsilon 1e-16 inside Keras' square root)."""
    import keras
    import tensorflow as tf

    from karpathy_rnn.training.config import learning_rate_at
    from karpathy_rnn.training.trainer import Trainer

    clip, rho, epsilon = 1e-7, 0.95, 1e-16
    trainer = Trainer(tiny_config(corpus, tmp_path, clip=clip, rho=rho, max_steps=3, eval_every=0,
                                  sample_length=0), **QUIET)
    weights = trainer.model.trainable_variables
    handed = [tf.Variable(tf.zeros(w.shape, w.dtype), trainable=False) for w in weights]
    apply = trainer.optimizer.apply

    def spy_apply(grads, variables):           # traced into the step: records what the optimiser is handed
        for slot, grad in zip(handed, grads):
            slot.assign(grad)
        return apply(grads, variables)

    trainer.optimizer.apply = spy_apply
    step, steps = trainer._train_step, []

    def spy_step(inputs, targets, states):
        with tf.GradientTape() as tape:
            out = trainer.carry({"ids": inputs, **states}, training=True)
            ce = keras.losses.sparse_categorical_crossentropy(targets, out["logits"], from_logits=True)
            loss = tf.reduce_sum(ce) / float(np.prod(inputs.shape))
        true = [np.asarray(g, np.float64) for g in tape.gradient(loss, weights)]
        before = [np.asarray(w, np.float64) for w in weights]
        result = step(inputs, targets, states)
        steps.append((true, [np.asarray(h, np.float64) for h in handed], before,
                      [np.asarray(w, np.float64) for w in weights]))
        return result

    trainer._train_step = spy_step
    trainer.run()
    assert len(steps) == 3
    lr = learning_rate_at(trainer.config, 0)
    velocity = [np.zeros(w.shape) for w in weights]
    for index, (true, grads, before, after) in enumerate(steps):
        clipped = np.concatenate([np.abs(g).ravel() >= clip for g in true])
        assert clipped.mean() > 0.5, f"step {index + 1}: only {clipped.mean():.0%} of the gradient exceeds --clip"
        for w, g_true, g, v, old, new in zip(weights, true, grads, velocity, before, after):
            assert np.abs(g).max() <= clip * (1 + 1e-6), f"step {index + 1}, {w.path}: gradient not clipped"
            np.testing.assert_allclose(g, np.clip(g_true, -clip, clip), rtol=0, atol=clip * 1e-3,
                                       err_msg=f"step {index + 1}, {w.path}")
            v *= rho
            v += (1 - rho) * g ** 2
            np.testing.assert_allclose(old - new, lr * g / np.sqrt(v + epsilon), rtol=1e-4, atol=1e-8,
                                       err_msg=f"step {index + 1}, {w.path}")


def overshooting_run(corpus, tmp_path, **overrides):
    """A run whose learning rate is so large that the validation loss soon stops improving (evaluated every 2
    steps, patience 2, at most 100 steps): (trainer, results)."""
    from karpathy_rnn.training.trainer import Trainer

    config = dict(learning_rate=0.3, eval_every=2, patience=2, max_steps=100, epochs=1, sample_length=0,
                  checkpoint_every=1000)
    trainer = Trainer(tiny_config(corpus, tmp_path, **{**config, **overrides}), **QUIET)
    return trainer, trainer.run()


def test_early_stopping_stops_after_patience_evaluations_without_a_better_validation_loss(corpus, tmp_path):
    trainer, results = overshooting_run(corpus, tmp_path)
    val = scalars(trainer.run_dir, "val/loss")
    assert [step for step, _ in val] == list(range(2, results["steps"] + 1, 2))
    # where it must stop: the first evaluation that is the 2nd in a row not better than the best before it
    best, since, expected = np.inf, 0, None
    for step, loss in val:
        best, since = (loss, 0) if loss < best else (best, since + 1)
        if since >= 2:
            expected = step
            break
    assert expected is not None and expected < 100, val          # it did overshoot
    assert results["stopped_by"] == "early_stopping" and results["steps"] == expected, (results["steps"], val)
    assert results["val_loss_nats"] == pytest.approx(best) and results["best_step"] == expected - 4
    assert bool(trainer.progress.stopped_early)


def test_test_loss_is_the_best_models_not_the_last_ones(corpus, tmp_path):
    """After the best evaluation the model got worse: results.json's test loss is best.keras's (reloaded from
    disk and evaluated here over the test split's lanes), not the final weights'."""
    from karpathy_rnn.models import load_model, probe_model
    from karpathy_rnn.training.evaluation import split_losses
    from karpathy_rnn.training.trainer import make_eval_step

    trainer, results = overshooting_run(corpus, tmp_path)
    assert results["best_step"] < results["steps"]

    def test_loss(model):
        step, zero_states = make_eval_step(probe_model(model, carry_states=True, gates=False), trainer.state_sizes)
        config = trainer.config
        return float(split_losses(step, zero_states, trainer.corpus.scoring_ids("test"), config.batch_size,
                                  config.unroll).mean())

    best = test_loss(load_model(os.path.join(trainer.run_dir, "best.keras")))
    last = test_loss(trainer.model)
    assert abs(best - last) > 1e-3, (best, last)                  # the two models really differ
    assert results["test_loss_nats"] == pytest.approx(best, rel=1e-6, abs=1e-6)
    on_disk = json.loads((tmp_path / os.path.basename(trainer.run_dir) / "results.json").read_text())
    assert on_disk["test_loss_nats"] == results["test_loss_nats"]


def test_learning_rate_decays_each_epoch_after_decay_after(tmp_path):
    """char-rnn's schedule as logged and as the optimiser used: 0.01 for epochs 1-2 (decay_after 2), then x0.5
    per epoch; a 3,000-character corpus makes an epoch 13 steps."""
    from karpathy_rnn.training.trainer import Trainer

    small = write_tiny_corpus(tmp_path, "small.txt", characters=3000)
    trainer = Trainer(tiny_config(small, tmp_path, epochs=5, eval_every=0, learning_rate=0.01, decay=0.5,
                                  decay_after=2, sample_length=0, patience=0), **QUIET)
    per_epoch = trainer.steps_per_epoch
    assert per_epoch == 13
    results = trainer.run()
    assert results["steps"] == 5 * per_epoch and results["stopped_by"] == "epochs"
    logged = scalars(trainer.run_dir, "train/learning_rate")
    expected = [0.01] * 2 * per_epoch + [0.005] * per_epoch + [0.0025] * per_epoch + [0.00125] * per_epoch
    assert [step for step, _ in logged] == list(range(1, 5 * per_epoch + 1))
    np.testing.assert_allclose([value for _, value in logged], expected, rtol=1e-6)
    assert float(trainer.optimizer.learning_rate) == pytest.approx(0.00125, rel=1e-6)   # used, not only logged


def test_resume_refuses_another_corpus_text_or_split(corpus, tmp_path):
    """Same vocabulary, same flags, but another text (or another split of it): --resume would silently train
    a checkpoint on other data, so it is refused with one line naming what differs (exit 2 from train.py)."""
    import keras

    from karpathy_rnn.errors import KRNNError
    from karpathy_rnn.training.trainer import Trainer

    os.makedirs(tmp_path / "edited")
    edited = write_tiny_corpus(tmp_path / "edited", "tiny.txt", seed=7)     # the same name and characters
    assert set(open(edited, encoding="utf-8").read()) == set(open(corpus, encoding="utf-8").read())
    config = dict(name="run", max_steps=2, eval_every=0, sample_length=0)
    Trainer(tiny_config(corpus, tmp_path, **config), **QUIET).run()
    keras.backend.clear_session()
    with pytest.raises(KRNNError, match=r"cannot resume .*corpus_sha256=") as refused:
        Trainer(tiny_config(edited, tmp_path, resume=True, **{**config, "max_steps": 4}), **QUIET)
    assert "vocabulary" not in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(KRNNError, match=r"cannot resume .*split=None there, '80/10/10' here"):
        Trainer(tiny_config(corpus, tmp_path, resume=True, split="80/10/10", **{**config, "max_steps": 4}), **QUIET)
    done = run_script("train.py", "--corpus", edited, "--logdir", tmp_path, "--name", "run", "--resume", "--hidden",
                      12, "--batch-size", 10, "--unroll", 20, "--max-steps", 4, "--seed", 1, "--no-progress")
    assert done.returncode == 2 and "corpus_sha256=" in error_line(done)
    Trainer(tiny_config(corpus, tmp_path, resume=True, **{**config, "max_steps": 4}), **QUIET).run()  # same data


def test_no_xla_runs_the_fused_loops_without_xla(corpus, tmp_path, monkeypatch):
    """README/ARCHITECTURE: `fused_xla=False` keeps the fused op but turns XLA off; train.py's --no-xla
    (config xla=False) builds the model so. Every fused loop a training step traces is spied on."""
    from karpathy_rnn.layers import fused_tf
    from karpathy_rnn.models import recurrent_layers
    from karpathy_rnn.training.trainer import Trainer

    compiled = fused_tf._compiled
    seen = []

    def spy(function, jit):
        result = compiled(function, jit)
        seen.append((function.__name__, jit, fused_tf._COMPILED[function, jit]._jit_compile))
        return result

    monkeypatch.setattr(fused_tf, "_compiled", spy)
    for unit in ("lstm", "gru", "rnn"):
        for xla in (False, True):
            seen.clear()
            trainer = Trainer(tiny_config(corpus, tmp_path, name=f"{unit}-{xla}", unit=unit, xla=xla, max_steps=1,
                                          eval_every=0, sample_length=0), **QUIET)
            assert [layer.fused_xla for layer in recurrent_layers(trainer.model)] == [xla, xla]
            trainer.run()
            names = {name for name, _, _ in seen}
            assert {f"_{unit}_forward", f"_{unit}_backward"} <= names, (unit, seen)   # the fused op ran
            assert all(jit is xla and compiled_with is xla for _, jit, compiled_with in seen), (unit, xla, seen)
