"""Make `import karpathy_rnn` enough for `keras.models.load_model`, without importing Keras here.

Keras finds custom layers in its registry, which is filled when `karpathy_rnn.layers` is imported.
Importing it from `karpathy_rnn/__init__.py` would load TensorFlow for every script and analysis
(seconds, and TensorFlow's log lines), so instead: if Keras is already imported, the layers are
imported now; otherwise a finder waits for Keras' own import to run and imports the layers right
after it. Look-ups that import nothing (`importlib.util.find_spec("keras")`, which TensorFlow's
own import does) leave the finder waiting.
"""

import importlib.abc
import importlib.util
import sys
import warnings


def _import_layers():
    try:
        import karpathy_rnn.layers  # noqa: F401  (registers LSTM, GRU, VanillaRNN, NestedLSTM)
    except Exception as error:    # never break the user's `import keras`
        warnings.warn(f"karpathy_rnn could not register its Keras layers: {error!r}; "
                      "`import karpathy_rnn.layers` before loading a model.", stacklevel=2)


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """Finds Keras as usual and makes its loader import our layers once Keras has run."""

    def __init__(self):
        self.looking = False

    def find_spec(self, fullname, path, target=None):
        if fullname != "keras" or self.looking:
            return None
        self.looking = True
        try:
            spec = importlib.util.find_spec("keras")
        finally:
            self.looking = False
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module
        finder = self

        def exec_module(module):
            execute(module)
            if finder in sys.meta_path:
                sys.meta_path.remove(finder)
            _import_layers()
        spec.loader.exec_module = exec_module
        return spec


def register_layers_with_keras():
    """Register the layers now (Keras imported) or right after Keras is imported; never import it."""
    if "keras" in sys.modules:
        if sys.modules["keras"] is not None:      # None: Keras deliberately blocked
            _import_layers()
        return
    if not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())
