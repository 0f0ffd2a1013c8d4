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


def test_progress_eta_counts_this_sessions_steps_and_evaluations_and_lines_are_plain_off_a_terminal():
    """Issue 16.6: the ETA is for the whole run, from this session's own step times (right after --resume,
    which once said 10 s for steps of 290 ms), evaluations included once timed; plain lines every N steps."""
    import io

    from karpathy_rnn.training.progress import TrainingProgress, format_duration, total_steps

    assert total_steps(50, 353, None) == 17_650 and total_steps(50, 353, 1000) == 1000
    assert [format_duration(s) for s in (40, 89, 90, 754, 3600 + 5 * 60)] == ["40 s", "89 s", "2 min", "13 min",
                                                                              "1 h 05 min"]
    lines = []
    report = TrainingProgress(lines.append, total=2000, steps_per_epoch=500, epochs=4, batch_characters=10_000,
                              live=False, every=100, eval_every=0, evaluation_characters=40_000, unroll=100,
                              sample_length=300)
    for step in range(1001, 1101):                    # resumed at step 1000: the first two steps compile
        report.step(step, 3, step - 1000, 1.5, 5.0 if step <= 1002 else 0.29)
    # issue 32.3: evaluations counted before one is timed: the val split forward (half a step per 10,000
    # characters: 2 steps), the sample (300 characters, a time step of 100 each: 3 steps), the saves (0.1 s)
    estimate = 0.29 * (0.5 * 40_000 / 10_000 + 300 / 100) + 0.1
    assert report.eta(1100) == pytest.approx(0.29 * 900 + 2 * estimate)   # two to come: steps 1500 and 2000
    assert lines[0].startswith("about 5 min to go for the 993 remaining steps and 2 evaluations") and \
        "34.5 kchars/s, 1.6 s an evaluation estimated)" in lines[0]
    assert lines[1:] == ["epoch 3/4 step 100/500 · loss 1.5000 · 34.5 kchars/s · run 55.0% · ETA 4 min"]
    report.evaluated(30.0)                           # a session's first evaluation compiles: still the estimate
    assert report.eta(1100) == pytest.approx(0.29 * 900 + 2 * estimate)
    report.evaluated(20.0)
    report.evaluated(40.0)                           # then the mean of the others: 30 s each
    assert report.eta(1100) == pytest.approx(0.29 * 900 + 60.0)
    assert report.eta(1500) == pytest.approx(0.29 * 500 + 30.0) and report.evaluations_left(2000) == 0

    stream = io.StringIO()
    live = TrainingProgress(lines.append, total=10, steps_per_epoch=10, epochs=1, batch_characters=100, live=True,
                            every=1, stream=stream)
    live.step(1, 1, 1, 2.0, 0.1)
    assert stream.getvalue().startswith("\repoch 1/1 step 1/10") and "\n" not in stream.getvalue()
    live.say("interrupted")                          # a message starts on its own line
    assert stream.getvalue().endswith("\n") and lines[-1] == "interrupted"
