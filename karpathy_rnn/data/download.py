"""Downloading a corpus file: streamed, sha256-verified, written atomically, with progress.

Written with urllib rather than keras.utils.get_file because that one has no time-out and writes
straight to the final name, so a killed download leaves a half file behind.
"""

from __future__ import annotations

import hashlib
import os
import http.client
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TextIO

from karpathy_rnn.atomic import atomic_file
from karpathy_rnn.errors import DownloadError
from karpathy_rnn.progress import WorkProgress

CHUNK_BYTES = 1 << 16


def print_progress(name: str, stream: TextIO | None = None) -> Callable[[int, int | None], None]:
    """A progress callback(done_bytes, total_bytes) on `stream` (stderr): redrawn on a terminal, plain lines else."""
    reporter = WorkProgress(f"downloading {name}:", unit="MB", stream=stream, scale=1e6)
    return reporter.update


def download_file(url: str, dest: str, sha256: str | None = None, timeout: float = 60.0,
                  progress: Callable[[int, int | None], None] | None = None, size: int | None = None) -> str:
    """Fetch `url` to `dest` via a temporary file in the same folder; verify `sha256` and `size` (bytes, for a
    file whose checksum nobody published); return `dest`.

    On any failure or interruption no file is left at `dest` and the temporary file is removed.
    """
    digest = hashlib.sha256()
    try:
        with atomic_file(dest) as out, urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
            if total is not None and done != total:
                raise DownloadError(f"download of {url} stopped after {done} of {total} bytes; try again")
            if progress and total is None:
                progress(done, done)
            if size is not None and done != size:
                raise DownloadError(f"download of {url} has {done:,} bytes, expected {size:,}; the source changed "
                                    f"or the transfer was corrupted: fetch the file by hand and put it in "
                                    f"$KRNN_DATA_DIR")
            if sha256 and digest.hexdigest() != sha256:
                raise DownloadError(f"download of {url} has sha256 {digest.hexdigest()}, expected {sha256}; "
                                    f"the source changed or the transfer was corrupted: fetch the file by "
                                    f"hand and put it in $KRNN_DATA_DIR")
        return dest
    except (urllib.error.URLError, http.client.HTTPException, ValueError) as exc:
        raise DownloadError(f"cannot download {url}: {getattr(exc, 'reason', None) or exc}") from None
    except DownloadError:
        raise
    except OSError as exc:  # an unwritable folder, a full disk, a time-out, a reset connection
        raise DownloadError(f"cannot download {url} to {dest!r}: {exc.strerror or exc}; check that the "
                            f"folder is writable ($KRNN_CACHE_DIR moves the cache) and try again") from None


def extract_member(archive: str, member: str, dest: str, size: int | None = None) -> str:
    """Unzip `member` of the zip `archive` to `dest` (atomically), check its `size` in bytes, remove the archive."""
    import shutil
    import zipfile

    try:
        with zipfile.ZipFile(archive) as zipped, zipped.open(member) as source, atomic_file(dest) as out:
            shutil.copyfileobj(source, out, CHUNK_BYTES)
            if size is not None and out.tell() != size:
                raise DownloadError(f"{archive}'s {member} has {out.tell():,} bytes, expected {size:,}; the source "
                                    "changed: fetch the file by hand and put it in $KRNN_DATA_DIR")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DownloadError(f"{archive} is not a zip holding {member!r} ({exc}); remove it and try again") from None
    os.remove(archive)
    return dest
