"""Constructor arguments shared by the recurrent layers: checks, and Keras' per-matrix options on one kernel.

Our units keep one kernel [input_dim + units, columns] on [x_t; h_{t-1}] (the paper's W). Keras keeps
`kernel` [input_dim, columns] and `recurrent_kernel` [units, columns] apart and gives each its own
initializer, regularizer and constraint. `stacked_rows` applies such a pair to the two row blocks of
our kernel exactly as Keras applies them to its two matrices.
"""

import keras
from keras import ops

# The only activations the paper's equations (section 3.1) and the TensorFlow fast path implement.
PAPER_ACTIVATION = "tanh"
PAPER_RECURRENT_ACTIVATION = "sigmoid"
DROPOUT_MASKS = ("per_step", "per_sequence")


def check_rate(name, value):
    """A dropout rate in [0, 1), else ValueError naming it."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name}={value!r} is not a dropout rate: give a number in [0, 1).")
    return float(value)


def check_flag(name, value):
    """True or False, else ValueError naming it."""
    if not isinstance(value, bool):
        raise ValueError(f"{name}={value!r} must be True or False.")
    return value


def check_choice(name, value, choices):
    """One of `choices`, else ValueError naming the value and the choices."""
    if value not in choices:
        raise ValueError(f"{name}={value!r}: give one of {', '.join(map(repr, choices))}.")
    return value


def check_activation(layer_name, name, value, paper):
    """The paper's activation (by name or as keras' function), else ValueError saying why."""
    resolved = keras.activations.get(value)
    if resolved is not keras.activations.get(paper):
        raise ValueError(
            f"{layer_name}: {name}={value!r} is not supported: the layer implements the paper's "
            f"equations (section 3.1) with {name}={paper!r} only, in its fast path and its "
            f"gradients. Use keras.layers.{'SimpleRNN' if layer_name == 'VanillaRNN' else layer_name} "
            "for other activations.")
    return paper


def refuse_keras_only_options(layer_name, use_cudnn, implementation, reset_after):
    """Keras' kernel-choice arguments: accepted where they change nothing here (use_cudnn 'auto' or
    False, implementation 2, reset_after False), else refused with why."""
    if use_cudnn not in ("auto", False):
        raise ValueError(f"{layer_name}: use_cudnn={use_cudnn!r}: these layers have no cuDNN kernel "
                         "(they expose their gates); give 'auto' or False, or leave it out.")
    if implementation not in (None, 2):
        raise ValueError(f"{layer_name}: implementation={implementation!r} selects keras' per-gate "
                         "kernel variant (and its dropout masks); only 2, Keras' default, which "
                         "changes nothing here, is accepted. Leave it out.")
    if reset_after is not None and reset_after is not False:
        raise ValueError(f"{layer_name}: reset_after={reset_after!r} places a GRU's reset gate; a {layer_name} "
                         "has none (karpathy_rnn.layers.GRU takes reset_after=True).")


class _RowBlocks:
    """One Keras option for the input rows (W[:input_rows]) and one for the rest; either may be None."""

    def __init__(self, input_rows, for_input, for_recurrent):
        self.input_rows = input_rows
        self.for_input = for_input
        self.for_recurrent = for_recurrent

    def split(self, weight):
        """(input rows, recurrent rows) of a stacked kernel."""
        return weight[:self.input_rows], weight[self.input_rows:]


class StackedRowsInitializer(_RowBlocks):
    """Initializes [input_rows + recurrent_rows, cols]: each row block with its own initializer and shape."""

    def __call__(self, shape, dtype=None):
        rows, columns = shape
        top = self.for_input((self.input_rows, columns), dtype=dtype)
        bottom = self.for_recurrent((rows - self.input_rows, columns), dtype=dtype)
        return ops.concatenate([top, bottom], axis=0)


class StackedRowsRegularizer(_RowBlocks):
    """for_input(W[:input_rows]) + for_recurrent(W[input_rows:]), skipping a None."""

    def __call__(self, weight):
        pairs = zip((self.for_input, self.for_recurrent), self.split(weight))
        return sum((regularizer(block) for regularizer, block in pairs if regularizer is not None), 0.0)


class StackedRowsConstraint(_RowBlocks):
    """Projects W[:input_rows] and W[input_rows:] with their own constraints, skipping a None."""

    def __call__(self, weight):
        pairs = zip((self.for_input, self.for_recurrent), self.split(weight))
        return ops.concatenate([block if constraint is None else constraint(block)
                                for constraint, block in pairs], axis=0)


def stacked_rows(input_rows, initializers, regularizers, constraints):
    """(initializer, regularizer, constraint) for a stacked kernel from Keras' (kernel_*, recurrent_*) pairs.

    A pair whose recurrent member is None applies its input member to the whole kernel in one call
    (the paper's single W: the values stay those of one initializer call on the full shape).
    """
    kernel_init, recurrent_init = initializers
    initializer = (kernel_init if recurrent_init is None
                   else StackedRowsInitializer(input_rows, kernel_init, recurrent_init))
    regularizer = (None if regularizers == (None, None)
                   else StackedRowsRegularizer(input_rows, *regularizers))
    constraint = (None if constraints == (None, None)
                  else StackedRowsConstraint(input_rows, *constraints))
    return initializer, regularizer, constraint
