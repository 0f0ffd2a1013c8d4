"""Downloads against a real HTTP server on 127.0.0.1 (no internet here)."""

import hashlib
import http.server
import io
import os
import zipfile
import threading
from dataclasses import replace

import pytest

from karpathy_rnn.data import CORPORA, load_corpus, locate_corpus
from karpathy_rnn.data.download import download_file, print_progress
from karpathy_rnn.errors import CorpusNotFoundError, DownloadError

TEXT = ("It was the best of times, it was the worst of times.\r\n" * 400).encode()
SHA = hashlib.sha256(TEXT).hexdigest()
ZIPPED = io.BytesIO()
with zipfile.ZipFile(ZIPPED, "w", zipfile.ZIP_DEFLATED) as _zip:
    _zip.writestr("text8", TEXT)
ZIPPED = ZIPPED.getvalue()


class Handler(http.server.BaseHTTPRequestHandler):
    """/good: the text; /text8.zip: the text zipped as member text8; /short: claims more bytes than it sends; /nolength: no Content-Length; else 404."""

    def do_GET(self):
        if self.path not in ("/good", "/short", "/nolength", "/text8.zip"):
            self.send_error(404)
            return
        body = ZIPPED if self.path == "/text8.zip" else TEXT
        self.send_response(200)
        if self.path != "/nolength":
            self.send_header("Content-Length", str(len(body) + (1000 if self.path == "/short" else 0)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verifies_and_shows_progress(server, tmp_path):
    stream = io.StringIO()
    dest = tmp_path / "c.txt"
    download_file(f"{server}/good", str(dest), SHA, progress=print_progress("c", stream))
    assert dest.read_bytes() == TEXT
    assert "100.0%" in stream.getvalue() and "downloading c" in stream.getvalue()
    assert stream.getvalue().endswith("\n")
    assert leftovers(tmp_path) == ["c.txt"]
    assert dest.stat().st_mode & 0o044 == 0o044  # readable by others, unlike mkstemp's 0600


def test_download_without_content_length_still_finishes_its_progress_line(server, tmp_path):
    stream = io.StringIO()
    download_file(f"{server}/nolength", str(tmp_path / "c.txt"), SHA, progress=print_progress("c", stream))
    assert (tmp_path / "c.txt").read_bytes() == TEXT
    assert stream.getvalue().endswith("downloading c: 100.0% of 0.0 MB\n")


def test_unwritable_cache_is_a_clear_error(server, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(DownloadError, match="writable.*KRNN_CACHE_DIR"):
        download_file(f"{server}/good", str(tmp_path / "file" / "c.txt"), SHA)


@pytest.mark.parametrize("path, sha, fragment", [
    ("/good", "0" * 64, "sha256"),
    ("/short", SHA, "stopped after 21600 of 22600 bytes"),
    ("/missing", SHA, "Not Found"),
])
def test_failed_downloads_leave_no_file(server, tmp_path, path, sha, fragment):
    with pytest.raises(DownloadError, match=fragment):
        download_file(f"{server}{path}", str(tmp_path / "c.txt"), sha)
    assert leftovers(tmp_path) == []


def test_interrupted_download_leaves_no_half_file(server, tmp_path):
    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download_file(f"{server}/good", str(tmp_path / "c.txt"), SHA, progress=interrupt)
    assert leftovers(tmp_path) == []


def test_known_corpus_downloads_into_cache_then_is_found_there(server, tmp_path, monkeypatch, private_cache):
    monkeypatch.delenv("KRNN_OFFLINE")
    monkeypatch.setenv("KRNN_DATA_DIR", str(tmp_path / "empty"))
    spec = replace(CORPORA["tiny_shakespeare"], url=f"{server}/good", sha256=SHA)
    monkeypatch.setitem(CORPORA, "tiny_shakespeare", spec)
    corpus = load_corpus("tiny_shakespeare")
    assert corpus.source == str(private_cache / "tiny_shakespeare.txt")
    assert corpus.matches_reference is True
    monkeypatch.setitem(CORPORA, "tiny_shakespeare", replace(spec, url=f"{server}/missing"))
    assert locate_corpus(CORPORA["tiny_shakespeare"]) == corpus.source


def test_unreachable_source_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("KRNN_OFFLINE")
    monkeypatch.setenv("KRNN_DATA_DIR", str(tmp_path / "empty"))
    spec = replace(CORPORA["war_and_peace"], url="http://127.0.0.1:9/warpeace_input.txt")
    with pytest.raises(CorpusNotFoundError) as err:
        locate_corpus(spec)
    assert "cannot download http://127.0.0.1:9/warpeace_input.txt" in str(err.value)
    assert "put war_and_peace.txt" in str(err.value)


def test_a_file_without_a_published_checksum_is_checked_by_its_size(server, tmp_path):
    """The paper's linux_input.txt has no published sha256: its download is verified by its byte count."""
    download_file(f"{server}/good", str(tmp_path / "ok.txt"), None, size=len(TEXT))
    with pytest.raises(DownloadError, match=f"has {len(TEXT):,} bytes, expected {len(TEXT) + 1:,}"):
        download_file(f"{server}/good", str(tmp_path / "c.txt"), None, size=len(TEXT) + 1)
    assert leftovers(tmp_path) == ["ok.txt"]


def test_the_papers_kernel_file_is_known_with_its_source_split_and_size(server, tmp_path, monkeypatch):
    """Issue 19.7: char-rnn's linux_input.txt, 90/5/5, 6,206,996 bytes; fetched from its URL and checked by size."""
    spec = CORPORA["linux_kernel_paper"]
    assert spec.url.endswith("/char-rnn/linux_input.txt") and spec.split == "90/5/5"
    assert spec.file_bytes == 6_206_996 and spec.sha256 is None
    monkeypatch.delenv("KRNN_OFFLINE")
    monkeypatch.setenv("KRNN_DATA_DIR", str(tmp_path / "none"))
    local = replace(spec, url=f"{server}/good", file_bytes=len(TEXT) + 5)
    with pytest.raises(CorpusNotFoundError, match="expected"):
        locate_corpus(local)
    assert locate_corpus(replace(spec, url=f"{server}/good", file_bytes=len(TEXT))).endswith("linux_kernel_paper.txt")


def test_text8_is_known_with_its_public_zip_unzipped_and_checked_by_size(server, tmp_path, monkeypatch):
    """Issue 21.1: text8 by name: Mahoney's text8.zip (31,344,016 bytes, no published sha256) is fetched, its member
    text8 unzipped to text8.txt and checked by its 10^8 characters; a wrong size leaves nothing behind."""
    spec = CORPORA["text8"]
    assert spec.url == "http://mattmahoney.net/dc/text8.zip" and spec.archive_member == "text8"
    assert spec.file_bytes == 31_344_016 and spec.characters == 100_000_000 and spec.split == "90/5/5"
    monkeypatch.delenv("KRNN_OFFLINE")
    monkeypatch.setenv("KRNN_DATA_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("KRNN_CACHE_DIR", str(tmp_path / "cache"))
    local = replace(spec, url=f"{server}/text8.zip", file_bytes=len(ZIPPED), characters=len(TEXT) + 1)
    with pytest.raises(CorpusNotFoundError, match=f"has {len(TEXT):,} bytes, expected {len(TEXT) + 1:,}"):
        locate_corpus(local)
    assert not [n for n in os.listdir(tmp_path / "cache") if n.startswith("text8.txt")]
    path = locate_corpus(replace(local, characters=len(TEXT)))
    assert path == str(tmp_path / "cache" / "text8.txt") and open(path, "rb").read() == TEXT
    assert sorted(os.listdir(tmp_path / "cache")) == ["text8.txt"]              # the zip is gone
