"""The training loop: the paper's recipe (section 3.3) over char-rnn lanes, logged for TensorBoard, resumable exactly.

One run: corpus -> lanes of B x T (state carried from batch to batch, zeroed at each epoch's start) ->
RMSProp with char-rnn's learning-rate decay and gradient clipping -> evaluation over the whole
validation split -> best model (best.keras), checkpoints (weights, optimiser, carried states, data
position, RNG) -> test cross-entropy with its bootstrap error in results.json.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time

import numpy as np

from karpathy_rnn.data import load_corpus
from karpathy_rnn.data.lanes import steps_per_epoch
from karpathy_rnn.errors import CorpusNotFoundError, CorpusTooShortError, DownloadError, KRNNError
from karpathy_rnn.training.budget import hidden_for_budget, model_parameters
from karpathy_rnn.training.compare import drop_rows_after
from karpathy_rnn.training.compare import due as compare_due
from karpathy_rnn.training.config import (
    DEFAULT_CORPUS,
    DEFAULT_HIDDEN,
    FALLBACK_CORPUS,
    RESUME_FIXED,
    TrainConfig,
    check_config,
    learning_rate_at,
)
from karpathy_rnn.training.evaluation import (
    BLOCK_CHARACTERS,
    bits,
    block_bootstrap_std,
    bootstrap_std,
    split_losses,
)
from karpathy_rnn.training.events import drop_replayed_events
from karpathy_rnn.training.history import drop_snapshots_after, history_megabytes, save_snapshot, snapshots
from karpathy_rnn.training.memory import check_training_memory, estimate_training_memory
from karpathy_rnn.training.precision import check_precision
from karpathy_rnn.training.progress import TrainingProgress, total_steps
from karpathy_rnn.training.run_dir import (
    BEST_MODEL_FILE,
    BEST_MODEL_TEMP,
    CHECKPOINT_DIR,
    CONFIG_FILE,
    RESULTS_FILE,
    RunDirLock,
    check_resumable,
    has_checkpoint,
    holds_run,
    missing_ancestor,
    remove_new_run_dir,
    prepare_run_dir,
    read_config,
    remove_leftovers,
    repair_checkpoint_state,
    write_json,
)

# char-rnn divides by sqrt(v) + 1e-8; Keras by sqrt(v + epsilon): epsilon = (1e-8)^2 gives the same floor.
# (1e-8 inside the root would floor sqrt(v) at 1e-4 and measurably slow training: 2.43 vs 2.35 nats at step 300)
RMSPROP_EPSILON = 1e-16


class TrainingDiverged(KRNNError):
    """The loss, a gradient or a weight became NaN or Inf; the last good checkpoint is kept."""


CONTINUOUS_UNROLL = 1000   # characters per call of the one-lane test pass (the state is carried: any length)


class TrainingInterrupted(KRNNError):
    """Ctrl-C: a checkpoint was saved and the run can be resumed."""


def load_training_corpus(config: TrainConfig, log=print):
    """(the run's corpus, a note to repeat at the end or None): --corpus, else War and Peace, else (offline, not
    found) the embedded corpus, with the whole instruction for getting War and Peace."""
    if config.corpus is not None:
        return load_corpus(config.corpus, split=config.split, data_dir=config.data_dir), None
    try:
        return load_corpus(DEFAULT_CORPUS, split=config.split, data_dir=config.data_dir), None
    except (CorpusNotFoundError, DownloadError) as exc:
        note = fallback_note(str(exc))
        log(note)
        return load_corpus(FALLBACK_CORPUS, split=config.split), note


def fallback_note(reason: str) -> str:
    """What a run that fell back to the embedded corpus says, whole, before training and again at the end."""
    return (f"note: War and Peace ({DEFAULT_CORPUS}) was not found, so this run trains on the embedded corpus "
            f"{FALLBACK_CORPUS} instead (Python's standard library source, needs no file).\n"
            f"      why: {reason}\n"
            f"      to train on War and Peace: python scripts/prepare_data.py {DEFAULT_CORPUS} --download (once, "
            f"with network), or set KRNN_DATA_DIR to a folder holding {DEFAULT_CORPUS}.txt(.gz), or pass "
            f"--corpus PATH")


def model_size(config: TrainConfig, vocabulary_size: int) -> tuple[int, int]:
    """(hidden units, parameter count): --hidden as given, or the size closest to --budget."""
    if config.budget is not None:
        return hidden_for_budget(config.budget, config.unit, config.layers, vocabulary_size, config.depth)
    hidden = config.hidden or DEFAULT_HIDDEN
    return hidden, model_parameters(config.unit, config.layers, hidden, vocabulary_size, config.depth)


def default_run_name(corpus_name: str, config: TrainConfig, hidden: int) -> str:
    """<corpus>-<unit>-<layers>x<hidden>, e.g. 'war_and_peace-lstm-2x128'."""
    return f"{corpus_name}-{config.unit}-{config.layers}x{hidden}"


def make_strategy(kind: str):
    """TensorFlow's default strategy (one device: the GPU when there is one) or MirroredStrategy over all GPUs
    (over the logical CPUs when there is no GPU)."""
    import tensorflow as tf

    if kind == "none":
        return tf.distribute.get_strategy()
    devices = [d.name for d in tf.config.list_logical_devices("GPU")] or \
              [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices)


class _StopFlag:
    """Ctrl-C asks the loop to stop after the current step (a second Ctrl-C interrupts at once)."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True
        signal.signal(signal.SIGINT, self._previous or signal.default_int_handler)

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class Trainer:
    """One training run in its run directory; `run()` trains (or resumes) and returns the results dict."""

    def __init__(self, config: TrainConfig, log=print, progress_bar: bool = True):
        self.config = check_config(config)     # before TensorFlow is imported: a bad flag is refused at once
        self._print = log
        self.progress_bar = progress_bar
        self.reporter = None    # the TrainingProgress of the running session
        self.saved_step = None  # the global step of the checkpoint this process last saved or restored
        self.global_step = 0
        self._created = None    # the outermost folder this process made for the run directory, if it made one
        self.corpus, self.corpus_note = load_training_corpus(config, self.log)
        self.hidden, self.params = model_size(config, self.corpus.vocabulary.size)
        try:
            self.steps_per_epoch = steps_per_epoch(len(self.corpus.train), config.batch_size, config.unroll,
                                                   config.seed)
        except CorpusTooShortError as exc:
            raise CorpusTooShortError(f"the train split of {self.corpus.name}: {exc}") from None
        for split in ("val", "test"):
            if not len(self.corpus.split_ids(split)):
                raise CorpusTooShortError(f"the {split} split of {self.corpus.name} is empty; give it a share with "
                                          "--split (e.g. 90/5/5)")
        name = config.name or default_run_name(self.corpus.name, config, self.hidden)
        self._refuse_unless_free_or_resumable(os.path.join(config.logdir, name))   # before TensorFlow: at once
        self.comparison = None                  # Figure 5 (right): the n-NNs to compare with while training
        if config.compare_nn:
            from karpathy_rnn.training.compare import NNComparison, nn_traces

            self.comparison = NNComparison(nn_traces(config.compare_nn, self.corpus), self.corpus,
                                           config.compare_chars)
        self._check_memory()                    # before anything is made
        self._created = missing_ancestor(os.path.join(config.logdir, name))   # what to remove if refused
        self.run_dir = prepare_run_dir(os.path.join(config.logdir, name))
        self.lock = RunDirLock(self.run_dir)    # one writer per run directory, before anything is written
        try:
            import tensorflow as tf

            self.strategy = make_strategy(config.distribute)
            self.replicas = self.strategy.num_replicas_in_sync
            if config.batch_size % self.replicas:
                raise KRNNError(f"--batch-size {config.batch_size} does not split over {self.replicas} replicas; "
                                f"use a multiple of {self.replicas}")
            self._check_run_dir()
            self._build()
            self.writer = tf.summary.create_file_writer(self.run_dir)
        except BaseException:
            self.lock.release()
            self._remove_if_new()
            raise

    def _check_memory(self):
        """Refuse (KRNNError) a run whose estimated memory exceeds what is free where it will train."""
        import tensorflow as tf

        config = self.config
        gpus = len(tf.config.list_physical_devices("GPU"))
        replicas = gpus if config.distribute == "mirrored" and gpus else 1
        estimate = estimate_training_memory(config.unit, config.layers, self.hidden, config.depth,
                                            self.corpus.vocabulary.size, self.params,
                                            -(-config.batch_size // replicas), config.unroll)
        if config.memory_check:
            note = check_training_memory(estimate, on_gpu=gpus > 0)
            if note:
                self.log(f"warning: {note}")

    def _remove_if_new(self):
        """Remove the run directory when this process made it and it holds no checkpoint (a refused start)."""
        if self._created is not None and not has_checkpoint(self.run_dir):
            remove_new_run_dir(self.run_dir, self._created)

    def log(self, message: str):
        """Print a line (below the progress line when one is being drawn)."""
        if self.reporter is not None:
            self.reporter.end_line()
        self._print(message)

    # ---- set-up -------------------------------------------------------------------------------------------
    def _settings(self) -> dict:
        """What config.json records of the settings, the resolved size and the data (known before TensorFlow)."""
        return {**self.config.to_dict(), "hidden": self.hidden, "params": self.params,
                "corpus_name": self.corpus.name, "corpus_sha256": self.corpus.sha256, "corpus_source": self.corpus.source,
                "vocabulary": "".join(self.corpus.vocabulary.chars)}

    def _identity(self) -> dict:
        """What config.json records: the settings, the resolved size, the data and the replicas."""
        return {**self._settings(), "replicas": self.replicas}

    def _refuse_unless_free_or_resumable(self, run_dir: str) -> bool:
        """KRNNError unless `run_dir` is free for a new run, or holds a run --resume may continue (True then)."""
        stored = read_config(run_dir)
        if has_checkpoint(run_dir) or stored is not None:
            if not self.config.resume:
                raise KRNNError(f"{run_dir} already holds a run; pass --resume to continue it, or give "
                                "another --name or --logdir")
            check_resumable(stored or {}, self._settings(), RESUME_FIXED + ("corpus_sha256", "split"), run_dir)
            return True
        if self.config.resume:                            # nothing to resume: say so, never start afresh silently
            logdir = os.path.dirname(os.path.abspath(run_dir))
            found = sorted(name for name in (os.listdir(logdir) if os.path.isdir(logdir) else [])
                           if holds_run(os.path.join(logdir, name)))
            shown = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
            raise KRNNError(f"--resume: {run_dir} holds no run to resume; runs in {logdir}: {shown or 'none'} "
                            "(give one of them with --name, or leave out --resume to start a new run)")
        return False

    def _check_run_dir(self):
        """Under the lock, the same refusals again (another process may have written meanwhile), then config.json."""
        if self._refuse_unless_free_or_resumable(self.run_dir):
            removed = remove_leftovers(self.run_dir)     # we hold the lock: nobody else is writing them
            if removed:
                self.log(f"removed what an interrupted writer left half-made: {', '.join(removed)}")
            if has_checkpoint(self.run_dir):
                repaired = repair_checkpoint_state(self.run_dir)
                if repaired:
                    self.log(f"warning: {repaired}")
        write_json(os.path.join(self.run_dir, CONFIG_FILE), self._identity())

    def _build(self):
        import keras
        import tensorflow as tf

        from karpathy_rnn.models import char_language_model, flat_states, probe_model, state_input_names

        config = self.config
        policy = check_precision(config.precision, self.log)
        with self.strategy.scope():
            self.model = char_language_model(self.corpus.vocabulary.chars, config.unit, config.layers, self.hidden,
                                             dropout=config.dropout, depth=config.depth, seed=config.seed,
                                             fused_xla=config.xla, dtype=policy)
            self.carry = probe_model(self.model, carry_states=True, gates=False)
            self.optimizer = keras.optimizers.RMSprop(config.learning_rate, rho=config.rho, epsilon=RMSPROP_EPSILON)
            self.optimizer.build(self.model.trainable_variables)
        if self.model.count_params() != self.params:
            raise AssertionError(f"parameter count {self.model.count_params()} != {self.params} (budget.py is stale)")
        self.state_sizes = state_input_names(self.model)
        self.progress = _progress_variables(self.state_sizes, config.batch_size)
        self.checkpoint = tf.train.Checkpoint(weights=[v.value for v in self.model.variables],
                                              optimizer=[v.value for v in self.optimizer.variables],
                                              progress=self.progress)
        self.manager = tf.train.CheckpointManager(self.checkpoint, os.path.join(self.run_dir, CHECKPOINT_DIR),
                                                  max_to_keep=2)
        weights, clip, replicas = self.model.trainable_variables, config.clip, self.replicas
        global_chars = float(config.batch_size * config.unroll)
        strategy, carry = self.strategy, self.carry

        def replica_step(inputs, targets, states):
            with tf.GradientTape() as tape:
                out = carry({"ids": inputs, **states}, training=True)
                ce = keras.losses.sparse_categorical_crossentropy(targets, out["logits"], from_logits=True)
                loss = tf.reduce_sum(ce) / global_chars
            grads = tape.gradient(loss, weights)
            context = tf.distribute.get_replica_context()
            grads = context.all_reduce("sum", grads)   # the whole batch's gradient, before clipping
            loss = context.all_reduce("sum", loss)
            norm = tf.linalg.global_norm(grads)
            if clip:
                grads = [tf.clip_by_value(g, -clip, clip) for g in grads]
            # the optimiser sums gradients over replicas once more: hand it 1/R of the (equal) clipped ones
            self.optimizer.apply([g / replicas for g in grads] if replicas > 1 else grads, weights)
            return loss, norm, flat_states(out["states"])

        @tf.function
        def train_step(inputs, targets, states):
            return strategy.run(replica_step, args=(inputs, targets, states))

        self._train_step = train_step
        self._eval_step, self._zero_states = make_eval_step(self.carry, self.state_sizes)
        if self.comparison is not None:
            slice_ids = tf.constant(self.comparison.ids[None, :-1].astype(np.int32))

            @tf.function
            def slice_probabilities():
                out = carry({"ids": slice_ids, **self._zero_states(1)}, training=False)
                return tf.nn.softmax(tf.cast(out["logits"][0], tf.float64))

            self._slice_probabilities = slice_probabilities

    def _compare(self):
        """Figure 5 (right): the model against each n-NN on the comparison slice, as scalars and CSV rows."""
        import tensorflow as tf

        from karpathy_rnn.training.compare import append_rows

        measured = self.comparison.measure(self._slice_probabilities().numpy())
        with self.writer.as_default(step=self.global_step):
            for name, (kl, delta) in measured.items():
                tf.summary.scalar(f"compare/kl/{name}", kl)
                tf.summary.scalar(f"compare/delta_loss/{name}", delta)
        append_rows(self.run_dir, self.global_step, self.global_step / self.steps_per_epoch, measured)

    # ---- per-replica values -------------------------------------------------------------------------------
    def _distribute(self, batch):
        """[B, ...] -> each replica's contiguous block of B/R lanes (replica r gets lanes r*B/R ...)."""
        if self.replicas == 1:
            return batch
        import tensorflow as tf

        share = self.config.batch_size // self.replicas
        return self.strategy.experimental_distribute_values_from_function(
            lambda context: tf.identity(batch[context.replica_id_in_sync_group * share:
                                              (context.replica_id_in_sync_group + 1) * share]))

    def _gather(self, value):
        """A per-replica value -> one [B, ...] array (replicas in lane order)."""
        parts = self.strategy.experimental_local_results(value)
        return np.concatenate([np.asarray(p) for p in parts], axis=0)

    def _first(self, value) -> float:
        return float(np.asarray(self.strategy.experimental_local_results(value)[0]))

    # ---- checkpoints --------------------------------------------------------------------------------------
    def _weights_finite(self) -> bool:
        return all(np.isfinite(np.asarray(v)).all() for v in self.model.trainable_variables)

    def _check_finite(self):
        if not self._weights_finite():
            self._diverged("a weight is NaN or Inf")

    def _save(self, states):
        if self.saved_step == self.global_step:
            # saved (or restored) at this very step already, with the same weights, progress and states:
            # rewriting a checkpoint that checkpoints/checkpoint names leaves an unreadable one if the
            # process dies mid-write
            return
        self._check_finite()
        for name, variable in self.progress.states.items():
            variable.assign(self._gather(states[name]))
        self.progress.global_step.assign(self.global_step)
        self.progress.epoch.assign(self.epoch)
        self.progress.step_in_epoch.assign(self.step_in_epoch)
        self.manager.save(checkpoint_number=self.global_step)
        self.saved_step = self.global_step

    def _start_history(self, total: int):
        """The weight history (--analyze-every): a resumed run's snapshots past its checkpoint dropped, step 0's taken,
        and what it will hold said."""
        dropped = drop_snapshots_after(self.run_dir, self.global_step)
        if dropped:
            self.log(f"removed {len(dropped)} weight snapshot(s) taken after the checkpoint (steps "
                     f"{', '.join(map(str, dropped[:5]))}{', ...' if len(dropped) > 5 else ''}): retrained now")
        if self.global_step == 0:
            self._snapshot()
        count, megabytes = history_megabytes(self.params, total, self.config.analyze_every)
        self.log(f"keeping the weights every {self.config.analyze_every} steps in {self.run_dir}/history: {count} "
                 f"snapshots of {self.params * 4 / 2**20:.1f} MB, {megabytes:.1f} MB in all")

    def _snapshot(self):
        """The weights at this step into RUN/history (--analyze-every)."""
        self._check_finite()
        save_snapshot(self.model, self.run_dir, self.global_step)

    def _restore(self):
        import tensorflow as tf

        unreadable = []
        for path in reversed(self.manager.checkpoints):      # newest first
            problem = _checkpoint_problem(path)           # every tensor read, so its checksum is checked
            if problem is None:
                try:
                    self.checkpoint.restore(path).assert_existing_objects_matched()
                    break
                except (tf.errors.OpError, ValueError, AssertionError) as error:
                    problem = f"{type(error).__name__}: {str(error).splitlines()[0][:80] if str(error) else ''}"
            unreadable.append(f"{os.path.basename(path)} ({problem})")
        else:
            raise KRNNError(f"no readable checkpoint in {os.path.join(self.run_dir, CHECKPOINT_DIR)} "
                            f"({'; '.join(unreadable) or 'none listed'}); start the run again without --resume "
                            "in a new --logdir or --name")
        if unreadable:
            self.log(f"warning: skipped unreadable checkpoint(s) {'; '.join(unreadable)}; resuming from the newest "
                     f"readable one, {os.path.basename(path)}")
        if not os.path.isfile(self._best_path) and math.isfinite(float(self.progress.best_val)):
            # an evaluation wrote it and it is gone (e.g. removed as unreadable): the next one writes a new one
            self.progress.best_val.assign(math.inf)
            self.progress.evaluations_since_best.assign(0)
            self.log(f"warning: {self._best_path} is missing; the next evaluation writes a new best model")
        self.saved_step = int(self.progress.global_step)
        replayed = drop_replayed_events(self.run_dir, self.saved_step,
                                        int(self.progress.last_eval_step) == self.saved_step)
        if replayed:
            self.log(f"took {replayed} TensorBoard event(s) logged after {os.path.basename(path)} out of the events "
                     "files: those steps are trained again")
        self.log(f"resuming {self.run_dir} from {os.path.basename(path)}: epoch {int(self.progress.epoch) + 1}, "
                 f"step {int(self.progress.step_in_epoch)} of {self.steps_per_epoch}")
        return {name: self._distribute(variable.read_value()) for name, variable in self.progress.states.items()}

    def _diverged(self, what: str):
        last = self.manager.latest_checkpoint
        raise TrainingDiverged(
            f"{what} at epoch {self.epoch + 1}, global step {self.global_step}; stopped without saving, so the last "
            f"good checkpoint ({os.path.basename(last) if last else 'none yet'}) and best model are kept in "
            f"{self.run_dir}; lower --learning-rate or --clip")

    # ---- evaluation ---------------------------------------------------------------------------------------
    def evaluate(self, split: str) -> np.ndarray:
        """Per-character cross-entropy [N] (nats) of the current model over every character of `split`."""
        return split_losses(self._eval_step, self._zero_states, self.corpus.scoring_ids(split),
                            self.config.batch_size, self.config.unroll)

    def _validate(self):
        import tensorflow as tf

        from karpathy_rnn.sampling import keras_stepper, sample_text

        val = float(self.evaluate("val").mean())
        p = self.progress
        improved = val < float(p.best_val)
        if improved:
            p.best_val.assign(val)
            p.best_step.assign(self.global_step)
            p.evaluations_since_best.assign(0)
            tmp = os.path.join(self.run_dir, BEST_MODEL_TEMP)
            self.model.save(tmp)
            os.replace(tmp, self._best_path)
        else:
            p.evaluations_since_best.assign_add(1)
        p.last_eval_step.assign(self.global_step)
        sample = ""
        if self.config.sample_length:
            if self._stepper is None:
                self._stepper = keras_stepper(self.model, "training model")
            prime = self.corpus.text("val")[:40] or self.corpus.text("train")[:40]
            sample = sample_text(self._stepper, prime, self.config.sample_length, 1.0, seed=self.global_step)
        with self.writer.as_default(step=self.global_step):
            tf.summary.scalar("val/loss", val)
            tf.summary.scalar("val/bits_per_char", bits(val))
            if sample:
                quoted = "\n".join("    " + line for line in (prime + sample).split("\n"))  # a code block: literal
                tf.summary.text("samples/val_prime", quoted)
        self.writer.flush()
        mark = " (best)" if improved else ""
        elapsed = time.perf_counter() - self._started
        self.log(f"step {self.global_step} (epoch {self.global_step / self.steps_per_epoch:.2f}, {elapsed:.0f} s): "
                 f"validation {val:.4f} nats/char ({bits(val):.4f} bits/char){mark}")
        if self.config.patience and int(p.evaluations_since_best) >= self.config.patience:
            p.stopped_early.assign(True)
            self.log(f"early stopping: {self.config.patience} evaluations without a better validation loss")

    # ---- the loop -----------------------------------------------------------------------------------------
    def _finished(self) -> bool:
        c = self.config
        return bool(self.progress.stopped_early) or self.epoch >= c.epochs or \
            (c.max_steps is not None and self.global_step >= c.max_steps)

    def run(self, keep_lock: bool = False) -> dict:
        """Train (continuing the checkpoint when resuming) until epochs, --max-steps or early stopping; test. With
        `keep_lock` the run directory stays locked after a run that ends well (for work done on it next, such as the
        analysis over training; release it with `self.lock.release()`)."""
        import tensorflow as tf

        finished = False
        try:
            results = self._run()
            finished = True
            return results
        except tf.errors.ResourceExhaustedError as error:
            self.lock.release()
            self._remove_if_new()
            raise KRNNError(f"out of memory at step {self.global_step} ({str(error).splitlines()[0][:120]}); lower "
                            "--hidden, --layers, --batch-size or --unroll (the memory check estimates what a run "
                            "needs unless --no-memory-check)") from None
        finally:
            if not (finished and keep_lock):
                self.lock.release()

    def _train_epoch(self, states, stop):
        """Train from the current step to the end of the epoch (or --max-steps); returns the carried states."""
        import tensorflow as tf

        from karpathy_rnn.data.streams import training_stream

        config, B, T = self.config, self.config.batch_size, self.config.unroll
        learning_rate = learning_rate_at(config, self.epoch)
        self.optimizer.learning_rate.assign(learning_rate)
        self.log(f"epoch {self.epoch + 1}/{config.epochs} (learning rate {learning_rate:.3g})")
        stream = training_stream(self.corpus.train, B, T, self.epoch, config.seed).skip(self.step_in_epoch)
        tick = time.perf_counter()
        for inputs, targets in stream:
            # ---- one step, its summaries and its progress line ---------------------------------------------
            loss, norm, states = self._train_step(self._distribute(inputs), self._distribute(targets), states)
            loss, norm = self._first(loss), self._first(norm)
            now = time.perf_counter()
            seconds, tick = now - tick, now   # the whole loop: input, step, summaries, progress line
            self.step_in_epoch += 1
            self.global_step += 1
            if not (math.isfinite(loss) and math.isfinite(norm)):
                self._diverged(f"the loss ({loss}) or gradient norm ({norm}) became NaN or Inf")
            if config.analyze_every and self.global_step % config.analyze_every == 0:
                self._snapshot()
            self.step_seconds.append(seconds)
            with self.writer.as_default(step=self.global_step):
                tf.summary.scalar("train/loss", loss)
                tf.summary.scalar("train/bits_per_char", bits(loss))
                tf.summary.scalar("train/learning_rate", learning_rate)
                tf.summary.scalar("train/gradient_norm", norm)
                tf.summary.scalar("train/chars_per_second", B * T / seconds)
            self.reporter.step(self.global_step, self.epoch + 1, self.step_in_epoch, loss, seconds)
            if self.comparison is not None and compare_due(self.global_step, self.steps_per_epoch,
                                                           config.compare_every):
                self._compare()
                tick = time.perf_counter()   # not training time
            # ---- evaluation and checkpoints on schedule --------------------------------------------------------
            end_of_epoch = self.step_in_epoch == self.steps_per_epoch
            if end_of_epoch:
                self.epoch, self.step_in_epoch = self.epoch + 1, 0
            if (config.eval_every and self.global_step % config.eval_every == 0) or \
                    (end_of_epoch and not config.eval_every):
                self._check_finite()
                self._validate()
                self._save(states)
                self.reporter.evaluated(time.perf_counter() - tick)
                tick = time.perf_counter()   # evaluations and checkpoints are not training time
            elif end_of_epoch or self.global_step % config.checkpoint_every == 0:
                self._save(states)
                tick = time.perf_counter()
            if stop.requested:
                self._save(states)
                self.reporter.end_line()
                raise TrainingInterrupted(
                    f"interrupted at epoch {self.epoch + 1}, global step {self.global_step}; checkpoint "
                    f"saved in {self.run_dir}; continue with the same command and --resume")
            if self._finished() or end_of_epoch:
                break
        return states

    def _run(self) -> dict:
        import tensorflow as tf

        config, B = self.config, self.config.batch_size
        self._stepper = None
        self._started = time.perf_counter()
        # ---- where the run is: a fresh start or its last checkpoint ------------------------------------------
        if has_checkpoint(self.run_dir):
            states = self._restore()
        else:                 # a new run, or one killed before its first checkpoint: nothing it logged counts
            states = None
            drop_replayed_events(self.run_dir, 0, evaluated_at_step=False)
        drop_rows_after(self.run_dir, int(self.progress.global_step))   # comparisons made after the checkpoint
        self.epoch, self.step_in_epoch = int(self.progress.epoch), int(self.progress.step_in_epoch)
        self.global_step = int(self.progress.global_step)
        if config.analyze_every:
            self._start_history(total_steps(config.epochs, self.steps_per_epoch, config.max_steps))
        devices = ", ".join(sorted({d.device_type for d in tf.config.list_logical_devices()} & {"GPU"})) or "CPU"
        self.log(f"{self.corpus.name}: {len(self.corpus.train):,} training characters, vocabulary "
                 f"{self.corpus.vocabulary.size}; {config.unit} {config.layers}x{self.hidden}"
                 f"{f' (budget {config.budget})' if config.budget else ''}: {self.params:,} parameters; "
                 f"{self.steps_per_epoch} steps/epoch; on {devices} x{self.replicas}"
                 f"{'' if config.precision == 'fp32' else ', bfloat16 products (mixed_bfloat16)'}; "
                 f"run directory {self.run_dir}")
        total = total_steps(config.epochs, self.steps_per_epoch, config.max_steps)
        self.log(f"training {total:,} steps ({config.epochs} epochs of {self.steps_per_epoch}"
                 f"{f', --max-steps {config.max_steps}' if config.max_steps else ''})"
                 f"{f'; resuming at step {self.global_step:,}' if self.global_step else ''}")
        self.reporter = TrainingProgress(self._print, total, self.steps_per_epoch, config.epochs,
                                         B * config.unroll, live=self.progress_bar and sys.stdout.isatty(),
                                         every=config.log_every or max(1, self.steps_per_epoch // 10),
                                         eval_every=config.eval_every,
                                         evaluation_characters=len(self.corpus.split_ids("val")),
                                         unroll=config.unroll, sample_length=config.sample_length)
        self.step_seconds = []   # wall time of each training step this session
        # ---- epochs: train, evaluate and checkpoint on schedule, stop on Ctrl-C -------------------------------
        with _StopFlag() as stop:
            while not self._finished():
                if self.step_in_epoch == 0 or states is None:
                    states = {name: self._distribute(value) for name, value in self._zero_states(B).items()}
                states = self._train_epoch(states, stop)
        self.reporter.end_line()
        if config.analyze_every and self.global_step not in snapshots(self.run_dir):
            self._snapshot()                     # the last step's weights close the history
        self._save(states if states is not None else
                   {name: self._distribute(value) for name, value in self._zero_states(B).items()})
        if math.isinf(float(self.progress.best_val)):
            # stopped before any scheduled evaluation: evaluate now so there is a best model to test. Not
            # checkpointed, so a resumed run goes on exactly as one that was never stopped.
            self._check_finite()
            self._validate()
        elif int(self.progress.last_eval_step) != self.global_step:
            self.log(f"stopped at step {self.global_step}; testing the best evaluated model "
                     f"(step {int(self.progress.best_step)})")
        return self._finish()

    def chars_per_second(self, warmup: int = 2) -> float | None:
        """Training characters per second of this session's steps after the first `warmup` (compilation)."""
        timed = self.step_seconds[warmup:]
        batch = self.config.batch_size * self.config.unroll
        return batch * len(timed) / sum(timed) if timed else None

    @property
    def _best_path(self) -> str:
        return os.path.join(self.run_dir, BEST_MODEL_FILE)

    def _finish(self) -> dict:
        """Test the best model (by validation loss) and write results.json."""
        from karpathy_rnn.models import load_model

        best = load_model(self._best_path, self.corpus.vocabulary)
        step, zero_states = make_eval_step(_carry_model(best), self.state_sizes)
        losses = split_losses(step, zero_states, self.corpus.scoring_ids("test"), self.config.batch_size,
                              self.config.unroll)
        test = float(losses.mean())
        # the same split read once from a zero state (no lanes), as analyze.py's exact trace reads it
        continuous = split_losses(step, zero_states, self.corpus.scoring_ids("test"), 1, CONTINUOUS_UNROLL)
        p = self.progress
        reason = "early_stopping" if bool(p.stopped_early) else (
            "epochs" if self.epoch >= self.config.epochs else "max_steps")
        results = {
            "test_loss_nats": test, "test_loss_bits": bits(test),
            "test_loss_std": bootstrap_std(losses, seed=self.config.seed),
            "test_loss_std_block": block_bootstrap_std(losses, seed=self.config.seed),
            "bootstrap_block_characters": BLOCK_CHARACTERS,
            "test_loss_nats_continuous": float(continuous.mean()), "test_characters": int(losses.size),
            "val_loss_nats": float(p.best_val), "val_loss_bits": bits(float(p.best_val)),
            "params": self.params, "hidden": self.hidden, "best_epoch": round(int(p.best_step) / self.steps_per_epoch, 3),
            "best_step": int(p.best_step), "epochs_completed": self.epoch, "steps": self.global_step,
            "stopped_by": reason,
            "chars_per_second": self.chars_per_second(),
            "corpus": {**self.corpus.describe(), "sha256": self.corpus.sha256},
            "corpus_sha256": self.corpus.sha256,
            "config": self._identity(),
        }
        results["config"].pop("vocabulary")
        write_json(os.path.join(self.run_dir, RESULTS_FILE), results)
        self.log(f"test cross-entropy {test:.4f} nats/char ({bits(test):.4f} bits/char), bootstrap std "
                 f"{results['test_loss_std']:.4f}; validation {float(p.best_val):.4f} (best at step "
                 f"{int(p.best_step)}); files in {self.run_dir} ({RESULTS_FILE}, {BEST_MODEL_FILE}, TensorBoard: "
                 f"tensorboard --logdir {self.config.logdir})")
        if self.corpus_note:
            self.log(self.corpus_note)            # said before training too: the run is not on War and Peace
        return results


def _checkpoint_problem(path: str) -> str | None:
    """Why the checkpoint `path` (ckpt-N) cannot be read back, or None: every tensor is read, checksums and all."""
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(path)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except Exception as error:                  # noqa: BLE001 (TensorFlow raises many types for broken files)
        return f"{type(error).__name__}: {str(error).splitlines()[0][:80] if str(error) else ''}"
    return None


def _carry_model(model):
    from karpathy_rnn.models import probe_model
    return probe_model(model, carry_states=True, gates=False)


def make_eval_step(carry, state_sizes: dict):
    """(step(inputs, targets, states) -> (ce [B, T], states), zero_states(B)) for a state-carrying model."""
    import keras
    import tensorflow as tf

    from karpathy_rnn.models import flat_states

    @tf.function
    def step(inputs, targets, states):
        out = carry({"ids": inputs, **states}, training=False)
        ce = keras.losses.sparse_categorical_crossentropy(targets, out["logits"], from_logits=True)
        return ce, flat_states(out["states"])

    def zero_states(batch_size: int) -> dict:
        return {name: tf.zeros((batch_size, units)) for name, units in state_sizes.items()}

    return step, zero_states


def _progress_variables(state_sizes: dict, batch_size: int):
    """Where a run is (epoch, step, best validation, carried states [B, n]) as variables the checkpoint saves."""
    import tensorflow as tf

    progress = tf.Module(name="progress")
    progress.epoch = tf.Variable(0, dtype=tf.int64)
    progress.step_in_epoch = tf.Variable(0, dtype=tf.int64)
    progress.global_step = tf.Variable(0, dtype=tf.int64)
    progress.best_val = tf.Variable(math.inf, dtype=tf.float64)
    progress.best_step = tf.Variable(0, dtype=tf.int64)
    progress.last_eval_step = tf.Variable(-1, dtype=tf.int64)
    progress.evaluations_since_best = tf.Variable(0, dtype=tf.int64)
    progress.stopped_early = tf.Variable(False)
    progress.states = {name: tf.Variable(tf.zeros((batch_size, units))) for name, units in state_sizes.items()}
    return progress


def train(config: TrainConfig, log=print, progress_bar: bool = True) -> dict:
    """Train one run (or resume it) and return its results (also in <logdir>/<name>/results.json)."""
    return Trainer(config, log, progress_bar).run()
