"""Train a slice of the paper's Figure 1 grid (corpus x budget x unit x layers) and tabulate it beside the paper's.

    python scripts/grid.py --corpora war_and_peace --budgets 50k --layers 1 2 --epochs 5
    python scripts/grid.py --shard 2/4                     # the 2nd of 4 disjoint slices: one per machine
    python scripts/grid.py --table-only                    # rebuild the table from the run directories
    python scripts/grid.py --budgets 130k --keep docs/reproduction/figure1   # keep each results.json in the repository

Each cell is an ordinary scripts/train.py run in LOGDIR/<corpus>-<budget>-<unit>-<layers>. A cell whose
results.json was made with the same --epochs and --max-steps (or stopped early) is skipped; any other
is resumed from its checkpoint (an interrupted cell continues, a finished one is extended), so an
interrupted grid continues where it stopped; machines sharing LOGDIR need no coordinator.
The table (LOGDIR/figure1.md and .csv: Figure 1's layout, then the differences between models) is assembled
from whatever results.json files are there. With --keep DIR each finished cell's results.json is also copied to
DIR/<cell>/results.json, a cell kept there is skipped even when LOGDIR lost it, and the table is rebuilt from
both folders into both: commit DIR, and later sittings and other machines continue the grid instead of redoing it.
"""

from __future__ import annotations

import argparse
import os
import sys

from karpathy_rnn.atomic import atomic_file
from karpathy_rnn.cli import INTERRUPTED, ArgumentParser, run_script
from karpathy_rnn.training.budget import BUDGETS
from karpathy_rnn.training.config import PRECISIONS, TrainConfig
from karpathy_rnn.training.figure1 import (
    FIGURE1_CORPORA,
    FIGURE1_LAYERS,
    FIGURE1_UNITS,
    collect_results,
    differences_markdown,
    figure1_csv,
    dropout_run_name,
    figure1_markdown,
    grid_cells,
    keep_results,
    parse_shard,
    shard,
)

DEFAULTS = TrainConfig()


def build_parser() -> ArgumentParser:
    p = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = p.add_argument
    add("--corpora", nargs="+", default=list(FIGURE1_CORPORA), help="corpus names or .txt/.txt.gz paths "
        "(default: %(default)s)")
    add("--budgets", nargs="+", choices=BUDGETS, default=list(BUDGETS), help="budgets (default: all)")
    add("--units", nargs="+", choices=("lstm", "rnn", "gru", "nlstm"), default=list(FIGURE1_UNITS),
        help="units (default: %(default)s)")
    add("--layers", nargs="+", type=int, choices=(1, 2, 3), default=list(FIGURE1_LAYERS),
        help="depths (default: %(default)s)")
    add("--shard", default="1/1", help="I/N: train only the I-th of N disjoint slices of the cells (default: all)")
    add("--logdir", default=os.path.join("runs", "grid"), help="folder of the cells' run directories "
        "(default: %(default)s)")
    add("--epochs", type=int, default=DEFAULTS.epochs, help="epochs per cell (default: %(default)s)")
    add("--max-steps", type=int, help="training steps per cell (smoke runs)")
    add("--dropout", type=float, nargs="+", default=[DEFAULTS.dropout], help="dropout rates: each cell is trained "
        "at each (runs NAME, NAME-dropout0.25, ...) and the table keeps the one with the best validation loss, as "
        "the paper cross-validates dropout per model (default: %(default)s)")
    add("--patience", type=int, default=DEFAULTS.patience, help="early-stopping patience (default: %(default)s)")
    add("--eval-every", type=int, default=DEFAULTS.eval_every, help="validation every N steps; 0: per epoch")
    add("--seed", type=int, default=DEFAULTS.seed, help="seed (default: %(default)s)")
    add("--batch-size", type=int, default=DEFAULTS.batch_size, help="lanes per batch (default: %(default)s)")
    add("--unroll", type=int, default=DEFAULTS.unroll, help="time steps (default: %(default)s)")
    add("--precision", choices=PRECISIONS, default=DEFAULTS.precision, help="fp32 (the paper's) or bf16 "
        "(bfloat16 matrix products, train.py --precision) for every cell (default: %(default)s)")
    add("--data-dir", help="folder holding the corpus files")
    add("--keep", metavar="DIR", help="also copy each finished cell's results.json to DIR/<cell>/ (a folder in the "
        "repository), skip cells found there, and build the table from LOGDIR and DIR into both")
    add("--table-only", action="store_true", help="only rebuild the table from LOGDIR (and --keep DIR)")
    add("--no-progress", dest="progress", action="store_false", help="no progress bars")
    return p


