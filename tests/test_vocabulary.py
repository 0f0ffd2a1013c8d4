import numpy as np
import pytest

from karpathy_rnn.data import Vocabulary
from karpathy_rnn.errors import KRNNError, UnknownCharacterError


def test_vocabulary_is_sorted_by_code_point_and_stable():
    vocab = Vocabulary.from_text("hello, world\r\n€")
    assert vocab.chars == ("\n", "\r", " ", ",", "d", "e", "h", "l", "o", "r", "w", "€")
    assert Vocabulary.from_text("€\n\r ,dehlorw") == vocab


def test_encode_decode_round_trip_with_non_ascii():
    text = "Пьер said: «naïve» \u2014 ok\r\n"
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    assert ids.dtype == np.int32 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    assert [vocab.chars[i] for i in ids] == list(text)


def test_unknown_character_names_the_character_and_the_fix():
    vocab = Vocabulary.from_text("abc")
    with pytest.raises(UnknownCharacterError) as err:
        vocab.encode("abz€a")
    message = str(err.value)
    assert "'z' (U+007A)" in message and "'€' (U+20AC)" in message
    assert "first at position 2" in message and "vocabulary" in message


def test_json_round_trip_and_save_load(tmp_path):
    vocab = Vocabulary.from_text('quote " backslash \\ tab \t nul-free \u2028 end')
    assert Vocabulary.from_json(vocab.to_json()) == vocab
    path = vocab.save(tmp_path)
    assert path.endswith("vocabulary.json")
    assert Vocabulary.load(tmp_path) == vocab
    assert Vocabulary.load(path) == vocab
    assert Vocabulary.load(vocab.save(tmp_path / "new" / "model")) == vocab  # folder made on save
    assert Vocabulary.load(vocab.save(tmp_path / "v.json")) == vocab


def test_bad_vocabulary_files_and_ids_raise_clear_errors(tmp_path):
    with pytest.raises(KRNNError, match="no vocabulary file"):
        Vocabulary.load(tmp_path)
    (tmp_path / "vocabulary.json").write_text("[1, 2]")
    with pytest.raises(KRNNError, match="not a karpathy_rnn vocabulary"):
        Vocabulary.load(tmp_path)
    with pytest.raises(KRNNError, match="sorted"):
        Vocabulary(("b", "a"))
    with pytest.raises(KRNNError, match="outside the vocabulary"):
        Vocabulary.from_text("ab").decode([0, 2])
    with pytest.raises(KRNNError, match="must be integers"):
        Vocabulary.from_text("ab").decode([0.7, 1.2])
    with pytest.raises(KRNNError, match="not a karpathy_rnn vocabulary"):
        Vocabulary.from_json('{"chars": "ab"}')


def test_astral_characters_round_trip_and_lone_surrogates_are_refused(tmp_path):
    text = "emoji 😀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"
    vocab = Vocabulary.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text
    assert Vocabulary.load(vocab.save(tmp_path)) == vocab
    with pytest.raises(UnknownCharacterError, match="lone surrogate U\\+D800 at position 1"):
        Vocabulary.from_text("a\ud800")
    with pytest.raises(KRNNError, match="no lone surrogates"):
        Vocabulary(("\ud800",))
