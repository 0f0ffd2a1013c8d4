"""The TensorFlow Datasets builder gives the same splits as load_corpus, offline."""

import tensorflow_datasets as tfds

import karpathy_rnn.data.tfds_builder  # noqa: F401  (registers the builder)
from karpathy_rnn.data import load_corpus


def split_texts(builder):
    return {split: next(iter(builder.as_dataset(split=split)))["text"].numpy().decode("utf-8")
            for split in ("train", "validation", "test")}


def test_builder_reads_the_manual_folder(tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    text = "".join(f"line {i}: héllo\r\n" for i in range(200))
    (manual / "war_and_peace.txt").write_text(text, encoding="utf-8", newline="")
    builder = tfds.builder("karpathy_rnn_corpora/war_and_peace", data_dir=str(tmp_path / "tfds"))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))
    texts = split_texts(builder)
    corpus = load_corpus(str(manual / "war_and_peace.txt"), split="80/10/10")
    assert texts == {"train": corpus.text("train"), "validation": corpus.text("val"), "test": corpus.text("test")}


def test_builder_finds_corpora_in_krnn_data_dir(shared_data, tmp_path):
    builder = tfds.builder("karpathy_rnn_corpora/tiny_shakespeare", data_dir=str(tmp_path / "tfds"))
    builder.download_and_prepare()
    corpus = load_corpus("tiny_shakespeare")
    assert split_texts(builder)["test"] == corpus.text("test")
