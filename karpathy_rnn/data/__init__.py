"""Corpora, vocabulary, contiguous splits and tf.data streams (TensorFlow is imported only for streams)."""

from karpathy_rnn.data.corpus import Corpus, corpus_from_text, load_corpus
from karpathy_rnn.data.lanes import LaneLayout, steps_per_epoch, training_layout
from karpathy_rnn.data.locate import (
    cache_dir,
    find_corpus_file,
    locate_corpus,
    search_dirs,
)
from karpathy_rnn.data.registry import CORPORA, CorpusSpec, corpus_spec
from karpathy_rnn.data.splits import parse_split, split_boundaries
from karpathy_rnn.data.vocabulary import Vocabulary

_STREAM_NAMES = ("training_stream", "evaluation_stream")


def __getattr__(name):
    """Import the tf.data streams (and TensorFlow) only when one of them is asked for."""
    if name in _STREAM_NAMES:
        from karpathy_rnn.data import streams
        return getattr(streams, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CORPORA", "Corpus", "CorpusSpec", "LaneLayout", "Vocabulary", "cache_dir", "corpus_from_text",
           "corpus_spec", "evaluation_stream", "find_corpus_file", "load_corpus", "locate_corpus", "parse_split",
           "search_dirs", "split_boundaries", "steps_per_epoch", "training_layout", "training_stream"]
