"""Make a run directory of a character language model trained elsewhere, so that analyze.py, sample.py, export.py
and the plugin take it as if train.py had trained it.

    python scripts/import_model.py torch CHECKPOINT --vocabulary VOCAB.json --corpus tiny_shakespeare --out runs/NAME

torch: CHECKPOINT is a state_dict saved with torch.save(model.state_dict(), PATH) (or a dict holding one under
"state_dict", "model_state_dict" or "model"; read with weights_only=True, so no code in it runs) of the usual char-LM:
an nn.Embedding (or one-hot ids), one nn.LSTM / nn.GRU / nn.RNN (tanh) of any depth, an nn.Linear read-out. Its
parts are found by their names and shapes (--embedding and --readout name them when the shapes leave a choice).
VOCAB.json gives the model's characters in id order: a JSON string, a list of one-character strings, or an object
mapping each character to its id (or each id to its character); the run's vocabulary is it sorted by code point, as
every run's (the model's rows are reordered to match). --corpus is the text the run analyses (its split, as
train.py's); every character of it must be in the vocabulary.

Writes OUT/config.json, OUT/best.keras (our char-LM, the same numbers: karpathy_rnn/torch_char_lm.py) and
OUT/results.json, and prints the --split's cross-entropy under the imported model beside torch's own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from karpathy_rnn.cli import ArgumentParser, run_script, writable_folder
from karpathy_rnn.errors import KRNNError

SPLITS = ("train", "val", "test")


def build_parser() -> ArgumentParser:
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="framework", metavar="{torch}", required=True)
    torch = sub.add_parser("torch", help="a PyTorch char-LM's state_dict")
    torch.add_argument("checkpoint", help="the .pt/.pth file (a state_dict)")
    torch.add_argument("--vocabulary", required=True, help="JSON file of the model's characters in id order")
    torch.add_argument("--corpus", required=True, help="a known corpus name or a UTF-8 .txt/.txt.gz file")
    torch.add_argument("--out", required=True, help="the run directory to write (must not hold a run)")
    torch.add_argument("--embedding", help="the embedding's weight key, when the shapes leave a choice")
    torch.add_argument("--readout", help="the read-out's weight key, when the shapes leave a choice")
    torch.add_argument("--split", default="test", choices=SPLITS, help="split scored (default: %(default)s)")
    torch.add_argument("--corpus-split", help="TRAIN/VAL/TEST percentages (default: the corpus' own, as train.py)")
    torch.add_argument("--data-dir", help="folder holding the corpus files (default: $KRNN_DATA_DIR, the cache)")
    return p


def read_vocabulary(path: str) -> str:
    """The characters in id order from a JSON string, list or {char: id} / {id: char} object; KRNNError otherwise."""
    fix = "give a JSON string, a list of one-character strings, or an object mapping each character to its id"
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except FileNotFoundError:
        raise KRNNError(f"--vocabulary {path!r} does not exist") from None
    except (OSError, ValueError) as error:
        raise KRNNError(f"--vocabulary {path!r} is not readable JSON ({error}); {fix}") from None
    if isinstance(value, dict):
        pairs = list(value.items())
        if all(isinstance(k, str) and len(k) == 1 and isinstance(v, int) for k, v in pairs):
            by_id = {v: k for k, v in pairs}
        elif all(str(k).isdigit() and isinstance(v, str) and len(v) == 1 for k, v in pairs):
            by_id = {int(k): v for k, v in pairs}
        else:
            raise KRNNError(f"--vocabulary {path!r} is an object but not {{character: id}} nor {{id: character}}; {fix}")
        if sorted(by_id) != list(range(len(pairs))):
            raise KRNNError(f"--vocabulary {path!r}: the ids are not 0..{len(pairs) - 1} each once; {fix}")
        value = [by_id[i] for i in range(len(pairs))]
    if isinstance(value, list) and all(isinstance(c, str) and len(c) == 1 for c in value):
        value = "".join(value)
    if not isinstance(value, str) or not value:
        raise KRNNError(f"--vocabulary {path!r} holds {type(value).__name__}; {fix}")
    if len(set(value)) != len(value):
        repeated = sorted({c for c in value if value.count(c) > 1})
        raise KRNNError(f"--vocabulary {path!r} repeats {''.join(repeated)[:20]!r}; each character once, in id order")
    return value


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from karpathy_rnn.training.run_dir import CONFIG_FILE, RESULTS_FILE, read_config, write_json

    # ---- everything checked before TensorFlow loads: the folder, the vocabulary, the checkpoint's shapes -----------
    if read_config(args.out) is not None or os.path.isfile(os.path.join(args.out, "best.keras")):
        raise KRNNError(f"--out {args.out!r} already holds a run; give a new folder")
    writable_folder(args.out, "--out")
    characters = read_vocabulary(args.vocabulary)
    from karpathy_rnn.torch_char_lm import describe, read_checkpoint

    model = describe(read_checkpoint(args.checkpoint), args.embedding, args.readout)
    if len(characters) != model.vocabulary_size:
        raise KRNNError(f"--vocabulary {args.vocabulary!r} has {len(characters)} characters but the read-out "
                        f"{model.readout!r} has {model.vocabulary_size} rows; give the model's own vocabulary")
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.data.vocabulary import Vocabulary

    from karpathy_rnn.torch_char_lm import sorted_order

    order = sorted_order(characters)                   # ours is the vocabulary sorted; torch's ids stay torch's
    corpus = load_corpus(args.corpus, split=args.corpus_split, data_dir=args.data_dir,
                         vocabulary=Vocabulary(tuple(characters[i] for i in order)))
    ids = corpus.split_ids(args.split)
    print(f"{args.checkpoint}: torch.nn.{model.kind} {model.layers}x{model.hidden}, "
          f"{'embedding ' + model.embedding if model.embedding else 'one-hot input'}, read-out {model.readout}, "
          f"{model.vocabulary_size} characters; {corpus.name} {args.split}: {len(ids):,} characters")
    # ---- ours, built and scored beside torch --------------------------------------------------------------------
    from karpathy_rnn.torch_char_lm import keras_loss, to_char_lm, torch_loss
    from karpathy_rnn.training.config import TrainConfig

    ours = to_char_lm(model, characters)
    ours_loss, theirs_loss = keras_loss(ours, ids), torch_loss(model, order[ids])
    unit = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}[model.kind]
    config = {**TrainConfig(corpus=args.corpus, unit=unit, layers=model.layers, hidden=model.hidden,
                            split=args.corpus_split, data_dir=args.data_dir, logdir=os.path.dirname(args.out) or ".",
                            name=os.path.basename(os.path.normpath(args.out))).to_dict(),
              "params": int(ours.count_params()), "corpus_name": corpus.name, "corpus_sha256": corpus.sha256,
              "corpus_source": corpus.source, "vocabulary": "".join(corpus.vocabulary.chars),
              "imported_from": f"torch {os.path.abspath(args.checkpoint)}",
              "reset_after": model.kind == "GRU"}
    best = os.path.join(args.out, "best.keras")
    temporary = os.path.join(args.out, "best.tmp.keras")
    ours.save(temporary)
    os.replace(temporary, best)
    write_json(os.path.join(args.out, CONFIG_FILE), config)
    write_json(os.path.join(args.out, RESULTS_FILE), {
        f"{args.split}_loss_nats": ours_loss, f"torch_{args.split}_loss_nats": theirs_loss,
        f"{args.split}_characters": int(len(ids) - 1), "params": config["params"], "hidden": model.hidden,
        "stopped_by": "imported", "corpus": corpus.describe(),
        "config": config})
    print(f"{args.split} cross-entropy: {ours_loss:.6f} nats/char imported, {theirs_loss:.6f} in torch "
          f"(difference {ours_loss - theirs_loss:+.1e}); wrote {best}, {CONFIG_FILE} and {RESULTS_FILE} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
