"""Start the real `tensorboard` command on a free port for tests and benchmarks, and wait until it serves the plugin."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str, timeout: float = 30.0):
    """GET url -> (status, parsed JSON)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextlib.contextmanager
def tensorboard(logdir: str, expect_runs: int = 0, load_fast: str = "auto", timeout: float = 120.0, ready=None):
    """Yields the base URL of `tensorboard --logdir logdir` once the plugin's runs route lists `expect_runs` runs
    and `ready(body)` holds (TensorBoard loads a logdir bit by bit)."""
    command = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    port = free_port()
    log = open(os.path.join(logdir, os.pardir, f"tensorboard-{port}.log"), "w")
    process = subprocess.Popen([command, "--logdir", logdir, "--port", str(port), "--host", "127.0.0.1",
                                "--load_fast", load_fast, "--reload_interval", "1"],
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"tensorboard exited with {process.returncode}; see {log.name}")
            try:
                status, body = get_json(f"{base}/data/plugin/karpathy_rnn/runs", timeout=5)
                if status == 200 and len(body["runs"]) >= expect_runs and (ready is None or ready(body)):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"tensorboard did not serve {expect_runs} runs in {timeout:.0f} s; see {log.name}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
