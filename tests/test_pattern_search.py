"""Pattern search (analysis/pattern_search.py) against a hand-made case and a per-character Python reference."""

import numpy as np
import pytest

from karpathy_rnn.analysis.pattern_search import (MAX_SELECTION, RowBlocks, check_selection, find_matches, on_runs,
                                                  selected_cells)
from karpathy_rnn.errors import KRNNError


def _planted(text: str, word: str, cells=(1, 4), units: int = 6) -> np.ndarray:
    """values [len(text), units]: -0.3 everywhere, `cells` 0.9 on every occurrence of `word`, cell 5 0.8 on the
    first occurrence only (an extra cell on there)."""
    values = np.full((len(text), units), -0.3, np.float32)
    start = text.find(word)
    first = True
    while start >= 0:
        values[start:start + len(word), list(cells)] = 0.9
        if first:
            values[start:start + len(word), 5] = 0.8
            first = False
        start = text.find(word, start + 1)
    return values


TEXT = "Natasha said. Then Natasha left; Natashas came, and Nat stayed. Natasha!"


def test_selected_cells_are_on_over_the_span_and_off_just_before():
    values = _planted(TEXT, "Natasha")
    second = TEXT.index("Natasha", 1)
    assert selected_cells(values, second, second + 7, 0.5).tolist() == [1, 4]
    first = TEXT.index("Natasha")
    assert selected_cells(values, first, first + 7, 0.5).tolist() == [1, 4, 5]      # start 0: no "before" condition
    assert selected_cells(values, second + 1, second + 7, 0.5).tolist() == []        # on just before: not switching on
    assert selected_cells(values, second, second + 8, 0.5).tolist() == []            # the span runs past the word
    assert selected_cells(values, second, second + 7, 0.95).tolist() == []           # threshold above every value


def test_matches_are_the_other_occurrences_scored_by_cells_and_length():
    values = _planted(TEXT, "Natasha")
    second = TEXT.index("Natasha", 1)
    cells = selected_cells(values, second, second + 7, 0.5)
    matches, total = find_matches(values, cells, second, second + 7, 0.5)
    starts = [i for i in range(len(TEXT)) if TEXT.startswith("Natasha", i)]
    assert total == len(starts) - 1 and second not in [m.start for m in matches]
    by_start = {m.start: m for m in matches}
    assert set(by_start) == set(starts) - {second}
    assert by_start[starts[0]].score == pytest.approx(2 / 3) and by_start[starts[0]].cells_on == 3   # cell 5 extra
    assert by_start[starts[2]].score == pytest.approx(1.0) and by_start[starts[2]].end == starts[2] + 7
    assert [m.start for m in matches] == sorted(by_start, key=lambda s: (-by_start[s].score, s))     # best first
    assert find_matches(values, cells, second, second + 7, 0.5, limit=1)[0][0].score == pytest.approx(1.0)


def test_runs_much_shorter_or_longer_than_the_selection_are_not_matches():
    values = np.full((40, 2), -1.0, np.float32)
    values[2:6, 0] = values[10:12, 0] = values[20:30, 0] = values[33:35, 0] = 1.0   # lengths 4, 2, 10, 2
    matches, total = find_matches(values, np.array([0]), 2, 6, 0.5)
    assert total == 2 and {(m.start, m.end) for m in matches} == {(10, 12), (33, 35)}   # 2 = half of 4: kept
    matches, total = find_matches(values, np.array([0]), 10, 12, 0.5)              # selection 2: lengths 1..4 kept
    assert total == 2 and {(m.start, m.end) for m in matches} == {(2, 6), (33, 35)}
    assert find_matches(values, np.array([], np.int64), 2, 6, 0.5) == ([], 0)


