"""Rebuild the paper's Linux Kernel corpus from a kernel source tree or tarball.

Rule (paper section 4, "We shuffled all header and source files randomly and concatenated them"):
every regular .c/.h file, names sorted then shuffled by `random.Random(0)`, read as strict UTF-8
(files that fail or hold NUL bytes are skipped and counted), concatenated without separators and
cut to 6,206,996 characters. Debian's linux-source-6.1 tarball gives the corpus in shared/data
byte for byte.
"""

from __future__ import annotations

import os
import tarfile

from karpathy_rnn.data.assemble import (
    AssembledCorpus,
    concatenate_sources,
    shuffled_names,
)
from karpathy_rnn.data.registry import LINUX_KERNEL_CHARACTERS
from karpathy_rnn.errors import CorpusNotFoundError, KRNNError

SOURCE_SUFFIXES = (".c", ".h")


def _tree_corpus(root: str, limit: int, seed: int) -> AssembledCorpus:
    """The corpus from an unpacked source tree (names relative to `root`)."""
    names = []
    for folder, _, files in os.walk(root):
        for file in files:
            path = os.path.join(folder, file)
            if file.endswith(SOURCE_SUFFIXES) and os.path.isfile(path) and not os.path.islink(path):
                names.append(os.path.relpath(path, root).replace(os.sep, "/"))

    def read(name: str) -> bytes:
        with open(os.path.join(root, name), "rb") as f:
            return f.read()

    return _checked(concatenate_sources(shuffled_names(names, seed), read, limit), root, names)


def _tarball_corpus(path: str, limit: int, seed: int) -> AssembledCorpus:
    """The corpus from a source tarball, read in streaming passes (no seeking in .xz)."""
    with tarfile.open(path, "r|*") as tar:
        names = [m.name for m in tar if m.isfile() and m.name.endswith(SOURCE_SUFFIXES)]
    order = shuffled_names(names, seed)
    wanted_count, contents = 2000, {}
    while True:
        wanted = set(order[:wanted_count]) - contents.keys()
        if wanted:
            with tarfile.open(path, "r|*") as tar:
                for member in tar:
                    if member.name in wanted:
                        contents[member.name] = tar.extractfile(member).read()
        prefix = order[:wanted_count]
        corpus = concatenate_sources(prefix, contents.__getitem__, limit)
        if len(corpus.text) >= limit or wanted_count >= len(order):
            return _checked(corpus, path, names)
        wanted_count *= 4


def _checked(corpus: AssembledCorpus, source: str, names: list[str]) -> AssembledCorpus:
    """`corpus`, or a clear error when the source held no usable .c/.h file."""
    if not names or not corpus.text:
        raise KRNNError(f"{source!r} holds no readable .c or .h file; give a Linux source tree "
                        f"or a tarball such as /usr/src/linux-source-6.1.tar.xz")
    return corpus


def linux_kernel_corpus(source: str | os.PathLike, limit: int = LINUX_KERNEL_CHARACTERS,
                        seed: int = 0) -> AssembledCorpus:
    """The Linux Kernel corpus built from a source tree folder or a .tar(.xz/.gz/.bz2) file."""
    source = os.fspath(source)
    if os.path.isdir(source):
        return _tree_corpus(source, limit, seed)
    if not os.path.exists(source):
        raise CorpusNotFoundError(f"kernel source {source!r} does not exist; give a Linux source tree "
                                  f"or tarball (Debian: apt-get install linux-source-6.1)")
    if not tarfile.is_tarfile(source):
        raise KRNNError(f"kernel source {source!r} is neither a folder nor a tar archive; "
                        f"give a Linux source tree or a .tar.xz tarball")
    try:
        return _tarball_corpus(source, limit, seed)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise KRNNError(f"cannot read kernel tarball {source!r}: {exc}; re-download it") from None
