"""Exceptions for a user's mistakes: each message names the bad value and the fix."""


class KRNNError(Exception):
    """A user's mistake (bad file, flag or value); scripts print it as one line and exit 2."""


class CorpusNotFoundError(KRNNError, FileNotFoundError):
    """A corpus name or path that resolves to no file, locally or by download."""


class CorpusFormatError(KRNNError, ValueError):
    """A corpus file that is empty, binary or not UTF-8 text."""


class SplitError(KRNNError, ValueError):
    """A train/val/test split that is malformed or does not add up to 100."""


class UnknownCorpusError(KRNNError, KeyError):
    """A corpus name that is neither a known corpus nor an existing file."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class UnknownCharacterError(KRNNError, ValueError):
    """A character the vocabulary does not hold."""


class CorpusTooShortError(KRNNError, ValueError):
    """A split too short to fill one batch of B lanes by T steps."""


class DownloadError(KRNNError, OSError):
    """A corpus download that failed or did not match its sha256."""


class VocabularyMismatchError(KRNNError, ValueError):
    """A model trained on one vocabulary applied to data of another."""


class ModelNotFoundError(KRNNError, FileNotFoundError):
    """A model path that holds no file."""


class ModelFileError(KRNNError, ValueError):
    """A .keras file that cannot be read back: cut short, changed, or not a Keras model."""
