"""Writing a file so that readers see the old file or the whole new one, never a half-written one; and one writer
per output folder (FolderLock)."""

from __future__ import annotations

import contextlib
import fcntl
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


LOCK_FILE = ".lock"          # held by the one process writing a folder; the kernel drops it when that process ends


class FolderLock:
    """An exclusive lock on `folder` for one writer (`fcntl.flock` on FOLDER/.lock, so it is never stale): held by
    another process, KRNNError "<folder> is being written by another <what> (PID n); <fix>", or with `wait` a line
    said and a wait until it is free."""

    def __init__(self, folder: str, what: str = "process", fix: str = "wait for it to end or stop it",
                 wait: bool = False, say=print):
        from karpathy_rnn.errors import KRNNError

        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, LOCK_FILE)
        self.file = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "unknown"
            if not wait:
                self.file.close()
                raise KRNNError(f"{folder} is being written by another {what} (PID {holder}); {fix}") from None
            say(f"waiting for another {what} (PID {holder}) writing {folder}")
            fcntl.flock(self.file, fcntl.LOCK_EX)
        self.file.seek(0)
        self.file.truncate()
        self.file.write(str(os.getpid()))
        self.file.flush()

    def release(self) -> None:
        """Let another process write the folder (also done by the kernel when this process ends)."""
        if not self.file.closed:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
