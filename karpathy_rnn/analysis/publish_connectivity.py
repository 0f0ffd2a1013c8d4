"""The connectivity study out: connectivity.json (every text's body), connectivity.csv (each model's long-context
share per text) and the plugin's connectivity summaries (one per text)."""

from __future__ import annotations

import json
import os

import numpy as np

from karpathy_rnn.analysis.connectivity_study import long_context_share
from karpathy_rnn.analysis.publish import fresh_events_writer, write_csv
from karpathy_rnn.atomic import atomic_file

SUMMARY_EVENTS_SUFFIX = ".connectivity"


def write_files(out: str, bodies: list[dict]) -> list[str]:
    """connectivity.json and connectivity.csv under `out`; returns their paths."""
    json_path, csv_path = os.path.join(out, "connectivity.json"), os.path.join(out, "connectivity.csv")
    with atomic_file(json_path, "w", encoding="utf-8") as f:
        json.dump({"texts": bodies}, f)
    rows = [[index, body["source"], share["model"], share["rows"], f"{share['long_context_share']:.4f}"]
            for index, body in enumerate(bodies) for share in long_context_share(body)]
    write_csv(csv_path, ["text", "source", "model", "rows", "long_context_share"], rows)
    return [json_path, csv_path]


def mean_shares(bodies: list[dict]) -> dict[str, float]:
    """Each model's long-context share averaged over the texts (NaN-free texts only)."""
    shares: dict[str, list[float]] = {}
    for body in bodies:
        for share in long_context_share(body):
            if np.isfinite(share["long_context_share"]):
                shares.setdefault(share["model"], []).append(share["long_context_share"])
    return {model: float(np.mean(values)) for model, values in shares.items()}


def write_summaries(logdir: str, bodies: list[dict], step: int = 0) -> str:
    """One connectivity summary per text into its own events file in `logdir` (an earlier study's is replaced)."""
    from karpathy_rnn import summary

    writer = fresh_events_writer(logdir, SUMMARY_EVENTS_SUFFIX)
    with writer.as_default():
        for index, body in enumerate(bodies):
            summary.write_connectivity(body, step, index)
    writer.flush()
    writer.close()
    return logdir
