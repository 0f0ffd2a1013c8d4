"""Export a trained char-LM as a TensorFlow SavedModel (with its vocabulary) for sample.py, the analyses or serving.

    python scripts/export.py runs/war_and_peace-lstm-2x128 --out exported/wp_lstm

Endpoints: serve(ids) -> logits, gates(ids) -> every layer's gates, step(ids, states) and
zero_states(batch_size) to run a text in chunks, vocabulary() -> the characters.
"""

from __future__ import annotations

import argparse
import os
import sys

from karpathy_rnn.cli import ArgumentParser, run_script, writable_folder
from karpathy_rnn.errors import KRNNError


def main(argv=None) -> int:
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN", help="a run directory of scripts/train.py (its best.keras) or a .keras file")
    p.add_argument("--out", required=True, help="folder to write the SavedModel to (must not exist, or be empty)")
    args = p.parse_args(argv)
    if not os.path.exists(args.run):
        raise KRNNError(f"{args.run!r} does not exist; give a run directory of scripts/train.py or a .keras file")
    path = os.path.join(args.run, "best.keras") if os.path.isdir(args.run) else args.run
    if not os.path.isfile(path) or not path.endswith(".keras"):
        raise KRNNError(f"{args.run!r} holds no best.keras and is not a .keras file; give a run directory of "
                        "scripts/train.py that has finished an evaluation")
    if os.path.exists(args.out) and (not os.path.isdir(args.out) or os.listdir(args.out)):
        raise KRNNError(f"--out {args.out!r} already exists and is not an empty folder; give a new folder")
    tmp = args.out.rstrip("/") + ".partial"
    writable_folder(args.out, "--out")          # before the model is loaded; an empty --out is replaced below
    from karpathy_rnn.models import export_saved_model, load_model

    model = load_model(path)
    export_saved_model(model, tmp)
    if os.path.isdir(args.out):
        os.rmdir(args.out)
    os.replace(tmp, args.out)
    print(f"SavedModel written to {args.out} (vocabulary of {len(model.get_layer('one_hot').characters)} "
          f"characters); try: python scripts/sample.py {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
