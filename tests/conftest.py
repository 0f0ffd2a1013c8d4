"""Test set-up: real corpora from $KRNN_DATA_DIR (default ../shared/data), a private cache, no network."""

import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SHARED_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
SHARED_DATA = os.environ.get("KRNN_DATA_DIR") or DEFAULT_SHARED_DATA


# The files that take longest (pytest --durations, 2026-12-03: 320, 220, 250, 180, 120, 90 and 80 s), started first:
# under pytest-xdist (--dist loadfile) a worker then never ends the run alone on one of them.
SLOWEST_FIRST = ("test_readme.py", "test_corrupt_files.py", "test_train.py", "test_analyze_script.py",
                 "test_crash_safety.py", "test_autocomplete_script.py", "test_plugin_browser.py")


def pytest_configure(config):
    """Point KRNN_DATA_DIR at the shared corpora for every test (and the scripts they start); keep the collection
    order for pytest-xdist's scheduler (it would otherwise hand out the files with the most tests first, which
    leaves the one-test README walk-through for last)."""
    os.environ.setdefault("KRNN_DATA_DIR", SHARED_DATA)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    """SLOWEST_FIRST's files first (in that order), then the rest as collected."""
    rank = {name: position for position, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(os.path.basename(item.nodeid.split("::")[0]), len(rank)))


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
