"""Section 4.4's error oracles ("peeling the onion", Figure 6) as pure functions of NumPy arrays and text.

An error is a character the model gave probability below 0.5 (section 4.4, as 4.3). The oracles are applied in
the paper's order, each removing the errors that remain after the ones before it. Where the paper is vague,
this is the reading implemented (and tested on hand-made texts in tests/test_analysis_oracles.py):

- word: a maximal run of letters and digits (regex [^\\W_]), with an apostrophe (' or ’) between two of them
  inside it ("couldn't" is one word, "'Tis" is "Tis"); each character of a word maps to that word and to its
  position in it (0 = its first character); other characters belong to no word.
- n-gram oracle: an error goes when any n-gram model, n = 1..9, gave that character probability above 0.5
  ("correctly classified ... greater than 0.5").
- dynamic n-memory oracle, n = 100, 500, 1000, 5000. The paper (section 4.4, "Dynamic n-long memory oracle"):
  "Our dynamic memory oracle quantifies the severity of this limitation by removing errors in all words (starting
  with the second character) that can found [sic] as a substring in the last n characters (we use n in {100, 500,
  1000, 5000})", after the example "Jon yelled at Mary but Mary couldn't hear him" (the second "Mary" fails like
  the first). It leaves open what "can be found as a substring" matches, so the reading is a parameter
  (`memory_match`, `analyze.py oracles --memory-match`); in each, errors in a word from its second character on
  go, case-sensitive, when an earlier occurrence starts within the n characters before the word starts (a
  distance of exactly n counts, n + 1 does not) and ends before it (a word does not remember itself):
  - "substring" (the default, the paper's words taken literally): the whole word occurs as a substring, inside
    another word or not ("Mary" is remembered from "Maryland").
  - "word": the earlier occurrence is the same whole word (a word of this module's definition, so not a part of
    "Maryland"); it assumes the paper's "words" are both the repeated thing and the thing remembered.
  - "word4": as "word", counting only words of four or more characters (letters, digits and inner apostrophes):
    the shorter ones ("the", "at", "he") recur within almost any n without being remembered; it assumes the
    paper's oracle is about words like its "Mary".
- rare words oracle, t = 0..5: errors on every character of a word that occurs at most t times as a word (same
  definition) in the training split go.
- word model oracle: errors on a character that follows a space, a quote (" ' “ ” ‘ ’ « ») or a newline (\\n
  or \\r) go; three slices, in that order.
- punctuation oracle: errors on punctuation (Unicode categories P*) go.
- boost oracles, b = 0.1, 0.2, ..., 0.5: the correct character's probability is raised by b; the errors that
  reach 0.5 go (p >= 0.5 - b). b = 0.5 removes whatever is left.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from karpathy_rnn.data.vocabulary import code_points
from karpathy_rnn.errors import KRNNError

ERROR_BELOW = 0.5                               # section 4.4: an error if p(correct) < 0.5
NGRAM_ORDERS = tuple(range(1, 10))              # the n-gram oracle's models, n = 1..9
NGRAM_CORRECT_ABOVE = 0.5                       # "correctly classified (probability ... greater than 0.5)"
MEMORIES = (100, 500, 1000, 5000)               # dynamic n-long memory oracles
MEMORY_MATCHES = ("substring", "word", "word4")  # the readings of the memory oracle (module docstring)
MEMORY_MATCH = "substring"                       # the default: the paper's words taken literally
LONG_WORD = 4                                    # "word4": only words of at least this many characters
MEMORY_MATCH_READINGS = {                        # each reading in a phrase, for the report
    "substring": "the word occurs earlier whole as a substring, inside another word or not",
    "word": "the same whole word occurs earlier",
    "word4": f"the same whole word of {LONG_WORD} or more characters occurs earlier",
}
RARE_COUNTS = tuple(range(6))                   # rare words oracles: at most t training occurrences, t = 0..5
BOOSTS = (0.1, 0.2, 0.3, 0.4, 0.5)              # boost oracles: p(correct) + b
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")   # letters and digits, apostrophes inside
SPACES = " "
QUOTES = "\"'“”‘’«»"
NEWLINES = "\n\r"


@dataclass(frozen=True)
class Words:
    """The words of a text: spans [W] (start, end), and per character [N] its word (-1: none) and place in it."""

    starts: np.ndarray
    ends: np.ndarray
    word_of: np.ndarray
    place: np.ndarray

    def strings(self, text: str) -> list[str]:
        """The W words of `text` as strings."""
        return [text[s:e] for s, e in zip(self.starts.tolist(), self.ends.tolist())]


def find_words(text: str) -> Words:
    """The words of `text` (the module's definition) with each character's word and place in it."""
    spans = np.array([m.span() for m in WORD.finditer(text)], np.int64).reshape(-1, 2)
    starts, ends = spans[:, 0], spans[:, 1]
    positions = np.arange(len(text))
    word = np.searchsorted(starts, positions, side="right") - 1          # the last word starting at or before t
    known = np.maximum(word, 0)
    inside = (word >= 0) & (positions < ends[known]) if len(starts) else np.zeros(len(text), bool)
    word_of = np.where(inside, word, -1)
    place = np.where(inside, positions - starts[known], -1) if len(starts) else word_of.copy()
    return Words(starts, ends, word_of, place)


def word_counts(text: str) -> Counter:
    """How often each word (the module's definition) occurs in `text`, e.g. the training split."""
    return Counter(WORD.findall(text))


def _in_set(text: str, characters: str) -> np.ndarray:
    """bool [N]: the characters of `text` that are in `characters`."""
    return np.isin(code_points(text), [ord(c) for c in characters])


def after(text: str, characters: str) -> np.ndarray:
    """bool [N]: the characters that follow one of `characters` (the first character follows nothing)."""
    follows = np.zeros(len(text), bool)
    follows[1:] = _in_set(text, characters)[:-1]
    return follows


def punctuation(text: str) -> np.ndarray:
    """bool [N]: the characters in a Unicode punctuation category (P*); one lookup per distinct character."""
    codes = code_points(text)
    distinct, index = np.unique(codes, return_inverse=True)
    is_punctuation = np.array([unicodedata.category(chr(c)).startswith("P") for c in distinct.tolist()], bool)
    return is_punctuation[index].reshape(len(text))


def check_memory_match(memory_match: str) -> str:
    """`memory_match` if it is one of MEMORY_MATCHES, else a KRNNError naming them."""
    if memory_match not in MEMORY_MATCHES:
        raise KRNNError(f"memory match {memory_match!r} is not one of {', '.join(MEMORY_MATCHES)}")
    return memory_match


def memory_distances(text: str, words: Words, wanted: np.ndarray, longest: int,
                     memory_match: str = MEMORY_MATCH) -> np.ndarray:
    """int64 [W]: for each wanted word (bool [W]), how far back (characters from the start of the nearest earlier
    occurrence to the word's start) the word last occurs within the `longest` characters before it, ending before
    it; 0 where it does not (or is not wanted). What counts as an occurrence is `memory_match` (module docstring):
    "substring" one C-level rfind per wanted word, "word" and "word4" one pass over the words."""
    check_memory_match(memory_match)
    distances = np.zeros(len(words.starts), np.int64)
    if memory_match == "substring":
        for w in np.flatnonzero(wanted).tolist():
            start, end = int(words.starts[w]), int(words.ends[w])
            found = text.rfind(text[start:end], max(0, start - longest), start)
            if found >= 0:
                distances[w] = start - found
        return distances
    strings = words.strings(text)
    if memory_match == "word4":
        wanted = np.asarray(wanted, bool) & np.array([len(w) >= LONG_WORD for w in strings], bool).reshape(-1)
    last: dict[str, int] = {}                                 # each word's latest start so far
    for w, (start, word) in enumerate(zip(words.starts.tolist(), strings)):
        if wanted[w] and word in last and start - last[word] <= longest:
            distances[w] = start - last[word]
        last[word] = start
    return distances


@dataclass(frozen=True)
class Slice:
    """One oracle's share of the errors: its name ("500-memory"), group (summary.ORACLE_GROUPS) and the errors it
    removed (bool [N]); for memory slices, each character's distance back to the repeat (int64 [N], 0: none)."""

    name: str
    group: str
    removed: np.ndarray
    repeat_distance: np.ndarray | None = None

    @property
    def errors(self) -> int:
        """How many errors this oracle removed."""
        return int(self.removed.sum())


@dataclass(frozen=True)
class Breakdown:
    """A model's errors (bool [N]) and the oracles' slices in the order they removed them (Figure 6, left), with
    the reading of the memory oracle that made them (breakdown's memory_match)."""

    errors: np.ndarray
    slices: tuple[Slice, ...]
    memory_match: str | None = None         # the memory oracle's reading (MEMORY_MATCHES); None: masks from elsewhere

    @property
    def total(self) -> int:
        """How many errors the model made."""
        return int(self.errors.sum())

    def counts(self) -> dict[str, int]:
        """{slice name: errors removed}, in order."""
        return {s.name: s.errors for s in self.slices}


def oracle_masks(text: str, correct: np.ndarray, ngram_correct: np.ndarray, train_counts: Counter,
                 memories=MEMORIES, rare=RARE_COUNTS, boosts=BOOSTS,
                 memory_match: str = MEMORY_MATCH) -> list[tuple[str, str, np.ndarray, np.ndarray | None]]:
    """Each oracle's (name, group, the characters it would fix (bool [N]), repeat distances or None), in the
    paper's order, for a model's correct-character probabilities [N] and the n-gram models' [orders, N]; the
    memory oracle read as `memory_match` (module docstring)."""
    correct = np.asarray(correct, np.float64)
    ngram_correct = np.asarray(ngram_correct, np.float64).reshape(-1, len(text))
    words = find_words(text)
    masks = [("n-gram", "n-gram", (ngram_correct > NGRAM_CORRECT_ABOVE).any(axis=0), None)]
    in_word = words.word_of >= 0
    later = words.place >= 1
    errors = correct < ERROR_BELOW
    wanted = np.zeros(len(words.starts), bool)
    wanted[words.word_of[errors & later]] = True             # only words with an error past their first character
    distance = memory_distances(text, words, wanted, max(memories, default=0), memory_match)
    char_distance = np.where(in_word, distance[np.maximum(words.word_of, 0)], 0)
    for n in memories:
        fixed = later & (char_distance > 0) & (char_distance <= n)
        masks.append((f"{n}-memory", "memory", fixed, np.where(fixed, char_distance, 0)))
    counts = np.array([train_counts.get(w, 0) for w in words.strings(text)], np.int64)
    char_count = np.where(in_word, counts[np.maximum(words.word_of, 0)] if len(counts) else 0, -1)
    for t in rare:
        masks.append((f"word {t}-train", "rare words", in_word & (char_count <= t), None))
    for name, characters in (("after space", SPACES), ("after quote", QUOTES), ("after newline", NEWLINES)):
        masks.append((name, "word", after(text, characters), None))
    masks.append(("punctuation", "punctuation", punctuation(text), None))
    for b in boosts:
        masks.append((f"boost {b:g}", "boost", correct + b >= ERROR_BELOW, None))
    return masks


def peel(correct: np.ndarray, masks) -> Breakdown:
    """The errors of correct-character probabilities [N] removed by `masks` (oracle_masks) one after the other:
    each slice holds the errors its oracle fixes among those the oracles before it left; what none fixes is the
    slice "remaining" (only when there is some)."""
    errors = np.asarray(correct, np.float64) < ERROR_BELOW
    left = errors.copy()
    slices = []
    for name, group, fixes, distance in masks:
        removed = left & np.asarray(fixes, bool)
        left &= ~removed
        slices.append(Slice(name, group, removed, None if distance is None else np.where(removed, distance, 0)))
    if left.any():
        slices.append(Slice("remaining", "remaining", left))
    return Breakdown(errors, tuple(slices))


def breakdown(text: str, correct: np.ndarray, ngram_correct: np.ndarray, train_counts: Counter,
              memories=MEMORIES, rare=RARE_COUNTS, boosts=BOOSTS, memory_match: str = MEMORY_MATCH) -> Breakdown:
    """Figure 6 (left) for one model: its errors on `text` peeled by the paper's oracles in order (see module),
    the memory oracle read as `memory_match` ("substring", "word" or "word4"; the result records it)."""
    correct = np.asarray(correct, np.float64)
    if correct.shape != (len(text),):
        raise KRNNError(f"{len(correct)} probabilities for a text of {len(text)} characters")
    check_memory_match(memory_match)
    masks = oracle_masks(text, correct, ngram_correct, train_counts, memories, rare, boosts, memory_match)
    return replace(peel(correct, masks), memory_match=memory_match)


def extra_errors(large: Breakdown, small: Breakdown) -> list[dict]:
    """Section 4.4's "errors eliminated by scaling up": per slice, the errors each model's oracle removed and the
    small model's extra (small - large, negative where the large model has more), in the large model's order."""
    small_counts = small.counts()
    names = list(large.counts()) + [name for name in small_counts if name not in large.counts()]
    groups = {s.name: s.group for s in small.slices + large.slices}
    large_counts = large.counts()
    return [{"name": name, "group": groups[name], "large": large_counts.get(name, 0),
             "small": small_counts.get(name, 0), "extra": small_counts.get(name, 0) - large_counts.get(name, 0)}
            for name in names]


def _fragment(text: str, start: int, end: int, errors: np.ndarray, repeat: list[tuple[int, int]]) -> dict:
    """Characters [start, end) of `text` as an example fragment: the error offsets and repeat spans within it."""
    inside = errors[(errors >= start) & (errors < end)] - start
    return {"start": int(start), "text": text[start:end], "errors": inside.tolist(),
            "repeat": [[int(a - start), int(b - start)] for a, b in repeat if start <= a and b <= end]}


def slice_examples(text: str, piece: Slice, words: Words, count: int = 6, before: int = 40,
                   after_: int = 30, longest: int = 400) -> list[dict]:
    """Figure 6 (right): up to `count` examples of the errors `piece` removed, spread evenly over the text; each
    {"fragments": [{"start", "text", "errors", "repeat"}]}: the text around an error with this slice's errors in
    it, and for a memory slice the repeated word marked both where it occurred before and where it failed (one
    fragment when they are close, two otherwise)."""
    positions = np.flatnonzero(piece.removed)
    if not len(positions):
        return []
    picks = positions[np.unique(np.linspace(0, len(positions) - 1, min(count, len(positions))).round().astype(int))]
    examples = []
    for t in picks.tolist():
        start, end = max(0, t - before), min(len(text), t + after_)
        if piece.repeat_distance is None or not piece.repeat_distance[t]:
            examples.append({"fragments": [_fragment(text, start, end, positions, [])]})
            continue
        w = int(words.word_of[t])
        word = (int(words.starts[w]), int(words.ends[w]))
        source = (word[0] - int(piece.repeat_distance[t]), word[0] - int(piece.repeat_distance[t]) + word[1] - word[0])
        end = max(end, word[1])
        repeats = [source, word]
        if end - max(0, source[0] - 10) <= longest:         # both in one fragment
            fragments = [_fragment(text, max(0, source[0] - 10), end, positions, repeats)]
        else:
            head = (max(0, source[0] - 20), min(source[1] + 20, start))
            fragments = [_fragment(text, *head, positions, repeats), _fragment(text, start, end, positions, repeats)]
        examples.append({"fragments": fragments})
    return examples


def examples(text: str, result: Breakdown, count: int = 6) -> dict[str, list[dict]]:
    """{slice name: slice_examples} for every slice of a breakdown of `text`."""
    words = find_words(text)
    return {piece.name: slice_examples(text, piece, words, count) for piece in result.slices}
