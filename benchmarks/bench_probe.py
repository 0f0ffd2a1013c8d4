"""Time the plugin's live probe (issue 34.4: under 1 s for 1,000 characters with a 2x512 LSTM on 2 cores).

    python benchmarks/bench_probe.py                         # LSTM 2x512, texts of 1,000 characters
    python benchmarks/bench_probe.py --unit gru --hidden 256 --chars 2000

Trains a run of --unit --layers x --hidden for one step on Tiny Shakespeare (the speed does not depend on the
weights), writes its analysis summaries so TensorBoard lists it, and asks the plugin's routes through TensorBoard's
own WSGI app (the data provider and plugin `tensorboard --logdir` builds): the first probe (the model loaded and
its step traced), probes of new texts (the model run over each), another cell of the same text (no rerun), and the
connectivity of positions of the text. Prints a Markdown table of seconds (median of --repeat) with the CPU named.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.bench_layers import machine_line

PREFIX = "/data/plugin/karpathy_rnn"


def make_logdir(root: str, unit: str, layers: int, hidden: int) -> tuple[str, str]:
    """(logdir, run name): a one-step run and its analysis summaries over 300 validation characters."""
    from karpathy_rnn.analysis.extract import open_gate_model, trace_ids
    from karpathy_rnn.analysis.publish import write_summaries
    from karpathy_rnn.data.corpus import load_corpus
    from karpathy_rnn.training import TrainConfig
    from karpathy_rnn.training.trainer import Trainer

    logdir = os.path.join(root, "logdir")
    trainer = Trainer(TrainConfig(corpus="tiny_shakespeare", unit=unit, layers=layers, hidden=hidden, batch_size=10,
                                  unroll=20, epochs=1, max_steps=1, logdir=logdir, name="probed", sample_length=0,
                                  eval_every=1), log=lambda m: None, progress_bar=False)
    trainer.run()
    ids = load_corpus("tiny_shakespeare").scoring_ids("val")[:301]
    trace = trace_ids(open_gate_model(trainer.run_dir), ids, os.path.join(root, "trace"), lanes=1)
    write_summaries(trace, os.path.join(trainer.run_dir, "analysis", "val"), 1, None, None, 300)
    return logdir, "probed/analysis/val"


def client_for(logdir: str):
    """A test client of TensorBoard's WSGI app with the plugin over `logdir` (what `tensorboard --logdir` serves)."""
    from tensorboard.backend import application
    from tensorboard.backend.event_processing import (
        data_provider,
        plugin_event_multiplexer,
    )
    from tensorboard.plugins import base_plugin
    from werkzeug import test, wrappers

    from tb_plugin.plugin import KarpathyRNNPlugin

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
    plugin = KarpathyRNNPlugin(base_plugin.TBContext(logdir=logdir, data_provider=provider))
    return test.Client(application.TensorBoardWSGI([plugin]), wrappers.Response)


def timed(client, route: str, **params) -> float:
    started = time.perf_counter()
    response = client.get(f"{PREFIX}/{route}", query_string=params)
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{route} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    json.loads(response.get_data(as_text=True))
    return seconds


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--unit", default="lstm", choices=("lstm", "gru", "rnn"))
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--chars", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    from karpathy_rnn.data.corpus import load_corpus

    text = load_corpus("tiny_shakespeare").text("test")
    with tempfile.TemporaryDirectory(prefix="krnn-bench-probe-") as root:
        logdir, run = make_logdir(root, args.unit, args.layers, args.hidden)
        client = client_for(logdir)
        texts = [text[k * args.chars:(k + 1) * args.chars] for k in range(args.repeat + 1)]
        first = timed(client, "probe", run=run, text=texts[0])
        new = [timed(client, "probe", run=run, text=t) for t in texts[1:]]
        cells = [timed(client, "probe", run=run, text=texts[-1], cell=k + 1) for k in range(args.repeat)]
        positions = np.linspace(args.chars // 4, args.chars - 1, args.repeat + 1).astype(int)
        connect_first = timed(client, "probe_connectivity", run=run, text=texts[-1], position=int(positions[0]))
        connect = [timed(client, "probe_connectivity", run=run, text=texts[-1], position=int(q))
                   for q in positions[1:]]
    print(f"# {machine_line()}; {args.unit.upper()} {args.layers}x{args.hidden}, texts of {args.chars:,} characters, "
          f"median of {args.repeat}")
    print("| request | seconds |")
    print("|---|---:|")
    print(f"| first probe (model loaded, its step traced) | {first:.2f} |")
    print(f"| probe of a new text | {statistics.median(new):.3f} |")
    print(f"| another cell of the same text | {statistics.median(cells):.3f} |")
    print(f"| first connectivity (traced) | {connect_first:.2f} |")
    print(f"| connectivity of another position | {statistics.median(connect):.3f} (max {max(connect):.3f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
