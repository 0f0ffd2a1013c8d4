"""Training dynamics against the n-NN baselines (paper section 4.3, Figure 5 right): while a model trains, every
few steps of its first epochs, the symmetric KL divergence between its predictive distributions and each
n-NN's, and the difference in loss (the n-NN's minus the model's: positive where the model is better).

Both are measured on a fixed part of the test split: its first COMPARE_CHARACTERS characters, which the model
reads in one pass from a zero state (starting right after the character before the split, as a trace does)
and the n-NNs have scored in their traces (scripts/nn.py). Rows are appended to RUN/compare_nn.csv and logged as
TensorBoard scalars compare/kl/<n>-NN and compare/delta_loss/<n>-NN.
"""

from __future__ import annotations

import csv
import os
import re

import numpy as np

from karpathy_rnn.errors import KRNNError

COMPARE_CHARACTERS = 10_000       # the first characters of the test split both are measured on
COMPARE_EPOCHS = 3                # Figure 5: "over the first 3 epochs of training"
POINTS_PER_EPOCH = 20             # the default spacing: a measurement every 1/20 epoch
CSV_FILE = "compare_nn.csv"


def nn_traces(paths: list[str], corpus) -> dict[str, object]:
    """{"<n>-NN": Trace} of n-NN traces of `corpus`' test split, given as trace folders or as the output folder
    of scripts/nn.py (every n in it); KRNNError naming the path if one is not such a trace."""
    from karpathy_rnn.analysis.trace import Trace
    from karpathy_rnn.baselines.runs import baseline_runs

    traces = {}
    for path in paths:
        if os.path.isfile(os.path.join(path, "trace.json")):
            trace = Trace(path)
            n = trace.meta.get("source", "").split("-NN")[0]
            traces[f"{n}-NN" if n.isdigit() else os.path.basename(os.path.normpath(path))] = trace
        else:
            for run in baseline_runs(path, "nn", corpus.name, "test").values():
                traces[run.name] = Trace(run.trace)
    for name, trace in traces.items():
        split = trace.meta.get("split")
        problem = (f"it is of the {split} split" if split != "test" else
                   "it is of another text" if trace.meta.get("corpus_sha256") not in (None, corpus.sha256) else
                   "its vocabulary differs" if trace.vocabulary != "".join(corpus.vocabulary.chars) else
                   "it holds no whole distributions" if not trace.distributions else None)
        if problem:
            raise KRNNError(f"--compare-nn {trace.path!r} is not an n-NN trace of {corpus.name}'s test split with "
                            f"whole distributions ({problem}); write it with `python scripts/nn.py --corpus "
                            f"{corpus.name}`")
    return dict(sorted(traces.items(), key=_by_n))


def _by_n(item) -> tuple:
    """Sort key of ("<n>-NN", trace): by n as a number (2-NN before 10-NN), other names after, by name."""
    name = item[0]
    return (0, int(name[:-3]), "") if re.fullmatch(r"\d+-NN", name) else (1, 0, name)


class NNComparison:
    """The n-NNs' distributions on the comparison slice, and the measurements of a model against them."""

    def __init__(self, traces: dict[str, object], corpus, characters: int = COMPARE_CHARACTERS):
        test = corpus.split_ids("test")
        self.characters = min(int(characters), len(test))
        if self.characters < 1:
            raise KRNNError("the test split is empty: nothing to compare the n-NNs on")
        self.ids = corpus.scoring_ids("test")[:self.characters + 1]      # the character before, then the slice
        self.targets = self.ids[1:].astype(np.int64)
        self.baselines = {}
        for name, trace in traces.items():
            if trace.length < self.characters:
                raise KRNNError(f"n-NN trace {trace.path!r} has {trace.length} characters, fewer than the "
                                f"{self.characters} compared")
            self.baselines[name] = np.asarray(trace.probabilities[:self.characters], np.float64)

    def measure(self, probabilities: np.ndarray) -> dict[str, tuple[float, float]]:
        """{n-NN: (mean symmetric KL in nats, n-NN loss - model loss in nats/char)} for the model's
        distributions [C, K] over the slice."""
        from karpathy_rnn.analysis.longrange import correct_probabilities, symmetric_kl

        model_loss = -np.log(np.maximum(correct_probabilities(probabilities, self.targets), 1e-30)).mean()
        out = {}
        for name, q in self.baselines.items():
            kl = float(symmetric_kl(probabilities, q).mean())
            nn_loss = -np.log(np.maximum(correct_probabilities(q, self.targets), 1e-30)).mean()
            out[name] = (kl, float(nn_loss - model_loss))
        return out


def due(step: int, steps_per_epoch: int, every: int, epochs: int = COMPARE_EPOCHS) -> bool:
    """Whether global step `step` (1-based, after it) is a comparison step: every `every` steps (0: 1/20
    epoch) up to the end of epoch `epochs`."""
    every = every or max(1, steps_per_epoch // POINTS_PER_EPOCH)
    return step <= epochs * steps_per_epoch and step % every == 0


def append_rows(run_dir: str, step: int, epoch: float, measured: dict[str, tuple[float, float]]) -> None:
    """One row per n-NN in RUN/compare_nn.csv (header on creation)."""
    path = os.path.join(run_dir, CSV_FILE)
    new = not os.path.isfile(path)
    with open(path, "a", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        if new:
            out.writerow(["step", "epoch", "baseline", "symmetric_kl", "delta_loss"])
        for name, (kl, delta) in measured.items():
            out.writerow([step, f"{epoch:.4f}", name, f"{kl:.6f}", f"{delta:.6f}"])


def drop_rows_after(run_dir: str, step: int) -> None:
    """Remove rows past `step` (what an interrupted run measured after its last checkpoint: measured again)."""
    path = os.path.join(run_dir, CSV_FILE)
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    kept = rows[:1] + [row for row in rows[1:] if int(row[0]) <= step]
    if len(kept) != len(rows):
        from karpathy_rnn.atomic import atomic_file
        with atomic_file(path, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(kept)


def read_rows(path: str) -> dict[str, dict[str, np.ndarray]]:
    """{n-NN: {"step", "epoch", "symmetric_kl", "delta_loss": arrays}} of a compare_nn.csv."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = {}
    for name in dict.fromkeys(row["baseline"] for row in rows):
        mine = [row for row in rows if row["baseline"] == name]
        out[name] = {key: np.array([float(row[key]) for row in mine]) for key in
                     ("step", "epoch", "symmetric_kl", "delta_loss")}
    return out
