"""Where a named corpus is found: explicit folder, $KRNN_DATA_DIR, the user cache, then a download."""

from __future__ import annotations

import os

from karpathy_rnn.data.download import download_file, extract_member, print_progress
from karpathy_rnn.data.registry import CorpusSpec
from karpathy_rnn.errors import CorpusNotFoundError, DownloadError

DATA_DIR_ENV = "KRNN_DATA_DIR"
CACHE_DIR_ENV = "KRNN_CACHE_DIR"
OFFLINE_ENV = "KRNN_OFFLINE"


def cache_dir() -> str:
    """The user cache folder: $KRNN_CACHE_DIR, else $XDG_CACHE_HOME/karpathy_rnn, else ~/.cache/karpathy_rnn."""
    if os.environ.get(CACHE_DIR_ENV):
        return os.environ[CACHE_DIR_ENV]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "karpathy_rnn")


def search_dirs(data_dir: str | os.PathLike | None = None) -> list[str]:
    """Folders searched in order: `data_dir`, each folder of $KRNN_DATA_DIR, the cache folder."""
    folders = [os.fspath(data_dir)] if data_dir else []
    folders += [d for d in os.environ.get(DATA_DIR_ENV, "").split(os.pathsep) if d]
    folders.append(cache_dir())
    return folders


def find_corpus_file(spec: CorpusSpec, data_dir: str | os.PathLike | None = None) -> str | None:
    """The first existing `<name>.txt.gz` or `<name>.txt` in the search folders, or None."""
    for folder in search_dirs(data_dir):
        for filename in spec.filenames:
            path = os.path.join(folder, filename)
            if os.path.isfile(path):
                return path
    return None


def locate_corpus(spec: CorpusSpec, data_dir: str | os.PathLike | None = None,
                  download: bool = True) -> str:
    """The path of a named corpus' file, downloading it into the cache if needed and possible."""
    found = find_corpus_file(spec, data_dir)
    if found:
        return found
    places = ", ".join(search_dirs(data_dir))
    offline = os.environ.get(OFFLINE_ENV, "") not in ("", "0")
    failure = ""
    if spec.url and download and not offline:
        dest = os.path.join(cache_dir(), f"{spec.name}.txt")
        try:
            if spec.archive_member:
                archive = download_file(spec.url, dest[:-len(".txt")] + ".zip", spec.sha256,
                                        progress=print_progress(spec.name), size=spec.file_bytes)
                return extract_member(archive, spec.archive_member, dest, spec.characters)
            return download_file(spec.url, dest, spec.sha256, progress=print_progress(spec.name),
                                 size=spec.file_bytes)
        except DownloadError as exc:
            failure = f" ({exc})"
    elif spec.url:
        failure = f" (not downloaded from {spec.url}: {'offline' if offline else 'download off'})"
    raise CorpusNotFoundError(
        f"corpus {spec.name!r} not found{failure}; put {spec.name}.txt or {spec.name}.txt.gz "
        f"({spec.how_to_get}) into one of: {places}, or set ${DATA_DIR_ENV} to its folder")
