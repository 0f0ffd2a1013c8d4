"""karpathy_rnn: character-level recurrent language models and the analyses of
"Visualizing and Understanding Recurrent Networks" (Karpathy, Johnson, Fei-Fei, ICLR 2016)
and "Visualizing memorization in RNNs" (Madsen, Distill 2019)."""

__version__ = "0.1.0"
