"""The karpathy_rnn TensorBoard plugin (colored-text cell activations, saturation plots, error pies).

Empty until the plugin issue lands; it is registered through setup.py's `tensorboard_plugins`
entry point only once it has a plugin class to serve.
"""