def _reference(values, cells, start, end, threshold):
    """[(start, end, score, cells switching on)] by a loop over characters in float64."""
    values = values.astype(np.float64)
    length, found, t = end - start, [], 0
    while t < len(values):
        if all(values[t, c] >= threshold for c in cells):
            s = t
            while t < len(values) and all(values[t, c] >= threshold for c in cells):
                t += 1
            size = t - s
            if length / 2 <= size <= 2 * length and not (s < end and t > start):
                switching = {k for k in range(values.shape[1]) if all(values[u, k] >= threshold for u in range(s, t))
                             and (s == 0 or values[s - 1, k] < threshold)}
                jaccard = len(switching & set(cells)) / len(switching | set(cells))
                found.append((s, t, jaccard * min(size, length) / max(size, length), len(switching)))
        else:
            t += 1
    return sorted(found, key=lambda m: (-m[2], m[0]))


def _uneven_blocks(values: np.ndarray, rng) -> RowBlocks:
    """values cut at random places into blocks of 1 to 700 rows (as a summary's blocks, but uneven)."""
    cuts = np.unique(np.concatenate([[0], np.cumsum(rng.integers(1, 700, size=len(values))), [len(values)]]))
    cuts = cuts[cuts <= len(values)]
    return RowBlocks([values[a:b] for a, b in zip(cuts[:-1], cuts[1:])])


