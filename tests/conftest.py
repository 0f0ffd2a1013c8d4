"""Test set-up: real corpora from $KRNN_DATA_DIR (default ../shared/data), a private cache, no network."""

import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SHARED_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
SHARED_DATA = os.environ.get("KRNN_DATA_DIR") or DEFAULT_SHARED_DATA


def pytest_configure(config):
    """Point KRNN_DATA_DIR at the shared corpora for every test (and the scripts they start)."""
    os.environ.setdefault("KRNN_DATA_DIR", SHARED_DATA)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test gets its own empty cache folder and no network downloads unless it asks."""
    cache = tmp_path / "krnn_cache"
    monkeypatch.setenv("KRNN_CACHE_DIR", str(cache))
    monkeypatch.setenv("KRNN_OFFLINE", "1")
    return cache


@pytest.fixture
def shared_data():
    """The folder holding the real corpora; in CI its absence is a failure, elsewhere a skip."""
    if not os.path.isfile(os.path.join(SHARED_DATA, "tiny_shakespeare.txt.gz")):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the shared corpora in {SHARED_DATA} (set KRNN_DATA_DIR)")
        pytest.skip(f"shared corpora not found in {SHARED_DATA}; set KRNN_DATA_DIR")
    return SHARED_DATA
