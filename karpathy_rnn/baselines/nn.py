"""n-NN baselines (paper section 4.3): "a fully-connected neural network with one hidden layer and tanh
nonlinearities" whose input "is a sparse binary vector of dimension nK that concatenates the one-of-K encodings
of n consecutive characters", trained as in section 3.3 with the hidden size cross-validated.

The example for character t is (ids[t-n .. t-1], ids[t]). Training uses every character of the train split
after its first n (those are context only); a split is scored as one stream continuing the text before it,
so its first characters see the end of the previous split, as a model's trace and the n-gram's scores do.
Recipe (section 3.3, as the char-LMs: training/config.py): RMSProp, learning rate 2e-3, rho 0.95, batch 100,
each gradient element clipped to [-5, 5], the learning rate x0.95 per epoch after epoch 10, weights uniform
in [-0.08, 0.08]; early stopping on the validation loss (patience PATIENCE epochs, best weights kept). The
paper does not give its hidden sizes: HIDDEN_SIZES are tried and the one with the best validation loss kept.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

from karpathy_rnn.atomic import atomic_file
from karpathy_rnn.errors import KRNNError

HIDDEN_SIZES = (128, 512)      # tried for every n; the best validation loss wins
MAX_CONTEXT = 20               # the longest window accepted (the paper's n-NN rows stop at 6)
PATIENCE = 2                   # epochs without a better validation loss before stopping
BATCH_SIZE = 100               # section 3.3
SCORE_BATCH = 2000             # windows per step when scoring (no gradients)
MODEL_FILE = "best.keras"
RESULT_FILE = "result.json"
SCHEDULE = ("learning_rate", "decay", "decay_after")   # what --learning-rate, --decay, --decay-after may change


def check_context(n: int) -> int:
    """n, the characters of context, or KRNNError naming it."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_CONTEXT:
        raise KRNNError(f"n-NN context {n!r} is out of range: give 1 to {MAX_CONTEXT} characters")
    return int(n)


def with_context(before: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """int32 [n' + N]: the last n ids of `before` (fewer if it is shorter) followed by `ids`."""
    before = np.asarray(before, np.int32)[len(before) - min(n, len(before)):]
    return np.concatenate([before, np.asarray(ids, np.int32)])


def window_dataset(ids: np.ndarray, n: int, batch_size: int, first: int | None = None, seed: int | None = None):
    """tf.data of (contexts int32 [B, n], targets int32 [B]) for every target position t in [first, len(ids))
    (first defaults to n: every target with a full window), in text order, or shuffled each epoch with `seed`."""
    import tensorflow as tf

    first = n if first is None else first
    if first < n or first >= len(ids):
        raise KRNNError(f"no {n}-character windows in a text of {len(ids)} characters starting at {first}")
    table = tf.constant(np.asarray(ids, np.int32))
    offsets = tf.range(-n, 0, dtype=tf.int64)
    positions = tf.data.Dataset.range(first, len(ids))
    if seed is not None:
        positions = positions.shuffle(len(ids) - first, seed=seed, reshuffle_each_iteration=True)

    def gather(t):
        return tf.gather(table, t[:, None] + offsets), tf.gather(table, t)

    return positions.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def build_model(vocabulary_size: int, n: int, hidden: int, seed: int | None = 0):
    """The n-NN: ids [B, n] -> tanh hidden [B, hidden] -> logits [B, K]; every weight uniform in [-0.08, 0.08]."""
    import keras

    from karpathy_rnn.layers import OneHotDense, paper_initializer
    from karpathy_rnn.layers.base import weight_seed

    def uniform(name):
        return paper_initializer(None if seed is None else weight_seed(seed, name))

    ids = keras.Input((n,), dtype="int32", name="context")
    x = OneHotDense(hidden, vocabulary_size, activation="tanh", seed=seed, name="hidden")(ids)
    logits = keras.layers.Dense(vocabulary_size, name="logits", kernel_initializer=uniform("logits/kernel"),
                                bias_initializer=uniform("logits/bias"))(x)
    return keras.Model(ids, logits, name=f"nn{n}_h{hidden}")


def compile_model(model, learning_rate: float, rho: float, clip: float):
    """Section 3.3's optimiser (RMSProp, element-wise gradient clipping) and the cross-entropy in nats."""
    import keras

    from karpathy_rnn.training.trainer import RMSPROP_EPSILON

    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate, rho=rho, epsilon=RMSPROP_EPSILON,
                                                     clipvalue=clip or None),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), steps_per_execution=50,
                  jit_compile=True)     # XLA: half the time per step of the graph on this CPU
    return model


