"""A `Corpus`: a text's vocabulary and its contiguous train/val/test splits as integer arrays."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from karpathy_rnn.data.locate import locate_corpus
from karpathy_rnn.data.python_stdlib import python_stdlib_corpus
from karpathy_rnn.data.registry import CORPORA, CorpusSpec, corpus_spec
from karpathy_rnn.data.splits import (
    SPLIT_NAMES,
    format_split,
    parse_split,
    split_boundaries,
)
from karpathy_rnn.data.textfile import read_text, text_sha256
from karpathy_rnn.data.vocabulary import Vocabulary
from karpathy_rnn.errors import CorpusFormatError, CorpusTooShortError, KRNNError

DEFAULT_FILE_SPLIT = "90/5/5"


@dataclass(frozen=True, eq=False)
class Corpus:
    """A corpus' vocabulary and contiguous splits: `train`, `val`, `test` are int32 id arrays."""

    name: str
    source: str
    vocabulary: Vocabulary
    split: str
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    sha256: str
    reference_sha256: str | None = None

    @property
    def num_chars(self) -> int:
        """Total characters over the three splits."""
        return len(self.train) + len(self.val) + len(self.test)

    @property
    def matches_reference(self) -> bool | None:
        """Whether the text is the reference one (known corpora only; None when there is none)."""
        return None if self.reference_sha256 is None else self.sha256 == self.reference_sha256

    def split_ids(self, which: str) -> np.ndarray:
        """The id array [N] of split `which` ("train", "val" or "test")."""
        if which not in SPLIT_NAMES:
            raise KRNNError(f"unknown split {which!r}; use one of {', '.join(SPLIT_NAMES)}")
        return getattr(self, which)

    def scoring_ids(self, which: str) -> np.ndarray:
        """Split `which` preceded by the one character before it, so that every character of it is a target.

        For "train" there is no earlier character: its first character is context only.
        """
        ids = self.split_ids(which)
        before = {"train": [], "val": [self.train], "test": [self.train, self.val]}[which]
        previous = next((part[-1:] for part in reversed(before) if len(part)), ids[:0])
        return np.concatenate([previous, ids]).astype(np.int32)

    def text(self, which: str) -> str:
        """The text of split `which`."""
        return self.vocabulary.decode(self.split_ids(which))

    def describe(self) -> dict:
        """A JSON-ready summary: name, source, characters, vocabulary size, split sizes, sha256."""
        return {
            "name": self.name, "source": self.source, "characters": self.num_chars,
            "vocabulary_size": self.vocabulary.size, "split": self.split,
            "train": len(self.train), "val": len(self.val), "test": len(self.test),
            "sha256": self.sha256, "matches_reference": self.matches_reference,
        }


def corpus_from_text(text: str, name: str, source: str, split=DEFAULT_FILE_SPLIT,
                     vocabulary: Vocabulary | None = None,
                     reference_sha256: str | None = None) -> Corpus:
    """A Corpus from text: vocabulary (given, or all of `text`'s characters) and contiguous splits."""
    if not text:
        raise CorpusFormatError(f"corpus {source!r} is empty; give a file with text in it")
    vocabulary = vocabulary or Vocabulary.from_text(text)
    ids = vocabulary.encode(text)
    train_end, val_end = split_boundaries(len(ids), split)
    sizes = (train_end, val_end - train_end, len(ids) - val_end)
    for which, size, percent in zip(SPLIT_NAMES, sizes, parse_split(split)):
        if percent > 0 and size == 0:
            raise CorpusTooShortError(
                f"corpus {source!r} of {len(ids)} characters leaves the {which} split empty at "
                f"{format_split(split)}; use a longer text or give {which} a larger share")
    return Corpus(name=name, source=source, vocabulary=vocabulary, split=format_split(split),
                  train=ids[:train_end], val=ids[train_end:val_end], test=ids[val_end:],
                  sha256=text_sha256(text), reference_sha256=reference_sha256)


def _looks_like_path(name: str) -> bool:
    """Whether `name` was meant as a file path rather than a corpus name."""
    return os.sep in name or "/" in name or name.endswith((".txt", ".gz")) or os.path.exists(name)


def corpus_text(name_or_path: str | os.PathLike, data_dir: str | os.PathLike | None = None,
                download: bool = True) -> tuple[str, str, CorpusSpec | None]:
    """(text, source, spec) of a known corpus by name or of a UTF-8 .txt/.txt.gz file by path (spec: the known
    corpus a file is, by its sha256, else None)."""
    name = os.fspath(name_or_path)
    if name not in CORPORA and _looks_like_path(name):
        text = read_text(name)
        digest = text_sha256(text)
        return text, name, next((spec for spec in CORPORA.values() if spec.sha256 == digest), None)
    spec: CorpusSpec = corpus_spec(name)
    if spec.embedded:
        return python_stdlib_corpus().text, "embedded: Python standard library", spec
    source = locate_corpus(spec, data_dir, download)
    return read_text(source), source, spec


def load_corpus(name_or_path: str | os.PathLike, split=None, data_dir: str | os.PathLike | None = None,
                download: bool = True, vocabulary: Vocabulary | None = None) -> Corpus:
    """Load a known corpus by name (its paper split) or a UTF-8 .txt/.txt.gz file by path.

    `split` ("90/5/5") overrides the default; `vocabulary` (a model's own) encodes the text with
    that vocabulary instead of the text's, raising UnknownCharacterError on a character it lacks.
    """
    text, source, spec = corpus_text(name_or_path, data_dir, download)
    if spec is not None:  # a known corpus (given by path too) keeps its name and paper split
        return corpus_from_text(text, spec.name, source, split or spec.split, vocabulary, spec.sha256)
    stem = os.path.basename(os.fspath(name_or_path)).split(".")[0] or "corpus"
    return corpus_from_text(text, stem, source, split or DEFAULT_FILE_SPLIT, vocabulary)
