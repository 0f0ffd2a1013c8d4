"""How fast the plugin's routes answer, through the real `tensorboard` server, for a 300,000-character test split.

    python benchmarks/bench_plugin.py                    # War and Peace's test split (synthetic activations)
    python benchmarks/bench_plugin.py --characters 50000 --units 64 --load-fast false

A second run holds what the analysis over training writes (train.py --analyze-every, analyze.py --checkpoints):
a 10,000-character probe text with c and h per layer, the cell ranking and the saturation at 10 steps; its rows
time colored_text and saturation at a step, and emergence. search times pattern search over the whole first run
(its activations piecewise constant, so cells switch on and off as trained ones do) for selections of 1 to 20
characters at spread offsets: on the state the colored_text rows showed (whose whole column the plugin reads in the
background once a page of it is served), on one no page showed (read after it, up to the plugin's PREFETCH_BYTES),
and first of all, on a run nothing has been read of (the first answer reads the whole state through the provider).

The logdir holds what `scripts/analyze.py --summary-chars N` writes for a 2-layer LSTM: the text, c and h per
layer [N, units] float16, the cell ranking, i/f/o saturation, plus an oracle breakdown. Each route is asked
--repeats times for a 10,000-character page (colored_text at offsets spread over the text): the table gives the
first answer (TensorBoard has just loaded the data; the plugin decodes and caches it) and the median and worst of
the rest, in milliseconds of wall time as the client sees it, over HTTP on loopback. With --browser (Debian's
chromium and chromium-driver installed), it also times Chromium from the request for the next page to the frame
after it is drawn (the view's User Timing measure).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_layers import machine_line  # noqa: E402


def split_text(characters: int) -> str:
    """The first `characters` of War and Peace's test split, or of a stand-in when the corpus is not here."""
    try:
        from karpathy_rnn.data.corpus import load_corpus
        text = load_corpus("war_and_peace").text("test")
    except Exception as error:                                    # noqa: BLE001 - any reason: fall back, and say so
        print(f"(War and Peace not available: {error}; using a stand-in text)")
        text = "The quick brown fox jumps over the lazy dog. \"Yes,\" said he.\n"
    return (text * (characters // max(len(text), 1) + 1))[:characters]


def write_logdir(root: str, characters: int, units: int) -> str:
    """A run like analyze.py's for a 2-layer LSTM with `units` cells, over `characters` characters."""
    import numpy as np
    import tensorflow as tf

    from karpathy_rnn import summary

    rng = np.random.default_rng(0)
    text = split_text(characters)
    path = os.path.join(root, "war_and_peace-lstm")
    with tf.summary.create_file_writer(path).as_default():
        summary.write_text(text, 1000, source="test")
        for index, layer in enumerate(("layer1", "layer2"), start=1):
            for name, transform in (("c", "tanh"), ("h", "none")):
                summary.write_activations(layer, name, piecewise_values(rng, characters, units), 1000, "lstm",
                                          (-1, 1), transform)
            for gate in "ifo":
                summary.write_saturation(layer, gate, rng.uniform(0, .5, units), rng.uniform(0, .5, units), 1000, "lstm", index)
        summary.write_cell_ranking({f"feature{k}": [{"layer": "layer1", "cell": k, "r": 0.5}] * 3 for k in range(11)},
                                   1000, "Pearson r", {})
        summary.write_oracle([{"name": f"slice {k}", "group": "n-gram", "errors": 1000} for k in range(20)],
                             characters, 1000, split="test")
    write_training_run(os.path.join(root, "war_and_peace-lstm-training"), text[:10_000], units, rng)
    write_largest_studies(root, text, rng)
    return root


LARGEST_TEXT = 2_000                  # a connectivity text at the schema's limit, 4 models (analyze.py connectivity
EMERGENCE_STEPS = 146                 # --length 2000), and the rankings of --analyze-every 100 over 14,600 steps


def write_largest_studies(root: str, text: str, rng) -> None:
    """The largest summaries the project's writers make that are not activations (issue 31.9): a 2,000-character
    4-model autocomplete connectivity text (8 M values) and an analysis over training of 146 steps x 11 features."""
    import tensorflow as tf

    from karpathy_rnn import summary

    studied = text[:LARGEST_TEXT]
    body = {"task": "autocomplete", "source": "test", "text": studied, "targets": [None] * len(studied),
            "models": [{"name": f"model {m}", "values": [rng.uniform(0, 1, j + 1).tolist() for j in range(len(studied))],
                        "suggestions": [[{"label": "the", "p": 0.5}, {"label": "and", "p": 0.25}]] * len(studied)}
                       for m in range(4)]}
    with tf.summary.create_file_writer(os.path.join(root, "war_and_peace-largest")).as_default():
        summary.write_connectivity(body, 1000, 0)
        features = [f"feature{f}" for f in range(11)]
        for k in range(EMERGENCE_STEPS):
            summary.write_cell_ranking({name: [{"layer": "layer2", "cell": f, "r": min(1.0, k / 146 + f / 100)}] * 3
                                        for f, name in enumerate(features)}, 100 * k, "Pearson r", {},
                                       snapshots=EMERGENCE_STEPS)


def piecewise_values(rng, characters: int, units: int):
    """values [characters, units] in (-1, 1), each unit constant over runs of 1 to 30 characters."""
    import numpy as np

    values = np.empty((characters, units), np.float32)
    for unit in range(units):
        lengths = rng.integers(1, 31, size=characters // 8 + 1)
        levels = np.tanh(rng.normal(size=len(lengths)) * 1.5)
        values[:, unit] = np.repeat(levels, lengths)[:characters]
    return values


TRAINING_STEPS = tuple(range(0, 2600, 260))     # 10 kept steps, as --analyze-every 260 keeps of 2,600


def write_training_run(path: str, text: str, units: int, rng) -> None:
    """What the analysis over training writes: at each of TRAINING_STEPS the probe text, c and h per layer, the cell
    ranking and the i/f/o saturation."""
    import tensorflow as tf

    from karpathy_rnn import summary

    with tf.summary.create_file_writer(path).as_default():
        for k, step in enumerate(TRAINING_STEPS):
            summary.write_text(text, step, source="val")
            for index, layer in enumerate(("layer1", "layer2"), start=1):
                for name, transform in (("c", "tanh"), ("h", "none")):
                    summary.write_activations(layer, name, piecewise_values(rng, len(text), units), step, "lstm",
                                              (-1, 1), transform)
                for gate in "ifo":
                    summary.write_saturation(layer, gate, rng.uniform(0, .5, units), rng.uniform(0, .5, units), step,
                                             "lstm", index)
            summary.write_cell_ranking({f"feature{f}": [{"layer": "layer2", "cell": f, "r": k / 10 - f / 20}] * 3
                                        for f in range(11)}, step, "Pearson r", {})


def loaded(body) -> bool:
    """Whether TensorBoard has read both runs whole (it loads a logdir bit by bit)."""
    runs = {run["run"]: run for run in body["runs"]}
    run, training = runs.get("war_and_peace-lstm"), runs.get("war_and_peace-lstm-training")
    largest = runs.get("war_and_peace-largest")
    if not (largest and largest["connectivity"] and largest["training"]
            and largest["training"]["steps"][-1] == 100 * (EMERGENCE_STEPS - 1)):
        return False
    return bool(run and training and run["text"] and len(run["activations"]) == 4 and run["oracle"]
                and run["cell_ranking"] and run["saturation"] and len(run["saturation"]["gates"]) == 3
                and training["training"] and len(training["training"]["steps"]) == len(TRAINING_STEPS)
                and len(training["saturation"]["steps"]) == len(TRAINING_STEPS)
                and len(training["text"]["steps"]) == len(TRAINING_STEPS))


def browser_pages(base: str, repeats: int) -> dict[int, list[float]]:
    """{page size: [ms from the request for the next page to the frame after it is drawn]} in Debian's headless
    Chromium, as the view's User Timing measure 'krnn-colored-text-page' gives them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from tb_plugin.testing import headless_chromium

    measures = "return performance.getEntriesByName('krnn-colored-text-page').map(e => e.duration)"
    driver = headless_chromium()
    drawn = {}
    try:
        driver.get(f"{base}/data/plugin_entry.html?name=karpathy_rnn")
        WebDriverWait(driver, 120).until(lambda d: d.execute_script(measures))
        for page in (5000, 10000, 20000):
            if page != 5000:                                   # 5,000 is the default; then back to the start
                for name, value in (("limit", page), ("offset", 0)):
                    before = len(driver.execute_script(measures))
                    if name == "limit":
                        Select(driver.find_element(By.CSS_SELECTOR, "select[name=limit]")).select_by_value(str(value))
                    else:
                        driver.execute_script("arguments[0].value = 0; arguments[0].dispatchEvent(new Event('change'))",
                                              driver.find_element(By.CSS_SELECTOR, "input[name=offset]"))
                    WebDriverWait(driver, 120).until(lambda d: len(d.execute_script(measures)) > before)
            for _ in range(min(repeats, 10)):
                before = len(driver.execute_script(measures))
                driver.find_element(By.CSS_SELECTOR, "button[data-action=next]").click()
                WebDriverWait(driver, 60, poll_frequency=0.05).until(lambda d: len(d.execute_script(measures)) > before)
            drawn[page] = driver.execute_script(measures)[-min(repeats, 10):]
    finally:
        driver.quit()
    return drawn


def timed_get(url: str) -> tuple[float, int]:
    """(milliseconds, bytes) of one GET, body read in full."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            size = len(response.read())
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{url} answered {error.code}: {error.read().decode()[:300]}") from None
    return 1000 * (time.perf_counter() - start), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--characters", type=int, default=300_000)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--page", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--browser", action="store_true", help="also time Debian's headless Chromium drawing pages")
    parser.add_argument("--load-fast", default="both", choices=["both", "auto", "false"],
                        help="TensorBoard's loader: auto (the Rust data server), false (the Python multiplexer)")
    args = parser.parse_args()

    from tb_plugin.testing import tensorboard

    loaders = ["auto", "false"] if args.load_fast == "both" else [args.load_fast]
    # TensorBoard keeps every step of this plugin's tags by default now (its loader); the runs here need 146
    print(f"machine: {machine_line()}; "
          f"{args.characters:,} characters, 2 layers x {args.units} units, pages of {args.page:,}")
    with tempfile.TemporaryDirectory() as scratch:
        logdir = write_logdir(os.path.join(scratch, "logdir"), args.characters, args.units)
        rows = []
        for loader in loaders:
            started = time.perf_counter()
            with tensorboard(logdir, expect_runs=2, load_fast=loader, timeout=600, ready=loaded) as base:
                ready = time.perf_counter() - started
                route = f"{base}/data/plugin/karpathy_rnn"
                offsets = [(k * 7919 * args.page) % max(args.characters - args.page, 1) for k in range(args.repeats + 1)]
                queries = {
                    "search (cold: nothing of the run read)": lambda k: f"{route}/search?" + urllib.parse.urlencode(
                        {"run": "war_and_peace-lstm", "layer": "layer1", "name": "c", "start": offsets[(k + 1) % len(offsets)],
                         "end": offsets[(k + 1) % len(offsets)] + 1 + k % 20, "threshold": 0.5}),
                    "runs": lambda k: f"{route}/runs",
                    "colored_text": lambda k: f"{route}/colored_text?" + urllib.parse.urlencode(
                        {"run": "war_and_peace-lstm", "layer": "layer2", "name": "c", "cell": k % args.units,
                         "offset": offsets[k], "limit": args.page}),
                    "cell_ranking": lambda k: f"{route}/cell_ranking?run=war_and_peace-lstm",
                    "saturation": lambda k: f"{route}/saturation?run=war_and_peace-lstm",
                    "oracle": lambda k: f"{route}/oracle?run=war_and_peace-lstm",
                    "index.js": lambda k: f"{route}/index.js",
                    "search": lambda k: f"{route}/search?" + urllib.parse.urlencode(
                        {"run": "war_and_peace-lstm", "layer": "layer2", "name": "c", "start": offsets[k],
                         "end": offsets[k] + 1 + k % 20, "threshold": 0.5}),
                    "search (a state no page showed)": lambda k: f"{route}/search?" + urllib.parse.urlencode(
                        {"run": "war_and_peace-lstm", "layer": "layer1", "name": "h", "start": offsets[k],
                         "end": offsets[k] + 1 + k % 20, "threshold": 0.5}),
                    "colored_text (over training)": lambda k: f"{route}/colored_text?" + urllib.parse.urlencode(
                        {"run": "war_and_peace-lstm-training", "layer": "layer2", "name": "c", "cell": k % args.units,
                         "step": TRAINING_STEPS[k % len(TRAINING_STEPS)], "limit": 10_000}),
                    "saturation (over training)": lambda k: f"{route}/saturation?" + urllib.parse.urlencode(
                        {"run": "war_and_peace-lstm-training", "step": TRAINING_STEPS[k % len(TRAINING_STEPS)]}),
                    "emergence": lambda k: f"{route}/emergence?run=war_and_peace-lstm-training",
                    "emergence (146 steps)": lambda k: f"{route}/emergence?run=war_and_peace-largest",
                    "connectivity (2,000 x 4 models)": lambda k: f"{route}/connectivity?run=war_and_peace-largest&index=0",
                    "connectivity (a character's rows)": lambda k: f"{route}/connectivity?" + urllib.parse.urlencode(
                        {"run": "war_and_peace-largest", "index": 0, "position": LARGEST_TEXT - 1 - 37 * k}),
                }
                for name, query in queries.items():
                    times, size = zip(*(timed_get(query(k)) for k in range(args.repeats + 1)))
                    rows.append((loader, name, times[0], statistics.median(times[1:]), max(times[1:]), size[-1]))
                if args.browser and loader == loaders[0]:
                    drawn = browser_pages(base, args.repeats)
            print(f"load_fast={loader}: TensorBoard served the run {ready:.1f} s after starting")
    if args.browser:
        print("\nChromium 1280x800, Next: request, JSON, spans, layout, up to the next frame (User Timing), ms:\n")
        print("| page | median ms | worst ms |")
        print("|---:|---:|---:|")
        for page, times in drawn.items():
            print(f"| {page:,} | {statistics.median(times):.0f} | {max(times):.0f} |")
    print()
    print("| loader | route | first ms | median ms | worst ms | bytes |")
    print("|---|---|---:|---:|---:|---:|")
    for loader, name, first, median, worst, size in rows:
        print(f"| {'Rust data server' if loader == 'auto' else 'Python multiplexer'} | {name} | {first:.1f} | "
              f"{median:.1f} | {worst:.1f} | {size:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
