"""Writing a file so that readers see the old file or the whole new one, never a half-written one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb", **open_kwargs) -> Iterator[IO]:
    """Yield a temporary file beside `path`; on success rename it to `path`, on any exit by error remove it.

    The folder is made if missing; the file gets the usual permissions (0666 less the umask).
    Raises OSError when the folder cannot be made or written.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".", suffix=".part")
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def make_writable_folder(path: str | os.PathLike) -> str:
    """Make the folder `path` (and its parents) and write and remove a file in it; OSError if it cannot be written."""
    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    probe = os.path.join(path, f".write_test_{os.getpid()}")
    with atomic_file(probe, "w", encoding="utf-8") as handle:
        handle.write("ok")
    os.remove(probe)
    return path
