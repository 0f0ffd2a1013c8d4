"""Baselines made in a test: n-gram folders with traces of known probabilities and untrained n-NNs with real traces."""

import json
import os

import numpy as np


def write_baselines(corpus, folder, shift=0, ngram_orders=(1, 3), nn_orders=(1, 2)):
    """runs/ngram-like and runs/nn-like folders for `corpus`' test split: n-grams (n1 and n3) whose probability of
    character t is a known function of t, n-NNs (n1 and n2; untrained, seeded) with whole distributions."""
    from karpathy_rnn.analysis.trace import TraceWriter
    from karpathy_rnn.baselines import nn

    ids = corpus.split_ids("test")
    chars = "".join(corpus.vocabulary.chars)
    for n in ngram_orders:
        path = os.path.join(folder, "ngram", corpus.name, f"n{n}")
        p = ((np.arange(len(ids)) * (7 + n) + shift) % 97 + 2) / 100.0           # in (0, 1), known
        writer = TraceWriter(os.path.join(path, "trace_test"), chars, len(ids), [], distributions=False,
                             corpus=corpus.name, split="test")
        writer.write_probabilities(0, p.astype(np.float32))
        writer.finish(ids.astype(np.int32))
        with open(os.path.join(path, "results.json"), "w") as f:
            json.dump({"test_loss_nats": float(-np.log(p.astype(np.float32)).mean())}, f)
    for n in nn_orders:
        path = os.path.join(folder, "nn", corpus.name, f"n{n}")
        os.makedirs(path, exist_ok=True)
        model = nn.build_model(corpus.vocabulary.size, n, 8, seed=n)
        model.save(os.path.join(path, "best.keras"))
        before = np.concatenate([corpus.split_ids("train"), corpus.split_ids("val")])
        writer = TraceWriter(os.path.join(path, "trace_test"), chars, len(ids), [], corpus=corpus.name, split="test")
        for start, probabilities in nn.split_distributions(model, before, ids):
            writer.write_probabilities(start, probabilities)
        trace = writer.finish(ids.astype(np.int32))
        q = np.asarray(trace.probabilities)[np.arange(len(ids)), ids]
        with open(os.path.join(path, "results.json"), "w") as f:
            json.dump({"test_loss_nats": float(-np.log(q.astype(np.float64)).mean())}, f)
    return os.path.join(folder, "ngram"), os.path.join(folder, "nn")
