"""Section 4.4's oracles on hand-made texts whose breakdown is known by reading them."""

from collections import Counter

import numpy as np
import pytest

from karpathy_rnn.analysis import oracles
from karpathy_rnn.analysis.oracles import breakdown, extra_errors, find_words, peel


def _probabilities(text, wrong, value=0.1):
    """p(correct) 0.9 everywhere but `value` at the positions in `wrong`."""
    correct = np.full(len(text), 0.9)
    correct[list(wrong)] = value
    return correct


def _no_ngram(text):
    return np.zeros((9, len(text)))


def _removed_by(result, name):
    return np.flatnonzero(next(s for s in result.slices if s.name == name).removed).tolist()


def test_words_are_runs_of_letters_and_digits_with_inner_apostrophes():
    text = "Jon couldn't hear 'Mary', 42 times_over."
    words = find_words(text)
    assert words.strings(text) == ["Jon", "couldn't", "hear", "Mary", "42", "times", "over"]
    assert words.word_of[text.index("'Mary") ] == -1          # the quote is not part of the word
    mary = text.index("Mary")
    assert words.word_of[mary:mary + 4].tolist() == [3] * 4
    assert words.place[mary:mary + 4].tolist() == [0, 1, 2, 3]
    assert words.place[text.index("n't") + 1] == 6             # the apostrophe is inside "couldn't"
    assert find_words("").starts.shape == (0,) and find_words("...").word_of.tolist() == [-1, -1, -1]


def test_ngram_oracle_removes_errors_some_ngram_gets_above_one_half():
    text = "abcdefgh"
    correct = _probabilities(text, range(8))
    ngram = np.zeros((9, 8))
    ngram[0, 1] = 0.51            # the 1-gram gets b right
    ngram[8, 2] = 0.9             # the 9-gram gets c right
    ngram[4, 3] = 0.5             # exactly one half is not "greater than 0.5"
    result = breakdown(text, correct, ngram, Counter(), memories=(), rare=(), boosts=())
    assert _removed_by(result, "n-gram") == [1, 2]


def test_memory_oracle_removes_a_repeated_word_from_its_second_character_within_n():
    filler = "x " * 300                                        # 600 characters of one-letter words
    text = "Mary met Mary. " + filler + "Mary"
    second, third = text.index("Mary", 1), text.rindex("Mary")
    wrong = list(range(second, second + 4)) + list(range(third, third + 4))
    result = breakdown(text, _probabilities(text, wrong), _no_ngram(text), Counter({"Mary": 9, "x": 9, "met": 9}),
                       rare=(), boosts=())
    assert _removed_by(result, "100-memory") == [second + 1, second + 2, second + 3]   # "Mary" 9 characters back
    assert _removed_by(result, "500-memory") == []
    assert _removed_by(result, "1000-memory") == [third + 1, third + 2, third + 3]     # 606 characters back
    assert second in _removed_by(result, "after space") and third in _removed_by(result, "after space")


def test_memory_oracle_counts_a_substring_of_another_word_and_not_the_word_itself():
    text = "Maryland. Mary"
    start = text.rindex("Mary")
    result = breakdown(text, _probabilities(text, range(start, start + 4)), _no_ngram(text), Counter({"Mary": 9}),
                       rare=(), boosts=())
    assert _removed_by(result, "100-memory") == [start + 1, start + 2, start + 3]
    alone = "Mary"
    result = breakdown(alone, _probabilities(alone, range(4)), _no_ngram(alone), Counter({"Mary": 9}), rare=(),
                       boosts=())
    assert _removed_by(result, "100-memory") == []            # a word does not remember itself


def test_rare_words_oracle_by_training_count():
    text = "the Pierre Natasha ox"
    counts = Counter({"the": 100, "Natasha": 3, "ox": 6})      # Pierre: never in training
    wrong = [text.index(w) + 1 for w in ("the", "Pierre", "Natasha", "ox")]
    result = breakdown(text, _probabilities(text, wrong), _no_ngram(text), counts, memories=(), boosts=())
    assert _removed_by(result, "word 0-train") == [wrong[1]]
    assert _removed_by(result, "word 3-train") == [wrong[2]]
    assert all(_removed_by(result, f"word {t}-train") == [] for t in (1, 2, 4, 5))
    assert _removed_by(result, "remaining") == [wrong[0], wrong[3]]   # "the" (100) and "ox" (6) are not rare


