"""Character language models built from the recurrent layers, their gate probes and SavedModel export.

Flow (DESIGN.md): ids [B, T] -> one-hot over the vocabulary -> stack of recurrent layers ->
Dense to K logits. The probe shares the trained layers and also returns every layer's gates, so
the training graph never pays for them.
"""

import os

import keras
from keras import ops

from karpathy_rnn.errors import ModelFileError, ModelNotFoundError, VocabularyMismatchError
from karpathy_rnn.layers import GRU, LSTM, NestedLSTM, RecurrentLayer, VanillaRNN, paper_initializer

UNITS = {"rnn": VanillaRNN, "lstm": LSTM, "gru": GRU, "nlstm": NestedLSTM}


@keras.saving.register_keras_serializable(package="karpathy_rnn")
class CharacterOneHot(keras.layers.Layer):
    """ids [B, T] int -> one-hot [B, T, K]; the K characters are kept in the config (and saved)."""

    def __init__(self, characters, **kwargs):
        super().__init__(**kwargs)
        self.characters = "".join(characters)
        if not self.characters:
            raise ValueError("CharacterOneHot needs a non-empty vocabulary.")

    def call(self, ids):
        return ops.one_hot(ops.cast(ids, "int32"), len(self.characters), dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape, len(self.characters))

    def get_config(self):
        return {**super().get_config(), "characters": self.characters}


def char_language_model(characters, unit="lstm", layers=2, hidden=128, dropout=0.0, depth=2,
                        batch_size=None, stateful=False, seed=None, fused_xla=True, dtype=None, reset_after=False):
    """The paper's char-LM (section 3.2): ids [B, T] -> logits [B, T, K] over `characters`.

    `dropout` applies to the inputs of layers 2..L and to the last layer's output (the
    non-recurrent connections); every parameter starts uniform in [-0.08, 0.08]. `fused_xla`
    goes to every recurrent layer (XLA for the TensorFlow fast path's loops). `dtype`: a Keras dtype
    policy for every layer (None: the global one); under a mixed policy (e.g. "mixed_bfloat16") the
    logits layer stays in float32, so the softmax and the loss are float32 (Keras' mixed-precision guide).
    `reset_after`: the GRU's form (False, the default: the paper's; True: torch's and Keras' default).
    """
    policy = keras.dtype_policies.get(dtype) if dtype is not None else keras.config.dtype_policy()
    logits_dtype = policy.variable_dtype if policy.compute_dtype != policy.variable_dtype else dtype
    if unit not in UNITS:
        raise ValueError(f"unit={unit!r} is not one of {sorted(UNITS)}.")
    if not isinstance(layers, int) or layers < 1:
        raise ValueError(f"layers={layers!r} must be a positive integer.")
    characters = "".join(characters)
    ids = keras.Input((None,), batch_size=batch_size, dtype="int32", name="ids")
    x = CharacterOneHot(characters, name="one_hot", dtype=dtype)(ids)
    for index in range(1, layers + 1):
        options = dict(return_sequences=True, stateful=stateful, name=f"{unit}{index}", dtype=dtype,
                       dropout=dropout if index > 1 else 0.0,
                       output_dropout=dropout if index == layers else 0.0,
                       seed=None if seed is None else seed + 10 * index, fused_xla=fused_xla)
        if unit == "nlstm":
            options["depth"] = depth
        if unit == "gru" and reset_after:
            options["reset_after"] = True
        x = UNITS[unit](hidden, **options)(x)
    logits = keras.layers.Dense(len(characters), name="logits", dtype=logits_dtype,   # kernel, bias: own streams
                                kernel_initializer=paper_initializer(None if seed is None else seed + 1),
                                bias_initializer=paper_initializer(None if seed is None else seed + 2))(x)
    return keras.Model(ids, logits, name=f"{unit}_{layers}x{hidden}")


