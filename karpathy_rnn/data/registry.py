"""The known corpora: their paper splits, checksums and public sources."""

from __future__ import annotations

from dataclasses import dataclass

from karpathy_rnn.errors import UnknownCorpusError

# Paper section 4 ("Datasets"): War and Peace 80/10/10, Linux Kernel 90/5/5, both contiguous.
LINUX_KERNEL_CHARACTERS = 6_206_996  # paper section 4: "the 6,206,996 character long dataset"
PYTHON_STDLIB_CHARACTERS = 3_000_000  # our choice: about the size of War and Peace
TEXT8_CHARACTERS = 100_000_000        # http://mattmahoney.net/dc/textdata.html: "the first 10^8 bytes" (cleaned)
TEXT8_ZIP_BYTES = 31_344_016          # the published text8.zip (as TensorFlow's word2vec tutorial checks it)


@dataclass(frozen=True)
class CorpusSpec:
    """A named corpus: file stem, paper split, sha256 of its text and where to get it."""

    name: str
    description: str
    split: str
    sha256: str | None = None
    characters: int | None = None
    url: str | None = None
    how_to_get: str = ""
    embedded: bool = False
    file_bytes: int | None = None      # the file's size, checked on download where no sha256 is known
    archive_member: str | None = None  # the url is a zip archive holding the text as this member

    @property
    def filenames(self) -> tuple[str, ...]:
        """File names looked for in each data folder, in order."""
        return (f"{self.name}.txt.gz", f"{self.name}.txt")


CORPORA: dict[str, CorpusSpec] = {
    spec.name: spec
    for spec in (
        CorpusSpec(
            name="war_and_peace",
            description="Tolstoy's War and Peace, char-rnn's warpeace_input.txt (CRLF line endings)",
            split="80/10/10",
            sha256="038977d04ea857a9d933ff4ed7046c55a827049572e1d8c1ba55cba687772123",
            characters=3_258_225,
            url="https://cs.stanford.edu/people/karpathy/char-rnn/warpeace_input.txt",
            how_to_get="the char-rnn project's warpeace_input.txt (Project Gutenberg ebook 2600 "
                       "is another edition with a different checksum)",
        ),
        CorpusSpec(
            name="linux_kernel",
            description="Linux 6.1 .c/.h sources, shuffled with seed 0 and concatenated "
                        "(paper section 4)",
            split="90/5/5",
            sha256="cf9fadb4a1ebded7b88ef6d22bf44d595f9530805453c62e398933a7617af045",
            characters=LINUX_KERNEL_CHARACTERS,
            how_to_get="rebuild it from a kernel source tree or tarball (Debian: apt-get install "
                       "linux-source-6.1) with: python scripts/prepare_data.py linux_kernel "
                       "--source /usr/src/linux-source-6.1.tar.xz",
        ),
        CorpusSpec(
            name="linux_kernel_paper",
            description="the paper's own Linux Kernel file: char-rnn's linux_input.txt, published beside "
                        "warpeace_input.txt",
            split="90/5/5",
            file_bytes=LINUX_KERNEL_CHARACTERS,   # public reports: 6,206,993 characters, about 100 distinct
            url="https://cs.stanford.edu/people/karpathy/char-rnn/linux_input.txt",
            how_to_get="the char-rnn project's linux_input.txt (6,206,996 bytes; no sha256 is published, so a "
                       "download is checked by its size only); offline, use linux_kernel (the Linux 6.1 rebuild)",
        ),
        CorpusSpec(
            name="tiny_shakespeare",
            description="char-rnn's data/tinyshakespeare/input.txt",
            split="90/5/5",
            sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            characters=1_115_394,
            url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            how_to_get="the char-rnn project's data/tinyshakespeare/input.txt",
        ),
        CorpusSpec(
            name="text8",
            description="text8: the first 10^8 characters of an English Wikipedia dump (2006-03-03) normalised by "
                        "Mahoney's wikifil.pl to a-z and spaces; the autocomplete task of Distill 2019 is built on it",
            split="90/5/5",
            characters=TEXT8_CHARACTERS,
            file_bytes=TEXT8_ZIP_BYTES,       # no sha256 is published: the zip's size is checked, then the text's
            url="http://mattmahoney.net/dc/text8.zip",
            archive_member="text8",
            how_to_get="Matt Mahoney's http://mattmahoney.net/dc/text8.zip (31,344,016 bytes; its member 'text8', "
                       "100,000,000 characters, unzipped to text8.txt)",
        ),
        CorpusSpec(
            name="python_stdlib",
            description=f"the running Python's standard library .py sources, shuffled with seed 0, "
                        f"concatenated, cut to {PYTHON_STDLIB_CHARACTERS:,} characters",
            split="90/5/5",
            characters=PYTHON_STDLIB_CHARACTERS,
            how_to_get="built from this Python installation; needs no file or network",
            embedded=True,
        ),
    )
}


def corpus_spec(name: str) -> CorpusSpec:
    """The spec of a known corpus; raises UnknownCorpusError naming the known ones."""
    try:
        return CORPORA[name]
    except KeyError:
        raise UnknownCorpusError(
            f"unknown corpus {name!r}: not a file and not one of {', '.join(CORPORA)}; "
            f"give a known name or the path of a UTF-8 text file") from None
