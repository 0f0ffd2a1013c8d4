"""KenLM built from source with n-grams up to order 21 (paper section 4.3: "the popular KenLM software package"),
for the n-gram baselines: `lmplz` and `build_binary` into the user cache, and the `kenlm` Python module installed
into the running Python. The source is the PyPI sdist of `kenlm` (it carries the C++), or a local tree/archive.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile

from karpathy_rnn.atomic import FolderLock
from karpathy_rnn.data.download import download_file, print_progress
from karpathy_rnn.data.locate import cache_dir
from karpathy_rnn.errors import KRNNError

KENLM_VERSION = "0.3.0"
MAX_ORDER = 21            # the 20-gram baseline is an unpruned 21-gram model (section 4.3)
APT_PACKAGES = ("cmake g++ libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev "
                "zlib1g-dev libbz2-dev liblzma-dev libeigen3-dev")
BUILD_COMMAND = "python scripts/build_kenlm.py"
BIN_MARKER = "bin.json"          # written once lmplz and build_binary are in place
MODULE_MARKER = "module.json"    # the path of the kenlm module built for MAX_ORDER, per Python environment


class KenLMMissing(KRNNError):
    """KenLM's programs or Python module are not built (the message names the command that builds them)."""


def kenlm_dir() -> str:
    """Where the build lives: <cache>/kenlm/kenlm-<version>-order<MAX_ORDER>."""
    return os.path.join(cache_dir(), "kenlm", f"kenlm-{KENLM_VERSION}-order{MAX_ORDER}")


def binaries() -> dict[str, str]:
    """{"lmplz": path, "build_binary": path} of a finished build; KenLMMissing naming the build command if not."""
    folder = kenlm_dir()
    paths = {name: os.path.join(folder, "bin", name) for name in ("lmplz", "build_binary")}
    if not os.path.isfile(os.path.join(folder, BIN_MARKER)) or not all(os.access(p, os.X_OK) for p in paths.values()):
        raise KenLMMissing(f"KenLM (order {MAX_ORDER}) is not built in {folder}; build it with: {BUILD_COMMAND}")
    return paths


def python_module():
    """The `kenlm` module, checked to be this build (max order 21); KenLMMissing naming the build command if not."""
    try:
        import kenlm
    except ImportError:
        raise KenLMMissing(f"the kenlm Python module is not installed; build it with: {BUILD_COMMAND}") from None
    if os.path.realpath(kenlm.__file__) not in _built_modules(os.path.join(kenlm_dir(), MODULE_MARKER)):
        raise KenLMMissing(f"the installed kenlm module ({kenlm.__file__}) is not the order-{MAX_ORDER} build; "
                           f"rebuild it with: {BUILD_COMMAND}")
    return kenlm


