"""Long-range interactions (paper section 4.3): error overlap, per-character advantage, the closing-brace study and
the symmetric KL divergence between models, as pure functions of NumPy arrays (and Traces of one text).

A character is an error when the model gave it probability below 0.5 at the step before it (section 4.3). Trace
row t holds the distribution for character t before reading it, so the probability of the correct character t
is probabilities[t, targets[t]].
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from karpathy_rnn.analysis.features import c_comments_and_strings
from karpathy_rnn.analysis.trace import CHUNK_ROWS, Trace
from karpathy_rnn.errors import KRNNError

ERROR_BELOW = 0.5        # section 4.3: "an error if the probability assigned to it ... is below 0.5"
BRACE_BUCKET = 20        # Figure 5 (left): distances in bins of 20 characters
BRACE_LONGEST = 400      # distances shown (20 buckets); farther braces are counted apart
SHOWN_AS = {" ": "<s>", "\n": "\\n", "\t": "\\t", "\r": "\\r"}   # Figure 4 writes the space as "<s>"


def correct_probabilities(probabilities: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """float64 [N]: the probability each distribution of probabilities [N, K] gave its target [N]."""
    probabilities, targets = np.asarray(probabilities), np.asarray(targets, np.int64)
    if probabilities.ndim != 2 or len(probabilities) != len(targets):
        raise KRNNError(f"probabilities [N, K] and targets [N] disagree: {probabilities.shape} and {targets.shape}")
    return probabilities[np.arange(len(targets)), targets].astype(np.float64)


def trace_correct_probabilities(trace: Trace, rows: int = CHUNK_ROWS) -> np.ndarray:
    """float64 [N]: the probability the traced model gave each character of its text, read in chunks (an
    n-gram's trace stores just these)."""
    if trace.target_probabilities is not None:
        return np.asarray(trace.target_probabilities, np.float64)
    targets = np.asarray(trace.targets, np.int64)
    out = np.empty(len(targets), np.float64)
    for start in range(0, len(targets), rows):
        block = np.asarray(trace.probabilities[start:start + rows])
        out[start:start + len(block)] = block[np.arange(len(block)), targets[start:start + len(block)]]
    return out


def check_same_text(traces: dict[str, Trace]) -> None:
    """KRNNError unless every trace is of the same text with the same vocabulary (what comparing them needs)."""
    names = list(traces)
    first = traces[names[0]]
    for name in names[1:]:
        other = traces[name]
        if other.meta.get("vocabulary") != first.meta.get("vocabulary"):
            raise KRNNError(f"traces {names[0]!r} and {name!r} have different vocabularies; compare traces of "
                            "models over the same characters")
        if other.length != first.length or other.text != first.text:
            raise KRNNError(f"traces {names[0]!r} ({first.length:,} characters of {first.meta.get('corpus', '?')} "
                            f"{first.meta.get('split', '?')}) and {name!r} ({other.length:,} characters of "
                            f"{other.meta.get('corpus', '?')} {other.meta.get('split', '?')}) are not of the same "
                            "text; trace both on the same corpus and split")


def errors(correct: np.ndarray, below: float = ERROR_BELOW) -> np.ndarray:
    """bool [N]: the characters given probability below `below` (section 4.3's errors)."""
    return np.asarray(correct, np.float64) < below


def error_overlap(model_errors: dict[str, np.ndarray]) -> dict[tuple[str, ...], int]:
    """Figure 4 (left): {models that err there and only they: count} for every non-empty subset of the models
    (the seven regions of three), plus () for the characters no model gets wrong."""
    names = list(model_errors)
    stacked = np.stack([np.asarray(model_errors[n], bool) for n in names])          # [models, N]
    code = (stacked.astype(np.int64) << np.arange(len(names))[:, None]).sum(axis=0)  # bit i: model i errs
    counts = np.bincount(code, minlength=2 ** len(names))
    regions = {(): int(counts[0])}
    for size in range(1, len(names) + 1):
        for subset in combinations(range(len(names)), size):
            regions[tuple(names[i] for i in subset)] = int(counts[sum(1 << i for i in subset)])
    return regions


def mean_probability_per_character(correct: np.ndarray, targets: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Figure 4 (middle/right): (mean probability of the correct character [size], NaN where the character never
    occurs; occurrences [size]) over characters with ids targets [N]."""
    targets = np.asarray(targets, np.int64)
    counts = np.bincount(targets, minlength=size)
    sums = np.bincount(targets, weights=np.asarray(correct, np.float64), minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan), counts


def largest_advantages(mean_a: np.ndarray, mean_b: np.ndarray, top: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(ids where A leads B most, ids where B leads A most), `top` each, largest lead first; characters absent
    from the text (NaN) are left out and a model only leads where its mean is higher."""
    difference = np.asarray(mean_a, np.float64) - np.asarray(mean_b, np.float64)
    present = np.flatnonzero(~np.isnan(difference))
    order = present[np.argsort(-difference[present], kind="stable")]
    a_leads = order[difference[order] > 0][:top]
    b_leads = order[::-1][difference[order[::-1]] < 0][:top]
    return a_leads, b_leads


def character_label(character: str) -> str:
    """A character as Figure 4 labels it: the space as <s>, newline and tabs visible."""
    return SHOWN_AS.get(character, character)


def closing_brace_distances(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Figure 5 (left): (positions of the `}` that close a `{` [M], characters from that `{` to it [M]).

    Braces are matched with a stack over the code only: braces inside C comments, strings and character
    literals (features.c_comments_and_strings' lexer) are not code and are skipped; a `}` with no open `{` and
    a `{` never closed are left out."""
    if not text:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    codes = np.frombuffer(text.encode("utf-32-le"), np.int32)
    comment, string = c_comments_and_strings(text)
    code = ~(comment | string)
    braces = np.flatnonzero(code & ((codes == ord("{")) | (codes == ord("}"))))
    opens = codes[braces] == ord("{")
    closes, distances, stack = [], [], []
    for position, is_open in zip(braces.tolist(), opens.tolist()):     # one pass over the braces only
        if is_open:
            stack.append(position)
        elif stack:
            closes.append(position)
            distances.append(position - stack.pop())
    return np.asarray(closes, np.int64), np.asarray(distances, np.int64)


def bucket_means(distances: np.ndarray, values: np.ndarray, width: int = BRACE_BUCKET) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bucket starts [B], mean value [B], count [B]) of values [M] grouped by distance [M] >= 1 in buckets
    1..width, width+1..2*width, ...; buckets between with no value have count 0 and mean NaN."""
    distances = np.asarray(distances, np.int64)
    if len(distances) == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
    if distances.min() < 1:
        raise KRNNError(f"distances must be >= 1, got {distances.min()}")
    bucket = (distances - 1) // width
    counts = np.bincount(bucket)
    sums = np.bincount(bucket, weights=np.asarray(values, np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return np.arange(len(counts)) * width + 1, means, counts


def symmetric_kl(p: np.ndarray, q: np.ndarray, floor: float = 1e-10, rows: int = CHUNK_ROWS) -> np.ndarray:
    """float64 [N]: KL(p || q) + KL(q || p) = sum (p - q)(log p - log q), in nats, per row of two distributions
    [N, K] (Figure 5, right), `rows` at a time; probabilities are floored at `floor` and renormalised so a zero
    does not make it infinite."""
    if np.shape(p) != np.shape(q) or np.ndim(p) != 2:
        raise KRNNError(f"symmetric KL needs two [N, K] arrays of one shape, got {np.shape(p)} and {np.shape(q)}")
    out = np.empty(len(p), np.float64)
    for start in range(0, len(p), rows):
        a, b = (np.maximum(np.asarray(x[start:start + rows], np.float64), floor) for x in (p, q))
        a /= a.sum(axis=1, keepdims=True)
        b /= b.sum(axis=1, keepdims=True)
        out[start:start + len(a)] = ((a - b) * (np.log(a) - np.log(b))).sum(axis=1)
    return out


# ---- the studies: JSON-ready results of the functions above (what analyze.py longrange writes and publishes) ----

def overlap_study(correct: dict[str, np.ndarray], below: float = ERROR_BELOW) -> dict:
    """Figure 4 (left) of models' correct-character probabilities {name: [N]}: each model's error count and rate,
    and the count of every region ({"regions": [{"models": [...], "count": c}]}, the empty region first)."""
    flags = {name: errors(values, below) for name, values in correct.items()}
    regions = error_overlap(flags)
    size = len(next(iter(flags.values())))
    return {"characters": int(size), "error_below": below,
            "errors": {name: int(f.sum()) for name, f in flags.items()},
            "error_rate": {name: float(f.mean()) if size else 0.0 for name, f in flags.items()},
            "regions": [{"models": list(key), "count": count} for key, count in regions.items()]}


def character_study(correct_a: np.ndarray, correct_b: np.ndarray, targets: np.ndarray, vocabulary: str,
                    names: tuple[str, str], top: int = 10) -> dict:
    """Figure 4 (middle/right): for every character of the vocabulary its count and both models' mean
    probability of it when it is the correct character; the `top` where each model leads most ("leaders")."""
    mean_a, counts = mean_probability_per_character(correct_a, targets, len(vocabulary))
    mean_b, _ = mean_probability_per_character(correct_b, targets, len(vocabulary))

    def row(i):
        return {"character": vocabulary[i], "label": character_label(vocabulary[i]),
                "means": [float(mean_a[i]), float(mean_b[i])], "count": int(counts[i])}

    leaders = largest_advantages(mean_a, mean_b, top)
    return {"models": list(names), "characters": [row(i) for i in np.flatnonzero(counts)],
            "leaders": [[row(i) for i in ids] for ids in leaders]}


def brace_study(text: str, correct: dict[str, np.ndarray], width: int = BRACE_BUCKET,
                longest: int = BRACE_LONGEST) -> dict:
    """Figure 5 (left): per bucket of `width` characters of distance (up to `longest`) to the matching `{`, the
    number of `}` and each model's mean probability of them ({name: [N]} of the text); "farther" counts the `}`
    beyond `longest`. KRNNError if no `}` closes a `{`."""
    closes, distances = closing_brace_distances(text)
    if not len(closes):
        raise KRNNError("the brace study needs code: this text has no '}' closing a '{' (outside comments and "
                        "strings); run it on a C corpus such as linux_kernel, or leave --brace at auto")
    near = distances <= longest
    farther = int((~near).sum())
    closes, distances = closes[near], distances[near]
    names = list(correct)
    columns = {name: bucket_means(distances, np.asarray(correct[name], np.float64)[closes], width)
               for name in names}
    starts, _, counts = columns[names[0]]
    buckets = [{"start": int(start), "end": int(start) + width - 1, "count": int(count),
                "means": [None if not count else float(columns[name][1][b]) for name in names]}
               for b, (start, count) in enumerate(zip(starts, counts))]
    return {"models": names, "bucket_width": width, "braces": int(len(closes)), "buckets": buckets,
            "farther": farther, "longest": int(longest)}