def test_word_model_oracle_after_space_quote_newline_and_punctuation():
    text = 'a b\n"c, d\r\ne.'
    wrong = range(1, len(text))                               # every character but the first
    counts = Counter({w: 9 for w in "abcde"})
    result = breakdown(text, _probabilities(text, wrong), _no_ngram(text), counts, memories=(), boosts=())
    assert _removed_by(result, "after space") == [2, 8]        # b, d
    assert _removed_by(result, "after quote") == [5]           # c
    assert _removed_by(result, "after newline") == [4, 10, 11] # the quote, \n after \r, e
    assert _removed_by(result, "punctuation") == [6, 12]       # the comma and the full stop
    assert _removed_by(result, "remaining") == [1, 3, 7, 9]    # the spaces and the line ends themselves


def test_boost_oracles_raise_the_correct_probability_by_fixed_steps():
    text = "abcdef"
    correct = np.array([0.45, 0.35, 0.25, 0.15, 0.05, 0.0])
    result = breakdown(text, correct, _no_ngram(text), Counter({"abcdef": 9}), memories=(), rare=())
    assert [_removed_by(result, f"boost {b:g}") for b in oracles.BOOSTS] == [[0], [1], [2], [3], [4, 5]]
    assert "remaining" not in result.counts()


def test_each_error_goes_to_the_first_oracle_that_removes_it_and_the_slices_add_up():
    text = "Mary met Mary, said she."
    second = text.rindex("Mary")
    correct = _probabilities(text, range(len(text)), 0.3)      # every character an error at p = 0.3
    ngram = np.zeros((9, len(text)))
    ngram[3, second + 2] = 0.8                                 # the n-gram oracle comes first: r is an n-gram error
    result = breakdown(text, correct, ngram, Counter({"Mary": 0, "met": 5, "said": 9, "she": 9}))
    assert _removed_by(result, "n-gram") == [second + 2]
    assert _removed_by(result, "100-memory") == [second + 1, second + 3]                  # before rare words
    assert _removed_by(result, "word 0-train") == [0, 1, 2, 3, second]                    # the first Mary, the second's M
    assert _removed_by(result, "word 5-train") == [5, 6, 7]
    assert sum(result.counts().values()) == result.total == len(text)
    removed = np.stack([s.removed for s in result.slices])
    assert (removed.sum(axis=0) == result.errors).all()        # each error in exactly one slice
    assert list(result.counts()) == (["n-gram", "100-memory", "500-memory", "1000-memory", "5000-memory"]
                                     + [f"word {t}-train" for t in range(6)]
                                     + ["after space", "after quote", "after newline", "punctuation"]
                                     + [f"boost {b:g}" for b in oracles.BOOSTS])


def test_peel_keeps_what_no_oracle_removes_as_remaining():
    correct = np.array([0.1, 0.9, 0.2, 0.7])
    result = peel(correct, [("first", "n-gram", np.array([True, True, False, False]), None)])
    assert result.counts() == {"first": 1, "remaining": 1}


def test_extra_errors_of_the_small_model_per_slice():
    text = "abcd"
    masks = [("n-gram", "n-gram", np.array([True, True, False, False]), None),
             ("boost 0.5", "boost", np.ones(4, bool), None)]
    large = peel(np.array([0.1, 0.9, 0.9, 0.1]), masks)
    small = peel(np.array([0.1, 0.1, 0.1, 0.1]), masks)
    rows = extra_errors(large, small)
    assert [(r["name"], r["large"], r["small"], r["extra"]) for r in rows] == [("n-gram", 1, 2, 1),
                                                                               ("boost 0.5", 1, 2, 1)]
    assert len(text) == 4


def test_examples_highlight_the_slice_errors_and_mark_the_repeat():
    text = "He saw Kutuzov. Then Kutuzov left."
    second = text.rindex("Kutuzov")
    wrong = range(second + 1, second + 7)
    result = breakdown(text, _probabilities(text, wrong), _no_ngram(text), Counter({"Kutuzov": 9}), rare=(),
                       boosts=())
    examples = oracles.examples(text, result, count=2)["100-memory"]
    assert examples
    for example in examples:
        (fragment,) = example["fragments"]
        assert text[fragment["start"]:fragment["start"] + len(fragment["text"])] == fragment["text"]
        highlighted = "".join(fragment["text"][o] for o in fragment["errors"])
        assert highlighted == "utuzov"
        assert [fragment["text"][a:b] for a, b in fragment["repeat"]] == ["Kutuzov", "Kutuzov"]
        assert fragment["start"] + fragment["repeat"][1][0] == second


