"""KenLM built from source with order 21 (scripts/build_kenlm.py; .ci/run builds it before the tests): the
programs and the Python module both take a 21-gram model, and what is missing is said in one line."""

import os
import subprocess

import pytest

from karpathy_rnn.baselines import kenlm_build
from tests.training_helpers import error_line, run_script


@pytest.fixture
def built(monkeypatch):
    """The real build's paths (the cache .ci/run built into), or a skip outside CI where nobody built it."""
    real_cache = os.environ.get("KRNN_REAL_CACHE_DIR")
    if real_cache:
        monkeypatch.setenv("KRNN_CACHE_DIR", real_cache)
    else:
        monkeypatch.delenv("KRNN_CACHE_DIR")
    try:
        return kenlm_build.binaries(), kenlm_build.python_module()
    except kenlm_build.KenLMMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI builds KenLM before the tests: {missing}")
        pytest.skip(str(missing))


def test_lmplz_and_the_python_module_take_a_21_gram_model(built, tmp_path):
    """A 21-gram model of a toy text: lmplz writes it (KENLM_MAX_ORDER=21), build_binary packs it, and the
    kenlm module loads both (MAX_ORDER=21; the PyPI default of 6 refuses it)."""
    paths, kenlm = built
    text = tmp_path / "toy.txt"
    text.write_text(("a b c d e f g h i j k l m n o p q r s t u v w x y z\n" * 3 + "z y x w v u t s r q p o n\n") * 20)
    arpa = tmp_path / "toy.arpa"
    with open(text) as source, open(arpa, "w") as out:
        subprocess.run([paths["lmplz"], "-o", "21", "--discount_fallback", "-S", "100M"], stdin=source, stdout=out,
                       stderr=subprocess.DEVNULL, check=True)
    assert "\\21-grams:" in arpa.read_text()
    binary = tmp_path / "toy.binary"
    subprocess.run([paths["build_binary"], str(arpa), str(binary)], capture_output=True, check=True)
    for path in (arpa, binary):
        model = kenlm.Model(str(path))
        assert model.order == 21
        assert model.score("a b c d e", bos=True, eos=False) > model.score("a c b e d", bos=True, eos=False)


def test_not_built_names_the_command_that_builds_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KRNN_CACHE_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(kenlm_build.KenLMMissing, match="python scripts/build_kenlm.py"):
        kenlm_build.binaries()


def test_missing_build_tools_are_one_line_with_the_debian_packages(tmp_path):
    """No cmake or compiler on PATH: exit 2 and one line naming every Debian package to install."""
    done = run_script("build_kenlm.py", env={**os.environ, "PATH": str(tmp_path),
                                             "KRNN_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 2, done.stdout + done.stderr
    line = error_line(done)
    assert "cmake" in line and "sudo apt-get install" in line
    for package in kenlm_build.APT_PACKAGES.split():
        assert package in line
    assert run_script("build_kenlm.py", "--source", str(tmp_path / "nope")).returncode == 2


def test_a_second_build_waits_for_the_first_and_a_damaged_marker_means_not_built(tmp_path, monkeypatch):
    """Issue 32.8: two build_kenlm.py at once wrote the module into one folder together; the second now waits on
    the build folder's lock and then finds what the first built. A damaged module.json is not a traceback."""
    import threading
    import time

    from karpathy_rnn.atomic import FolderLock

    monkeypatch.setenv("KRNN_CACHE_DIR", str(tmp_path / "cache"))
    folder = kenlm_build.kenlm_dir()
    first = FolderLock(folder, "KenLM build")
    built_at = []
    monkeypatch.setattr(kenlm_build, "_build", lambda *args: built_at.append(time.monotonic()) or {})
    released = []
    threading.Timer(0.5, lambda: (released.append(time.monotonic()), first.release())).start()
    said = []
    kenlm_build.build(say=said.append)
    assert said == [f"waiting for another KenLM build (PID {os.getpid()}) writing {folder}"]
    assert released and built_at and built_at[0] >= released[0]
    marker = os.path.join(folder, kenlm_build.MODULE_MARKER)
    for damaged in ("", "{", "[1, 2]", '{"modules": "x"}', '{"modules": [3, "/a"]}'):
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write(damaged)
        assert kenlm_build._built_modules(marker) == (["/a"] if "/a" in damaged else [])
