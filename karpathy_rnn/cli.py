"""What every script shares: a user's mistake becomes one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from karpathy_rnn.errors import KRNNError

USAGE_ERROR = 2
INTERRUPTED = 130


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line ('error: ...; see --help') and exit code 2."""

    def error(self, message: str):
        """Print one line and exit 2 instead of argparse's usage block."""
        self.exit(USAGE_ERROR, f"error: {message}; see {self.prog} --help\n")


def run_script(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Run `main(argv)`; KRNNError -> 'error: ...' on stderr and 2, Ctrl-C -> 130; returns the exit code."""
    try:
        return main(argv) or 0
    except KRNNError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
