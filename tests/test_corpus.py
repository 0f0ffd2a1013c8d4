import gzip
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from karpathy_rnn.data import CORPORA, Vocabulary, load_corpus
from karpathy_rnn.errors import (
    CorpusFormatError,
    CorpusNotFoundError,
    CorpusTooShortError,
    UnknownCharacterError,
    UnknownCorpusError,
)

PAPER_SPLITS = {"war_and_peace": "80/10/10", "linux_kernel": "90/5/5", "tiny_shakespeare": "90/5/5"}


@pytest.mark.parametrize("name", sorted(PAPER_SPLITS))
def test_known_corpora_load_with_paper_split_and_checksum(shared_data, name):
    corpus = load_corpus(name)
    spec = CORPORA[name]
    assert corpus.split == PAPER_SPLITS[name]
    assert corpus.num_chars == spec.characters
    assert corpus.matches_reference is True
    train, val = len(corpus.train), len(corpus.val)
    share = int(PAPER_SPLITS[name].split("/")[0])
    assert train == corpus.num_chars * share // 100
    # contiguous: the three splits decode back to the file's text in order
    with gzip.open(f"{shared_data}/{name}.txt.gz", "rt", encoding="utf-8", newline="") as f:
        text = f.read()
    assert hashlib.sha256(text.encode()).hexdigest() == spec.sha256
    assert corpus.text("val") == text[train:train + val]
    assert corpus.text("test") == text[train + val:]
    assert corpus.vocabulary.chars == tuple(sorted(set(text)))


def test_war_and_peace_keeps_carriage_returns(shared_data):
    corpus = load_corpus("war_and_peace")
    assert "\r" in corpus.vocabulary.chars
    assert corpus.vocabulary.size == 83


