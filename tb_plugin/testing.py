"""Start the real `tensorboard` command with this plugin, and Debian's headless Chromium to look at it: for the
tests, the benchmark and scripts/plugin_screenshots.py. Selenium (the [dev] extra) is imported only when needed."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import tempfile
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
def tensorboard(logdir: str, expect_runs: int = 0, load_fast: str = "auto", timeout: float = 120.0, ready=None,
                extra_args: tuple = ()):
    """Yields the base URL of `tensorboard --logdir logdir [extra_args]` once the plugin's runs route lists
    `expect_runs` runs and `ready(body)` holds (TensorBoard loads a logdir bit by bit). Its output goes to a temporary
    file, kept and named only when something failed."""
    command = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    port = free_port()
    log = tempfile.NamedTemporaryFile("w", prefix=f"tensorboard-{port}-", suffix=".log", delete=False)
    process = subprocess.Popen([command, "--logdir", logdir, "--port", str(port), "--host", "127.0.0.1",
                                "--load_fast", load_fast, "--reload_interval", "1", *extra_args],
                               stdout=log, stderr=subprocess.STDOUT)
    base, finished = f"http://127.0.0.1:{port}", False
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
        finished = True
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if finished:                                   # kept (and named in the error) only when something failed
            os.remove(log.name)


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"     # Debian's chromium, chromium-driver


def chromium_available() -> bool:
    """Whether Debian's Chromium and ChromeDriver are installed."""
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


def headless_chromium(width: int = 1280, height: int = 800):
    """A Selenium driver of Debian's headless Chromium with a width x height viewport and no network of its own."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"              # Selenium Manager must not look for a browser to download
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    return driver


def wait(driver, condition, timeout: float = 30):
    """condition(driver)'s first truthy value; elements not drawn yet or redrawn meanwhile are retried."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=(IndexError, StaleElementReferenceException)).until(
        lambda d: condition(d))


def css(driver, selector: str) -> list:
    """The elements matching a CSS selector (in the current frame)."""
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)