@pytest.mark.parametrize("held", ["array", "blocks"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_equal_a_per_character_reference_on_random_states(seed, held):
    """The same answer whether the values are one array or a summary's blocks (the plugin's, never concatenated)."""
    rng = np.random.default_rng(seed)
    values = np.where(rng.random((3000, 16)) < 0.7, 0.8, -0.5).astype(np.float16)   # long on-runs
    values[:, 3] = np.repeat(rng.random(300) < 0.5, 10) * 1.6 - 0.8
    start = int(np.flatnonzero((values[1:, 3] > 0) & (values[:-1, 3] < 0))[0]) + 1
    dropped = rng.random(3000) < 0.05                            # cell 7: cell 3 with holes, so both are selected
    dropped[start:start + 6] = False                             # and the runs where both are on differ from 3's
    values[:, 7] = np.where(dropped, -0.5, values[:, 3])
    searched = values if held == "array" else _uneven_blocks(values, rng)
    cells = selected_cells(searched, start, start + 6, 0.5)
    assert 3 in cells.tolist() and len(cells) >= 2               # several cells: the narrowing is exercised
    matches, total = find_matches(searched, cells, start, start + 6, 0.5, limit=100)
    expected = _reference(values, cells.tolist(), start, start + 6, 0.5)
    assert total == len(expected) > 5
    assert [(m.start, m.end, m.cells_on) for m in matches] == [(s, e, on) for s, e, _, on in expected[:100]]
    assert [m.score for m in matches] == pytest.approx([score for _, _, score, _ in expected[:100]])


def test_row_blocks_take_rows_across_blocks_as_one_array_would():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(1000, 5)).astype(np.float16)
    blocks = _uneven_blocks(values, rng)
    assert len(blocks) == 1000 and blocks.units == 5 and len(blocks.pieces) > 2
    rows = np.unique(rng.integers(0, 1000, size=300))
    np.testing.assert_array_equal(blocks.take(rows), values[rows].astype(np.float32))
    np.testing.assert_array_equal(blocks.take(rows, 2), values[rows, 2].astype(np.float32))
    np.testing.assert_array_equal(blocks.take(np.arange(1000), 4), values[:, 4].astype(np.float32))
    with pytest.raises(KRNNError, match="one units count"):
        RowBlocks([values[:10], values[10:20, :3]])


def test_a_threshold_between_float16_steps_is_compared_in_float32():
    """0.50005 lies between two float16 values: 0.5 (off) and 0.5005 (on); rounding the threshold to float16 (0.5)
    would turn the 0.5 rows on."""
    values = np.array([[0.5005], [0.5005], [0.5], [0.5005], [0.5005], [0.5]], np.float16)
    matches, total = find_matches(values, np.array([0]), 0, 2, 0.50005)
    assert total == 1 and (matches[0].start, matches[0].end) == (3, 5)


def test_on_runs_finds_maximal_runs_at_both_ends():
    starts, ends = on_runs(np.array([1, 1, 0, 1, 0, 0, 1], bool))
    assert starts.tolist() == [0, 3, 6] and ends.tolist() == [2, 4, 7]


@pytest.mark.parametrize("start, end, fragment", [
    (5, 5, "is empty: select 1 to 2,000 characters"),
    (0, MAX_SELECTION + 1, "has 2,001 characters; select at most 2,000"),
    (90, 101, "outside the text's 100 characters"),
])
def test_bad_selections_get_one_clear_line(start, end, fragment):
    with pytest.raises(KRNNError, match=fragment):
        check_selection(start, end, 100)


def test_a_selection_of_exactly_max_selection_characters_is_accepted_and_one_more_refused():
    """Both sides of each bound: 1 and MAX_SELECTION characters pass, 0 (or reversed) and MAX_SELECTION + 1 do not;
    a selection ending at the text's end passes, one past it does not; a negative start does not."""
    check_selection(0, MAX_SELECTION, MAX_SELECTION)
    check_selection(7, 7 + MAX_SELECTION, 7 + MAX_SELECTION)
    check_selection(5, 6, 100)
    check_selection(0, 100, 100)
    for start, end, length, fragment in ((7, 8 + MAX_SELECTION, 9 + MAX_SELECTION, "has 2,001 characters"),
                                         (5, 5, 100, "is empty"), (5, 4, 100, "is empty"),
                                         (0, 101, 100, "outside the text's 100 characters"),
                                         (-1, 3, 100, "outside the text's 100 characters")):
        with pytest.raises(KRNNError, match=fragment):
            check_selection(start, end, length)
    values = np.full((MAX_SELECTION + 1, 2), -1.0, np.float32)
    values[1:, 0] = 1.0
    assert selected_cells(values, 1, MAX_SELECTION + 1, 0.5).tolist() == [0]       # exactly the maximum: searched
    with pytest.raises(KRNNError, match="select at most 2,000"):
        selected_cells(values, 0, MAX_SELECTION + 1, 0.5)


def test_a_value_exactly_at_the_threshold_is_on():
    """On is >= threshold, off is < threshold, at exactly 0.5 (a float16 and float32 value): in the selection, at the
    character before it, in a match and before a match."""
    below = float(np.nextafter(np.float16(0.5), np.float16(0)))       # the float16 just below 0.5 (also a float32)
    values = np.zeros((10, 4), np.float32)
    values[1:4, 0] = values[6:9, 0] = 0.5            # cell 0: exactly at the threshold over both runs
    values[1:4, 1] = values[6:9, 1] = 0.5            # cell 1: the same (two cells: the narrowing reads cell 1)
    values[0:4, 2] = 0.5                             # cell 2: already on before the selection: not selected
    values[5:9, 3] = 0.5                             # cell 3: on just before the match and through it
    values[1:4, 3] = [0.5, below, 0.5]               # and dips just below the threshold inside the selection
    assert selected_cells(values, 1, 4, 0.5).tolist() == [0, 1]
    assert selected_cells(values.astype(np.float16), 1, 4, 0.5).tolist() == [0, 1]
    assert selected_cells(values, 1, 4, float(np.nextafter(np.float32(0.5), np.float32(1)))).tolist() == []
    matches, total = find_matches(values, np.array([0, 1]), 1, 4, 0.5)
    assert total == 1 and (matches[0].start, matches[0].end) == (6, 9)
    assert matches[0].score == 1.0 and matches[0].cells_on == 2          # cell 3 was on before the run: not its own


def test_runs_of_an_odd_selection_match_from_half_rounded_up_to_twice():
    """A 5-character selection: runs of 3 to 10 characters match (2 * 3 >= 5), 2 and 11 do not."""
    values = np.full((60, 1), -1.0, np.float32)
    for a, b in ((0, 5), (8, 10), (12, 15), (18, 28), (30, 41)):              # lengths 5 (selected), 2, 3, 10, 11
        values[a:b, 0] = 1.0
    matches, total = find_matches(values, np.array([0]), 0, 5, 0.5)
    assert total == 2 and sorted((m.start, m.end) for m in matches) == [(12, 15), (18, 28)]
