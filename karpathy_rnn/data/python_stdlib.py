"""The embedded `python_stdlib` corpus: this Python's standard library sources, in the paper's manner.

Every .py file under the standard library folder (site-packages, dist-packages and test folders
left out), names sorted then shuffled by `random.Random(0)`, strict UTF-8, concatenated and cut to
PYTHON_STDLIB_CHARACTERS characters: a code corpus in the spirit of the Linux Kernel set that needs
no file and no network. Its text depends on the Python version, so its sha256 is printed, not fixed.
"""

from __future__ import annotations

import os
import sysconfig

from karpathy_rnn.data.assemble import (
    AssembledCorpus,
    concatenate_sources,
    shuffled_names,
)
from karpathy_rnn.data.registry import PYTHON_STDLIB_CHARACTERS

EXCLUDED_FOLDERS = {"site-packages", "dist-packages", "__pycache__", "test", "tests", "idle_test"}


def stdlib_root() -> str:
    """The folder of the running Python's standard library."""
    return sysconfig.get_paths()["stdlib"]


def stdlib_source_names(root: str) -> list[str]:
    """Relative paths of the .py files under `root`, excluded folders left out."""
    names = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in EXCLUDED_FOLDERS]
        for file in files:
            if file.endswith(".py"):
                names.append(os.path.relpath(os.path.join(folder, file), root).replace(os.sep, "/"))
    return names


def python_stdlib_corpus(limit: int = PYTHON_STDLIB_CHARACTERS, seed: int = 0,
                         root: str | None = None) -> AssembledCorpus:
    """The python_stdlib corpus text, `limit` characters long (shorter if the library is smaller)."""
    root = root or stdlib_root()

    def read(name: str) -> bytes:
        with open(os.path.join(root, name), "rb") as f:
            return f.read()

    return concatenate_sources(shuffled_names(stdlib_source_names(root), seed), read, limit)