def autocomplete_model(words, unit="gru", layers=2, units=600, depth=2, embedding=None, seed=None, fused_xla=True):
    """The autocomplete models of Distill 2019's appendix: ids [B, T] (a-z, space, 0 padding) -> Embedding ->
    `layers` recurrent layers of `units` -> Dense to logits [B, T, words + 2] (padding, unknown, the words).

    The article's models: GRU and LSTM with 2 layers of 600, Nested LSTM with 1 layer of depth 2. `embedding` is
    the embedding width (default `units`, as the article's 16,200 = 27 x 600 embedding parameters imply; ours has a
    28th row, for padding).
    """
    from karpathy_rnn.data.autocomplete import ALPHABET

    if unit not in UNITS:
        raise ValueError(f"unit={unit!r} is not one of {sorted(UNITS)}.")
    if not isinstance(layers, int) or layers < 1:
        raise ValueError(f"layers={layers!r} must be a positive integer.")
    if not isinstance(words, int) or words < 3:
        raise ValueError(f"words={words!r}: the vocabulary needs at least 3 words.")
    ids = keras.Input((None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(len(ALPHABET) + 1, embedding or units, name="embedding",
                               embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=seed))(ids)
    for index in range(1, layers + 1):
        options = dict(return_sequences=True, name=f"{unit}{index}", fused_xla=fused_xla,
                       seed=None if seed is None else seed + 10 * index)
        if unit == "nlstm":
            options["depth"] = depth
        x = UNITS[unit](units, **options)(x)
    logits = keras.layers.Dense(words + 2, name="logits",
                                kernel_initializer=keras.initializers.GlorotUniform(seed=None if seed is None else seed + 1))(x)
    return keras.Model(ids, logits, name=f"autocomplete_{unit}_{layers}x{units}")


def recurrent_layers(model):
    """The karpathy_rnn recurrent layers of `model`, bottom to top."""
    return [layer for layer in model.layers if isinstance(layer, RecurrentLayer)]


def unit_name(layer):
    """"rnn", "lstm", "gru" or "nlstm": the unit type of a karpathy_rnn recurrent layer."""
    return next(name for name, cls in UNITS.items() if isinstance(layer, cls))


def model_characters(model):
    """The vocabulary string a char-LM was built with (from its CharacterOneHot layer)."""
    for layer in model.layers:
        if isinstance(layer, CharacterOneHot):
            return layer.characters
    raise ValueError(f"model '{model.name}' has no CharacterOneHot layer, so no known vocabulary.")


def check_vocabulary(model, vocabulary):
    """Raise VocabularyMismatchError unless `model` was built on exactly `vocabulary`'s characters."""
    chars = "".join(getattr(vocabulary, "chars", vocabulary))
    ours = model_characters(model)
    if ours == chars:
        return
    unseen = sorted(set(chars) - set(ours))
    unused = sorted(set(ours) - set(chars))
    parts = [f"model '{model.name}' was built on a vocabulary of {len(ours)} characters but the "
             f"data has {len(chars)}"]
    if unseen:
        parts.append(f"{len(unseen)} the model never saw: {''.join(unseen)[:40]!r}")
    if unused:
        parts.append(f"{len(unused)} missing from the data: {''.join(unused)[:40]!r}")
    if not (unseen or unused):
        parts.append("in a different order")
    raise VocabularyMismatchError("; ".join(parts) + ". Use the model with the corpus it was "
                                  "trained on, or load the corpus with the model's vocabulary.")


class GateProbe(keras.layers.Layer):
    """Calls a trained recurrent layer (sharing its weights) and returns [output, *states(, gates)].

    A wrapper, because Keras' functional graph expects a layer reused in a second graph to keep the
    output structure of its first call; stateful layers start from zeros here and are left untouched.
    """

    def __init__(self, layer, return_gates=True, **kwargs):
        super().__init__(name=f"{layer.name}_{'probe' if return_gates else 'carry'}", **kwargs)
        self.layer = layer
        self.return_gates = return_gates

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            zeros = ops.zeros((ops.shape(inputs)[0], self.layer.units), dtype=self.layer.state_dtype)
            initial_state = [zeros for _ in self.layer.state_names]
        return self.layer(inputs, initial_state=initial_state, return_state=True, return_gates=self.return_gates,
                          update_states=False)

    def compute_output_spec(self, inputs, initial_state=None):
        return self.layer.compute_output_spec(inputs, return_state=True, return_gates=self.return_gates)


def load_model(path, vocabulary=None, fix: str | None = None):
    """Load a `.keras` char-LM; with `vocabulary`, refuse one built on other characters. A missing or unreadable
    file is one KRNNError naming it and the fix (ModelNotFoundError, ModelFileError; `fix` replaces the
    train.py one)."""
    import zipfile

    if not os.path.exists(path):
        raise ModelNotFoundError(f"no saved model at {path}: give the .keras file written by model.save.")
    if not zipfile.is_zipfile(path):
        _unreadable(path, f"not a zip archive, {os.path.getsize(path)} bytes", fix)
    try:
        model = keras.models.load_model(path)
    except (ValueError, OSError, KeyError, EOFError, TypeError, RuntimeError, zipfile.BadZipFile) as error:
        _unreadable(path, f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}", fix)
    if vocabulary is not None:
        check_vocabulary(model, vocabulary)
    return model


def with_dtype_policy(model, dtype="float32"):
    """The same functional `model` (its weights copied) with every layer but its inputs under the Keras dtype policy
    `dtype`: e.g. a model trained under "mixed_bfloat16" run in plain "float32", to see what bfloat16 changes."""
    config = model.get_config()
    for layer in config["layers"]:
        if layer.get("class_name") != "InputLayer":
            layer["config"]["dtype"] = dtype
    twin = model.__class__.from_config(config)
    twin.set_weights(model.get_weights())
    return twin


def _unreadable(path, reason: str, fix: str | None = None):
    raise ModelFileError(f"{path} is not a readable .keras model ({reason}): it was cut short or changed after it "
                         "was written; " + (fix or "if it is a run's best.keras, remove it and run train.py --resume "
                                            "with the run's flags (a new one is written at the next evaluation), or "
                                            "retrain")) from None


def _chain_layers(model):
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _is_chain(model):
    """True when `model`'s own graph is one input through its layers in order, each feeding only the next.

    Reads the model's nodes, not the layers' (a probe adds nodes to the layers it shares).
    """
    if isinstance(model, keras.Sequential):
        return True
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    nodes = [node for depth in model._nodes_by_depth.values() for node in depth
             if not isinstance(node.operation, keras.layers.InputLayer)]
    node_of = {id(node.operation): node for node in nodes}
    if len(node_of) != len(nodes):  # a layer called twice in the model
        return False
    previous = model.inputs[0]
    for layer in _chain_layers(model):
        node = node_of.get(id(layer))
        if node is None or len(node.input_tensors) != 1 or node.input_tensors[0] is not previous:
            return False
        previous = node.output_tensors[0]
    return previous is model.outputs[0]


def probe_model(model, carry_states=False, gates=True):
    """A model sharing `model`'s layers that returns {"logits": ..., "gates": {layer: {gate: [B, T, n]}}}.

    With `carry_states`, it also takes each layer's initial states as inputs named
    `<layer>_<state>` and returns the final ones under "states" ({layer: {state: [B, n]}}), so a
    long text can be run in chunks. Stateful layers are read-only inside the probe. `gates=False`
    leaves the gates out (no "gates" key): the state-carrying model training and sampling use.
    """
    layer_gates, finals, state_inputs = {}, {}, {}

    def call(layer, *args, **kwargs):
        if not isinstance(layer, RecurrentLayer):
            return layer(*args, **kwargs)
        initial = None
        if carry_states:
            initial = [keras.Input((layer.units,), name=f"{layer.name}_{state}",
                                   dtype=layer.state_dtype) for state in layer.state_names]
            state_inputs.update({t.name: t for t in initial})
        result = GateProbe(layer, return_gates=gates)(args[0], initial_state=initial)
        if gates:
            layer_gates[layer.name] = result[-1]
        finals[layer.name] = dict(zip(layer.state_names, result[1:1 + len(layer.state_names)]))
        return result[0]

    if not recurrent_layers(model):
        raise ValueError(f"model '{model.name}' has no karpathy_rnn recurrent layer to probe.")
    fresh = keras.tree.map_structure(
        lambda t: keras.Input(batch_shape=(None, *t.shape[1:]), dtype=t.dtype, name=t.name),
        model.inputs[0] if isinstance(model, keras.Sequential) else model.input)
    if _is_chain(model):
        outputs = fresh
        for layer in _chain_layers(model):
            outputs = call(layer, outputs)
    elif carry_states:
        raise ValueError(f"model '{model.name}' is not a chain of layers; carry_states=True "
                         "needs one (build it with char_language_model or keras.Sequential).")
    else:
        outputs = keras.models.clone_model(model, clone_function=lambda layer: layer,
                                           call_function=call, input_tensors=fresh).output
    result = {"logits": outputs}
    if gates:
        result["gates"] = layer_gates
    inputs = fresh
    if carry_states:
        result["states"] = finals
        inputs = {t.name: t for t in keras.tree.flatten(fresh)} | state_inputs
    return keras.Model(inputs, result, name=f"{model.name}_{'probe' if gates else 'carry'}")


def state_input_names(model):
    """{"<layer>_<state>": units} of a char-LM's recurrent layers: the state inputs of its carry model."""
    return {f"{layer.name}_{state}": layer.units for layer in recurrent_layers(model) for state in layer.state_names}


def flat_states(states):
    """{layer: {state: x}} (a carry model's "states" output) -> {"<layer>_<state>": x}, its inputs' names."""
    return {f"{layer}_{state}": value for layer, values in states.items() for state, value in values.items()}


def export_saved_model(model, path):
    """Write a TensorFlow SavedModel of a char-LM with endpoints `serve`, `gates`, `step`, `step_gates`,
    `zero_states`, `vocabulary` and `layers`.

    `serve(ids [B, T] int32)` -> logits [B, T, K]; `gates(ids)` -> {"<layer>/<gate>": [B, T, n]} (both from
    zero states); `step(ids, states)` -> {"logits", "<layer>_<state>": [B, n] ...} continues from `states`
    ({"<layer>_<state>": [B, n]}), which `zero_states(batch_size)` starts; `step_gates(ids, states)` is
    `step` plus every "<layer>/<gate>"; `vocabulary()` -> the K characters; `layers()` -> JSON
    [{"name", "unit", "units", "gates"}] of the recurrent layers, bottom to top.
    """
    import json

    import tensorflow as tf

    probe = probe_model(model)
    carry = probe_model(model, carry_states=True, gates=False)
    carry_gates = probe_model(model, carry_states=True, gates=True)
    layers_json = json.dumps([{"name": layer.name, "unit": unit_name(layer), "units": layer.units,
                               "gates": list(layer.gate_names)} for layer in recurrent_layers(model)])
    characters = model_characters(model)
    sizes = state_input_names(model)
    archive = keras.export.ExportArchive()
    archive.track(probe)
    archive.track(carry)
    archive.track(carry_gates)
    spec = [tf.TensorSpec((None, None), tf.int32, name="ids")]
    archive.add_endpoint("serve", lambda ids: probe(ids)["logits"], input_signature=spec)

    def gates(ids):
        out = probe(ids)["gates"]
        return {f"{layer}/{gate}": value for layer, layer_gates in out.items()
                for gate, value in layer_gates.items()}

    def step(ids, states):
        out = carry({"ids": ids, **states})
        return {"logits": out["logits"], **flat_states(out["states"])}

    def step_gates(ids, states):
        out = carry_gates({"ids": ids, **states})
        gates = {f"{layer}/{gate}": value for layer, values in out["gates"].items() for gate, value in values.items()}
        return {"logits": out["logits"], **gates, **flat_states(out["states"])}

    def zero_states(batch_size):
        return {name: tf.zeros(tf.stack([batch_size, units]), tf.float32) for name, units in sizes.items()}

    state_specs = {name: tf.TensorSpec((None, units), tf.float32, name=name) for name, units in sizes.items()}
    archive.add_endpoint("gates", gates, input_signature=spec)
    archive.add_endpoint("step", step, input_signature=spec + [state_specs])
    archive.add_endpoint("step_gates", step_gates, input_signature=spec + [state_specs])
    archive.add_endpoint("layers", lambda: tf.constant(layers_json), input_signature=[])
    archive.add_endpoint("zero_states", zero_states, input_signature=[tf.TensorSpec((), tf.int32, name="batch_size")])
    archive.add_endpoint("vocabulary", lambda: tf.constant(characters), input_signature=[])
    archive.write_out(str(path), verbose=False)
    return str(path)
