"""Reading a corpus file (.txt or .txt.gz) as strict UTF-8 text."""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib

from karpathy_rnn.errors import CorpusFormatError, CorpusNotFoundError


def read_bytes(path: str | os.PathLike) -> bytes:
    """The raw bytes of a corpus file, gunzipped when it ends in .gz."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CorpusNotFoundError(f"corpus file {path!r} does not exist; check the path")
    if os.path.isdir(path):
        raise CorpusNotFoundError(f"corpus path {path!r} is a folder; give a .txt or .txt.gz file")
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                return f.read()
        with open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise CorpusFormatError(f"cannot read corpus file {path!r}: {exc}; "
                                f"re-create or re-download it") from None


def decode_text(data: bytes, origin: str) -> str:
    """`data` decoded as strict UTF-8; raises CorpusFormatError if empty, binary or not UTF-8."""
    if not data:
        raise CorpusFormatError(f"corpus {origin!r} is empty; give a file with text in it")
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
    nul = -1 if utf16 else data.find(b"\0", 0, 65536)
    if nul >= 0:                                       # a program, an archive, an image: no converter helps
        raise CorpusFormatError(f"corpus {origin!r} is a binary file (a NUL byte at offset {nul}), not text; "
                                "give a UTF-8 text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        source = "utf-16" if utf16 else "latin1"
        raise CorpusFormatError(
            f"corpus {origin!r} is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"is invalid; convert it first (e.g. iconv -f {source} -t utf-8)") from None
    nul = text.find("\0")
    if nul >= 0:
        raise CorpusFormatError(f"corpus {origin!r} holds a NUL byte at offset {nul}, so it is binary, "
                                f"not text; give a UTF-8 text file")
    text = text.removeprefix("\ufeff")
    return text


def read_text(path: str | os.PathLike) -> str:
    """The text of a .txt or .txt.gz corpus file, checked to be non-empty UTF-8."""
    return decode_text(read_bytes(path), os.fspath(path))


def text_sha256(text: str) -> str:
    """Hex sha256 of the UTF-8 bytes of `text`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
