"""Code corpora in the paper's manner: source files shuffled with a fixed seed and concatenated."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AssembledCorpus:
    """A concatenation of source files, cut to a length, with counts of what went in."""

    text: str
    files_used: int
    files_skipped: int


def shuffled_names(names: Iterable[str], seed: int = 0) -> list[str]:
    """`names` sorted, then shuffled in place by `random.Random(seed)` (the corpus' file order)."""
    ordered = sorted(names)
    random.Random(seed).shuffle(ordered)
    return ordered


def source_text(data: bytes) -> str | None:
    """A source file's text if it is strict UTF-8 without NUL bytes, else None (skipped)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\0" in text else text


def concatenate_sources(names: list[str], read: Callable[[str], bytes], limit: int) -> AssembledCorpus:
    """Concatenate the files `names` (in order, read by `read`) until `limit` characters, then cut."""
    pieces, length, used, skipped = [], 0, 0, 0
    for name in names:
        if length >= limit:
            break
        text = source_text(read(name))
        if text is None:
            skipped += 1
            continue
        pieces.append(text)
        length += len(text)
        used += 1
    return AssembledCorpus("".join(pieces)[:limit], used, skipped)
