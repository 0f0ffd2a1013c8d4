"""karpathy_rnn: character-level recurrent language models and the analyses of
"Visualizing and Understanding Recurrent Networks" (Karpathy, Johnson, Fei-Fei, ICLR 2016)
and "Visualizing memorization in RNNs" (Madsen, Distill 2019).

`import karpathy_rnn` registers the recurrent layers with Keras, so `keras.models.load_model`
finds them; where Keras cannot be imported (an analysis machine without TensorFlow) the analyses
still import.
"""

__version__ = "0.1.0"

try:
    import keras as _keras  # noqa: F401
except ImportError:     # analyses of saved traces run without Keras/TensorFlow
    pass
else:
    from karpathy_rnn import layers  # noqa: F401  (registers LSTM, GRU, VanillaRNN, NestedLSTM)
