"""The output folders of scripts/ngram.py and scripts/nn.py read back: one entry per n with its trace and loss."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from karpathy_rnn.errors import KRNNError

KINDS = {"ngram": ("n-gram", "scripts/ngram.py"), "nn": ("n-NN", "scripts/nn.py")}


@dataclass(frozen=True)
class BaselineRun:
    """One trained baseline: its kind ("ngram" or "nn"), n, folder, trace folder and loss on the traced split."""

    kind: str
    n: int
    folder: str
    trace: str
    loss: float

    @property
    def name(self) -> str:
        """How figures call it: "20-gram" (n = 20 characters of context, as Table 2 labels it) or "3-NN"."""
        return f"{self.n}-gram" if self.kind == "ngram" else f"{self.n}-NN"


def baseline_runs(folder: str, kind: str, corpus: str, split: str = "test") -> dict[int, BaselineRun]:
    """{n: BaselineRun} of `folder` (OUT or OUT/<corpus> of scripts/ngram.py or nn.py); KRNNError naming what is
    missing: no n<N> folders, an n without results or trace, an n-NN without its trained model."""
    label, script = KINDS[kind]
    if not os.path.isdir(folder):
        raise KRNNError(f"{label} folder {folder!r} does not exist; make it with `python {script} --corpus {corpus}`")
    if os.path.isdir(os.path.join(folder, corpus)):
        folder = os.path.join(folder, corpus)
    runs = {}
    for entry in sorted(os.listdir(folder)):
        match = re.fullmatch(r"n(\d+)", entry)
        if not match:
            continue
        path = os.path.join(folder, entry)
        if kind == "nn" and not os.path.isfile(os.path.join(path, "best.keras")):
            raise KRNNError(f"n-NN directory {path!r} has no trained model (best.keras); train it with "
                            f"`python {script} --corpus {corpus} --orders {match.group(1)}`")
        results, trace = os.path.join(path, "results.json"), os.path.join(path, f"trace_{split}")
        if not os.path.isfile(results) or not os.path.isfile(os.path.join(trace, "trace.json")):
            raise KRNNError(f"{label} run {path!r} has no results.json or trace_{split}/ (interrupted?); run "
                            f"`python {script} --corpus {corpus} --orders {match.group(1)} --split {split}` again")
        with open(results, encoding="utf-8") as f:
            loss = json.load(f).get(f"{split}_loss_nats")
        if loss is None:
            raise KRNNError(f"{results} has no {split} loss; run {script} with --split {split}")
        runs[int(match.group(1))] = BaselineRun(kind, int(match.group(1)), path, trace, float(loss))
    if not runs:
        raise KRNNError(f"{folder!r} holds no {label} models (no n<N>/ folders); make them with "
                        f"`python {script} --corpus {corpus}`")
    return runs


def best_run(runs: dict[int, BaselineRun]) -> BaselineRun:
    """The run with the lowest loss (Figure 4's "best" n-gram / n-NN)."""
    return min(runs.values(), key=lambda run: run.loss)