def train_one(corpus, n: int, hidden: int, folder: str, epochs: int = 50, patience: int = PATIENCE,
              seed: int = 0, verbose: int = 0, schedule: dict | None = None) -> dict:
    """Train the n-NN of width `hidden` on `corpus`'s train split with early stopping on its val split; writes
    folder/best.keras and folder/result.json (returned). An interrupted run resumes from its last epoch
    (keras BackupAndRestore); a finished one is read back, not trained again (KRNNError if it was trained with
    another `schedule`). `schedule`: learning_rate, decay, decay_after other than the paper's (section 3.3)."""
    import keras

    from karpathy_rnn.training.config import TrainConfig, learning_rate_at

    recipe = TrainConfig(**(schedule or {}))     # the paper's learning rate, rho, clip and decay unless changed
    wanted = {key: getattr(recipe, key) for key in SCHEDULE}
    done = os.path.join(folder, RESULT_FILE)
    if os.path.isfile(done):
        result = read_result(done)
        trained = {key: result.get(key, getattr(TrainConfig(), key)) for key in SCHEDULE}
        if trained != wanted:
            raise KRNNError(f"{folder} holds an n-NN trained with {trained}, not {wanted}; give another --out for "
                            "another schedule")
        return result
    os.makedirs(folder, exist_ok=True)
    keras.utils.set_random_seed(seed)
    model = compile_model(build_model(corpus.vocabulary.size, n, hidden, seed), recipe.learning_rate, recipe.rho,
                          recipe.clip)
    train = window_dataset(corpus.split_ids("train"), n, BATCH_SIZE, seed=seed)
    val_ids = with_context(corpus.split_ids("train"), corpus.split_ids("val"), n)
    val = window_dataset(val_ids, n, SCORE_BATCH)
    best = os.path.join(folder, MODEL_FILE)
    callbacks = [keras.callbacks.LearningRateScheduler(lambda epoch: learning_rate_at(recipe, epoch)),
                 keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True),
                 keras.callbacks.ModelCheckpoint(best, save_best_only=True),
                 keras.callbacks.BackupAndRestore(os.path.join(folder, "backup"))]
    started = time.perf_counter()
    history = model.fit(train, validation_data=val, epochs=epochs, callbacks=callbacks, verbose=verbose,
                        shuffle=False)   # window_dataset shuffles (once per epoch, by its seed)
    seconds = time.perf_counter() - started
    losses = [float(v) for v in history.history["val_loss"]]
    result = {"n": n, "hidden": hidden, "val_loss_nats": min(losses), "val_losses": losses,
              "epochs": len(losses), "best_epoch": int(np.argmin(losses)) + 1, "train_seconds": seconds,
              "parameters": int(model.count_params()), "model": MODEL_FILE, **wanted}
    with atomic_file(done, "w", encoding="utf-8") as f:     # written last: its presence means finished
        json.dump(result, f, indent=1)
    return result


def read_result(path: str) -> dict:
    """A finished n-NN's result.json; KRNNError naming the file, what is wrong and the fix."""
    from karpathy_rnn.training.run_dir import read_json

    fix = "remove it (or its folder) and run scripts/nn.py again to train that n-NN afresh"
    values = read_json(path, fix)
    losses = values.get("val_losses")
    if not isinstance(values.get("n"), int) or not isinstance(values.get("val_loss_nats"), (int, float)) or \
            not isinstance(losses, list) or not losses:
        raise KRNNError(f"{path} is not an n-NN's result (no n, val_loss_nats and val_losses); {fix}")
    return values


def load(folder: str):
    """The trained n-NN in `folder` (best.keras), or KRNNError naming the folder and the command that trains it."""
    path = os.path.join(folder, MODEL_FILE)
    if not os.path.isfile(path):
        raise KRNNError(f"{folder!r} holds no trained n-NN ({MODEL_FILE}); train one with "
                        "`python scripts/nn.py --corpus CORPUS --orders 1-6`")
    import keras

    import karpathy_rnn.layers  # noqa: F401  (registers OneHotDense)

    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:                  # noqa: BLE001 (a damaged file raises many types)
        raise KRNNError(f"{path} cannot be read ({type(error).__name__}); train it again") from None


def window_of(model) -> int:
    """The n of a loaded n-NN: the length of its input window."""
    return int(model.inputs[0].shape[-1])


def split_distributions(model, before: np.ndarray, ids: np.ndarray, rows: int = 16384):
    """Yield (start, float32 [m, K]) : the n-NN's distribution for each character of `ids` (continuing
    `before`), `rows` characters at a time."""
    n = window_of(model)
    stream = with_context(before, ids, n)
    offset = len(stream) - len(ids)
    if offset < n:
        raise KRNNError(f"the {n}-NN needs {n} characters before the text it scores; only {offset} given")
    predict = _predictor(model)
    for start in range(0, len(ids), rows):
        stop = min(start + rows, len(ids))
        windows = np.lib.stride_tricks.sliding_window_view(stream[start + offset - n:stop + offset - 1], n)
        logits = np.concatenate([predict(windows[i:i + SCORE_BATCH]) for i in range(0, len(windows), SCORE_BATCH)])
        yield start, softmax(logits).astype(np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    """float64 [..., K]: the softmax of logits [..., K] along the last axis."""
    shifted = np.asarray(logits, np.float64) - np.max(logits, axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _predictor(model):
    """windows int32 [B, n] -> float32 logits [B, K] (one compiled function, any batch size)."""
    import tensorflow as tf

    function = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    return lambda windows: function(tf.constant(np.ascontiguousarray(windows, np.int32))).numpy()
