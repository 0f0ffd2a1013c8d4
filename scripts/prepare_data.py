"""Describe, fetch or rebuild the corpora.

    python scripts/prepare_data.py                       # describe every known corpus
    python scripts/prepare_data.py war_and_peace --download
    python scripts/prepare_data.py my_text.txt --split 80/10/10
    python scripts/prepare_data.py linux_kernel --source /usr/src/linux-source-6.1.tar.xz
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys

from karpathy_rnn.atomic import atomic_file
from karpathy_rnn.cli import ArgumentParser, run_script
from karpathy_rnn.data import (
    CORPORA,
    cache_dir,
    corpus_spec,
    find_corpus_file,
    load_corpus,
    steps_per_epoch,
)
from karpathy_rnn.data.corpus import corpus_from_text
from karpathy_rnn.data.splits import parse_split
from karpathy_rnn.data.linux_kernel import linux_kernel_corpus
from karpathy_rnn.errors import KRNNError


def parse_args(argv):
    """The command line."""
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="*", metavar="CORPUS",
                        help=f"known names ({', '.join(CORPORA)}) or paths of UTF-8 .txt/.txt.gz files "
                             f"(default: every known corpus)")
    parser.add_argument("--split", help="TRAIN/VAL/TEST percentages, e.g. 90/5/5 (default: the corpus' paper "
                                        "split; 90/5/5 for files)")
    parser.add_argument("--data-dir", help="folder searched before $KRNN_DATA_DIR and the user cache")
    parser.add_argument("--download", action="store_true",
                        help="download a known corpus that is not found locally (default: only describe)")
    parser.add_argument("--source", help="with linux_kernel: a Linux source tree or tarball to rebuild the "
                                         "corpus from (paper section 4)")
    parser.add_argument("--out", help="with --source: file (.txt.gz compressed, else plain) or folder to "
                                      "write the corpus to (default: <cache>/linux_kernel.txt.gz)")
    parser.add_argument("--batch-size", type=int, default=100, help="lanes B, to count batches per epoch (100)")
    parser.add_argument("--unroll", type=int, default=100, help="unroll T, to count batches per epoch (100)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per corpus")
    return parser.parse_args(argv)


def write_corpus_file(text: str, path: str) -> None:
    """Write `text` atomically: gzip-compressed if `path` ends in .gz (with GNU `gzip -9 -n` when it
    is installed, which reproduces shared/data's files byte for byte), plain UTF-8 otherwise."""
    data = text.encode("utf-8")
    try:
        with atomic_file(path) as out:
            if not path.endswith(".gz"):
                out.write(data)
            elif shutil.which("gzip"):
                subprocess.run(["gzip", "-9", "-n", "-c"], input=data, stdout=out, check=True)
            else:
                with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as packed:
                    packed.write(data)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise KRNNError(f"cannot write {path!r}: {exc}; give a writable --out") from None


def rebuild_linux_kernel(source: str, out: str | None, as_json: bool) -> None:
    """Build the Linux Kernel corpus from `source`, write it and print its numbers."""
    spec = corpus_spec("linux_kernel")
    if out is None or os.path.isdir(out):
        out = os.path.join(out or cache_dir(), "linux_kernel.txt.gz")
    if os.path.exists(source):
        print(f"reading .c/.h files of {source} ...", file=sys.stderr)
    built = linux_kernel_corpus(source)
    write_corpus_file(built.text, out)
    corpus = corpus_from_text(built.text, spec.name, out, spec.split, reference_sha256=spec.sha256)
    summary = {**corpus.describe(), "files_used": built.files_used, "files_skipped": built.files_skipped}
    if as_json:
        print(json.dumps(summary))
        return
    print(f"wrote {out}")
    print(f"characters: {corpus.num_chars:,}  vocabulary: {corpus.vocabulary.size}  "
          f"files used: {built.files_used}  skipped (not UTF-8 or NUL): {built.files_skipped}")
    print(f"sha256: {corpus.sha256}")
    print("matches the shared Linux 6.1 corpus byte for byte" if corpus.matches_reference
          else f"differs from the Linux 6.1 corpus (sha256 {spec.sha256}): expected for another kernel version")


def describe(name: str, args, listing: bool) -> dict:
    """Load one corpus and return its summary; when `listing` all corpora, a missing one gets a
    'not found' entry instead of the error that names it alone."""
    if listing and not CORPORA[name].embedded and not args.download \
            and find_corpus_file(CORPORA[name], args.data_dir) is None:
        spec = CORPORA[name]
        fetch = (f"python scripts/prepare_data.py {name} --download fetches it from {spec.url}"
                 if spec.url else spec.how_to_get)
        return {"name": name, "found": False, "how_to_get": fetch}
    corpus = load_corpus(name, split=args.split, data_dir=args.data_dir, download=args.download)
    batches = steps_per_epoch(len(corpus.train), args.batch_size, args.unroll)
    return {**corpus.describe(), "found": True, "batches_per_epoch": batches}


def print_table(rows: list[dict]) -> None:
    """The summaries as an aligned text table."""
    header = f"{'corpus':<17} {'characters':>10} {'vocab':>5} {'split':>8} {'train':>9} {'val':>8} " \
             f"{'test':>8} {'batches':>7}  {'reference':<9}  source"
    print(header)  # batches: training batches of B lanes x T steps per epoch
    for row in rows:
        if not row["found"]:
            print(f"{row['name']:<17} not found: {row['how_to_get']}")
            continue
        reference = {True: "sha256 ok", False: "differs", None: "-"}[row["matches_reference"]]
        print(f"{row['name']:<17} {row['characters']:>10,} {row['vocabulary_size']:>5} {row['split']:>8} "
              f"{row['train']:>9,} {row['val']:>8,} {row['test']:>8,} {row['batches_per_epoch']:>7,}  "
              f"{reference:<9}  {row['source']}")


def main(argv=None) -> int:
    """Describe, download or rebuild corpora as the command line says."""
    args = parse_args(argv)
    if args.split is not None:
        parse_split(args.split)                   # before any corpus is looked for or downloaded
    if args.source:
        if args.corpora != ["linux_kernel"]:
            raise KRNNError(f"--source rebuilds the Linux Kernel corpus only; run "
                            f"'prepare_data.py linux_kernel --source {args.source}'")
        rebuild_linux_kernel(args.source, args.out, args.json)
        return 0
    if args.data_dir and not os.path.isdir(args.data_dir):
        raise KRNNError(f"--data-dir {args.data_dir!r} is not a folder; give the folder that holds the corpus files")
    rows = [describe(name, args, listing=not args.corpora) for name in (args.corpora or list(CORPORA))]
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