def corpus_label(corpus: str) -> str:
    """A corpus' name in cell names: a known name as it is, a file by its stem (as load_corpus names it)."""
    from karpathy_rnn.data import CORPORA
    return corpus if corpus in CORPORA else (os.path.basename(corpus).split(".")[0] or "corpus")


def write_table(logdir: str, keep: str | None = None) -> str:
    """Write figure1.md and figure1.csv into LOGDIR (and KEEP) from the results found in both; returns the Markdown."""
    results = collect_results(logdir, *([keep] if keep else []))
    markdown = figure1_markdown(results) + "\n" + differences_markdown(results)
    for folder in [logdir] + ([keep] if keep else []):
        os.makedirs(folder, exist_ok=True)
        with atomic_file(os.path.join(folder, "figure1.md"), "w", encoding="utf-8") as f:
            f.write(markdown + "\n")
        with atomic_file(os.path.join(folder, "figure1.csv"), "w", encoding="utf-8") as f:
            f.write(figure1_csv(results))
    return markdown


def finished(result: dict | None, epochs: int, max_steps: int | None) -> bool:
    """Whether a cell's results.json is this request's: stopped early, or trained to the same --epochs/--max-steps."""
    return result is not None and (result.get("stopped_by") == "early_stopping" or (
        result.get("config", {}).get("epochs"), result.get("config", {}).get("max_steps")) == (epochs, max_steps))


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    index, count = parse_shard(args.shard)
    if args.keep:
        from karpathy_rnn.cli import writable_folder
        writable_folder(args.keep, "--keep")
    if not args.table_only:
        from karpathy_rnn.training.run_dir import holds_run, read_results
        from karpathy_rnn.training.trainer import TrainingDiverged, TrainingInterrupted, train

        sources = {corpus_label(corpus): corpus for corpus in args.corpora}   # cell name -> --corpus value
        cells = shard(grid_cells(list(sources), args.budgets, args.units, args.layers), index, count)
        print(f"shard {index}/{count}: {len(cells)} cell(s) in {args.logdir}"
              + (f", each at dropout {', '.join(f'{d:g}' for d in args.dropout)}" if len(args.dropout) > 1 else ""))
        failed = []
        runs = [(cell, dropout) for cell in cells for dropout in args.dropout]       # a cell's rates on one shard
        for number, (cell, dropout) in enumerate(runs, 1):
            name = dropout_run_name(cell, dropout)
            run_dir = os.path.join(args.logdir, name)
            if finished(read_results(run_dir), args.epochs, args.max_steps):
                kept = keep_results(run_dir, args.keep) if args.keep else None
                print(f"[{number}/{len(runs)}] {name}: finished, skipped" + (f" (kept in {kept})" if kept else ""))
                continue
            if args.keep and finished(read_results(os.path.join(args.keep, name)), args.epochs, args.max_steps):
                print(f"[{number}/{len(runs)}] {name}: finished, kept in {args.keep}, skipped")
                continue
            print(f"[{number}/{len(runs)}] {name}")
            config = TrainConfig(corpus=sources[cell.corpus], unit=cell.unit, layers=cell.layers, budget=cell.budget,
                                 epochs=args.epochs, max_steps=args.max_steps, dropout=dropout,
                                 patience=args.patience, eval_every=args.eval_every, seed=args.seed,
                                 batch_size=args.batch_size, unroll=args.unroll, data_dir=args.data_dir,
                                 precision=args.precision,
                                 logdir=args.logdir, name=name,
                                 resume=holds_run(run_dir))          # continues or extends a cell, or starts it
            try:
                train(config, progress_bar=args.progress)
            except TrainingInterrupted as exc:
                print(str(exc), file=sys.stderr)
                write_table(args.logdir, args.keep)
                return INTERRUPTED
            except TrainingDiverged as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                failed.append(name)
            else:
                if args.keep:
                    print(f"{name}: kept in {keep_results(run_dir, args.keep)}")
            import keras
            keras.backend.clear_session()
        if failed:
            print(f"{len(failed)} cell(s) diverged: {', '.join(failed)}", file=sys.stderr)
    print(write_table(args.logdir, args.keep))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
