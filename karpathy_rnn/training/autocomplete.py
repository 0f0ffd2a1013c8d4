"""Training and testing the autocomplete models of Distill 2019's appendix with keras.Model.fit.

A run directory holds config.json (task "autocomplete"), words.json (the output vocabulary), backup/ (Keras'
BackupAndRestore: weights, optimiser and epoch every `backup_every` batches and at the end, so a killed run resumes
at the start of the epoch it was in, with the weights of its last backup, and a finished one can go on for more
epochs), best.keras (the
best validation loss), TensorBoard events (train/loss every `log_every` batches, val/* at each epoch's end, at step =
mini-batches), and at the end results.json and accuracy_by_seen.csv/.png (the article's test table
and accuracy graph).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass

import numpy as np

from karpathy_rnn.analysis.autocomplete import TOP_K, accuracy_by_seen, overall, target_ranks
from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training.config import DISTRIBUTE, UNIT_NAMES

TASK = "autocomplete"
BEST_MODEL = "best.keras"
WORDS_FILE = "words.json"
# what a resumed run must share with the run it continues (epochs may grow)
RESUME_FIXED = ("unit", "layers", "units", "depth", "words", "length", "split", "batch_size", "seed", "corpus",
                "distribute")


@dataclass
class AutocompleteConfig:
    """Every setting of an autocomplete run; defaults are the CPU size (the article's: `article()`)."""

    corpus: str = "war_and_peace"
    unit: str = "gru"
    layers: int | None = None          # None: 1 for the Nested LSTM, else 2 (the article's)
    units: int = 256
    depth: int = 2                     # Nested LSTM depth
    words: int = 2**11
    length: int = 200
    split: str = "90/5/5"
    batch_size: int = 64
    epochs: int = 3
    seed: int = 0
    logdir: str = "runs"
    name: str | None = None            # None: autocomplete-<corpus>-<unit>-<layers>x<units>
    resume: bool = False
    data_dir: str | None = None
    backup_every: int = 100            # batches between backups
    log_every: int = 20                # batches between batch_loss summaries
    max_steps: int | None = None       # stop each epoch after this many batches (smoke runs and tests)
    distribute: str = "none"           # "mirrored": tf.distribute.MirroredStrategy over every GPU (or the CPUs)

    @classmethod
    def article(cls, **changes) -> AutocompleteConfig:
        """The article's setting: text8, 600 units, 2^14 words, batch 64, two epochs (appendix)."""
        return cls(**{"corpus": "text8", "units": 600, "words": 2**14, "epochs": 2, **changes})

    def __post_init__(self):
        if self.layers is None:
            self.layers = 1 if self.unit == "nlstm" else 2

    @property
    def run_name(self) -> str:
        """The run directory's name."""
        stem = os.path.basename(str(self.corpus)).split(".")[0]
        return self.name or f"autocomplete-{stem}-{self.unit}-{self.layers}x{self.units}"

    def to_dict(self) -> dict:
        """The settings as JSON, with the task named."""
        return {"task": TASK, **dataclasses.asdict(self)}

    def check(self) -> None:
        """A clear KRNNError naming the first bad setting."""
        if self.distribute not in DISTRIBUTE:
            raise KRNNError(f"--distribute {self.distribute!r} is not one of {', '.join(DISTRIBUTE)}")
        if self.unit not in UNIT_NAMES:
            raise KRNNError(f"--unit {self.unit!r} is not one of {', '.join(UNIT_NAMES)}")
        for name, low in (("layers", 1), ("units", 1), ("depth", 1), ("length", 2), ("batch_size", 1),
                          ("epochs", 1), ("backup_every", 1), ("log_every", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise KRNNError(f"--{name.replace('_', '-')} must be an integer >= {low}, got {value!r}")
        if isinstance(self.words, bool) or not isinstance(self.words, int) or self.words < 3:
            raise KRNNError(f"--words {self.words!r} is below 3: the output vocabulary needs at least 3 words "
                            "(the article uses 16384)")
        if self.max_steps is not None and self.max_steps < 1:
            raise KRNNError(f"--max-steps must be a positive integer, got {self.max_steps!r}")


def build_data(config: AutocompleteConfig):
    """The run's AutocompleteData from its corpus (a name or a path)."""
    from karpathy_rnn.data.autocomplete import build_autocomplete
    from karpathy_rnn.data.corpus import corpus_text

    text, _, _ = corpus_text(config.corpus, config.data_dir)
    return build_autocomplete(text, words=config.words, length=config.length, split=config.split,
                              normalized=False)


def compile_model(model):
    """Adam with default parameters (appendix); the loss averages over scored positions only."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                  reduction="mean_with_sample_weight"),
                  weighted_metrics=[keras.metrics.SparseCategoricalAccuracy("accuracy")]
                  + [keras.metrics.SparseTopKCategoricalAccuracy(k, name=f"top{k}_accuracy")
                     for k in range(2, TOP_K + 1)])
    return model


BEST_MODEL_FIX = ("remove it and run scripts/autocomplete.py train --resume with the run's flags (a new one is "
                  "written at the next epoch's end)")
BACKUP_FILES = ("latest.weights.h5", "training_metadata.json")   # Keras' BackupAndRestore; double_checkpoint adds .bkp


def backup_metadata_problem(path: str) -> str | None:
    """What is wrong with a BackupAndRestore training_metadata.json (None: absent or whole)."""
    import json

    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            values = json.load(handle)
    except (OSError, ValueError) as error:
        return f"not readable JSON: {str(error).splitlines()[0][:80]}"
    if not isinstance(values, dict) or not isinstance(values.get("epoch"), int) or values["epoch"] < 0:
        return f"no epoch in {str(values)[:60]!r}"
    return None


def check_backup(backup_dir: str, log=print) -> None:
    """Before a resume: a damaged training_metadata.json (Keras would stop on json.loads) is replaced by the backup
    before it when that one is whole (a warning), else KRNNError naming the file and the fix."""
    import shutil

    weights, metadata = (os.path.join(backup_dir, name) for name in BACKUP_FILES)
    problem = backup_metadata_problem(metadata)
    if problem is None:
        return
    earlier = [path + ".bkp" for path in (weights, metadata)]
    if all(os.path.isfile(path) for path in earlier) and backup_metadata_problem(earlier[1]) is None:
        for source, target in zip(earlier, (weights, metadata)):
            shutil.copyfile(source, target)
        log(f"warning: {metadata} was damaged ({problem}); resuming from the backup before it")
        return
    raise KRNNError(f"{metadata} is damaged ({problem}) and no earlier backup is whole; remove {backup_dir} to train "
                    "again from the first epoch (best.keras is kept), or restore the file")


def callbacks(config: AutocompleteConfig, run_dir: str) -> list:
    """BackupAndRestore, then the scalar log (which first drops what a killed run logged after that backup), then the
    best-model checkpoint."""
    import keras
    import tensorflow as tf

    from karpathy_rnn.training.events import drop_replayed_events

    class ScalarLog(keras.callbacks.Callback):
        """train/loss every `log_every` batches and val/* at each epoch's end, at step = mini-batches (the article's
        x-axis), into the run directory as train.py logs."""

        def on_train_begin(self, logs=None):
            self.step = int(self.model.optimizer.iterations.numpy())
            if self.step:                                                 # restored by BackupAndRestore
                drop_replayed_events(run_dir, self.step, True)
            self.writer = tf.summary.create_file_writer(run_dir)

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self.step % config.log_every == 0:
                with self.writer.as_default(step=self.step):
                    tf.summary.scalar("train/loss", float(logs["loss"]))
                    tf.summary.scalar("train/accuracy", float(logs["accuracy"]))

        def on_epoch_end(self, epoch, logs=None):
            with self.writer.as_default(step=self.step):
                for name in ("loss", "accuracy", "top2_accuracy", "top3_accuracy"):
                    if f"val_{name}" in logs:
                        tf.summary.scalar(f"val/{name}", float(logs[f"val_{name}"]))
                tf.summary.scalar("train/epoch", epoch + 1)
            self.writer.flush()

        def on_train_end(self, logs=None):
            self.writer.close()

    class Backup(keras.callbacks.BackupAndRestore):
        """Keras' BackupAndRestore every `backup_every` batches and also at each epoch's end (Keras saves at one or
        the other), so a finished epoch is never replayed."""

        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            self._save_model()

    return [Backup(os.path.join(run_dir, "backup"), save_freq=config.backup_every, double_checkpoint=True,
                   delete_checkpoint=False),
            ScalarLog(),
            keras.callbacks.ModelCheckpoint(os.path.join(run_dir, BEST_MODEL), save_best_only=True)]


def prepare_run(config: AutocompleteConfig) -> str:
    """The run directory, made (a new run) or checked against config.json (--resume); KRNNError otherwise."""
    from karpathy_rnn.cli import writable_folder
    from karpathy_rnn.training.run_dir import check_resumable, read_json, write_json

    run_dir = os.path.join(config.logdir, config.run_name)
    stored = read_json(os.path.join(run_dir, "config.json"))
    if stored is not None and not config.resume:
        raise KRNNError(f"{run_dir} already holds an autocomplete run: give --resume to continue it, or another "
                        "--name")
    if stored is not None:
        if stored.get("task") != TASK:
            raise KRNNError(f"{run_dir} holds a {stored.get('task', 'char-LM')} run, not an autocomplete one: give "
                            "another --name")
        check_resumable(stored, config.to_dict(), RESUME_FIXED, run_dir)
    writable_folder(run_dir, "--logdir")
    write_json(os.path.join(run_dir, "config.json"), config.to_dict())
    return run_dir


def evaluate(model, split, batch_size: int = 64) -> tuple[dict, np.ndarray]:
    """The article's test numbers of `model` on an AutocompleteSplit, and the targets' ranks [N, T] (0..TOP_K, as
    analysis.autocomplete.target_ranks counts them), batch by batch."""
    from keras import ops

    loss_sum, ranks = 0.0, np.zeros(split.targets.shape, np.int8)
    weights = split.weights
    for start in range(0, len(split), batch_size):
        rows = slice(start, start + batch_size)
        logits = ops.cast(model(split.inputs[rows].astype(np.int32), training=False), "float32")
        targets = split.targets[rows].astype(np.int32)
        picked = ops.take_along_axis(logits, ops.expand_dims(targets, -1), axis=-1)[..., 0]
        losses = ops.convert_to_numpy(ops.logsumexp(logits, axis=-1) - picked)
        loss_sum += float((losses.astype(np.float64) * weights[rows]).sum())
        ranks[rows] = target_ranks(ops.convert_to_numpy(logits), targets)
    return overall(loss_sum, ranks, weights), ranks


def train(config: AutocompleteConfig, verbose: int | None = None, log=print) -> dict:
    """Train (or resume) one autocomplete model and test its best weights; returns results.json's content."""
    from karpathy_rnn.data.autocomplete import save_words
    from karpathy_rnn.training.run_dir import write_json

    # -- settings, data and the run directory (a bad one is refused before TensorFlow loads)
    config.check()
    data = build_data(config)
    run_dir = prepare_run(config)

    import keras

    from karpathy_rnn.data.autocomplete_streams import autocomplete_dataset
    from karpathy_rnn.models import autocomplete_model, load_model
    from karpathy_rnn.training.trainer import make_strategy
    save_words(data.words, os.path.join(run_dir, WORDS_FILE))
    log(f"{config.run_name}: {len(data.train):,} training observations of at most {config.length} characters, "
        f"{len(data.words):,} words (+ padding, unknown)")

    # -- the model (the same seed draws the same initial weights; a resume then loads the backup over them), on
    # TensorFlow's default device (a GPU when there is one) or mirrored over all of them
    keras.utils.set_random_seed(config.seed)
    with make_strategy(config.distribute).scope():
        model = compile_model(autocomplete_model(len(data.words), config.unit, config.layers, config.units,
                                                 config.depth, seed=config.seed))
        model.build((None, config.length))
    log(f"{model.name}: {model.count_params():,} parameters")

    # -- fit: Keras' progress bar on a terminal, a line per epoch otherwise
    train_set = autocomplete_dataset(data.train, config.batch_size, shuffle_seed=config.seed)
    val_set = autocomplete_dataset(data.val, config.batch_size)
    steps = min(config.max_steps or 10**12, -(-len(data.train) // config.batch_size))
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    check_backup(os.path.join(run_dir, "backup"), log)
    history = model.fit(train_set.repeat(), validation_data=val_set, epochs=config.epochs, steps_per_epoch=steps,
                        validation_steps=min(config.max_steps or 10**12, -(-len(data.val) // config.batch_size)),
                        callbacks=callbacks(config, run_dir), verbose=verbose)

    # -- test the best model: the article's table and accuracy graph
    best = load_model(os.path.join(run_dir, BEST_MODEL), fix=BEST_MODEL_FIX)
    results, ranks = evaluate(best, data.test, config.batch_size)
    by_seen = accuracy_by_seen(ranks, data.test.seen, data.test.weights)
    results.update(params=int(model.count_params()), epochs_completed=len(history.epoch),
                   steps=int(model.optimizer.iterations.numpy()),
                   val_loss=float(min(history.history.get("val_loss", [np.nan]))), config=config.to_dict())
    write_accuracy_by_seen(by_seen, os.path.join(run_dir, "accuracy_by_seen.csv"))
    write_json(os.path.join(run_dir, "results.json"), results)
    log(f"test: cross-entropy {results['cross_entropy']:.4f} nats, accuracy {100 * results['accuracy']:.2f}% "
        f"(top-2 {100 * results['top2_accuracy']:.2f}%, top-3 {100 * results['top3_accuracy']:.2f}%) over "
        f"{results['positions']:,} positions")
    return results


def write_accuracy_by_seen(by_seen: dict, path: str) -> None:
    """accuracy_by_seen's table as CSV: seen, count, top1, top2, top3."""
    from karpathy_rnn.atomic import atomic_file

    with atomic_file(path, "w") as out:
        out.write("seen,count," + ",".join(f"top{k}" for k in range(1, TOP_K + 1)) + "\n")
        for seen, count, row in zip(by_seen["seen"], by_seen["count"], by_seen["accuracy"]):
            out.write(f"{seen},{count}," + ",".join("" if np.isnan(v) else f"{v:.6f}" for v in row) + "\n")