def test_far_memory_examples_come_in_two_fragments():
    text = "Bolkonski. " + "y " * 400 + "Bolkonski"
    second = text.rindex("Bolkonski")
    result = breakdown(text, _probabilities(text, range(second + 1, second + 9)), _no_ngram(text),
                       Counter({"Bolkonski": 9, "y": 9}), rare=(), boosts=())
    (example,) = oracles.examples(text, result, count=1)["1000-memory"]
    first, last = example["fragments"]
    assert first["start"] + len(first["text"]) <= last["start"]
    assert [first["text"][a:b] for a, b in first["repeat"]] == ["Bolkonski"]
    assert [last["text"][a:b] for a, b in last["repeat"]] == ["Bolkonski"]
    assert "".join(last["text"][o] for o in last["errors"]) == "olkonski"


def test_probabilities_must_match_the_text():
    with pytest.raises(Exception, match="3 probabilities for a text of 4"):
        breakdown("abcd", np.zeros(3), np.zeros((9, 4)), Counter())


def test_an_error_is_below_one_half_and_exactly_one_half_is_not():
    """Section 4.4: an error is p(correct) < 0.5, tested at 0.5 and on either side of it."""
    text = "abcdef"                                                # one word: no word-model or punctuation oracle
    below, above = np.nextafter(0.5, 0.0), np.nextafter(0.5, 1.0)
    correct = np.array([0.5, below, above, 0.4999, 0.5001, 0.9])
    result = breakdown(text, correct, _no_ngram(text), Counter(), memories=(), rare=(), boosts=())
    assert result.errors.tolist() == [False, True, False, True, False, False]
    assert result.total == 2 and result.counts()["remaining"] == 2
    assert peel(np.array([0.5, 0.5, below]), []).counts() == {"remaining": 1}


def test_ngram_oracle_at_exactly_one_half_and_on_either_side():
    """"Greater than 0.5": 0.5 itself does not fix an error, the next float above it does, just below does not."""
    text = "abcdef"
    correct = _probabilities(text, range(6))
    ngram = np.zeros((9, 6))
    ngram[0, :] = [0.5, np.nextafter(0.5, 1.0), np.nextafter(0.5, 0.0), 0.5001, 0.4999, 0.0]
    ngram[8, 5] = 0.5                                           # exactly one half in the 9-gram too
    result = breakdown(text, correct, ngram, Counter(), memories=(), rare=(), boosts=())
    assert _removed_by(result, "n-gram") == [1, 3]


def test_boost_oracles_at_exactly_one_half_minus_b_and_on_either_side():
    """Boost b removes the errors with p >= 0.5 - b: at exactly 0.5 - b (p + b == 0.5 in float64) and just above it
    boost b removes the error, just below it the next boost does (and nothing below 0 exists for b = 0.5)."""
    exact = [0.4, 0.3, 0.2, 0.1, 0.0]                          # 0.5 - b, b = 0.1 .. 0.5, written by hand
    assert [p + b for p, b in zip(exact, oracles.BOOSTS)] == [0.5] * 5
    correct = np.array(exact + [p + 1e-9 for p in exact] + [p - 1e-9 for p in exact[:4]])
    text = "x" * len(correct)
    result = breakdown(text, correct, _no_ngram(text), Counter({text: 9}), memories=(), rare=())
    assert [_removed_by(result, f"boost {b:g}") for b in oracles.BOOSTS] == [
        [0, 5], [1, 6, 10], [2, 7, 11], [3, 8, 12], [4, 9, 13]]
    assert "remaining" not in result.counts()


def test_memory_oracle_at_exactly_n_characters_back_and_one_more():
    """A repeat exactly n characters back is "within the n characters before the word"; n + 1 back is not."""
    at_ten = "Mary xxxx Mary"                                   # the second "Mary" starts 10 after the first
    at_eleven = "Mary xxxxx Mary"                               # 11 after
    for text, distance in ((at_ten, 10), (at_eleven, 11)):
        second = text.rindex("Mary")
        assert second == distance
        wrong = range(second + 1, second + 4)
        one = breakdown(text, _probabilities(text, wrong), _no_ngram(text), Counter(), memories=(10,), rare=(),
                        boosts=())
        assert _removed_by(one, "10-memory") == (list(wrong) if distance == 10 else [])
        two = breakdown(text, _probabilities(text, wrong), _no_ngram(text), Counter(), memories=(10, 11), rare=(),
                        boosts=())
        assert _removed_by(two, "10-memory") == (list(wrong) if distance == 10 else [])
        assert _removed_by(two, "11-memory") == ([] if distance == 10 else list(wrong))


# issue 32.13: the readings of the dynamic n-memory oracle (--memory-match)

def _memory(result):
    """{n-memory slice name: the positions it removed} of a breakdown."""
    return {s.name: np.flatnonzero(s.removed).tolist() for s in result.slices if s.group == "memory"}


