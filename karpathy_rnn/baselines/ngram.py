"""n-gram baselines (paper section 4.3): unpruned (n+1)-gram character models with modified Kneser-Ney smoothing,
trained by KenLM's lmplz on the train split and scored on a split as one continuous stream.

Every character is one token, written as "c" + its code point in hex ("c20" is the space), so whitespace and
punctuation are tokens and none collides with KenLM's <s>, </s> and <unk>. lmplz reads sentences (lines): the
training text is cut into lines of LINE_CHARACTERS characters, so training contexts restart at <s> once per
10,000 characters (the rest of the time an n-gram sees its full n characters; a KenLM run outside the project
with the same reset came within 0.05 nats of the paper's Table 2). Scoring never resets: the split is scored in
chunks, each preceded by the `order - 1` characters before it, which is all the context an n-gram model uses,
so chunked scores equal one continuous pass; the first character of the split has no context, and </s> is
never scored.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
import time

import numpy as np

from karpathy_rnn.baselines.kenlm_build import MAX_ORDER, binaries, python_module
from karpathy_rnn.errors import KRNNError

LINE_CHARACTERS = 10_000        # characters per lmplz sentence: one training-context reset per 10,000
SCORE_CHARACTERS = 50_000       # characters per full_scores call when scoring
LN10 = math.log(10.0)


def token(character: str) -> str:
    """The KenLM token of one character: "c" + its code point in hex."""
    return f"c{ord(character):x}"


def tokens(text: str) -> str:
    """`text` as space-separated tokens, one per character."""
    return " ".join(f"c{code:x}" for code in map(ord, text))


def check_order(n: int) -> int:
    """The KenLM order (n + 1) of an n-gram baseline with n characters of context; KRNNError if out of range."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_ORDER - 1:
        raise KRNNError(f"n-gram context {n!r} is out of range: give 1 to {MAX_ORDER - 1} characters (KenLM is "
                        f"built for orders up to {MAX_ORDER})")
    return n + 1


def write_training_text(text: str, path: str, line_characters: int = LINE_CHARACTERS) -> str:
    """The training text as lmplz input: lines of `line_characters` characters, one token per character."""
    with open(path, "w", encoding="ascii") as out:
        for start in range(0, len(text), line_characters):
            out.write(tokens(text[start:start + line_characters]) + "\n")
    return path


def train(text: str, n: int, folder: str, memory: str = "30%") -> dict:
    """Train the (n+1)-gram model of `text` into `folder` (model.arpa, model.binary); returns the model's path,
    seconds and lmplz's peak resident memory in MiB."""
    order = check_order(n)
    paths = binaries()
    os.makedirs(folder, exist_ok=True)
    corpus = write_training_text(text, os.path.join(folder, "train.tokens"))
    arpa, binary = os.path.join(folder, "model.arpa"), os.path.join(folder, "model.binary")
    started = time.perf_counter()
    with open(corpus, "rb") as source, open(arpa, "wb") as out:
        peak = _run_measured([paths["lmplz"], "-o", str(order), "-S", memory, "-T", folder, "--discount_fallback"],
                             f"lmplz ({order}-gram)", stdin=source, stdout=out)
    peak = max(peak, _run_measured([paths["build_binary"], arpa, binary], "build_binary"))
    seconds = time.perf_counter() - started
    os.remove(corpus)
    return {"model": binary, "arpa": arpa, "order": order, "n": n, "seconds": seconds, "peak_mib": peak,
            "line_characters": LINE_CHARACTERS}


def _run_measured(command: list[str], what: str, stdin=None, stdout=subprocess.DEVNULL) -> float:
    """Run a KenLM program; returns its peak resident memory in MiB (from wait4), KRNNError with its last
    error lines if it fails."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip().splitlines()[-3:]
            raise KRNNError(f"{what} failed (exit {process.returncode}): {' / '.join(tail)}")
    return usage.ru_maxrss / 1024                        # kB on Linux


def score(model_path: str, text: str, order: int, chunk: int = SCORE_CHARACTERS) -> np.ndarray:
    """float64 [N]: log10 probability of each character of `text` under the model, read as one stream."""
    kenlm = python_module()
    model = kenlm.Model(model_path)
    if model.order != order:
        raise KRNNError(f"{model_path} is a {model.order}-gram model, not {order}-gram")
    context = order - 1
    out = np.empty(len(text), np.float64)
    for start in range(0, len(text), chunk):
        before = text[max(0, start - context):start]
        piece = text[start:start + chunk]
        scores = [s[0] for s in model.full_scores(tokens(before + piece), bos=False, eos=False)]
        out[start:start + len(piece)] = scores[len(before):]
    return out


def nats(log10_probabilities: np.ndarray) -> np.ndarray:
    """Cross-entropy per character in nats from KenLM's log10 probabilities."""
    return -np.asarray(log10_probabilities, np.float64) * LN10
