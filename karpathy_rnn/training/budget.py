"""Parameter counts of the char-LMs and the paper's four parameter budgets (section 4.1), without TensorFlow."""

from __future__ import annotations

from karpathy_rnn.errors import KRNNError

# Section 4.1: "For a 1-layer LSTM we used hidden size vectors of 64, 128, 256, and 512 cells, which with our
# character vocabulary sizes translates to approximately 50K, 130K, 400K, and 1.3M parameters respectively."
BUDGET_LSTM_CELLS = {"50k": 64, "130k": 128, "400k": 256, "1.3m": 512}
BUDGETS = tuple(BUDGET_LSTM_CELLS)
MATCH_TOLERANCE = 0.10  # a budget is matched when the closest model is within 10% of it
MAX_HIDDEN = 8192


def recurrent_parameters(unit: str, inputs: int, hidden: int, depth: int = 2) -> int:
    """Weights and biases of one recurrent layer with `inputs` inputs and `hidden` units (section 3.1 forms)."""
    width = inputs + hidden
    if unit == "rnn":
        return width * hidden + hidden
    if unit == "lstm":
        return width * 4 * hidden + 4 * hidden
    if unit == "gru":
        return width * 3 * hidden + 3 * hidden          # gate_kernel [w, 2n] + candidate_kernel [w, n] + biases
    if unit == "nlstm":                                  # outer LSTM + (depth - 1) inner LSTMs on [h; c]
        return width * 4 * hidden + 4 * hidden + (depth - 1) * (2 * hidden * 4 * hidden + 4 * hidden)
    raise KRNNError(f"unknown unit {unit!r}; use one of rnn, lstm, gru, nlstm")


def model_parameters(unit: str, layers: int, hidden: int, vocabulary_size: int, depth: int = 2) -> int:
    """All parameters of char_language_model(unit, layers, hidden) over a vocabulary of K characters."""
    total, inputs = 0, vocabulary_size
    for _ in range(layers):
        total += recurrent_parameters(unit, inputs, hidden, depth)
        inputs = hidden
    return total + hidden * vocabulary_size + vocabulary_size


def budget_parameters(budget: str, vocabulary_size: int) -> int:
    """The parameter count a budget names: a 1-layer LSTM with 64/128/256/512 cells at this vocabulary."""
    if budget not in BUDGET_LSTM_CELLS:
        raise KRNNError(f"unknown budget {budget!r}; use one of {', '.join(BUDGETS)}")
    return model_parameters("lstm", 1, BUDGET_LSTM_CELLS[budget], vocabulary_size)


def hidden_for_budget(budget: str, unit: str, layers: int, vocabulary_size: int, depth: int = 2) -> tuple[int, int]:
    """(hidden size, parameter count) of the model of this unit and depth closest to the budget.

    Raises KRNNError when even the closest is more than 10% away from the budget.
    """
    target = budget_parameters(budget, vocabulary_size)
    best = min(range(1, MAX_HIDDEN + 1),
               key=lambda n: (abs(model_parameters(unit, layers, n, vocabulary_size, depth) - target), n))
    count = model_parameters(unit, layers, best, vocabulary_size, depth)
    if abs(count - target) > MATCH_TOLERANCE * target:
        raise KRNNError(
            f"budget {budget} ({target:,} parameters at a vocabulary of {vocabulary_size}) cannot be matched by a "
            f"{layers}-layer {unit}: the closest, {best} units, has {count:,}; give --hidden instead")
    return best, count
