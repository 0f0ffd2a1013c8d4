"""The autocomplete task of "Visualizing memorization in RNNs" (Madsen, Distill 2019, appendix), as NumPy arrays.

A text is normalised the way text8 was made (Mahoney's wikifil.pl: ASCII letters lower-cased, each digit spelled
out as a word, every other character a space, runs of spaces one), cut into observations of whole words (" w1 w2
..." with a space before every word, at most `length` characters), split 90/5/5 in order. Each character of a word
and the space before it target the whole word: its id among the `words` most frequent training words, or
UNKNOWN. Padding and unknown targets carry weight 0 (not penalised, appendix "Autocomplete Problem").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from karpathy_rnn.data.splits import split_boundaries
from karpathy_rnn.errors import KRNNError

ALPHABET = " abcdefghijklmnopqrstuvwxyz"      # input ids 1..27; 0 is padding (the article's input vocabulary)
INPUT_PAD = 0
PAD, UNKNOWN = 0, 1                           # output ids; word i of the vocabulary is id i + 2
SPECIAL_WORDS = ("<pad>", "<unk>")
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DEFAULT_WORDS = 2**14                         # the article's output vocabulary, before padding and unknown
DEFAULT_LENGTH = 200                          # the article's longest observation
DEFAULT_SPLIT = "90/5/5"

_UPPER_TO_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_DIGITS = str.maketrans({str(d): f" {word} " for d, word in enumerate(DIGIT_WORDS)})
_NOT_LETTER = re.compile(r"[^a-z]+")
_CODES = np.full(128, -1, np.int16)
_CODES[[ord(c) for c in ALPHABET]] = np.arange(1, len(ALPHABET) + 1)


class AutocompleteDataError(KRNNError):
    """A text or setting the autocomplete task cannot be built from."""


def normalize_text8(text: str) -> str:
    """text8's normalisation: ASCII A-Z lower-cased, 0-9 spelled out ("4" -> " four "), any other character
    (punctuation, accented and non-Latin letters, newlines) a space, spaces collapsed, no space at either end."""
    text = text.translate(_UPPER_TO_LOWER).translate(_DIGITS)
    return _NOT_LETTER.sub(" ", text).strip()


@dataclass(frozen=True)
class AutocompleteSplit:
    """One split's observations, padded to `length`: all arrays [N, length].

    inputs uint8 (ALPHABET ids, 0 padding), targets int32 (word ids: PAD, UNKNOWN or word + 2), seen int16 (how many
    characters of its word a position has read: 0 at the space before it, -1 at padding)."""

    inputs: np.ndarray
    targets: np.ndarray
    seen: np.ndarray

    @property
    def weights(self) -> np.ndarray:
        """float32 [N, length]: 1 where the target is a known word, 0 at padding and unknown words."""
        return (self.targets > UNKNOWN).astype(np.float32)

    def __len__(self) -> int:
        return len(self.inputs)

    def text(self, index: int) -> str:
        """Observation `index` as text (padding dropped)."""
        return decode_inputs(self.inputs[index])


@dataclass(frozen=True)
class AutocompleteData:
    """The task built from one text: the output vocabulary and the three splits."""

    words: tuple[str, ...]          # the vocabulary's words, most frequent first (output id = index + 2)
    length: int
    train: AutocompleteSplit
    val: AutocompleteSplit
    test: AutocompleteSplit

    @property
    def labels(self) -> tuple[str, ...]:
        """The label of every output id: "<pad>", "<unk>", then the words."""
        return SPECIAL_WORDS + self.words

    def split(self, name: str) -> AutocompleteSplit:
        """The split called "train", "val" or "test"."""
        if name not in ("train", "val", "test"):
            raise AutocompleteDataError(f"split {name!r} is not one of train, val, test")
        return getattr(self, name)


def decode_inputs(ids) -> str:
    """Input ids [T] -> text, padding dropped."""
    ids = np.asarray(ids)
    return "".join(ALPHABET[i - 1] for i in ids[ids > INPUT_PAD].tolist())


def encode_text(text: str) -> np.ndarray:
    """A normalised text (a-z and space) -> input ids [T] uint8; a clear error naming any other character."""
    codes = np.frombuffer(text.encode("utf-8"), np.uint8)
    ids = _CODES[codes[codes < 128]] if len(codes) else np.zeros(0, np.int16)
    if len(codes) != len(text) or (ids < 0).any():
        bad = sorted(set(text) - set(ALPHABET))
        raise AutocompleteDataError(f"text holds {''.join(bad)[:20]!r}, outside the autocomplete alphabet (a-z and "
                                    "space): normalise it with normalize_text8 first")
    return ids.astype(np.uint8)


def observation_bounds(word_lengths: np.ndarray, length: int) -> np.ndarray:
    """Greedy packing of words into observations " w1 w2 ..." of at most `length` characters: the index of each
    observation's first word, plus the number of words at the end ([M + 1] int64)."""
    widths = np.asarray(word_lengths, np.int64) + 1                       # each word with its leading space
    if len(widths) and widths.max() > length:
        longest = int(widths.max() - 1)
        raise AutocompleteDataError(f"observation length {length} is below the longest word ({longest} letters plus "
                                    f"its space): give --length {longest + 1} or more")
    ends = np.concatenate([[0], np.cumsum(widths)])
    starts = [0]
    while starts[-1] < len(widths):                                       # one search per observation, not per word
        starts.append(int(np.searchsorted(ends, ends[starts[-1]] + length, side="right")) - 1)
    return np.asarray(starts, np.int64)


