"""tf.data input for the autocomplete task: (inputs [B, T] int32, targets [B, T] int32, weights [B, T] float32)."""

from __future__ import annotations

import tensorflow as tf

from karpathy_rnn.data.autocomplete import UNKNOWN, AutocompleteSplit


def _with_weights(inputs, targets):
    """Cast a batch and weight each target: 1 for a known word, 0 for padding and unknown words."""
    targets = tf.cast(targets, tf.int32)
    return tf.cast(inputs, tf.int32), targets, tf.cast(targets > UNKNOWN, tf.float32)


def autocomplete_dataset(split: AutocompleteSplit, batch_size: int = 64, shuffle_seed: int | None = None,
                         drop_remainder: bool = False) -> tf.data.Dataset:
    """Batches of a split's observations, (inputs, targets, weights) as keras.Model.fit takes them; with
    `shuffle_seed`, the observations are shuffled anew each epoch (the same orders for the same seed)."""
    dataset = tf.data.Dataset.from_tensor_slices((split.inputs, split.targets))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(split), seed=shuffle_seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.map(_with_weights, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
