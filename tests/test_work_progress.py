"""karpathy_rnn.progress: counted work shown as plain lines off a terminal, redrawn on one, at a recent rate."""

import io

from karpathy_rnn.progress import RATE_WINDOW_SECONDS, WorkProgress


class Clock:
    """A clock the test moves."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_a_plain_line_each_tenth_and_none_redrawn():
    """Issue 32.4: analyze.py piped wrote one 79 KB line of 2,548 '\\r' redraws."""
    stream, clock = io.StringIO(), Clock()
    progress = WorkProgress("tracing", stream=stream, clock=clock)
    for done in range(1, 2549):
        clock.now += 0.01
        progress.update(done, 2548)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and len(lines) == 10, lines
    assert [line.split()[1] for line in lines] == [f"{p:.1%}" for p in
                                                   (255 / 2548, 510 / 2548, 765 / 2548, 1020 / 2548, 1274 / 2548,
                                                    1529 / 2548, 1784 / 2548, 2039 / 2548, 2294 / 2548, 1.0)]


def test_the_rate_is_over_the_latest_work_not_since_the_start():
    """Issue 32.4: the rate was cumulative from the start ('41 chars/s' first, compilation included)."""
    stream, clock = io.StringIO(), Clock()
    progress = WorkProgress("tracing", stream=stream, clock=clock)
    progress.update(0, 100_000)
    assert progress.rate() is None
    clock.now = 30.0                                   # compilation: 30 s for the first 1,000 characters
    progress.update(1_000, 100_000)
    for second in range(1, 41):                        # then 2,000 characters a second
        clock.now = 30.0 + second
        progress.update(1_000 + 2_000 * second, 100_000)
    assert progress.rate() == 2_000.0                  # cumulative would say 81,000 / 70 s = 1,157
    assert clock.now - progress.samples[0][0] <= RATE_WINDOW_SECONDS + 1
    assert stream.getvalue().splitlines()[-1].endswith("(2,000 chars/s)")


def test_on_a_terminal_one_line_redrawn_and_ended():
    stream, clock = io.StringIO(), Clock()
    progress = WorkProgress("tracing", stream=stream, clock=clock, live=True)
    for done in range(1, 101):
        clock.now += 0.1
        progress.update(done, 100)
    text = stream.getvalue()
    assert text.startswith("\rtracing") and text.endswith("100.0% (10 chars/s)\033[K\n") and text.count("\n") == 1
    assert 30 <= text.count("\r") <= 51                # at most 4 redraws a second, the last always
