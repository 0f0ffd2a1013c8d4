"""n-gram baselines through the real KenLM (built by scripts/build_kenlm.py): the character encoding, scoring as one
stream, and log10 -> nats, checked against the ARPA file's own numbers with the back-off rule worked by hand."""

import math
import os

import numpy as np
import pytest

from karpathy_rnn.baselines import kenlm_build, ngram
from karpathy_rnn.errors import KRNNError

TRAIN = "the cat sat on the mat.\nthe dog sat on the log.\n" * 30 + "a hat, a bat; a rat!\n" * 10
TEST = "the rat sat on the hat.\n the bat"


@pytest.fixture
def kenlm_built(monkeypatch):
    """The real build (.ci/run builds it; elsewhere a skip if nobody did)."""
    monkeypatch.delenv("KRNN_CACHE_DIR")
    try:
        kenlm_build.binaries(), kenlm_build.python_module()
    except kenlm_build.KenLMMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI builds KenLM before the tests: {missing}")
        pytest.skip(str(missing))


def read_arpa(path):
    """{order: {tuple of tokens: (log10 p, log10 back-off)}} of an ARPA file."""
    grams, order = {}, None
    for line in open(path, encoding="ascii"):
        line = line.strip()
        if line.startswith("\\") and line.endswith("-grams:"):
            order = int(line[1:line.index("-")])
            grams[order] = {}
        elif order and line and not line.startswith("\\"):
            parts = line.split("\t")
            grams[order][tuple(parts[1].split())] = (float(parts[0]), float(parts[2]) if len(parts) > 2 else 0.0)
    return grams


def test_tokens_are_one_per_character_and_never_kenlm_words():
    assert ngram.tokens("a b\n") == "c61 c20 c62 ca"
    assert ngram.token("<") == "c3c" and all(ngram.token(c).isalnum() for c in " \t\r\n<>/")


def test_nats_turn_log10_probabilities_into_a_positive_loss_without_kenlm():
    """nats = -ln p = -log10 p * ln 10, in float64, by hand: p = 1, 0.1, 0.01, 0.5 and 10^-0.5 (never skipped)."""
    log10 = np.array([0.0, -1.0, -2.0, -0.30102999566398120, -0.5], np.float32)
    expected = [0.0, 2.302585092994046, 4.605170185988092, 0.6931471805599453, 1.151292546497023]
    loss = ngram.nats(log10)
    assert loss.dtype == np.float64 and loss.shape == (5,)
    np.testing.assert_allclose(loss, expected, rtol=1e-7)
    assert (loss[1:] > 0).all() and loss.mean() == pytest.approx(sum(expected) / 5, rel=1e-7)
    np.testing.assert_allclose(ngram.nats([-1.0, -3.0]), [2.302585092994046, 6.907755278982137], rtol=1e-12)


def test_a_2_gram_scores_each_character_by_the_back_off_rule_as_one_stream(kenlm_built, tmp_path):
    """n = 1 (a 2-gram): p(w | v) is the bigram's if the ARPA lists it, else back-off(v) * p(w); the first test
    character has no context (its unigram). Chunked scoring (3 characters at a time) equals one pass."""
    trained = ngram.train(TRAIN, 1, str(tmp_path / "m"))
    assert trained["order"] == 2 and os.path.isfile(trained["model"])
    grams = read_arpa(trained["arpa"])
    by_hand = []
    for t, character in enumerate(TEST):
        w = ngram.token(character)
        unigram, _ = grams[1].get((w,), grams[1][("<unk>",)])
        if t == 0:
            by_hand.append(unigram)
            continue
        v = ngram.token(TEST[t - 1])
        bigram = grams[2].get((v, w))
        by_hand.append(bigram[0] if bigram else grams[1].get((v,), (0, 0.0))[1] + unigram)
    for chunk in (3, 10_000):
        np.testing.assert_allclose(ngram.score(trained["model"], TEST, 2, chunk=chunk), by_hand, atol=2e-6)
    scores = ngram.score(trained["arpa"], TEST, 2)
    assert ngram.nats(scores)[0] == pytest.approx(-math.log(10 ** scores[0]))


def test_orders_out_of_range_and_a_model_of_another_order_are_one_line(kenlm_built, tmp_path):
    with pytest.raises(KRNNError, match="1 to 20 characters"):
        ngram.check_order(21)
    with pytest.raises(KRNNError, match="1 to 20"):
        ngram.check_order(0)
    trained = ngram.train(TRAIN, 2, str(tmp_path / "m3"))
    with pytest.raises(KRNNError, match="3-gram model, not 2-gram"):
        ngram.score(trained["model"], TEST, 2)


def test_ngram_script_prints_table_2s_row_and_writes_each_order(kenlm_built, tmp_path):
    import json

    from tests.training_helpers import error_line, run_script

    corpus = tmp_path / "toy.txt"
    corpus.write_text(TRAIN * 20)
    from karpathy_rnn.data.locate import cache_dir

    env = {**os.environ, "KRNN_CACHE_DIR": cache_dir()}          # where KenLM was built (the fixture found it)
    done = run_script("ngram.py", "--corpus", corpus, "--orders", "1-2", "--out", tmp_path / "out", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |")]
    assert len(rows) == 2 and "| - | - |" in rows[0]                     # no paper number for this text
    results = json.load(open(tmp_path / "out" / "toy" / "n2" / "results.json"))
    log10 = np.load(tmp_path / "out" / "toy" / "n2" / "test_log10.npy")
    assert results["order"] == 3 and results["test_loss_nats"] == pytest.approx(ngram.nats(log10).mean())
    from karpathy_rnn.analysis.longrange import trace_correct_probabilities
    from karpathy_rnn.analysis.trace import Trace

    trace = Trace(tmp_path / "out" / "toy" / "n2" / "trace_test")
    assert not trace.distributions and trace.meta["source"] == "KenLM 3-gram (n = 2)"
    np.testing.assert_allclose(trace_correct_probabilities(trace), 10 ** log10, rtol=1e-6)
    from karpathy_rnn.data.corpus import load_corpus

    assert trace.text == load_corpus(str(corpus)).text("test")
    with pytest.raises(KRNNError, match="holds only the probability of each character"):
        trace.probabilities
    for args, message in ((["--orders", "21"], "out of range: give 1 to 20"), (["--orders", "x-3"], "e.g. 1-9,20")):
        bad = run_script("ngram.py", "--corpus", corpus, *args, env=env)
        assert bad.returncode == 2 and message in error_line(bad)
    unbuilt = run_script("ngram.py", "--corpus", corpus, "--orders", "1",
                         env={**os.environ, "KRNN_CACHE_DIR": str(tmp_path / "no-kenlm")})
    assert unbuilt.returncode == 2 and "python scripts/build_kenlm.py" in error_line(unbuilt)


def test_paper_numbers_are_table_2s_for_both_kernel_files():
    from karpathy_rnn.baselines.paper import paper_ngram

    assert paper_ngram("war_and_peace", 20) == 1.195 and paper_ngram("linux_kernel", 1) == 2.702
    assert paper_ngram("linux_kernel_paper", 20) == 0.889 and paper_ngram("tiny_shakespeare", 1) is None
