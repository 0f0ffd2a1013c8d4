"""What every script shares: a user's mistake becomes one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable

from karpathy_rnn.atomic import make_writable_folder
from karpathy_rnn.errors import KRNNError
from karpathy_rnn.tf_startup import quiet_tensorflow

# TensorFlow's file errors are not OSError; these mean a path that cannot be read or written.
FILE_SYSTEM_ERRORS = ("NotFoundError", "PermissionDeniedError", "FailedPreconditionError", "AlreadyExistsError")

USAGE_ERROR = 2
INTERRUPTED = 130


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line ('error: ...; see --help') and exit code 2."""

    def error(self, message: str):
        """Print one line and exit 2 instead of argparse's usage block."""
        self.exit(USAGE_ERROR, f"error: {message}; see {self.prog} --help\n")


def _file_system_error(error: Exception) -> str | None:
    """TensorFlow's message for a file-system error (one line), None for any other exception."""
    tf = sys.modules.get("tensorflow")
    if tf is None or not isinstance(error, tf.errors.OpError) or type(error).__name__ not in FILE_SYSTEM_ERRORS:
        return None
    return str(error.message).splitlines()[0][:200]


def writable_folder(path: str, flag: str) -> str:
    """Make the folder `path` (and its parents) and check a file can be written in it; KRNNError naming `flag`,
    the path given and why (a 'No such file or directory' under a folder that exists says what it means)."""
    try:
        make_writable_folder(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        existing = _deepest_existing(path)
        if exc.errno == errno.ENOENT and existing is not None and os.path.isdir(existing):
            reason = f"{existing!r} exists but its file system lets nothing be created in it"
        raise KRNNError(f"cannot write {flag} {path!r} ({reason}); give a writable {flag}") from None
    return path


def _deepest_existing(path: str) -> str | None:
    """The longest leading part of `path` that exists."""
    path = os.path.abspath(path)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent
    return path


def run_script(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Run `main(argv)`; KRNNError -> 'error: ...' on stderr and 2, Ctrl-C -> 130; returns the exit code.
    TensorFlow's C++ start-up lines are kept out of the output unless TF_CPP_MIN_LOG_LEVEL is set (tf_startup)."""
    quiet_tensorflow()
    try:
        return main(argv) or 0
    except KRNNError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as exc:                     # a path the machine refused: a user's matter, one line
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}; check the path, its folders and their permissions",
              file=sys.stderr)
        return USAGE_ERROR
    except Exception as exc:
        message = _file_system_error(exc)
        if message is None:
            raise
        print(f"error: {message}; check the path, its folders and their permissions", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED


def parse_orders(value: str) -> list[int]:
    """"1-9,20" -> [1, ..., 9, 20] (--orders of scripts/ngram.py and nn.py); KRNNError naming the value if it is not a list of numbers and ranges."""
    orders = []
    try:
        for part in value.split(","):
            low, _, high = part.strip().partition("-")
            orders += list(range(int(low), int(high or low) + 1))
    except ValueError:
        raise KRNNError(f"--orders {value!r}: give numbers and ranges of context lengths, e.g. 1-9,20") from None
    if not orders:
        raise KRNNError(f"--orders {value!r} names no order; e.g. --orders 1-9,20")
    return sorted(set(orders))
