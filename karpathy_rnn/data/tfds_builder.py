"""A TensorFlow Datasets builder for the known corpora, with the same splits as `load_corpus`.

    import karpathy_rnn.data.tfds_builder  # registers "karpathy_rnn_corpora"
    builder = tfds.builder("karpathy_rnn_corpora/war_and_peace")
    builder.download_and_prepare()
    text = next(iter(builder.as_dataset(split="test")))["text"]

Each split is one example holding the split's whole text, as TFDS' own tiny_shakespeare does.
Files come from the manual folder (`<data_dir>/downloads/manual` or DownloadConfig(manual_dir=...))
and otherwise from `load_corpus`'s look-up ($KRNN_DATA_DIR, the user cache, the public source), so
the builder works offline wherever the corpus files are.
"""

from __future__ import annotations

import os

import tensorflow_datasets as tfds

from karpathy_rnn.data.corpus import Corpus, load_corpus
from karpathy_rnn.data.registry import CORPORA

TFDS_SPLITS = {"train": "train", "validation": "val", "test": "test"}


class KarpathyRnnCorpora(tfds.core.GeneratorBasedBuilder):
    """The paper's corpora (and the embedded python_stdlib) as train/validation/test text."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Contiguous splits as in the paper, section 4."}
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name=spec.name, description=f"{spec.description}; split {spec.split}")
                       for spec in CORPORA.values()]
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Put <name>.txt or <name>.txt.gz (war_and_peace, linux_kernel, tiny_shakespeare) into the manual "
        "folder, or set $KRNN_DATA_DIR to the folder that holds them.")

    def _info(self) -> tfds.core.DatasetInfo:
        """One text feature per example."""
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({"text": tfds.features.Text()}),
            supervised_keys=None,
            citation="Karpathy, Johnson, Fei-Fei. Visualizing and Understanding Recurrent Networks. ICLR 2016.",
        )

    def _split_generators(self, dl_manager):
        """The three contiguous splits of the configured corpus."""
        try:
            manual_dir = dl_manager.manual_dir
        except AssertionError:  # TFDS asserts when the manual folder does not exist
            manual_dir = None
        data_dir = manual_dir if manual_dir and os.path.isdir(manual_dir) else None
        corpus = load_corpus(self.builder_config.name, data_dir=data_dir)
        return {tfds_name: self._generate_examples(corpus, ours) for tfds_name, ours in TFDS_SPLITS.items()}

    def _generate_examples(self, corpus: Corpus, split: str):
        """The split's whole text as a single example keyed by the split's name."""
        yield split, {"text": corpus.text(split)}
