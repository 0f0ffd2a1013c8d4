"""The connectivity study behind `analyze.py connectivity`: runs opened, texts chosen, one summary body per text.

A study compares 1 to 4 models of one task on the same texts: autocomplete models (scripts/autocomplete.py; the
prediction at character j is its word, read up to and including j) or char-LMs (scripts/train.py; the prediction
at character j is that character, made after reading characters 0..j-1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from karpathy_rnn.errors import KRNNError

AUTOCOMPLETE, NEXT_CHARACTER = "autocomplete", "next character"
MAX_MODELS = 4
MAX_TEXT = 2000            # characters of one text (the summary's limit)
TOP = 3                    # suggestions per position


@dataclass
class StudyModel:
    """One opened run: its model, its task and the label of every output id."""

    name: str
    model: object
    task: str
    labels: tuple[str, ...]
    run_dir: str
    config: dict
    step: int


def open_run(path: str) -> StudyModel:
    """An autocomplete run directory, or a char-LM run directory or .keras file; KRNNError for anything else."""
    from karpathy_rnn.analysis.connectivity import model_parts
    from karpathy_rnn.training.run_dir import read_json

    config = read_json(os.path.join(path, "config.json")) if os.path.isdir(path) else None
    name = os.path.basename(os.path.normpath(path)).removesuffix(".keras")
    if config and config.get("task") == AUTOCOMPLETE:
        from karpathy_rnn.data.autocomplete import SPECIAL_WORDS, load_words
        from karpathy_rnn.models import load_model
        from karpathy_rnn.training.autocomplete import BEST_MODEL, BEST_MODEL_FIX, WORDS_FILE

        model_path = os.path.join(path, BEST_MODEL)
        if not os.path.isfile(model_path):
            raise KRNNError(f"{path} has no {BEST_MODEL} yet: let scripts/autocomplete.py train finish an epoch")
        model = load_model(model_path, fix=BEST_MODEL_FIX)   # a truncated file: one line naming it (Keras said "File not found")
        labels = SPECIAL_WORDS + load_words(os.path.join(path, WORDS_FILE))
        step = int((read_json(os.path.join(path, "results.json")) or {}).get("steps", 0))
        study = StudyModel(name, model, AUTOCOMPLETE, labels, path, config, step)
    else:
        from karpathy_rnn.models import load_model, model_characters
        from karpathy_rnn.sampling import resolve_model_path

        try:
            kind, resolved = resolve_model_path(path)
        except KRNNError:
            raise KRNNError(f"{path!r} is not an autocomplete or char-LM run (no config.json of "
                            "scripts/autocomplete.py, no best.keras of scripts/train.py); give one of those") from None
        if kind != "keras":
            raise KRNNError(f"{path!r} is a SavedModel: connectivity needs the Keras model, give the run directory "
                            "or its best.keras")
        model = load_model(resolved)
        try:
            labels = tuple(model_characters(model))
        except ValueError:
            raise KRNNError(f"{path!r} is not an autocomplete or char-LM model (no character vocabulary)") from None
        run = os.path.dirname(resolved)
        results = read_json(os.path.join(run, "results.json")) or {}
        study = StudyModel(name, model, NEXT_CHARACTER, labels, run, read_json(os.path.join(run, "config.json")) or {},
                           int(results.get("best_step", 0)))
    model_parts(study.model)
    return study


def check_comparable(models: list[StudyModel]) -> None:
    """All models of one task and one output vocabulary, 1 to MAX_MODELS of them, names unique."""
    if not 1 <= len(models) <= MAX_MODELS:
        raise KRNNError(f"{len(models)} runs: connectivity compares 1 to {MAX_MODELS} models side by side")
    first = models[0]
    for other in models[1:]:
        if other.task != first.task:
            raise KRNNError(f"{first.name} ({first.task}) and {other.name} ({other.task}) are models of different "
                            "tasks: compare autocomplete models with each other, char-LMs with each other")
        if other.labels != first.labels:
            raise KRNNError(f"{first.name} and {other.name} have different output vocabularies ({len(first.labels)} "
                            f"and {len(other.labels)} labels): compare models trained on the same corpus and --words")
    names = [m.name for m in models]
    for index, model in enumerate(models):
        if names.count(model.name) > 1:
            model.name = f"{model.name} ({index + 1})"


def study_texts(first: StudyModel, text: str | None, split: str, count: int, length: int,
                data_dir: str | None = None) -> list[tuple[str, str]]:
    """[(source, text)]: the user's `text`, or `count` texts evenly spaced through `split` of the first run's corpus
    (autocomplete: whole observations; char-LM: excerpts of `length` characters)."""
    if text is not None:
        if first.task == AUTOCOMPLETE:
            from karpathy_rnn.data.autocomplete import normalize_text8

            text = normalize_text8(text)
            if not text:
                raise KRNNError("--text has no words after normalisation (a-z and spelled-out digits): give English "
                                "words")
        if not text:
            raise KRNNError("--text is empty: give at least one character")
        if len(text) > MAX_TEXT:
            raise KRNNError(f"--text has {len(text):,} characters; connectivity takes at most {MAX_TEXT:,}: give a "
                            "shorter text")
        return [("user text", text)]
    if first.task == AUTOCOMPLETE:
        from karpathy_rnn.training.autocomplete import AutocompleteConfig, build_data

        fields = {k: v for k, v in first.config.items() if k in AutocompleteConfig.__dataclass_fields__}
        data = build_data(AutocompleteConfig(**{**fields, "data_dir": data_dir or fields.get("data_dir")}))
        observations = data.split(split)
        picks = np.unique(np.linspace(0, len(observations) - 1, min(count, len(observations))).astype(int))
        return [(f"{split} observation {i}", observations.text(i)) for i in picks]
    from karpathy_rnn.data.corpus import load_corpus

    corpus_name = first.config.get("corpus_source") or first.config.get("corpus") or first.config.get("corpus_name")
    if not corpus_name:
        raise KRNNError(f"{first.name}'s corpus is unknown (no config.json beside its model): give --text")
    corpus = load_corpus(corpus_name, split=first.config.get("split"),
                         data_dir=data_dir or first.config.get("data_dir"), download=False)
    whole = corpus.text(split)
    pieces = min(count, max(len(whole) // length, 1))
    starts = np.unique(np.linspace(0, max(len(whole) - length, 0), pieces).astype(int))
    return [(f"{split} characters {s:,}-{s + length:,}", whole[s:s + length]) for s in starts]


def encode_study_text(first: StudyModel, text: str):
    """(ids [T], target ids [T] (-1: none), target labels [T] or None) of `text` under the study's task."""
    if first.task == AUTOCOMPLETE:
        from karpathy_rnn.data.autocomplete import UNKNOWN, encode_observation

        observation = encode_observation(text, first.labels[2:])
        ids, targets = observation.inputs[0].astype(np.int32), observation.targets[0].astype(np.int64)
        labels = [first.labels[t] if t > UNKNOWN else None for t in targets.tolist()]
        return ids, np.where(targets > UNKNOWN, targets, -1), labels
    index = {character: i for i, character in enumerate(first.labels)}
    missing = sorted(set(text) - set(index))
    if missing:
        raise KRNNError(f"the text holds {len(missing)} character(s) the model never saw ({''.join(missing)[:20]!r}): "
                        "give a text in the model's vocabulary")
    ids = np.fromiter((index[c] for c in text), np.int32, len(text))
    return ids, np.concatenate([[-1], ids[1:]]).astype(np.int64), [None] + list(text[1:])