def test_utf16_file_gets_a_utf16_hint(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_bytes("hello".encode("utf-16"))
    with pytest.raises(CorpusFormatError, match="iconv -f utf-16"):
        load_corpus(str(path))


def test_text_file_by_path_with_split(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("abcdefghij" * 10, encoding="utf-8")
    corpus = load_corpus(str(path), split="80/10/10")
    assert (len(corpus.train), len(corpus.val), len(corpus.test)) == (80, 10, 10)
    assert corpus.name == "story" and corpus.matches_reference is None
    assert corpus.train.dtype == np.int32


def test_gzip_file_by_path_reads_the_same_as_plain(tmp_path):
    text = "Ünïcode\r\nlines\n" * 20
    (tmp_path / "a.txt").write_bytes(text.encode())
    with gzip.open(tmp_path / "a.txt.gz", "wb") as f:
        f.write(text.encode())
    plain, packed = load_corpus(str(tmp_path / "a.txt")), load_corpus(str(tmp_path / "a.txt.gz"))
    assert plain.sha256 == packed.sha256 and np.array_equal(plain.train, packed.train)


def test_explicit_data_dir_comes_before_env(tmp_path, shared_data):
    (tmp_path / "tiny_shakespeare.txt").write_text("my own shakespeare\n" * 10)
    corpus = load_corpus("tiny_shakespeare", data_dir=tmp_path)
    assert corpus.source == str(tmp_path / "tiny_shakespeare.txt")
    assert corpus.matches_reference is False


def test_cache_folder_is_searched_after_env(tmp_path, monkeypatch, private_cache):
    monkeypatch.setenv("KRNN_DATA_DIR", str(tmp_path / "empty"))
    private_cache.mkdir()
    (private_cache / "war_and_peace.txt").write_text("cached war and peace\n" * 5)
    assert load_corpus("war_and_peace").source == str(private_cache / "war_and_peace.txt")


def test_every_data_dir_folder_is_searched_in_order(tmp_path, monkeypatch):
    """README: $KRNN_DATA_DIR may hold several folders separated by ':' (os.pathsep); the first that has the file wins."""
    first, second, third = (tmp_path / name for name in ("first", "second", "third"))
    for folder in (first, second, third):
        folder.mkdir()
    (second / "war_and_peace.txt").write_text("second folder's war and peace\n" * 5)
    (third / "war_and_peace.txt").write_text("third folder's war and peace\n" * 5)
    monkeypatch.setenv("KRNN_DATA_DIR", os.pathsep.join(map(str, (first, second, third))))
    assert load_corpus("war_and_peace").source == str(second / "war_and_peace.txt")


def test_cache_folder_falls_back_to_xdg_cache_home_then_home(tmp_path, monkeypatch):
    """README: the cache is $KRNN_CACHE_DIR, else $XDG_CACHE_HOME/karpathy_rnn, else ~/.cache/karpathy_rnn."""
    from karpathy_rnn.data.locate import cache_dir

    monkeypatch.delenv("KRNN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == str(tmp_path / "xdg" / "karpathy_rnn")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == str(tmp_path / "home" / ".cache" / "karpathy_rnn")


def test_python_stdlib_is_embedded_and_deterministic(monkeypatch, tmp_path):
    monkeypatch.setenv("KRNN_DATA_DIR", str(tmp_path))
    corpus = load_corpus("python_stdlib")
    assert corpus.num_chars == CORPORA["python_stdlib"].characters
    other_process = subprocess.run(  # a new process, with its own hash seed, builds the same text
        [sys.executable, "-c", "from karpathy_rnn.data import load_corpus; print(load_corpus('python_stdlib').sha256)"],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "random"})
    assert other_process.stdout.strip() == corpus.sha256
    assert "def " in corpus.text("test") and "import " in corpus.text("train")


def test_scoring_ids_prepend_the_previous_character(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("0123456789" * 10)
    corpus = load_corpus(str(path), split="80/10/10")
    assert np.array_equal(corpus.scoring_ids("val")[1:], corpus.val)
    assert corpus.scoring_ids("val")[0] == corpus.train[-1]
    assert corpus.scoring_ids("test")[0] == corpus.val[-1]
    assert np.array_equal(corpus.scoring_ids("train"), corpus.train)


def test_model_vocabulary_encodes_or_refuses_new_characters(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("abcabc\n" * 20)
    model_vocab = Vocabulary.from_text("abcd\n")
    corpus = load_corpus(str(path), vocabulary=model_vocab)
    assert corpus.vocabulary is model_vocab
    with pytest.raises(UnknownCharacterError, match="'c'"):
        load_corpus(str(path), vocabulary=Vocabulary.from_text("ab\n"))


@pytest.mark.parametrize("content, fragment", [
    (b"", "is empty"),
    (b"caf\xe9 latin-1", "not UTF-8 text: byte 0xe9 at offset 3"),
    (b"\x7fELF\x00\x00binary", "NUL byte"),
])
def test_bad_files_raise_clear_errors(tmp_path, content, fragment):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusFormatError) as err:
        load_corpus(str(path))
    assert fragment in str(err.value) and str(path) in str(err.value)


def test_missing_path_and_unknown_name(tmp_path):
    with pytest.raises(CorpusNotFoundError, match="does not exist"):
        load_corpus(str(tmp_path / "nope.txt"))
    with pytest.raises(UnknownCorpusError) as err:
        load_corpus("war_and_piece")
    assert "'war_and_piece'" in str(err.value) and "war_and_peace" in str(err.value)


def test_offline_and_missing_says_where_to_put_the_file(tmp_path, monkeypatch, private_cache):
    monkeypatch.setenv("KRNN_DATA_DIR", str(tmp_path / "nothing"))
    with pytest.raises(CorpusNotFoundError) as err:
        load_corpus("war_and_peace")
    message = str(err.value)
    assert "put war_and_peace.txt or war_and_peace.txt.gz" in message
    assert str(private_cache) in message and "KRNN_DATA_DIR" in message and "offline" in message
    with pytest.raises(CorpusNotFoundError, match="prepare_data.py linux_kernel --source"):
        load_corpus("linux_kernel")


def test_corrupt_gzip_file_raises_clear_error(tmp_path):
    path = tmp_path / "broken.txt.gz"
    path.write_bytes(b"this is not gzip data at all")
    with pytest.raises(CorpusFormatError, match="cannot read corpus file .*broken.txt.gz"):
        load_corpus(str(path))
    packed = bytearray(gzip.compress(b"some text that compresses\n" * 50))
    packed[12:20] = b"\xff" * 8  # a good header, a damaged deflate stream
    path.write_bytes(bytes(packed))
    with pytest.raises(CorpusFormatError, match="cannot read corpus file"):
        load_corpus(str(path))


def test_a_split_left_empty_is_an_error(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("0123456789")
    with pytest.raises(CorpusTooShortError, match="10 characters leaves the val split empty at 90/5/5"):
        load_corpus(str(path))
    assert len(load_corpus(str(path), split="100/0/0").train) == 10


def test_known_corpus_given_by_path_keeps_its_name_and_paper_split(shared_data):
    corpus = load_corpus(f"{shared_data}/war_and_peace.txt.gz")
    assert (corpus.name, corpus.split, corpus.matches_reference) == ("war_and_peace", "80/10/10", True)
    assert load_corpus(f"{shared_data}/war_and_peace.txt.gz", split="90/5/5").split == "90/5/5"
