import pytest

from karpathy_rnn.data import parse_split, split_boundaries
from karpathy_rnn.data.splits import format_split
from karpathy_rnn.errors import SplitError


def test_paper_splits_are_contiguous_floors():
    assert split_boundaries(1000, "80/10/10") == (800, 900)
    assert split_boundaries(1000, "90/5/5") == (900, 950)
    assert split_boundaries(3_258_225, "80/10/10") == (2_606_580, 2_932_402)
    assert split_boundaries(10, (95, 2.5, 2.5)) == (9, 9)


def test_format_split_round_trips():
    for spec in ("80/10/10", "95/2.5/2.5", "33.333333/33.333333/33.333334"):
        assert parse_split(format_split(spec)) == parse_split(spec)
    assert format_split((90, 5, 5)) == "90/5/5"


@pytest.mark.parametrize("bad, fragment", [
    ("80/10/5", "adds up to 95, not 100"),
    ("80/10", "three percentages"),
    ("a/b/c", "not a number"),
    ("110/-5/-5", "non-negative"),
    ("0/50/50", "train must be positive"),
])
def test_bad_splits_name_the_value(bad, fragment):
    with pytest.raises(SplitError) as err:
        parse_split(bad)
    assert fragment in str(err.value) and repr(bad) in str(err.value)