def _built_modules(marker: str) -> list[str]:
    """The kenlm module paths module.json lists; none when it is missing or damaged (the build then redoes it)."""
    try:
        with open(marker, encoding="utf-8") as handle:
            modules = json.load(handle).get("modules", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [path for path in modules if isinstance(path, str)] if isinstance(modules, list) else []


def missing_tools() -> list[str]:
    """The build tools not on PATH (cmake, a C++ compiler)."""
    return [tool for tool in ("cmake", "c++") if shutil.which(tool) is None]


def fetch_sdist(folder: str) -> str:
    """The kenlm sdist from PyPI (its sha256 checked against PyPI's), into `folder`; returns its path."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen("https://pypi.org/pypi/kenlm/json", timeout=60) as response:
            release = json.load(response)["releases"][KENLM_VERSION]
        sdist = next(f for f in release if f["packagetype"] == "sdist")
    except (OSError, urllib.error.URLError, KeyError, StopIteration, ValueError) as error:
        raise KRNNError(f"cannot find the kenlm {KENLM_VERSION} sdist on PyPI ({error}); download it, or a KenLM "
                        f"source tree, and give it with --source") from None
    path = os.path.join(folder, sdist["filename"])
    if not os.path.isfile(path):
        download_file(sdist["url"], path, sdist["digests"]["sha256"], progress=print_progress("kenlm sdist"))
    return path


def unpack(source: str, folder: str) -> str:
    """The KenLM source tree: `source` itself if a folder, else the archive unpacked into `folder`."""
    if os.path.isdir(source):
        tree = source
    else:
        with tarfile.open(source) as archive:
            top = archive.getnames()[0].split("/")[0]
            archive.extractall(folder, filter="data")
        tree = os.path.join(folder, top)
    if not os.path.isfile(os.path.join(tree, "lm", "builder", "lmplz_main.cc")):
        raise KRNNError(f"{source} holds no KenLM source (lm/builder/lmplz_main.cc); give the kenlm sdist, a "
                        "KenLM source tree or its archive")
    return tree


def _run(command: list[str], log, what: str, **kwargs) -> None:
    """Run a build step, its output into the log file; KRNNError with the apt hint if it fails."""
    log.write(f"$ {' '.join(command)}\n")
    log.flush()
    done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, **kwargs)
    if done.returncode:
        raise KRNNError(f"{what} failed (log: {log.name}); on Debian install the build dependencies with: "
                        f"sudo apt-get install {APT_PACKAGES}")


def build(source: str | None = None, jobs: int | None = None, say=print) -> dict:
    """Build lmplz and build_binary (KENLM_MAX_ORDER=21) and install the kenlm module (MAX_ORDER=21) into this
    Python; each part only if it is not there yet. Returns {"bin": folder, "python_module": path}."""
    folder = kenlm_dir()
    with FolderLock(folder, "KenLM build", wait=True, say=say):   # one build at a time: a second waits, then
        return _build(folder, source, jobs, say)                      # finds what the first built


def _build(folder: str, source: str | None, jobs: int | None, say) -> dict:
    """build()'s work, holding the build folder's lock."""
    need_bin, need_module = _missing(binaries), _missing(python_module)
    if not (need_bin or need_module):
        say(f"KenLM order {MAX_ORDER} already built in {folder}")
        return {"bin": os.path.join(folder, "bin"), "python_module": python_module().__file__}
    if missing_tools():
        raise KRNNError(f"{' and '.join(missing_tools())} not found; on Debian install the build dependencies "
                        f"with: sudo apt-get install {APT_PACKAGES}")
    jobs = jobs or os.cpu_count() or 1
    with open(os.path.join(folder, "build.log"), "w", encoding="utf-8") as log:
        say("1/4 source: " + (source or f"the kenlm {KENLM_VERSION} sdist from PyPI"))
        archive = source or fetch_sdist(folder)
        tree = unpack(archive, os.path.join(folder, "src"))
        if need_bin:
            build_dir = os.path.join(folder, "build")
            os.makedirs(build_dir, exist_ok=True)
            say(f"2/4 cmake (KENLM_MAX_ORDER={MAX_ORDER})")
            _run(["cmake", tree, f"-DKENLM_MAX_ORDER={MAX_ORDER}", "-DCMAKE_BUILD_TYPE=Release"], log,
                 "configuring KenLM", cwd=build_dir)
            say(f"3/4 compiling lmplz and build_binary ({jobs} jobs; a few minutes)")
            _run(["cmake", "--build", ".", "--target", "lmplz", "build_binary", "-j", str(jobs)], log,
                 "compiling KenLM", cwd=build_dir)
            os.makedirs(os.path.join(folder, "bin"), exist_ok=True)
            for name in ("lmplz", "build_binary"):
                shutil.copy2(os.path.join(build_dir, "bin", name), os.path.join(folder, "bin", name))
            _write_json(os.path.join(folder, BIN_MARKER), {"version": KENLM_VERSION, "max_order": MAX_ORDER})
        if need_module:
            say(f"4/4 the kenlm Python module (MAX_ORDER={MAX_ORDER}) into {sys.prefix}")
            package = archive if not os.path.isdir(archive) else tree
            _run([sys.executable, "-m", "pip", "install", "--no-deps", "--force-reinstall", "--no-cache-dir",
                  package], log, "building the kenlm Python module", env={**os.environ, "MAX_ORDER": str(MAX_ORDER)})
            located = subprocess.run([sys.executable, "-c", "import kenlm, os; print(os.path.realpath(kenlm.__file__))"],
                                     capture_output=True, text=True, check=True).stdout.strip()
            marker = os.path.join(folder, MODULE_MARKER)
            modules = _built_modules(marker)
            _write_json(marker, {"max_order": MAX_ORDER, "modules": sorted(set(modules) | {located})})
    say(f"KenLM built: {folder}/bin (lmplz, build_binary) and the kenlm module for {sys.executable}")
    return {"bin": os.path.join(folder, "bin"), "python_module": located if need_module else
            python_module().__file__}


def _missing(check) -> bool:
    """Whether `check` (binaries or python_module) says KenLM is missing."""
    try:
        check()
        return False
    except KenLMMissing:
        return True


def _write_json(path: str, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
