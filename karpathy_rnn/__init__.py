"""karpathy_rnn: character-level recurrent language models and the analyses of
"Visualizing and Understanding Recurrent Networks" (Karpathy, Johnson, Fei-Fei, ICLR 2016)
and "Visualizing memorization in RNNs" (Madsen, Distill 2019).

`import karpathy_rnn` is enough for `keras.models.load_model` to find the recurrent layers; it
does not import Keras or TensorFlow itself (keras_registration.py).
"""

from karpathy_rnn.keras_registration import register_layers_with_keras

__version__ = "0.1.0"

register_layers_with_keras()