def word_vocabulary(words: list[str], size: int) -> tuple[str, ...]:
    """The `size` most frequent of `words` (ties by first occurrence), most frequent first."""
    unique, first, counts = np.unique(np.asarray(words, dtype=object).astype(str), return_index=True,
                                      return_counts=True)
    order = np.lexsort((first, -counts))[:size]
    return tuple(unique[order].tolist())


def build_autocomplete(text: str, words: int = DEFAULT_WORDS, length: int = DEFAULT_LENGTH,
                       split: str = DEFAULT_SPLIT, normalized: bool = False) -> AutocompleteData:
    """The autocomplete task of `text`: normalised (unless `normalized`), packed into observations, split in
    order, the vocabulary the `words` most frequent words of the training observations."""
    if not isinstance(words, int) or words < 3:
        raise AutocompleteDataError(f"vocabulary size {words!r} is below 3 words: give --words 3 or more (the article "
                                    f"uses {DEFAULT_WORDS})")
    if not isinstance(length, int) or length < 2:
        raise AutocompleteDataError(f"observation length {length!r} must be at least 2 characters")
    tokens = (text if normalized else normalize_text8(text)).split()
    if not tokens:
        raise AutocompleteDataError("the text has no words after normalisation (text8's rule keeps only the letters "
                                    "a-z and spelled-out digits): give an English text")
    bounds = observation_bounds(np.fromiter(map(len, tokens), np.int64, len(tokens)), length)
    train_end, val_end = split_boundaries(len(bounds) - 1, split)
    if not 0 < train_end:
        raise AutocompleteDataError(f"the text makes only {len(bounds) - 1} observation(s) of {length} characters: too "
                                    "few for a train split; give a longer text")
    vocabulary = word_vocabulary(tokens[:bounds[train_end]], words)
    ids = {word: index + 2 for index, word in enumerate(vocabulary)}
    token_ids = np.fromiter((ids.get(token, UNKNOWN) for token in tokens), np.int32, len(tokens))
    flat = encode_text(" " + " ".join(tokens))
    pieces = [(bounds[0], bounds[train_end]), (bounds[train_end], bounds[val_end]), (bounds[val_end], bounds[-1])]
    splits = [_split_arrays(flat, token_ids, tokens, bounds, *piece, length) for piece in pieces]
    return AutocompleteData(vocabulary, length, *splits)


def _split_arrays(flat, token_ids, tokens, bounds, first_word, end_word, length) -> AutocompleteSplit:
    """The padded arrays of the observations whose words are first_word..end_word - 1."""
    starts = bounds[(bounds >= first_word) & (bounds < end_word)]
    n = len(starts)
    inputs = np.zeros((n, length), np.uint8)
    targets = np.zeros((n, length), np.int32)
    seen = np.full((n, length), -1, np.int16)
    if n == 0:
        return AutocompleteSplit(inputs, targets, seen)
    widths = np.fromiter((len(t) + 1 for t in tokens[first_word:end_word]), np.int64, end_word - first_word)
    char_start = np.concatenate([[0], np.cumsum(widths)])                 # in the words' own " w ..." text
    offset = sum(len(t) + 1 for t in tokens[:first_word])                 # where that text starts in `flat`
    word_of_char = np.repeat(np.arange(first_word, end_word), widths)
    row = np.searchsorted(starts, word_of_char, side="right") - 1         # the observation of every character
    column = np.arange(len(word_of_char)) - char_start[starts - first_word][row]
    inputs[row, column] = flat[offset:offset + len(word_of_char)]
    targets[row, column] = token_ids[word_of_char]
    seen[row, column] = np.arange(len(word_of_char)) - char_start[word_of_char - first_word]
    return AutocompleteSplit(inputs, targets, seen)


def save_words(words, path: str) -> None:
    """The vocabulary's words as JSON (a run's words.json), written atomically."""
    from karpathy_rnn.atomic import atomic_file

    with atomic_file(path, "w") as out:
        json.dump({"words": list(words)}, out)


def load_words(path: str) -> tuple[str, ...]:
    """A words.json back; a clear error if it is not one."""
    try:
        with open(path, encoding="utf-8") as file:
            words = json.load(file)["words"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AutocompleteDataError(f"{path} is not a readable words.json ({type(error).__name__}); retrain the "
                                    "autocomplete run or restore the file") from None
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise AutocompleteDataError(f"{path} holds no list of words; retrain the autocomplete run")
    return tuple(words)


def encode_observation(text: str, words) -> AutocompleteSplit:
    """One normalised text as a single unpadded observation " w1 w2 ..." (arrays [1, T]) over the vocabulary
    `words`; a clear error when it has no words."""
    tokens = text.split()
    if not tokens:
        raise AutocompleteDataError(f"{text[:40]!r} has no words after normalisation (a-z and spelled-out digits)")
    ids = {word: index + 2 for index, word in enumerate(words)}
    widths = np.fromiter((len(t) + 1 for t in tokens), np.int64, len(tokens))
    word_of_char = np.repeat(np.arange(len(tokens)), widths)
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    targets = np.fromiter((ids.get(t, UNKNOWN) for t in tokens), np.int32, len(tokens))[word_of_char]
    seen = (np.arange(len(word_of_char)) - starts[word_of_char]).astype(np.int16)
    return AutocompleteSplit(encode_text(" " + " ".join(tokens))[None], targets[None], seen[None])
