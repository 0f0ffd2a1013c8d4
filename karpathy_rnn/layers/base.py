"""`RecurrentLayer`: the plumbing every unit shares (states, masks, direction, dropout, outputs, gates, config).

A unit subclass supplies the maths: `build_weights(input_dim)`, `input_kernel()` (the input part
of every pre-activation, applied to all time steps at once, outside the loop), `recurrent_weights()`
(sliced once, outside the loop) and `step(projected_t, states, weights, recurrent_masks)`, which
keeps only the recurrent matmul inside the loop and returns the new states and a dict of its gates.
"""

import zlib

import keras
from keras import ops

from karpathy_rnn.layers import options
from karpathy_rnn.layers import sequence_mask
from karpathy_rnn.layers.loop import scan_time

# Section 3.3 of the paper: "we initialize all parameters uniformly in range [-0.08, 0.08]".
PAPER_INIT_SCALE = 0.08


def paper_initializer(seed=None):
    """The paper's initialiser: uniform in [-0.08, 0.08] (section 3.3), for kernels and biases."""
    return keras.initializers.RandomUniform(-PAPER_INIT_SCALE, PAPER_INIT_SCALE, seed=seed)


def weight_seed(seed: int, weight: str) -> int:
    """The seed of one weight's own stream, from its layer's initializer seed and its name: a Keras initializer
    with an integer seed returns the same values on every call, so two weights drawn from one would start equal
    (or one a prefix of the other)."""
    return zlib.crc32(f"{seed}/{weight}".encode()) & 0x7FFFFFFF


def mixed_matmul(a, kernel):
    """a [B, n] @ kernel [n, m] in the kernel's dtype, returned in a's: under a mixed policy the states are
    float32 and the kernel bfloat16 (or float16), so the product runs in bfloat16 (float32 accumulation in
    the library's kernel, rounded once) and everything around it stays float32 (Keras' mixed contract)."""
    if a.dtype == kernel.dtype:
        return ops.matmul(a, kernel)
    return ops.cast(ops.matmul(ops.cast(a, kernel.dtype), kernel), a.dtype)


def recurrent_matmul(h, kernel, masks):
    """h [B, n] @ kernel [n, G*m] (mixed_matmul); with Keras' recurrent-dropout `masks` (G of [B, n]),
    block k of the columns sees h * masks[k] (keras.layers.LSTM/GRU with recurrent_dropout)."""
    if masks is None:
        return mixed_matmul(h, kernel)
    blocks = ops.split(kernel, len(masks), axis=1)
    return ops.concatenate([mixed_matmul(h * m, w) for m, w in zip(masks, blocks)], axis=1)


def _serialize(getter, value):
    return None if value is None else getter(value)


