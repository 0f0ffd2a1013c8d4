"""Cell correlations and gate saturation against float64 references on hand-made activations."""

import numpy as np
import pytest

from karpathy_rnn.analysis.cells import CellScore, correlations, top_cells
from karpathy_rnn.analysis.saturation import describe_claims, saturation_fractions, saturation_report
from karpathy_rnn.errors import KRNNError


def test_saturation_fractions_by_hand():
    gate = np.array([[0.05, 0.5, 0.95], [0.09, 0.91, 0.1], [0.5, 0.9, 0.99], [0.0, 1.0, 0.11]])
    left, right = saturation_fractions(gate)
    # the thresholds are strict: 0.1 is not left-saturated, 0.9 is not right-saturated
    assert left.tolist() == [0.75, 0.0, 0.0]
    assert right.tolist() == [0.0, 0.5, 0.5]


def test_saturation_refuses_empty():
    with pytest.raises(KRNNError, match="N > 0"):
        saturation_fractions(np.zeros((0, 3)))


def test_saturation_claims_count_integrators_and_diffuse_first_layer():
    f = {"lstm1": {g: (np.array([0.1, 0.2]), np.array([0.1, 0.1])) for g in "ifo"},
         "lstm2": {"i": (np.array([0.5, 0.4]), np.array([0.5, 0.5])),
                   "f": (np.array([0.0, 0.0]), np.array([0.95, 0.99])),
                   "o": (np.array([0.95, 0.0]), np.array([0.0, 0.5]))}}
    report = saturation_report(f, "lstm")
    assert report.claims["forget_right_saturated_over_90pct"] == {"lstm1": 0, "lstm2": 2}
    assert report.claims["forget_left_saturated_over_90pct"] == {"lstm1": 0, "lstm2": 0}
    assert report.claims["output_always_open_or_shut"] == {"lstm1": 0, "lstm2": 1}
    assert report.claims["mean_saturated_fraction"]["lstm1"] == pytest.approx(0.25)
    assert report.claims["first_layer_more_diffuse"] is True
    assert any("paper: none" in line for line in describe_claims(report))


def test_gru_claims():
    f = {"gru1": {"r": (np.array([0.3]), np.array([0.02])), "z": (np.array([0.01]), np.array([0.4]))},
         "gru2": {"r": (np.array([0.3]), np.array([0.5])), "z": (np.array([0.5]), np.array([0.4]))}}
    claims = saturation_report(f, "gru").claims
    assert claims["first_layer_r_mean_right_saturated"] == pytest.approx(0.02)
    assert claims["first_layer_z_mean_left_saturated"] == pytest.approx(0.01)


def test_correlations_match_numpy_corrcoef_in_chunks():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(1000, 5)).astype(np.float32)
    feature = rng.normal(size=1000)
    values[:, 2] = feature * 0.5 + 0.1 * values[:, 2]
    binary = (feature > 0).astype(float)
    chunks = ((start, values[start:start + 128]) for start in range(0, 1000, 128))
    r = correlations(chunks, {"x": feature, "b": binary})
    for name, f in (("x", feature), ("b", binary)):
        expected = [np.corrcoef(values[:, u].astype(np.float64), f)[0, 1] for u in range(5)]
        np.testing.assert_allclose(r[name], expected, atol=1e-9)


def test_constant_feature_or_cell_gives_nan_not_an_error():
    values = np.ones((10, 2), np.float32)
    values[:, 1] = np.arange(10)
    r = correlations([(0, values)], {"flat": np.zeros(10), "ramp": np.arange(10.0)})
    assert np.isnan(r["flat"]).all()
    assert np.isnan(r["ramp"][0]) and r["ramp"][1] == pytest.approx(1.0)


def test_correlations_refuse_a_feature_of_another_length():
    with pytest.raises(KRNNError, match="features cover 5 characters but the trace has"):
        correlations([(0, np.zeros((10, 1)))], {"x": np.arange(5.0)})


def test_top_cells_rank_by_absolute_r_across_layers():
    scores = {"l1": {"x": np.array([0.1, -0.9, np.nan])}, "l2": {"x": np.array([0.5, 0.95])}}
    assert top_cells(scores, 2)["x"] == [CellScore("x", "l2", 1, 0.95), CellScore("x", "l1", 1, -0.9)]
    assert top_cells({"l1": {"y": np.array([np.nan])}}, 2) == {}


def test_saturation_claims_are_per_gate_and_per_layer_too():
    """Issue 17.4: pooled over gates, layer 1 looks more diffuse; its input gate is right-saturated 58% of the
    time and says otherwise. The report names each gate and which carry the pooled claim."""
    from karpathy_rnn.analysis.saturation import describe_claims, saturation_report

    def sides(left, right):
        return np.full(4, left), np.full(4, right)

    fractions = {"lstm1": {"i": sides(0.02, 0.58), "f": sides(0.0, 0.01), "o": sides(0.0, 0.01)},
                 "lstm2": {"i": sides(0.1, 0.3), "f": sides(0.2, 0.4), "o": sides(0.1, 0.3)}}
    report = saturation_report(fractions, "lstm")
    assert report.claims["first_layer_more_diffuse"] is True
    assert report.claims["first_layer_more_diffuse_by_gate"] == {"i": False, "f": True, "o": True}
    assert report.claims["mean_left_right_by_gate"]["lstm1"]["i"] == pytest.approx([0.02, 0.58])
    lines = describe_claims(report)
    assert "gate i, mean fraction of time left / right saturated: lstm1 2.0% / 58.0%, lstm2 10.0% / 30.0%" in lines
    assert "first layer more diffuse, per gate: i no, f yes, o yes (carried by f, o)" in lines
