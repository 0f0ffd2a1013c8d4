"""Train a character-level language model with the paper's recipe (section 3.3), logged for TensorBoard.

    python scripts/train.py                                  # 2-layer LSTM, 128 cells, War and Peace, 50 epochs
    python scripts/train.py --corpus linux_kernel --unit gru --layers 2 --budget 130k
    python scripts/train.py --max-steps 50 --logdir /tmp/runs         # a smoke run
    python scripts/train.py --precision bf16                  # bfloat16 matrix products (mixed_bfloat16)
    python scripts/train.py --resume                          # continue the same command's run exactly
    tensorboard --logdir runs

Each run lives in LOGDIR/NAME: TensorBoard events, checkpoints/, best.keras (best validation loss),
config.json and, at the end, results.json with the test cross-entropy. Ctrl-C saves a checkpoint.
"""

from __future__ import annotations

import argparse
import sys

from karpathy_rnn.cli import INTERRUPTED, ArgumentParser, run_script
from karpathy_rnn.training.budget import BUDGETS
from karpathy_rnn.training.config import DISTRIBUTE, PRECISIONS, UNIT_NAMES, TrainConfig

DEFAULTS = TrainConfig()


def build_parser() -> ArgumentParser:
    """The command line; every flag's default is the paper's recipe."""
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = p.add_argument
    add("--corpus", metavar="NAME_OR_PATH", help="a known corpus (war_and_peace, linux_kernel, tiny_shakespeare, "
        "python_stdlib) or a UTF-8 .txt/.txt.gz file (default: war_and_peace, or the embedded python_stdlib corpus "
        "when War and Peace cannot be found)")
    add("--split", help="TRAIN/VAL/TEST percentages (default: the corpus' paper split, 90/5/5 for files)")
    add("--data-dir", help="a folder holding the corpus files (default: $KRNN_DATA_DIR, the cache)")
    add("--unit", choices=UNIT_NAMES, default=DEFAULTS.unit, help="recurrent unit (default: %(default)s)")
    add("--layers", type=int, default=DEFAULTS.layers, help="recurrent layers, 1-3 (default: %(default)s)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--hidden", type=int, help="units per layer (default: 128 unless --budget)")
    size.add_argument("--budget", choices=BUDGETS, help="parameter budget of Figure 1: the hidden size whose "
                      "parameter count is closest to a 1-layer LSTM of 64/128/256/512 cells")
    add("--depth", type=int, default=DEFAULTS.depth, help="Nested LSTM depth (default: %(default)s)")
    add("--batch-size", type=int, default=DEFAULTS.batch_size, help="lanes per batch (default: %(default)s)")
    add("--unroll", type=int, default=DEFAULTS.unroll, help="time steps of truncated BPTT (default: %(default)s)")
    add("--epochs", type=int, default=DEFAULTS.epochs, help="epochs (default: %(default)s)")
    add("--max-steps", type=int, help="stop after this many training steps in all (default: no limit)")
    add("--learning-rate", type=float, default=DEFAULTS.learning_rate, help="RMSProp learning rate (default: "
        "%(default)s)")
    add("--rho", type=float, default=DEFAULTS.rho, help="RMSProp decay (default: %(default)s)")
    add("--decay", type=float, default=DEFAULTS.decay, help="learning-rate factor per epoch after --decay-after "
        "(default: %(default)s)")
    add("--decay-after", type=int, default=DEFAULTS.decay_after, help="epochs at the full learning rate "
        "(default: %(default)s)")
    add("--clip", type=float, default=DEFAULTS.clip, help="clip every gradient element to [-CLIP, CLIP] as "
        "char-rnn does; 0 turns it off (default: %(default)s)")
    add("--dropout", type=float, default=DEFAULTS.dropout, help="dropout on the non-recurrent connections; one run "
        "uses one rate (the paper chose it per model on validation: grid.py --dropout 0 0.25 0.5 does) "
        "(default: %(default)s)")
    add("--seed", type=int, default=DEFAULTS.seed, help="seed of initialisation, dropout and epoch offsets "
        "(default: %(default)s)")
    add("--logdir", default=DEFAULTS.logdir, help="folder of run directories, for tensorboard --logdir "
        "(default: %(default)s)")
    add("--name", help="run directory name (default: CORPUS-UNIT-LAYERSxHIDDEN)")
    add("--resume", action="store_true", help="continue the run in LOGDIR/NAME from its last checkpoint")
    add("--no-xla", dest="xla", action="store_false", help="run the fused recurrent loops without XLA")
    add("--precision", default=DEFAULTS.precision, help=f"{' or '.join(PRECISIONS)}: bf16 is Keras' "
        "mixed_bfloat16 policy, the matrix products in bfloat16 and the weights, states, cell, softmax and loss in "
        "float32 (faster where the CPU has AVX512-BF16 or AMX, or on a GPU; docs/BENCHMARKS.md) "
        "(default: %(default)s, the paper's)")
    add("--no-memory-check", dest="memory_check", action="store_false", help="start even when the run's estimated "
        "memory (weights, gradients, optimiser state, one batch's activations) exceeds what is free")
    add("--eval-every", type=int, default=DEFAULTS.eval_every, help="evaluate on the validation split every N "
        "steps; 0: at each epoch's end (default: %(default)s)")
    add("--patience", type=int, default=DEFAULTS.patience, help="early stopping: evaluations without a better "
        "validation loss; 0: never (default: %(default)s)")
    add("--checkpoint-every", type=int, default=DEFAULTS.checkpoint_every, help="steps between checkpoints "
        "(default: %(default)s)")
    add("--distribute", choices=DISTRIBUTE, default=DEFAULTS.distribute, help="mirrored: data-parallel over all "
        "GPUs with tf.distribute.MirroredStrategy (default: %(default)s; one GPU is used with no flag)")
    add("--sample-length", type=int, default=DEFAULTS.sample_length, help="characters of the text sample logged "
        "at each evaluation (default: %(default)s)")
    add("--no-progress", dest="progress", action="store_false", help="no live progress line on a terminal; plain "
        "lines every --log-every steps instead (as when the output is not a terminal)")
    add("--compare-nn", nargs="+", metavar="NN_TRACES", help="Figure 5 (right): n-NN traces of the test split (or "
        "the --out folder of scripts/nn.py) to compare the model with while it trains: symmetric KL and loss "
        "difference every --compare-every steps of the first 3 epochs, as scalars compare/* and RUN/compare_nn.csv")
    add("--compare-every", type=int, default=DEFAULTS.compare_every, help="steps between comparisons; 0: every "
        "1/20 epoch (default: %(default)s)")
    add("--compare-chars", type=int, default=DEFAULTS.compare_chars, help="the first characters of the test split "
        "compared on (default: %(default)s)")
    add("--analyze-every", type=int, default=DEFAULTS.analyze_every, help="keep the weights every N steps (and at "
        "step 0 and the last) in RUN/history, 4 bytes per parameter each, and when training ends write the section "
        "4.2 summaries (cell ranking, saturation, a probe text's activations) at each of those steps into "
        "RUN/analysis/training/SPLIT, for the plugin's step control and its Over training view; 0: off (default: "
        "%(default)s). The same later: analyze.py RUN --checkpoints all")
    add("--analyze-split", default=DEFAULTS.analyze_split, choices=("train", "val", "test"), help="the split "
        "--analyze-every traces (default: %(default)s)")
    add("--log-every", type=int, default=DEFAULTS.log_every, help="steps between plain progress lines; 0: ten per "
        "epoch (default: %(default)s)")
    return p


def config_from_args(args) -> TrainConfig:
    """The TrainConfig of parsed arguments."""
    values = {key: value for key, value in vars(args).items() if key != "progress"}
    return TrainConfig(**values)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from karpathy_rnn.training.trainer import Trainer, TrainingInterrupted

    config = config_from_args(args)
    trainer = Trainer(config, progress_bar=args.progress)
    try:
        trainer.run(keep_lock=bool(config.analyze_every))   # the run stays locked until its analysis is written
    except TrainingInterrupted as exc:
        print(str(exc), file=sys.stderr)
        return INTERRUPTED
    if config.analyze_every:             # the section 4.2 summaries at each kept step, for the plugin
        from karpathy_rnn.analysis.over_training import analyze_history

        try:
            analyze_history(trainer.run_dir, trainer.corpus, "all", config.analyze_split)
        finally:
            trainer.lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
