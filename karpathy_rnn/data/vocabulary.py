"""Character vocabulary: a sorted, stable mapping between characters and integer ids."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from karpathy_rnn.atomic import atomic_file
from karpathy_rnn.errors import KRNNError, UnknownCharacterError

VOCABULARY_FILENAME = "vocabulary.json"


def code_points(text: str) -> np.ndarray:
    """Unicode code points of `text` as a uint32 array [len(text)]; refuses lone surrogates."""
    try:
        return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError as exc:
        raise UnknownCharacterError(
            f"the text holds a lone surrogate U+{ord(text[exc.start]):04X} at position {exc.start}, which is "
            f"not a character; read the text as strict UTF-8") from None


@dataclass(frozen=True)
class Vocabulary:
    """The K characters of a corpus in code-point order; id i is `chars[i]`."""

    chars: tuple[str, ...]

    def __post_init__(self):
        chars = tuple(self.chars)
        if any(not isinstance(c, str) or len(c) != 1 or 0xD800 <= ord(c) <= 0xDFFF for c in chars):
            raise KRNNError("a vocabulary holds single Unicode characters (no lone surrogates); got other entries")
        if list(chars) != sorted(set(chars)):
            raise KRNNError("vocabulary characters must be unique and sorted by code point; "
                            "build it with Vocabulary.from_text")
        object.__setattr__(self, "chars", chars)
        object.__setattr__(self, "_points", np.array([ord(c) for c in chars], dtype=np.uint32))

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        """The vocabulary of every distinct character in `text`, sorted by code point."""
        return cls(tuple(chr(p) for p in np.unique(code_points(text))))

    @property
    def size(self) -> int:
        """K, the number of characters."""
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: str) -> bool:
        return char in self.chars

    def encode(self, text: str) -> np.ndarray:
        """Ids of `text` as an int32 array [len(text)]; raises UnknownCharacterError on a new character."""
        points = code_points(text)
        ids = np.searchsorted(self._points, points)
        ids_clipped = np.minimum(ids, len(self._points) - 1)
        unknown = self._points[ids_clipped] != points if len(self._points) else np.ones(len(points), bool)
        if unknown.any():
            first = int(np.argmax(unknown))
            missing = sorted({chr(p) for p in points[unknown]})
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise UnknownCharacterError(
                f"{len(missing)} character(s) not in the model's {self.size}-character vocabulary: "
                f"{shown}{more}, first at position {first}; remove or replace them in the text, "
                f"or train a model on a corpus that contains them")
        return ids.astype(np.int32)

    def decode(self, ids) -> str:
        """The text of an integer id sequence [N]."""
        ids = np.asarray(ids).reshape(-1)
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise KRNNError(f"ids to decode must be integers, got dtype {ids.dtype}")
        ids = ids.astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            bad = int(ids[(ids < 0) | (ids >= self.size)][0])
            raise KRNNError(f"id {bad} is outside the vocabulary of {self.size} characters (0..{self.size - 1})")
        return self._points[ids].tobytes().decode("utf-32-le")

    def to_json(self) -> str:
        """JSON text `{"chars": [...]}` that `from_json` reads back exactly."""
        return json.dumps({"format": "karpathy_rnn.vocabulary/1", "chars": list(self.chars)},
                          ensure_ascii=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        """A vocabulary from the JSON text that `to_json` wrote."""
        try:
            chars = json.loads(text)["chars"]
            if not isinstance(chars, list):
                raise TypeError("'chars' is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            raise KRNNError(f"not a karpathy_rnn vocabulary file ({exc}); "
                            "write one with Vocabulary.save") from None
        return cls(tuple(chars))

    def save(self, directory_or_file: str | os.PathLike) -> str:
        """Write the vocabulary as JSON to a .json path, or to `vocabulary.json` in a folder (made if
        missing); returns the path."""
        path = os.fspath(directory_or_file)
        if not path.endswith(".json"):
            path = os.path.join(path, VOCABULARY_FILENAME)
        with atomic_file(path, "w", encoding="ascii") as f:
            f.write(self.to_json())
        return path

    @classmethod
    def load(cls, directory_or_file: str | os.PathLike) -> Vocabulary:
        """Read a vocabulary written by `save` (a .json file, or a folder holding `vocabulary.json`)."""
        path = os.fspath(directory_or_file)
        if not path.endswith(".json"):
            path = os.path.join(path, VOCABULARY_FILENAME)
        if not os.path.isfile(path):
            raise KRNNError(f"no vocabulary file at {path!r}; every saved model folder holds "
                            f"{VOCABULARY_FILENAME}, pass that folder")
        with open(path, encoding="ascii") as f:
            return cls.from_json(f.read())
