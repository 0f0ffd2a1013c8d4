"""Generate text from a trained char-LM: a run directory of scripts/train.py, a .keras file or an exported SavedModel.

    python scripts/sample.py runs/war_and_peace-lstm-2x128 --prime "The " --temperature 0.8 --length 500
    python scripts/sample.py exported/ --prime "int main(" --seed 3
"""

from __future__ import annotations

import argparse
import sys

from karpathy_rnn.cli import ArgumentParser, run_script


def check_prime(vocabulary, args) -> None:
    """The default newline prime becomes the vocabulary's first character where it has no newline; a prime with
    a character the model lacks is refused (UnknownCharacterError naming it)."""
    if "\n" == args.prime and "\n" not in vocabulary:
        args.prime = vocabulary.chars[0]
    vocabulary.encode(args.prime)


def main(argv=None) -> int:
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="RUN_OR_SAVEDMODEL", help="run directory (its best.keras), .keras file or "
                   "SavedModel folder from scripts/export.py")
    p.add_argument("--prime", default="\n", help="text to start from; the output is the prime, then the "
                   "sampled characters (default: a newline)")
    p.add_argument("--temperature", type=float, default=1.0, help="> 0; below 1 is more conservative "
                   "(default: %(default)s)")
    p.add_argument("--length", type=int, default=500, help="characters to generate (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default: %(default)s)")
    args = p.parse_args(argv)
    from karpathy_rnn.sampling import check_temperature, open_language_model, sample_text

    from karpathy_rnn.data.vocabulary import Vocabulary
    from karpathy_rnn.training.run_dir import char_lm_config

    check_temperature(args.temperature)          # before loading TensorFlow and the model
    if args.length < 0:
        p.error(f"--length must be >= 0, got {args.length}")
    config = char_lm_config(args.model)
    if config is not None:                       # a run's vocabulary decides the prime before the model loads
        check_prime(Vocabulary(tuple(config["vocabulary"])), args)
    stepper = open_language_model(args.model)
    check_prime(stepper.vocabulary, args)
    text = sample_text(stepper, args.prime, args.length, args.temperature, args.seed)
    sys.stdout.write(args.prime + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
