"""`RecurrentLayer`: the plumbing every unit shares (states, dropout, outputs, gates, config).

A unit subclass supplies the maths: `build_weights(input_dim)`, `project_inputs(x)` for all time
steps at once (one big matmul, outside the loop), `recurrent_weights()` (sliced once, outside the
loop) and `step(projected_t, states, weights)`, which keeps only the recurrent matmul inside the
loop and returns the new states and a dict of its gates.
"""

import keras
from keras import ops

from karpathy_rnn.layers.loop import scan_time

# Section 3.3 of the paper: "we initialize all parameters uniformly in range [-0.08, 0.08]".
PAPER_INIT_SCALE = 0.08


def paper_initializer(seed=None):
    """The paper's initialiser: uniform in [-0.08, 0.08] (section 3.3), for kernels and biases."""
    return keras.initializers.RandomUniform(-PAPER_INIT_SCALE, PAPER_INIT_SCALE, seed=seed)


def _check_rate(name, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name}={value!r} is not a dropout rate: give a number in [0, 1).")
    return float(value)


def _check_flag(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"{name}={value!r} must be True or False.")
    return value


class RecurrentLayer(keras.layers.Layer):
    """Base of the recurrent layers: inputs [batch, time, features] -> outputs, states, gates.

    Call returns the output alone; with `return_state`, `[output, *final_states]`; with
    `return_gates`, a dict of per-step gate activations, each [batch, time, units], appended last.
    `fused=True` (default) lets a unit with a TensorFlow fast path (layers/fused_tf.py: LSTM, GRU,
    VanillaRNN) run the whole sequence as one op; `fused=False`, and the other backends, run
    `step` in a loop (same numbers to float32 rounding).
    """

    state_names = ("h",)   # the carried states, in order; the output is the first
    gate_names = ("h",)    # what `return_gates` returns, in order

    def __init__(self, units, return_sequences=False, return_state=False, return_gates=False,
                 stateful=False, dropout=0.0, output_dropout=0.0,
                 kernel_initializer=None, bias_initializer=None, seed=None, fused=True, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"{type(self).__name__}: units={units!r} must be a positive integer.")
        self.units = units
        self.return_sequences = _check_flag("return_sequences", return_sequences)
        self.return_state = _check_flag("return_state", return_state)
        self.return_gates = _check_flag("return_gates", return_gates)
        self.stateful = _check_flag("stateful", stateful)
        self.dropout = _check_rate("dropout", dropout)
        self.output_dropout = _check_rate("output_dropout", output_dropout)
        self.seed = seed
        self.fused = _check_flag("fused", fused)
        self.kernel_initializer = keras.initializers.get(kernel_initializer or paper_initializer(seed))
        self.bias_initializer = keras.initializers.get(
            bias_initializer or paper_initializer(None if seed is None else seed + 1))
        self.seed_generator = keras.random.SeedGenerator(seed) if (dropout or output_dropout) else None
        self.state_variables = None
        self.input_dim = None

    # ---- the unit's maths (subclasses) -------------------------------------------------------
    def build_weights(self, input_dim):
        """Create the unit's weights for inputs of `input_dim` features."""
        raise NotImplementedError

    def project_inputs(self, inputs):
        """[N, input_dim] -> [N, P]: the input part of every pre-activation, plus biases.

        The default serves units with one `kernel` [input_dim + units, P] on [x; h] and a `bias`.
        """
        return ops.matmul(inputs, self.kernel[: self.input_dim]) + self.bias

    def recurrent_weights(self):
        """The weights the loop multiplies by, sliced once per call (not once per step)."""
        return self.kernel[self.input_dim:]

    def step(self, projected, states, weights):
        """One time step: projected [B, P], states [B, units] each -> (new_states, gates dict)."""
        raise NotImplementedError

    def fused_sequence(self, projected, states, weights, with_gates):
        """TensorFlow fast path, where a unit has one: {name: [T, B, units]} from one op, holding
        every gate with `with_gates`, else at least the states."""
        return None

    # ---- plumbing ----------------------------------------------------------------------------
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

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.input_dim = int(input_shape[-1])
        self.build_weights(self.input_dim)
        if self.stateful:
            batch = input_shape[0]
            if batch is None:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' is stateful, so it needs a fixed batch "
                    "size: build it with keras.Input(shape=..., batch_size=B).")
            self.state_variables = [
                self.add_weight(shape=(batch, self.units), initializer="zeros", trainable=False,
                                name=f"state_{name}") for name in self.state_names]

    def reset_states(self):
        """Zero the carried states of a stateful layer (start of an epoch, a new text)."""
        if not self.stateful:
            raise ValueError(f"{type(self).__name__} '{self.name}' is not stateful; "
                             "only stateful=True layers carry states to reset.")
        if self.state_variables is not None:
            for variable in self.state_variables:
                variable.assign(ops.zeros(variable.shape, dtype=variable.dtype))

    def _initial_states(self, initial_state, batch, static_batch):
        """The states to start from: given, carried (stateful) or zeros; each [B, units]."""
        if initial_state is None:
            if self.stateful:
                return [ops.cast(v, self.compute_dtype) for v in self.state_variables]
            zeros = ops.zeros((batch, self.units), dtype=self.compute_dtype)
            return [zeros for _ in self.state_names]
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        if len(initial_state) != len(self.state_names):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' carries {len(self.state_names)} state(s) "
                f"{list(self.state_names)}; initial_state has {len(initial_state)}.")
        states = []
        for name, state in zip(self.state_names, initial_state):
            state = ops.convert_to_tensor(state, dtype=self.compute_dtype)
            shape = tuple(state.shape)
            if (len(shape) != 2 or (shape[1] is not None and shape[1] != self.units)
                    or (shape[0] is not None and static_batch is not None and shape[0] != static_batch)):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': initial state '{name}' has shape "
                    f"{shape}; expected ({static_batch}, {self.units}) = (batch, units).")
            states.append(state)
        return states

    def call(self, inputs, initial_state=None, training=None, return_gates=None, return_state=None):
        """inputs [B, T, D] -> output [B, T, units] or [B, units] (+ states, + gates dict)."""
        return_gates = self.return_gates if return_gates is None else return_gates
        return_state = self.return_state if return_state is None else return_state
        self._check_input_shape(tuple(inputs.shape))
        inputs = ops.cast(inputs, self.compute_dtype)
        batch, steps = ops.shape(inputs)[0], ops.shape(inputs)[1]
        states = self._initial_states(initial_state, batch, inputs.shape[0])
        if training and self.dropout:
            inputs = keras.random.dropout(inputs, self.dropout, seed=self.seed_generator)

        time_major = ops.transpose(inputs, (1, 0, 2))
        flat = ops.reshape(time_major, (-1, self.input_dim))
        projected = self.project_inputs(flat)
        projected = ops.reshape(projected, (steps, batch, projected.shape[-1]))

        if return_gates:
            collect = list(self.gate_names)
        elif self.return_sequences:
            collect = [self.state_names[0]]
        else:
            collect = []
        weights = self.recurrent_weights()
        use_fused = self.fused and keras.backend.backend() == "tensorflow"
        fused = (self.fused_sequence(projected, states, weights, bool(return_gates))
                 if use_fused else None)
        if fused is not None:   # every gate of every step from one op; take what was asked for
            stacked = [fused[name] for name in collect]
            final_states = [fused[name][-1] for name in self.state_names]
        else:
            final_states, stacked = scan_time(
                lambda x_t, carry: self.step(x_t, carry, weights), projected, states, collect)
        stacked = {name: ops.transpose(value, (1, 0, 2)) for name, value in zip(collect, stacked)}

        if self.stateful and initial_state is None:
            for variable, state in zip(self.state_variables, final_states):
                variable.assign(ops.cast(state, variable.dtype))

        output = stacked[self.state_names[0]] if self.return_sequences else final_states[0]
        if training and self.output_dropout:
            output = keras.random.dropout(output, self.output_dropout, seed=self.seed_generator)
        if not (return_state or return_gates):
            return output
        result = [output]
        if return_state:
            result += list(final_states)
        if return_gates:
            result.append({name: stacked[name] for name in self.gate_names})
        return result

    def compute_output_spec(self, inputs, initial_state=None, training=None, return_gates=None,
                            return_state=None):
        return_gates = self.return_gates if return_gates is None else return_gates
        return_state = self.return_state if return_state is None else return_state
        shape = tuple(inputs.shape)
        self._check_input_shape(shape)
        batch, steps = shape[0], shape[1]
        dtype = self.compute_dtype
        output = keras.KerasTensor(
            (batch, steps, self.units) if self.return_sequences else (batch, self.units), dtype)
        if not (return_state or return_gates):
            return output
        result = [output]
        if return_state:
            result += [keras.KerasTensor((batch, self.units), dtype) for _ in self.state_names]
        if return_gates:
            result.append({name: keras.KerasTensor((batch, steps, self.units), dtype)
                           for name in self.gate_names})
        return result

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, return_sequences=self.return_sequences,
            return_state=self.return_state, return_gates=self.return_gates,
            stateful=self.stateful, dropout=self.dropout, output_dropout=self.output_dropout,
            fused=self.fused,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
            seed=self.seed)
        return config
