"""Gate saturation (paper section 4.2, Figure 3): the fraction of time each gate unit is left or right saturated.

A gate activation is left-saturated below 0.1 and right-saturated above 0.9 (the paper's thresholds). The
claims of section 4.2 are turned into numbers a user can check on their own model: forget gates that are
nearly perfect integrators (right-saturated > 90% of the time), none purely feed-forward (left-saturated
> 90%), no output gate always open or shut, and a first layer more diffuse than the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from karpathy_rnn.analysis.trace import CHUNK_ROWS, Trace
from karpathy_rnn.errors import KRNNError

LEFT = 0.1
RIGHT = 0.9
MOSTLY = 0.9        # "more than 90% of the time"
SATURATION_GATES = {"lstm": ("i", "f", "o"), "nlstm": ("i", "f", "o"), "gru": ("r", "z"), "rnn": ()}


def saturation_fractions(activations: np.ndarray, left: float = LEFT, right: float = RIGHT) -> tuple[np.ndarray, np.ndarray]:
    """(fraction left-saturated [units], fraction right-saturated [units]) of activations [N, units]; compared in
    float32 (a float16 trace's 0.0999756 is below 0.1 on every path)."""
    activations = np.asarray(activations)
    if activations.ndim != 2 or len(activations) == 0:
        raise KRNNError(f"saturation needs activations [N, units] with N > 0, got shape {activations.shape}")
    left_of, right_of = _saturated(activations, left, right)
    return left_of.mean(axis=0), right_of.mean(axis=0)


def _saturated(values: np.ndarray, left: float, right: float) -> tuple[np.ndarray, np.ndarray]:
    """(values < left, values > right), both sides in float32 whatever the storage dtype."""
    values = np.asarray(values, np.float32)
    return values < np.float32(left), values > np.float32(right)


def gate_saturation(trace: Trace, layer, gate: str, rows: int = CHUNK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """saturation_fractions of one gate of one layer of `trace`, read in chunks."""
    info = trace.layer(layer)
    if gate not in SATURATION_GATES[info.unit]:
        expected = ", ".join(SATURATION_GATES[info.unit]) or "none (it has no gates)"
        owner = {"i": "LSTM", "f": "LSTM", "o": "LSTM", "r": "GRU", "z": "GRU"}.get(gate, "no")
        raise KRNNError(f"layer {info.name} is a {info.unit.upper()}: gate {gate!r} is {owner} gate; its "
                        f"saturation gates are {expected}")
    left_count = right_count = 0
    for _, block in trace.chunks(info.name, gate, rows):
        left_of, right_of = _saturated(block, LEFT, RIGHT)
        left_count = left_count + left_of.sum(axis=0)
        right_count = right_count + right_of.sum(axis=0)
    return left_count / trace.length, right_count / trace.length


@dataclass
class SaturationReport:
    """Per layer and gate, the fractions [units]; plus the paper's claims as numbers."""

    unit: str
    fractions: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]   # {layer: {gate: (left, right)}}
    claims: dict[str, object] = field(default_factory=dict)


def saturation_report(fractions: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]], unit: str) -> SaturationReport:
    """The claims of section 4.2 measured on {layer: {gate: (left [units], right [units])}}."""
    layers = list(fractions)
    claims: dict[str, object] = {}

    def count(gate, side, layer):
        left, right = fractions[layer][gate]
        return int(((left if side == "left" else right) > MOSTLY).sum())

    if unit in ("lstm", "nlstm"):
        claims["forget_right_saturated_over_90pct"] = {layer: count("f", "right", layer) for layer in layers}
        claims["forget_left_saturated_over_90pct"] = {layer: count("f", "left", layer) for layer in layers}
        claims["output_always_open_or_shut"] = {layer: count("o", "left", layer) + count("o", "right", layer)
                                                for layer in layers}
    if unit == "gru":
        first = layers[0]
        claims["first_layer_r_mean_right_saturated"] = float(fractions[first]["r"][1].mean())
        claims["first_layer_z_mean_left_saturated"] = float(fractions[first]["z"][0].mean())
        if len(layers) > 1:
            claims["other_layers_r_mean_right_saturated"] = float(np.mean([fractions[l]["r"][1].mean() for l in layers[1:]]))
            claims["other_layers_z_mean_left_saturated"] = float(np.mean([fractions[l]["z"][0].mean() for l in layers[1:]]))
    # diffuseness: the mean fraction of time a gate spends saturated (either side), per layer; lower = more diffuse
    claims["mean_saturated_fraction"] = {
        layer: float(np.mean([np.mean(left + right) for left, right in fractions[layer].values()]))
        for layer in layers if fractions[layer]}
    # the same per gate (the paper's Figure 3 shows each gate apart): pooling can hide one gate that goes the other way
    claims["mean_left_right_by_gate"] = {
        layer: {gate: [float(np.mean(left)), float(np.mean(right))] for gate, (left, right) in fractions[layer].items()}
        for layer in layers}
    gates = [gate for gate in fractions[layers[0]] if all(gate in fractions[layer] for layer in layers)]
    if len(layers) > 1:
        by_gate = {layer: {gate: sum(claims["mean_left_right_by_gate"][layer][gate]) for gate in gates}
                   for layer in layers}
        claims["first_layer_more_diffuse_by_gate"] = {
            gate: bool(by_gate[layers[0]][gate] < np.mean([by_gate[layer][gate] for layer in layers[1:]]))
            for gate in gates}
    saturated = claims["mean_saturated_fraction"]
    if len(saturated) > 1:
        others = float(np.mean([saturated[layer] for layer in layers[1:]]))
        claims["first_layer_more_diffuse"] = bool(saturated[layers[0]] < others)
        claims["first_layer_vs_others_saturated_ratio"] = saturated[layers[0]] / others if others else float("nan")
    return SaturationReport(unit, fractions, claims)


