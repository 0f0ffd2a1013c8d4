"""Contiguous train/val/test splits given as percentages, e.g. "90/5/5"."""

from __future__ import annotations

from fractions import Fraction

from karpathy_rnn.errors import SplitError

SPLIT_NAMES = ("train", "val", "test")


def parse_split(spec) -> tuple[Fraction, Fraction, Fraction]:
    """Percentages (train, val, test) from "80/10/10" or a 3-sequence; they must add up to 100."""
    if isinstance(spec, str):
        parts = spec.replace(",", "/").split("/")
    else:
        try:
            parts = list(spec)
        except TypeError:
            raise SplitError(f"split {spec!r} is not of the form TRAIN/VAL/TEST, e.g. 90/5/5") from None
    if len(parts) != 3:
        raise SplitError(f"split {spec!r} needs three percentages TRAIN/VAL/TEST, e.g. 90/5/5")
    try:
        percents = tuple(Fraction(str(p).strip()) for p in parts)
    except (ValueError, ZeroDivisionError):
        raise SplitError(f"split {spec!r} holds a part that is not a number; write e.g. 90/5/5") from None
    if any(p < 0 for p in percents) or percents[0] == 0:
        raise SplitError(f"split {spec!r}: parts must be non-negative and train must be positive, e.g. 90/5/5")
    if sum(percents) != 100:
        raise SplitError(f"split {spec!r} adds up to {float(sum(percents)):g}, not 100; "
                         f"e.g. 80/10/10 or 90/5/5")
    return percents


def split_boundaries(n: int, spec) -> tuple[int, int]:
    """End indices (train_end, val_end) of the contiguous splits of n items; test is the rest."""
    train, val, _ = parse_split(spec)
    train_end = int(n * train / 100)
    val_end = int(n * (train + val) / 100)
    return train_end, val_end


def format_split(spec) -> str:
    """The canonical "80/10/10" text of a split."""
    return "/".join(f"{float(p):.15g}" for p in parse_split(spec))