class RecurrentLayer(keras.layers.Layer):
    """Base of the recurrent layers: inputs [batch, time, features] -> outputs, states, gates.

    Call returns the output alone; with `return_state`, `[output, *final_states]`; with
    `return_gates`, a dict of per-step gate activations, each [batch, time, units], appended last.
    `fused=True` (default) lets a unit with a TensorFlow fast path (layers/fused_tf.py: LSTM, GRU,
    VanillaRNN) run the whole sequence as one op (its loops XLA-compiled unless `fused_xla=False`);
    `fused=False`, `unroll=True`, recurrent dropout in training, and the other backends run `step`
    in a loop (same numbers to float32 rounding).
    Mixed precision (Keras' `mixed_bfloat16` / `mixed_float16` policy): the matrix products run in the
    compute dtype (bfloat16), while the carried states, the cell, every gate and the returned states and
    gates stay in the variable dtype (float32); the returned sequence is in the compute dtype, as every
    Keras layer's output.
    The constructor arguments are keras.layers.LSTM's, with the paper's defaults; see the units'
    docstrings (e.g. `karpathy_rnn.layers.LSTM`) for each.
    """

    state_names = ("h",)   # the carried states, in order; the output is the first
    gate_names = ("h",)    # what `return_gates` returns, in order
    gate_blocks = 1        # column blocks of the kernel; Keras draws one dropout mask per block
    keras_mask_order = (0,)    # block k of ours uses Keras' dropout mask keras_mask_order[k]
    has_recurrent_activation = False
    fused_unit = None      # "lstm", "gru" or "rnn" where layers/fused_tf.py has this unit's loops

    def __init__(self, units, activation="tanh", recurrent_activation=None, use_bias=True,
                 kernel_initializer=None, recurrent_initializer=None, bias_initializer=None,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, output_dropout=0.0, dropout_mask="per_step",
                 return_sequences=False, return_state=False, return_gates=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 seed=None, fused=True, fused_xla=True, use_cudnn="auto", implementation=None,
                 reset_after=None, activity_regularizer=None, **kwargs):
        super().__init__(**kwargs)     # Keras would regularise every output, gates included
        self.output_regularizer = keras.regularizers.get(activity_regularizer)
        cls = type(self).__name__
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"{cls}: units={units!r} must be a positive integer.")
        self.units = units
        self.activation = options.check_activation(cls, "activation", activation,
                                                   options.PAPER_ACTIVATION)
        if self.has_recurrent_activation:
            self.recurrent_activation = options.check_activation(
                cls, "recurrent_activation", recurrent_activation or "sigmoid",
                options.PAPER_RECURRENT_ACTIVATION)
        elif recurrent_activation is not None:
            raise ValueError(f"{cls}: recurrent_activation={recurrent_activation!r}: a {cls} has "
                             "no gates (keras.layers.SimpleRNN has no such argument either).")
        options.refuse_keras_only_options(cls, use_cudnn, implementation, reset_after)
        self.use_bias = options.check_flag("use_bias", use_bias)
        self.return_sequences = options.check_flag("return_sequences", return_sequences)
        self.return_state = options.check_flag("return_state", return_state)
        self.return_gates = options.check_flag("return_gates", return_gates)
        self.go_backwards = options.check_flag("go_backwards", go_backwards)
        self.stateful = options.check_flag("stateful", stateful)
        self.unroll = options.check_flag("unroll", unroll)
        self.zero_output_for_mask = options.check_flag("zero_output_for_mask", zero_output_for_mask)
        self.dropout = options.check_rate("dropout", dropout)
        self.recurrent_dropout = options.check_rate("recurrent_dropout", recurrent_dropout)
        self.output_dropout = options.check_rate("output_dropout", output_dropout)
        self.dropout_mask = options.check_choice("dropout_mask", dropout_mask, options.DROPOUT_MASKS)
        self.seed = seed
        self.fused = options.check_flag("fused", fused)
        self.fused_xla = options.check_flag("fused_xla", fused_xla)
        self.use_cudnn = use_cudnn
        self.kernel_initializer = keras.initializers.get(kernel_initializer or paper_initializer(seed))
        self.recurrent_initializer = (None if recurrent_initializer is None
                                      else keras.initializers.get(recurrent_initializer))
        self.bias_initializer = keras.initializers.get(
            bias_initializer or paper_initializer(None if seed is None else seed + 1))
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.seed_generator = (keras.random.SeedGenerator(seed)
                               if (dropout or recurrent_dropout or output_dropout) else None)
        self.supports_masking = True
        self.state_variables = None
        self.input_dim = None

    # ---- the unit's maths (subclasses) -------------------------------------------------------
    def build_weights(self, input_dim):
        """Create the unit's weights for inputs of `input_dim` features."""
        raise NotImplementedError

    def input_kernel(self):
        """(W_x [input_dim, P], bias [P] or None): the input part of every pre-activation.

        The default serves units with one `kernel` [input_dim + units, P] on [x; h] and a `bias`.
        """
        return self.kernel[: self.input_dim], self.bias

    def recurrent_weights(self):
        """The weights the loop multiplies by, sliced once per call (not once per step)."""
        return self.kernel[self.input_dim:]

    def step(self, projected, states, weights, recurrent_masks=None):
        """One time step: projected [B, P], states [B, units] each -> (new_states, gates dict).

        `recurrent_masks`: Keras' recurrent-dropout masks, one [B, units] per column block, or None.
        """
        raise NotImplementedError

    def fused_sequence(self, projected, states, weights, with_gates, mask=None):
        """TensorFlow fast path, where a unit has one: {name: [T, B, units]} from one op, holding
        every gate with `with_gates`, else at least the states; `mask` [T, B, 1] float (1 = real
        step) keeps the states at masked steps."""
        return None

    # ---- weights -----------------------------------------------------------------------------
    def add_stacked_kernel(self, name, columns):
        """A kernel [input_dim + units, columns] on [x; h]: Keras' kernel_* options on the input
        rows, recurrent_* on the rest (recurrent_initializer None: kernel_initializer for all)."""
        initializer, regularizer, constraint = options.stacked_rows(
            self.input_dim, (self._own_stream(self.kernel_initializer, name),
                             self.recurrent_initializer),
            (self.kernel_regularizer, self.recurrent_regularizer),
            (self.kernel_constraint, self.recurrent_constraint))
        return self.add_weight(shape=(self.input_dim + self.units, columns), initializer=initializer,
                               regularizer=regularizer, constraint=constraint, name=name)

    def add_recurrent_kernel(self, name, shape):
        """A kernel that only multiplies recurrent quantities: Keras' recurrent_* options."""
        return self.add_weight(shape=shape, name=name,
                               initializer=self.recurrent_initializer or self._own_stream(
                                   self.kernel_initializer, name),
                               regularizer=self.recurrent_regularizer,
                               constraint=self.recurrent_constraint)

    def add_bias(self, name, size, initializer=None):
        """A bias [size] with Keras' bias_* options, or None when `use_bias=False`."""
        if not self.use_bias:
            return None
        return self.add_weight(shape=(size,), initializer=initializer or self._own_stream(
                                   self.bias_initializer, name),
                               regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                               name=name)

    @staticmethod
    def _own_stream(initializer, weight: str):
        """The paper's initializer (the default: uniform in [-0.08, 0.08]) on its own stream for `weight`
        (weight_seed); any other initializer as it is, as Keras applies it."""
        paper = (isinstance(initializer, keras.initializers.RandomUniform)
                 and (initializer.minval, initializer.maxval) == (-PAPER_INIT_SCALE, PAPER_INIT_SCALE))
        if not paper or not isinstance(initializer.seed, int):
            return initializer
        return paper_initializer(weight_seed(initializer.seed, weight))

    # ---- plumbing ----------------------------------------------------------------------------
    @property
    def state_dtype(self):
        """The dtype of the carried states, the cell, the gates and their maths: the policy's variable dtype
        (float32 under `mixed_bfloat16`), so only the matrix products run in the compute dtype."""
        return self.variable_dtype

    @property
    def fused_jit(self):
        """Whether the fast path's loops are XLA-compiled: `fused_xla`, and only when the products run in the state
        dtype. XLA's CPU dot has no faster bfloat16 kernel (its bf16 products ran at its fp32 rate, 0.5x oneDNN's
        bf16 rate, docs/BENCHMARKS.md), so under a mixed policy the loops run as plain TensorFlow graphs."""
        return self.fused_xla and self.compute_dtype == self.state_dtype

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects inputs of rank 3 "
                f"[batch, time, features]; got shape {tuple(input_shape)}. "
                "Add a time axis (e.g. x[:, None, :]) or a one-hot/embedding layer first.")
        if input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the feature dimension of "
                             f"inputs {tuple(input_shape)} must be known when the layer is built.")
        if self.input_dim is not None and input_shape[-1] != self.input_dim:
            raise ValueError(f"{type(self).__name__} '{self.name}' was built for "
                             f"{self.input_dim} input features; got {input_shape[-1]}.")

    def _check_steps_known(self, input_shape):
        if self.unroll and input_shape[1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': unroll=True needs a known "
                             "number of time steps: give keras.Input(shape=(T, features)).")

    def build(self, inputs_shape, initial_state_shape=None):
        self._check_input_shape(inputs_shape)
        self.input_dim = int(inputs_shape[-1])
        self.build_weights(self.input_dim)
        if self.stateful:
            batch = inputs_shape[0]
            if batch is None:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' is stateful, so it needs a fixed batch "
                    "size: build it with keras.Input(shape=..., batch_size=B).")
            self.state_variables = [
                self.add_weight(shape=(batch, self.units), initializer="zeros", trainable=False,
                                name=f"state_{name}") for name in self.state_names]

    @property
    def states(self):
        """The carried state variables of a stateful layer (h first), as keras.layers.RNN.states; else None."""
        return self.state_variables

    def get_initial_state(self, batch_size):
        """Zero states, one [batch_size, units] per carried state (keras.layers.RNN's method)."""
        return [ops.zeros((batch_size, self.units), dtype=self.state_dtype)
                for _ in self.state_names]

    def reset_state(self):
        """Zero the carried states of a stateful layer (start of an epoch, a new text); a
        non-stateful layer has none, and this does nothing (as keras.layers.RNN)."""
        if self.state_variables is not None:
            for variable in self.state_variables:
                variable.assign(ops.zeros(variable.shape, dtype=variable.dtype))

    def reset_states(self):
        """`reset_state()`, under its Keras 2 name."""
        self.reset_state()

    def _initial_states(self, initial_state, batch, static_batch):
        """The states to start from: given, carried (stateful) or zeros; each [B, units]."""
        if initial_state is None:
            if self.stateful:
                carried = self.state_variables[0].shape[0]
                if static_batch is not None and static_batch != carried:
                    raise ValueError(
                        f"{type(self).__name__} '{self.name}' is stateful with batch size "
                        f"{carried}; got a batch of {static_batch}. Feed batches of {carried} "
                        "(the state of lane b carries to lane b of the next batch).")
                return [ops.cast(v, self.state_dtype) for v in self.state_variables]
            zeros = ops.zeros((batch, self.units), dtype=self.state_dtype)
            return [zeros for _ in self.state_names]
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        if len(initial_state) != len(self.state_names):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' carries {len(self.state_names)} state(s) "
                f"{list(self.state_names)}; initial_state has {len(initial_state)}.")
        states = []
        for name, state in zip(self.state_names, initial_state):
            state = ops.cast(ops.convert_to_tensor(state), self.state_dtype)
            shape = tuple(state.shape)
            if (len(shape) != 2 or (shape[1] is not None and shape[1] != self.units)
                    or (shape[0] is not None and static_batch is not None and shape[0] != static_batch)):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': initial state '{name}' has shape "
                    f"{shape}; expected ({static_batch}, {self.units}) = (batch, units).")
            states.append(state)
        return states

    def _dropout_masks(self, inputs, h0, training):
        """Keras' per-sequence dropout masks, drawn in keras.layers.RNN's order on every call (so a
        seed gives Keras' masks): (input masks, recurrent masks), each a list per column block in
        our block order, or None when not training or not asked for."""
        per_sequence = self.dropout and self.dropout_mask == "per_sequence"
        input_masks = recurrent_masks = None
        if per_sequence:
            count = self.gate_blocks if self.recurrent_dropout else 1
            ones = ops.ones_like(inputs[:, 0, :])
            input_masks = [keras.random.dropout(ones, self.dropout, seed=self.seed_generator)
                           for _ in range(count)]
        if self.recurrent_dropout:
            ones = ops.ones_like(h0)
            recurrent_masks = [keras.random.dropout(ones, self.recurrent_dropout,
                                                    seed=self.seed_generator)
                               for _ in range(self.gate_blocks)]
        if not training:
            return None, None
        reorder = lambda masks: (masks if masks is None or len(masks) == 1    # noqa: E731
                                 else [masks[k] for k in self.keras_mask_order])
        return reorder(input_masks), reorder(recurrent_masks)

    def project_inputs(self, time_major, input_masks=None):
        """[T, B, D] -> [T, B, P] in the state dtype: the input part of every pre-activation plus biases, one
        matmul (one per column block under Keras' per-gate dropout masks, each [B, D])."""
        steps, batch = ops.shape(time_major)[0], ops.shape(time_major)[1]
        kernel, bias = self.input_kernel()
        if input_masks is not None and len(input_masks) == 1:
            time_major = time_major * input_masks[0][None]
            input_masks = None
        if input_masks is None:
            flat = ops.reshape(time_major, (-1, self.input_dim))
            projected = ops.matmul(flat, kernel)
        else:
            flat = [ops.reshape(time_major * m[None], (-1, self.input_dim)) for m in input_masks]
            projected = ops.concatenate(
                [ops.matmul(x, w) for x, w in zip(flat, ops.split(kernel, len(flat), axis=1))],
                axis=1)
        projected = ops.cast(projected, self.state_dtype)    # the product in the compute dtype, sums in the state's
        if bias is not None:
            projected = projected + ops.cast(bias, self.state_dtype)
        return ops.reshape(projected, (steps, batch, projected.shape[-1]))

    def call(self, inputs, initial_state=None, mask=None, training=None, return_gates=None,
             return_state=None, update_states=True):
        """inputs [B, T, D] -> output [B, T, units] or [B, units] (+ states, + gates dict).

        A stateful layer starts from its carried states (or `initial_state`) and keeps the final
        states, as keras.layers.RNN; `update_states=False` leaves them untouched (a probe that
        shares a stateful model's layers reads gates without disturbing training).

        `mask` [B, T] (True = a real step; from Masking/Embedding(mask_zero=True) automatically):
        masked steps keep the states, repeat the last real output (zeros with
        `zero_output_for_mask`) and have every gate 0. With `go_backwards`, the sequence is read
        last step first and outputs and gates come in that (reversed) order, as in Keras.
        """
        return_gates = self.return_gates if return_gates is None else return_gates
        return_state = self.return_state if return_state is None else return_state
        self._check_input_shape(tuple(inputs.shape))
        self._check_steps_known(tuple(inputs.shape))
        inputs = ops.cast(inputs, self.compute_dtype)
        if mask is not None:
            mask = sequence_mask.check_mask(self, mask, inputs)
        batch, steps = ops.shape(inputs)[0], ops.shape(inputs)[1]
        states = self._initial_states(initial_state, batch, inputs.shape[0])
        if self.go_backwards:
            inputs = ops.flip(inputs, axis=1)
            mask = None if mask is None else ops.flip(mask, axis=1)
        input_masks, recurrent_masks = self._dropout_masks(inputs, states[0], training)
        if training and self.dropout and self.dropout_mask == "per_step":
            inputs = keras.random.dropout(inputs, self.dropout, seed=self.seed_generator)
        time_major = ops.transpose(inputs, (1, 0, 2))
        time_mask = None if mask is None else ops.transpose(mask, (1, 0))     # [T, B] bool

        if return_gates:
            collect = list(self.gate_names)
        elif self.return_sequences:
            collect = [self.state_names[0]]
        else:
            collect = []
        final_states, stacked = self._run(time_major, input_masks, states, collect, return_gates,
                                          time_mask, recurrent_masks)

        if self.stateful and update_states:
            for variable, state in zip(self.state_variables, final_states):
                variable.assign(ops.cast(state, variable.dtype))

        output = self._output(stacked, final_states, time_mask)
        if training and self.output_dropout:
            output = keras.random.dropout(output, self.output_dropout, seed=self.seed_generator)
        self._regularize_activity([output] + (list(final_states) if return_state else []))
        if not (return_state or return_gates):
            return output
        result = [output]
        if return_state:
            result += list(final_states)
        if return_gates:
            gates = {name: stacked[name] for name in self.gate_names}
            if time_mask is not None:
                gates = {k: sequence_mask.zero_masked_steps(v, time_mask) for k, v in gates.items()}
            result.append({k: ops.transpose(v, (1, 0, 2)) for k, v in gates.items()})
        return result

    def _regularize_activity(self, outputs):
        """`activity_regularizer` on the output (and states), per batch row as Keras does; not on gates."""
        if self.output_regularizer is None:
            return
        for value in outputs:
            loss = self.output_regularizer(value)
            self.add_loss(ops.divide_no_nan(loss, ops.cast(ops.shape(value)[0], loss.dtype)))

    def _run(self, time_major, input_masks, states, collect, with_gates, time_mask,
             recurrent_masks):
        """The time loop over inputs [T, B, D]: (final states, {name: [T, B, units]} for
        `collect`); the fused op where it applies, else `step` in a loop."""
        weights = self.recurrent_weights()
        use_fused = (self.fused and not self.unroll and recurrent_masks is None
                     and keras.backend.backend() == "tensorflow")
        projected = self.project_inputs(time_major, input_masks)
        if use_fused:
            mask = None if time_mask is None else ops.cast(time_mask, projected.dtype)[..., None]
            fused = self.fused_sequence(projected, states, weights, bool(with_gates), mask)
            if fused is not None:   # every gate of every step from one op; take what was asked for
                return ([fused[name][-1] for name in self.state_names],
                        {name: fused[name] for name in collect})

        def step(x_t, carry):
            return self.step(x_t, carry, weights, recurrent_masks)

        final_states, stacked = scan_time(step, projected, states, collect, mask=time_mask,
                                          state_names=self.state_names, unroll=self.unroll)
        return final_states, dict(zip(collect, stacked))

    def _output(self, stacked, final_states, time_mask):
        """The layer's output from the carried h: the sequence [B, T, n] or the last [B, n]."""
        if self.return_sequences:
            carried = stacked[self.state_names[0]]
            if time_mask is not None:
                carried = sequence_mask.masked_outputs(carried, time_mask, self.zero_output_for_mask)
            return ops.cast(ops.transpose(carried, (1, 0, 2)), self.compute_dtype)
        if time_mask is None:
            return ops.cast(final_states[0], self.compute_dtype)
        return ops.cast(sequence_mask.masked_last_output(final_states[0], time_mask, self.zero_output_for_mask),
                        self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        """The input mask for a returned sequence, None otherwise (and for states and gates)."""
        output_mask = mask if (self.return_sequences and mask is not None) else None
        extra = (len(self.state_names) if self.return_state else 0) + (1 if self.return_gates else 0)
        return [output_mask] + [None] * extra if extra else output_mask

    def compute_output_shape(self, inputs_shape, initial_state_shape=None):
        """keras.layers.RNN's output shapes: output, then the states with `return_state`. Wrappers
        (Bidirectional, TimeDistributed) call this; they cannot carry a gates dict."""
        if self.return_gates:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' has return_gates=True, which a wrapper such "
                "as keras.layers.Bidirectional cannot pass on (it expects [output, *states]). Build "
                "it with return_gates=False and read each direction's gates with "
                "bidi.forward_layer(x, return_gates=True) and bidi.backward_layer(x, return_gates=True).")
        batch, steps = inputs_shape[0], inputs_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if not self.return_state:
            return output
        return (output, *[(batch, self.units) for _ in self.state_names])

    def compute_output_spec(self, inputs, initial_state=None, mask=None, training=None,
                            return_gates=None, return_state=None, update_states=True):
        return_gates = self.return_gates if return_gates is None else return_gates
        return_state = self.return_state if return_state is None else return_state
        shape = tuple(inputs.shape)
        self._check_input_shape(shape)
        self._check_steps_known(shape)
        batch, steps = shape[0], shape[1]
        dtype, state_dtype = self.compute_dtype, self.state_dtype
        output = keras.KerasTensor(
            (batch, steps, self.units) if self.return_sequences else (batch, self.units), dtype)
        if not (return_state or return_gates):
            return output
        result = [output]
        if return_state:
            result += [keras.KerasTensor((batch, self.units), state_dtype) for _ in self.state_names]
        if return_gates:
            result.append({name: keras.KerasTensor((batch, steps, self.units), state_dtype)
                           for name in self.gate_names})
        return result

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, activation=self.activation, use_bias=self.use_bias,
            return_sequences=self.return_sequences, return_state=self.return_state,
            return_gates=self.return_gates, go_backwards=self.go_backwards,
            stateful=self.stateful, unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask, dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout, output_dropout=self.output_dropout,
            dropout_mask=self.dropout_mask, fused=self.fused, fused_xla=self.fused_xla,
            use_cudnn=self.use_cudnn,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            recurrent_initializer=_serialize(keras.initializers.serialize,
                                             self.recurrent_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
            kernel_regularizer=_serialize(keras.regularizers.serialize, self.kernel_regularizer),
            recurrent_regularizer=_serialize(keras.regularizers.serialize,
                                             self.recurrent_regularizer),
            bias_regularizer=_serialize(keras.regularizers.serialize, self.bias_regularizer),
            kernel_constraint=_serialize(keras.constraints.serialize, self.kernel_constraint),
            recurrent_constraint=_serialize(keras.constraints.serialize,
                                            self.recurrent_constraint),
            bias_constraint=_serialize(keras.constraints.serialize, self.bias_constraint),
            activity_regularizer=_serialize(keras.regularizers.serialize,
                                            self.output_regularizer),
            seed=self.seed)
        if self.has_recurrent_activation:
            config["recurrent_activation"] = self.recurrent_activation
        return config