def has_saturation_gates(layers) -> bool:
    """Whether every one of `layers` (LayerInfo) is an LSTM or GRU of one type holding all the gates saturation
    counts (a trace of imported states may give only the states)."""
    return (len({layer.unit for layer in layers}) == 1 and all(
        SATURATION_GATES[layer.unit] and set(SATURATION_GATES[layer.unit]) <= set(layer.gates) for layer in layers))


def trace_saturation(trace: Trace) -> SaturationReport:
    """Saturation fractions of every gate of every layer of `trace` and the section 4.2 claims."""
    units = {layer.unit for layer in trace.layers}
    if len(units) != 1:
        raise KRNNError(f"trace mixes unit types {sorted(units)}; saturation compares layers of one type")
    unit = units.pop()
    if not SATURATION_GATES[unit]:
        raise KRNNError("a vanilla RNN has no gates to saturate; saturation needs an LSTM or a GRU trace")
    fractions = {layer.name: {gate: gate_saturation(trace, layer.name, gate) for gate in SATURATION_GATES[unit]}
                 for layer in trace.layers}
    return saturation_report(fractions, unit)


def describe_claims(report: SaturationReport) -> list[str]:
    """The claims as sentences, with the paper's expectation beside each measured number."""
    c, lines = report.claims, []
    if "forget_right_saturated_over_90pct" in c:
        lines.append(f"forget gates right-saturated > 90% of the time (integrators; paper: several): "
                     f"{c['forget_right_saturated_over_90pct']}")
        lines.append(f"forget gates left-saturated > 90% of the time (purely feed-forward; paper: none): "
                     f"{c['forget_left_saturated_over_90pct']}")
        lines.append(f"output gates saturated on one side > 90% of the time (paper: none): "
                     f"{c['output_always_open_or_shut']}")
    if "first_layer_r_mean_right_saturated" in c:
        lines.append(f"GRU first layer: r right-saturated {c['first_layer_r_mean_right_saturated']:.1%} of the time "
                     f"on average (paper: nearly never), z left-saturated {c['first_layer_z_mean_left_saturated']:.1%} "
                     f"(paper: rarely)")
        if "other_layers_r_mean_right_saturated" in c:
            lines.append(f"GRU other layers: r right-saturated {c['other_layers_r_mean_right_saturated']:.1%}, "
                         f"z left-saturated {c['other_layers_z_mean_left_saturated']:.1%} of the time on average")
    lines.append("mean fraction of time a gate is saturated, per layer: " +
                 ", ".join(f"{layer} {value:.1%}" for layer, value in c["mean_saturated_fraction"].items()))
    for gate in next(iter(c["mean_left_right_by_gate"].values()), {}):
        lines.append(f"gate {gate}, mean fraction of time left / right saturated: " + ", ".join(
            f"{layer} {sides[gate][0]:.1%} / {sides[gate][1]:.1%}"
            for layer, sides in c["mean_left_right_by_gate"].items() if gate in sides))
    if "first_layer_more_diffuse" in c:
        lines.append(f"first layer more diffuse than the others, all gates pooled (paper: yes, in every model): "
                     f"{'yes' if c['first_layer_more_diffuse'] else 'no'} "
                     f"(saturated {c['first_layer_vs_others_saturated_ratio']:.2f}x as often)")
        per_gate = c["first_layer_more_diffuse_by_gate"]
        carriers = [gate for gate, more in per_gate.items() if more]
        lines.append("first layer more diffuse, per gate: " + ", ".join(
            f"{gate} {'yes' if more else 'no'}" for gate, more in per_gate.items())
            + f" (carried by {', '.join(carriers) if carriers else 'no gate'})")
    return lines
