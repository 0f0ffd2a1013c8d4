"""The shuffled-and-concatenated code corpora: Linux Kernel rebuild and python_stdlib."""

import random
import tarfile

import pytest

from karpathy_rnn.data.assemble import shuffled_names
from karpathy_rnn.data.linux_kernel import linux_kernel_corpus
from karpathy_rnn.data.python_stdlib import python_stdlib_corpus, stdlib_source_names
from karpathy_rnn.errors import CorpusNotFoundError, KRNNError

FILES = {f"kernel/f{i:02d}.c": f"/* file {i} */\nint f{i}(void) {{ return {i}; }}\n" for i in range(30)}
FILES.update({f"include/h{i}.h": f"#define H{i} {i}\n" for i in range(10)})


def make_tree(root):
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "kernel" / "latin1.c").write_bytes(b"/* caf\xe9 */\n")
    (root / "kernel" / "nul.h").write_bytes(b"int x;\x00\n")
    (root / "README").write_text("not a source file\n")
    (root / "include" / "link.h").symlink_to("h1.h")
    return root


def expected_text(limit):
    names = shuffled_names(list(FILES) + ["kernel/latin1.c", "kernel/nul.h"], seed=0)
    return "".join(FILES.get(n, "") for n in names)[:limit]


def test_shuffled_names_sorts_then_shuffles_with_seed():
    names = ["b", "a", "d", "c"]
    expected = sorted(names)
    random.Random(0).shuffle(expected)
    assert shuffled_names(names, 0) == expected == shuffled_names(reversed(names), 0)


def test_linux_corpus_from_tree_skips_and_counts_bad_files(tmp_path):
    root = make_tree(tmp_path / "linux")
    built = linux_kernel_corpus(root, limit=10_000)
    assert built.text == expected_text(10_000)
    assert built.files_skipped == 2 and built.files_used == len(FILES)


def test_linux_corpus_from_tarball_equals_tree_and_cuts_to_limit(tmp_path):
    root = make_tree(tmp_path / "linux-source")
    tarball = tmp_path / "linux.tar.xz"
    with tarfile.open(tarball, "w:xz") as tar:
        tar.add(root, arcname="linux-source-6.1")
    limit = len(expected_text(10_000)) // 2
    from_tar, from_tree = linux_kernel_corpus(tarball, limit=limit), linux_kernel_corpus(root, limit=limit)
    assert from_tar.text == from_tree.text == expected_text(limit)
    assert len(from_tar.text) == limit


def test_linux_corpus_bad_sources(tmp_path):
    with pytest.raises(CorpusNotFoundError, match="does not exist"):
        linux_kernel_corpus(tmp_path / "nope.tar.xz")
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(KRNNError, match="neither a folder nor a tar archive"):
        linux_kernel_corpus(tmp_path / "x.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(KRNNError, match="no readable .c or .h file"):
        linux_kernel_corpus(tmp_path / "empty")


def test_python_stdlib_corpus_follows_the_rule(tmp_path):
    lib = tmp_path / "lib"
    for name in ["os.py", "json/decoder.py", "site-packages/x.py", "test/test_os.py", "json/tool.py"]:
        (lib / name).parent.mkdir(parents=True, exist_ok=True)
        (lib / name).write_text(f"# {name}\n")
    assert sorted(stdlib_source_names(str(lib))) == ["json/decoder.py", "json/tool.py", "os.py"]
    built = python_stdlib_corpus(limit=1000, root=str(lib))
    assert built.text == "".join(f"# {n}\n" for n in shuffled_names(stdlib_source_names(str(lib)), 0))
    assert len(python_stdlib_corpus(limit=25, root=str(lib)).text) == 25
