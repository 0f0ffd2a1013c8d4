"""Model agreement (analysis/agreement.py) written out: agreement.json, agreement.csv, Figure 1 (right) as PNG and
the plugin's agreement summary."""

from __future__ import annotations

import os

import numpy as np

from karpathy_rnn.analysis.publish import fresh_events_writer, write_csv, write_json

SUMMARY_EVENTS_SUFFIX = ".karpathy_rnn_agreement"


def agreement_body(models: list[dict], matrix: np.ndarray, embedding: np.ndarray, characters: int, split: str) -> dict:
    """The agreement summary's body: models [{"name", "unit", "layers", "params"}], matrix [M, M], embedding [M, 2]."""
    return {"models": models, "matrix": np.round(matrix, 6).tolist(), "embedding": np.round(embedding, 4).tolist(),
            "characters": int(characters), "split": split}


def write_files(out: str, body: dict, title: str) -> list[str]:
    """agreement.json (the body), agreement.csv (the matrix) and figure1_agreement.png under `out`."""
    from karpathy_rnn.plots import agreement_figure, save_figure

    names = [m["name"] for m in body["models"]]
    return [write_json(body, os.path.join(out, "agreement.json")),
            write_csv(os.path.join(out, "agreement.csv"), ["model", *names],
                      [[name, *[f"{v:.6f}" for v in row]] for name, row in zip(names, body["matrix"])]),
            save_figure(agreement_figure(np.asarray(body["embedding"]), body["models"], title),
                        os.path.join(out, "figure1_agreement.png"))]


def write_summary(logdir: str, body: dict, step: int = 0) -> str:
    """The plugin's agreement summary into its own events file in `logdir` (an earlier one there is replaced)."""
    from karpathy_rnn import summary

    writer = fresh_events_writer(logdir, SUMMARY_EVENTS_SUFFIX)
    with writer.as_default():
        summary.write_agreement(body, step)
    writer.flush()
    writer.close()
    return logdir
