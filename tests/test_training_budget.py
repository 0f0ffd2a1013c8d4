"""Parameter budgets (section 4.1), the learning-rate schedule (section 3.3) and the settings' checks."""

import pytest

from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training import TrainConfig, check_config, learning_rate_at
from karpathy_rnn.training.budget import (
    BUDGETS,
    budget_parameters,
    hidden_for_budget,
    model_parameters,
)


@pytest.mark.parametrize("unit", ["rnn", "lstm", "gru", "nlstm"])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_parameter_count_matches_the_built_model(unit, layers):
    from karpathy_rnn.models import char_language_model

    model = char_language_model("abcdefghij", unit, layers, 7, depth=3)
    assert model_parameters(unit, layers, 7, 10, depth=3) == model.count_params()


def test_budgets_are_the_one_layer_lstm_sizes():
    # War and Peace's 87 characters in the paper: 64 cells -> 4*64*(87+64) + 4*64 + 64*87 + 87 = 44,567 (~50K)
    assert budget_parameters("50k", 87) == 4 * 64 * (87 + 64) + 4 * 64 + 64 * 87 + 87 == 44_567
    for budget, cells in zip(BUDGETS, (64, 128, 256, 512)):
        assert hidden_for_budget(budget, "lstm", 1, 87) == (cells, budget_parameters(budget, 87))


@pytest.mark.parametrize("unit", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("budget", BUDGETS)
def test_budget_picks_the_closest_size(unit, layers, budget):
    target = budget_parameters(budget, 101)
    hidden, count = hidden_for_budget(budget, unit, layers, 101)
    assert count == model_parameters(unit, layers, hidden, 101)
    for other in (hidden - 1, hidden + 1):
        assert abs(model_parameters(unit, layers, other, 101) - target) >= abs(count - target)
    assert abs(count - target) <= 0.1 * target


def test_budget_that_cannot_be_matched_is_refused():
    # a deep Nested LSTM's steps in parameter count are coarser than 10% of a small budget
    with pytest.raises(KRNNError, match="cannot be matched.*give --hidden"):
        hidden_for_budget("50k", "nlstm", 3, 10, depth=40)


def test_learning_rate_decays_after_ten_epochs():
    config = TrainConfig()
    assert [learning_rate_at(config, e) for e in range(10)] == [2e-3] * 10
    assert learning_rate_at(config, 10) == pytest.approx(2e-3 * 0.95)
    assert learning_rate_at(config, 11) == pytest.approx(2e-3 * 0.95 ** 2)
    assert learning_rate_at(config, 49) == pytest.approx(2e-3 * 0.95 ** 40)


@pytest.mark.parametrize("change, message", [
    ({"unit": "lstmx"}, "unknown unit 'lstmx'"), ({"budget": "2m"}, "unknown budget '2m'"),
    ({"layers": 4}, "--layers must be an integer from 1 to 3"), ({"hidden": 0}, "--hidden must be"),
    ({"budget": "50k", "hidden": 8}, "not both"), ({"dropout": 1.0}, "--dropout"),
    ({"learning_rate": float("nan")}, "--learning-rate"), ({"distribute": "tpu"}, "unknown --distribute"),
    ({"name": "a/b"}, "plain folder name"), ({"max_steps": 0}, "--max-steps"),
])
def test_bad_settings_name_the_value(change, message):
    with pytest.raises(KRNNError, match=message.replace("(", r"\(")):
        check_config(TrainConfig(**change))