def _read(text, wrong, memory_match, memories):
    return breakdown(text, _probabilities(text, wrong), _no_ngram(text), Counter(), memories=memories, rare=(),
                     boosts=(), memory_match=memory_match)


def test_memory_match_readings_differ_on_a_word_inside_another_and_a_short_word():
    """"Mary" 114 characters after a whole "Mary" and 9 after "Maryland"; "the" (3 letters) 8 after "the"."""
    text = "Mary " + "x " * 50 + "Maryland Mary the cat the"
    mary, the = text.rindex("Mary"), text.rindex("the")
    assert (mary - text.index("Maryland"), mary - text.index("Mary"), the - text.index("the")) == (9, 114, 8)
    mary_later, the_later = [mary + 1, mary + 2, mary + 3], [the + 1, the + 2]
    wrong = [mary] + mary_later + [the] + the_later               # the first letters are no memory errors
    by_hand = {"substring": {"10-memory": mary_later + the_later, "100-memory": [], "120-memory": []},
               "word": {"10-memory": the_later, "100-memory": [], "120-memory": mary_later},
               "word4": {"10-memory": [], "100-memory": [], "120-memory": mary_later}}   # "Mary" has 4: it counts
    for memory_match, expected in by_hand.items():
        result = _read(text, wrong, memory_match, (10, 100, 120))
        assert _memory(result) == expected, memory_match
        assert result.memory_match == memory_match
    # the repeat each reading remembers, as the examples mark it: "Maryland"'s start, or the first "Mary"
    for memory_match, name, source in (("substring", "10-memory", "Maryland"), ("word", "120-memory", "Mary")):
        (example,) = oracles.examples(text, _read(text, mary_later, memory_match, (10, 100, 120)), 1)[name]
        starts = [f["start"] + a for f in example["fragments"] for a, _ in f["repeat"]]
        assert starts == [text.index(source), mary], memory_match


def test_memory_match_word_is_the_nearest_whole_word_and_not_itself():
    text = "Mary xxxx Mary xxxx Mary"                            # three "Mary"s 10 apart
    third = text.rindex("Mary")
    wrong = [third + 1, third + 2, third + 3]
    for memory_match in ("word", "word4"):
        assert _memory(_read(text, wrong, memory_match, (10,))) == {"10-memory": wrong}    # the second, not the first
        assert _memory(_read("Mary", [1, 2, 3], memory_match, (10,))) == {"10-memory": []}
        assert _memory(_read("Mary mary", [6, 7, 8], memory_match, (10,))) == {"10-memory": []}  # case-sensitive


def test_memory_match_counts_words_of_four_or_more_characters():
    for word, counted in (("the", False), ("Mary", True), ("Natasha", True), ("it's", True), ("ox", False)):
        text = f"{word} {word}"
        second = len(word) + 1
        wrong = list(range(second + 1, second + len(word)))
        assert _memory(_read(text, wrong, "word", (10,))) == {"10-memory": wrong}, word
        assert _memory(_read(text, wrong, "word4", (10,))) == {"10-memory": wrong if counted else []}, word


@pytest.mark.parametrize("memory_match", oracles.MEMORY_MATCHES)
def test_each_memory_match_at_exactly_n_characters_back_and_one_more(memory_match):
    """Every reading: an earlier occurrence starting exactly n characters back counts, n + 1 back does not."""
    for text, distance in (("Mary xxxx Mary", 10), ("Mary xxxxx Mary", 11)):
        second = text.rindex("Mary")
        assert second == distance
        wrong = [second + 1, second + 2, second + 3]
        assert _memory(_read(text, wrong, memory_match, (10,))) == {"10-memory": wrong if distance == 10 else []}
        assert _memory(_read(text, wrong, memory_match, (10, 11))) == {
            "10-memory": wrong if distance == 10 else [], "11-memory": [] if distance == 10 else wrong}


def _mixed_case():
    """Two thousand words of a small vocabulary, some inside others ("Mary" in "Maryland", "cat" in "catalogue"),
    every third character an error; Python's random, so the same text whatever the NumPy."""
    import random

    rng = random.Random(5)
    vocab = ["Mary", "Maryland", "the", "then", "he", "she", "cat", "catalogue", "Jon", "couldn't", "ox", "boxes"]
    text = "".join(rng.choice(vocab) + rng.choice([" ", ", ", ".\n", " '"]) for _ in range(2000))
    return text, np.where(np.arange(len(text)) % 3 == 0, 0.1, 0.9)