def connectivity_body(models: list[StudyModel], source: str, text: str, positions=None, group: int = 50) -> dict:
    """The connectivity summary body of one text (summary.write_connectivity's format): per model, row j the
    connectivity of the prediction at character j to every input it read, and the top suggestions at j.

    `positions` (characters of `text`) limits the rows computed (the others are empty); the logit followed is the
    target's where the target is scored, else the model's own first suggestion's."""
    from karpathy_rnn.analysis.connectivity import Connectivity, top_predictions

    first = models[0]
    ids, targets, labels = encode_study_text(first, text)
    text = text if first.task == NEXT_CHARACTER else " " + " ".join(text.split())
    rows = np.arange(len(ids)) if positions is None else np.asarray(sorted(set(positions)), np.int64)
    outside = [int(p) for p in rows if not 0 <= p < len(ids)]
    if outside:
        raise KRNNError(f"position {outside[0]} is outside the text (0 to {len(ids) - 1}): give positions of its "
                        "characters")
    shift = 1 if first.task == NEXT_CHARACTER else 0          # char-LM: character j is predicted at output j - 1
    rows = rows[rows >= shift]
    body = {"task": first.task, "source": source, "text": text, "targets": labels, "models": []}
    for study in models:
        best, probabilities = top_predictions(study.model, ids, TOP)
        outputs = rows - shift
        followed = np.where(targets[rows] >= 0, targets[rows], best[outputs, 0])
        values = Connectivity(study.model, group).values(ids, outputs, followed) if len(rows) else None
        table = [[] for _ in range(len(ids))]
        for k, j in enumerate(rows.tolist()):
            table[j] = [float(f"{v:.4g}") for v in values[k, :j + 1 - shift].tolist()]
        suggestions = [[] for _ in range(len(ids))]
        for j in range(shift, len(ids)):
            suggestions[j] = [{"label": study.labels[i], "p": round(float(p), 4)}
                              for i, p in zip(best[j - shift].tolist(), probabilities[j - shift].tolist())]
        body["models"].append({"name": study.name, "values": table, "suggestions": suggestions})
    return body


def long_context_share(body: dict) -> list[dict]:
    """Per model: the mean, over scored rows, of the share of a row's connectivity on characters before the
    current word (autocomplete: before its space; char-LM: before the last space) -- how much of a prediction rests
    on earlier words rather than on the word itself."""
    text, shares = body["text"], []
    starts = np.maximum.accumulate(np.where(np.array(list(text)) == " ", np.arange(len(text)), 0))
    for model in body["models"]:
        values = []
        for j, (row, target) in enumerate(zip(model["values"], body["targets"])):
            if target is None or not row or sum(row) == 0:
                continue
            start = starts[j] if body["task"] == AUTOCOMPLETE else starts[j - 1]
            values.append(sum(row[:start]) / sum(row))
        shares.append({"model": model["name"], "rows": len(values),
                       "long_context_share": float(np.mean(values)) if values else float("nan")})
    return shares
