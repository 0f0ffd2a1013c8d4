"""Training: the paper's recipe (section 3.3), parameter budgets, the Figure 1 grid; TensorFlow loads with the trainer."""

from karpathy_rnn.training.budget import BUDGETS, budget_parameters, hidden_for_budget, model_parameters
from karpathy_rnn.training.config import TrainConfig, check_config, learning_rate_at

__all__ = ["BUDGETS", "TrainConfig", "budget_parameters", "check_config", "hidden_for_budget", "learning_rate_at",
           "model_parameters"]