def _memory_by_brute_force(text, correct, memories, memory_match):
    """Each n-memory oracle's fixes, written out from the module docstring with plain Python loops."""
    words = [(m.start(), m.end(), m.group()) for m in oracles.WORD.finditer(text)]
    fixed = {n: [] for n in memories}
    for i, (start, end, word) in enumerate(words):
        for n in memories:
            if memory_match == "substring":
                remembered = word in text[max(0, start - n):start]
            else:
                remembered = any(w == word and s >= start - n for s, _, w in words[max(0, i - n):i])   # n words back
                remembered &= memory_match == "word" or len(word) >= 4
            if remembered:
                fixed[n] += [t for t in range(start + 1, end) if correct[t] < 0.5]
    taken, slices = set(), {}
    for n in memories:                                            # peeled: each error by the shortest memory
        slices[f"{n}-memory"] = sorted(set(fixed[n]) - taken)
        taken |= set(fixed[n])
    return slices


def test_default_memory_match_is_the_substring_reading_unchanged():
    """The default is the reading before --memory-match existed: the same breakdown as memory_match="substring",
    the counts the code gave then on this text (written down before the change), and a brute-force reference."""
    text, correct = _mixed_case()
    memories = (10, 30, 100)
    default = breakdown(text, correct, _no_ngram(text), Counter(), memories=memories, rare=(), boosts=())
    assert default.memory_match == oracles.MEMORY_MATCH == "substring"
    assert len(text) == 12633 and default.counts() == {
        "n-gram": 0, "10-memory": 248, "30-memory": 619, "100-memory": 993, "after space": 526, "after quote": 172,
        "after newline": 173, "punctuation": 334, "remaining": 1146}
    substring = breakdown(text, correct, _no_ngram(text), Counter(), memories=memories, rare=(), boosts=(),
                          memory_match="substring")
    for a, b in zip(default.slices, substring.slices):
        assert a.name == b.name and (a.removed == b.removed).all()
        assert (a.repeat_distance is None) == (b.repeat_distance is None)
        assert a.repeat_distance is None or (a.repeat_distance == b.repeat_distance).all()
    assert oracles.examples(text, default) == oracles.examples(text, substring)


@pytest.mark.parametrize("memory_match", oracles.MEMORY_MATCHES)
def test_each_memory_match_agrees_with_brute_force_on_a_mixed_text(memory_match):
    text, correct = _mixed_case()
    memories = (10, 30, 100)
    result = breakdown(text, correct, _no_ngram(text), Counter(), memories=memories, rare=(), boosts=(),
                       memory_match=memory_match)
    assert _memory(result) == _memory_by_brute_force(text, correct, memories, memory_match)
    fixed = {m: set().union(*_memory(breakdown(text, correct, _no_ngram(text), Counter(), memories=memories,
                                               rare=(), boosts=(), memory_match=m)).values())
             for m in oracles.MEMORY_MATCHES}
    assert fixed["word4"] < fixed["word"] < fixed["substring"]    # each reading narrower than the one before


def test_an_unknown_memory_match_is_refused():
    with pytest.raises(Exception, match="'words' is not one of substring, word, word4"):
        breakdown("Mary Mary", np.zeros(9), np.zeros((9, 9)), Counter(), memory_match="words")


def test_the_reading_is_recorded_in_the_numbers_and_the_report(tmp_path):
    import json

    from karpathy_rnn.analysis import publish_oracles

    text = "Mary met Mary."
    results = {f"model {m}": breakdown(text, _probabilities(text, [10, 11]), _no_ngram(text), Counter(),
                                       memory_match=m) for m in ("word4", "substring")}
    results["by hand"] = peel(_probabilities(text, [10, 11]), [])
    examples = {name: oracles.examples(text, result) for name, result in results.items()}
    publish_oracles.write_numbers(str(tmp_path), results, examples, None)
    models = json.load(open(tmp_path / "oracles.json"))["models"]
    assert {name: body["memory_match"] for name, body in models.items()} == {
        "model word4": "word4", "model substring": "substring", "by hand": None}
    report = publish_oracles.report_section(results, None, [])
    assert "read as `--memory-match word4`: errors in a word from its second character on go when the same whole " \
           "word of 4 or more characters occurs earlier" in report
    assert "read as `--memory-match substring`" in report and "no --memory-match reading" in report


def test_the_command_offers_each_reading_and_defaults_to_the_module_s():
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "analyze.py")
    spec = importlib.util.spec_from_file_location("analyze_script", path)
    analyze = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(analyze)
    action = next(a for a in analyze._parser()._subparsers._group_actions[0].choices["oracles"]._actions
                  if a.dest == "memory_match")
    assert tuple(action.choices) == oracles.MEMORY_MATCHES and action.default == oracles.MEMORY_MATCH
