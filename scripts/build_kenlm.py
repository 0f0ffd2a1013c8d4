"""Build KenLM from source for the n-gram baselines (paper section 4.3): lmplz and build_binary with
KENLM_MAX_ORDER=21 into the user cache, and the kenlm Python module with MAX_ORDER=21 into this Python.

    python scripts/build_kenlm.py                   # the kenlm sdist from PyPI (it carries the C++ sources)
    python scripts/build_kenlm.py --source kenlm/   # a local KenLM source tree, or its .tar.gz / .zip

Idempotent: what is built already is kept. Needs cmake, a C++ compiler, Boost (program-options, system, thread,
test), zlib, bzip2, lzma and Eigen; on Debian:
    sudo apt-get install cmake g++ libboost-program-options-dev libboost-system-dev libboost-thread-dev \\
        libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev libeigen3-dev
"""

from __future__ import annotations

import argparse
import os
import sys

from karpathy_rnn.cli import ArgumentParser, run_script
from karpathy_rnn.errors import KRNNError


def main(argv=None) -> int:
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", help="a KenLM source tree or archive instead of the PyPI sdist")
    p.add_argument("--jobs", type=int, help="compile jobs (default: the CPU count)")
    args = p.parse_args(argv)
    if args.source and not os.path.exists(args.source):
        raise KRNNError(f"--source {args.source!r} does not exist; give a KenLM source folder or archive")
    if args.jobs is not None and args.jobs < 1:
        raise KRNNError(f"--jobs must be >= 1, got {args.jobs}")
    from karpathy_rnn.baselines.kenlm_build import build

    build(args.source, args.jobs, say=lambda message: print(message, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
