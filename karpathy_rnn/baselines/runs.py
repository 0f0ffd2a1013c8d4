"""The output folders of scripts/ngram.py and scripts/nn.py read back: one entry per n, in the order of n, with its
trace, its loss on the traced split and its validation loss (which chooses Figure 4's best n-gram and n-NN)."""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass

from karpathy_rnn.errors import KRNNError

KINDS = {"ngram": ("n-gram", "scripts/ngram.py"), "nn": ("n-NN", "scripts/nn.py")}


@dataclass(frozen=True)
class BaselineRun:
    """One trained baseline: its kind ("ngram" or "nn"), n, folder, trace folder, loss on the traced split, loss on
    the validation split (None where that split was never scored) and corpus name."""

    kind: str
    n: int
    folder: str
    trace: str
    loss: float
    val_loss: float | None = None
    corpus: str = ""

    @property
    def name(self) -> str:
        """How figures call it: "20-gram" (n = 20 characters of context, as Table 2 labels it) or "3-NN"."""
        return f"{self.n}-gram" if self.kind == "ngram" else f"{self.n}-NN"


def _read_results(path: str, label: str, fix: str) -> dict:
    """results.json as a dict; KRNNError naming the file, what is wrong with it and `fix`."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        if not raw.strip():
            raise KRNNError(f"{label} results {path!r} is empty (cut short by an interrupted run?); {fix}")
        results = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as error:            # ValueError: JSONDecodeError and UnicodeDecodeError
        raise KRNNError(f"{label} results {path!r} is not readable JSON ({' '.join(str(error).split())}; cut short "
                        f"by an interrupted run?); {fix}") from None
    if not isinstance(results, dict):
        raise KRNNError(f"{label} results {path!r} holds a JSON {type(results).__name__}, not the object the "
                        f"script writes; {fix}")
    return results


def _loss(results: dict, key: str, path: str, fix: str) -> float | None:
    """results[key] as a finite float (an n-NN's validation losses, one per hidden size tried: the chosen size's);
    None where the key is absent; KRNNError where it holds anything else."""
    if key not in results:
        return None
    value = results[key]
    if isinstance(value, dict):                       # scripts/nn.py: {hidden size: validation loss}
        value = value.get(str(results.get("hidden")))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise KRNNError(f"{path!r} has {key} {results[key]!r}, not a loss in nats/char; {fix}")
    return float(value)


def _trace_loss(folder: str) -> float:
    """Mean cross-entropy (nats/char) of a trace: what a results.json scored for another split no longer holds."""
    import numpy as np

    from karpathy_rnn.analysis.longrange import trace_correct_probabilities
    from karpathy_rnn.analysis.trace import Trace

    return float(-np.log(np.maximum(trace_correct_probabilities(Trace(folder)), 1e-30)).mean())


def baseline_runs(folder: str, kind: str, corpus: str, split: str = "test",
                  orders=None) -> dict[int, BaselineRun]:
    """{n: BaselineRun}, in increasing n, of `folder` (OUT or OUT/<corpus> of scripts/ngram.py or nn.py); only the
    n in `orders` when given (another n, even one half written, is not read). KRNNError naming what is missing or
    damaged: no n<N> folders, an n without results or trace, an unreadable results.json, an n-NN without its
    trained model. A loss results.json does not hold (it keeps the split scored last) is read from the trace."""
    label, script = KINDS[kind]
    if not os.path.isdir(folder):
        raise KRNNError(f"{label} folder {folder!r} does not exist; make it with `python {script} --corpus {corpus}`")
    if os.path.isdir(os.path.join(folder, corpus)):
        folder = os.path.join(folder, corpus)
    numbered = {}
    for entry in os.listdir(folder):
        match = re.fullmatch(r"n(\d+)", entry)
        if match:
            numbered[int(match.group(1))] = entry
    if not numbered:
        raise KRNNError(f"{folder!r} holds no {label} models (no n<N>/ folders); make them with "
                        f"`python {script} --corpus {corpus}`")
    runs = {}
    for n in sorted(numbered):                      # by n, not by name: n10 comes after n2
        if orders is not None and n not in orders:
            continue
        path = os.path.join(folder, numbered[n])
        if kind == "nn" and not os.path.isfile(os.path.join(path, "best.keras")):
            raise KRNNError(f"n-NN directory {path!r} has no trained model (best.keras); train it with "
                            f"`python {script} --corpus {corpus} --orders {n}`")
        fix = f"run `python {script} --corpus {corpus} --orders {n} --split {split}` again"
        results, trace = os.path.join(path, "results.json"), os.path.join(path, f"trace_{split}")
        if not os.path.isfile(results) or not os.path.isfile(os.path.join(trace, "trace.json")):
            raise KRNNError(f"{label} run {path!r} has no results.json or trace_{split}/ (interrupted?); {fix}")
        body = _read_results(results, label, fix)
        loss = _loss(body, f"{split}_loss_nats", results, fix)
        if loss is None:
            loss = _trace_loss(trace)
        val_loss = loss if split == "val" else _loss(body, "val_loss_nats", results, fix)
        if val_loss is None and os.path.isfile(os.path.join(path, "trace_val", "trace.json")):
            val_loss = _trace_loss(os.path.join(path, "trace_val"))
        runs[n] = BaselineRun(kind, n, path, trace, loss, val_loss, corpus)
    return runs


def best_run(runs: dict[int, BaselineRun]) -> BaselineRun:
    """Figure 4's "best" n-gram / n-NN: the lowest validation loss (chosen on validation, never on the split the
    figure is drawn on; a tie goes to the smaller n). KRNNError naming the n whose validation split was never
    scored and the command that scores it."""
    missing = [run for run in runs.values() if run.val_loss is None]
    if missing:
        label, script = KINDS[missing[0].kind]
        orders = ",".join(str(run.n) for run in missing)
        raise KRNNError(f"{label} n = {orders} in {os.path.dirname(missing[0].folder)!r} "
                        f"{'has' if len(missing) == 1 else 'have'} no validation loss, which chooses the best "
                        f"{label} (Figure 4); score the validation split with `python {script} --corpus "
                        f"{missing[0].corpus} --orders {orders} --split val`")
    return min(runs.values(), key=lambda run: (run.val_loss, run.n))
