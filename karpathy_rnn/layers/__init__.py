"""Recurrent Keras layers with the paper's equations that can also return their gates.

`LSTM`, `GRU`, `VanillaRNN` (Karpathy et al. 2016, section 3.1), `NestedLSTM` (Madsen 2019,
appendix) and `MinGRU`, `MinLSTM` (Feng et al. 2024, trained by a parallel scan over time). `return_gates=True` appends a dict of per-step gates, each [batch, time, units]. `OneHotDense` is the
n-NN baselines' input layer (section 4.3).
"""

from karpathy_rnn.layers.base import RecurrentLayer, paper_initializer
from karpathy_rnn.layers.gru import GRU
from karpathy_rnn.layers.lstm import LSTM
from karpathy_rnn.layers.minimal import MinGRU, MinLSTM
from karpathy_rnn.layers.nested_lstm import NestedLSTM
from karpathy_rnn.layers.one_hot_dense import OneHotDense
from karpathy_rnn.layers.vanilla import VanillaRNN

__all__ = ["LSTM", "GRU", "VanillaRNN", "NestedLSTM", "MinGRU", "MinLSTM", "OneHotDense", "RecurrentLayer",
           "paper_initializer"]

from karpathy_rnn.layers.conversion import convert_model, from_keras, to_keras  # noqa: E402
from karpathy_rnn.layers.torch_conversion import from_torch, to_torch  # noqa: E402

__all__ += ["from_keras", "to_keras", "convert_model", "from_torch", "to_torch"]
