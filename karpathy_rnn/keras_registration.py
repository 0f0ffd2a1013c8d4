"""Make `import karpathy_rnn` enough for `keras.models.load_model`, without importing Keras here.

Keras finds custom layers in its registry, which is filled when `karpathy_rnn.layers` is imported.
Importing it from `karpathy_rnn/__init__.py` would load TensorFlow for every script and analysis
(seconds, and TensorFlow's log lines), so instead: if Keras is already imported, the layers are
imported now; otherwise a finder waits for Keras' own import and imports the layers right after it.
"""

import importlib.abc
import importlib.util
import sys


def _import_layers():
    import karpathy_rnn.layers  # noqa: F401  (registers LSTM, GRU, VanillaRNN, NestedLSTM)


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """A one-shot finder: lets Keras import as usual, then imports our layers."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("keras")
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
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
