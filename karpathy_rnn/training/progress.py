"""What a training run shows while it trains: where it is in the whole run, the loss, the speed and an ETA for the
whole run measured from this session's own steps (so it is right straight after --resume).

On a terminal the line is redrawn in place; anywhere else (a log file, a pipe, --no-progress) a plain line is
printed every `every` steps, so a log never fills with carriage returns and escape codes.
"""

from __future__ import annotations

import sys
from collections import deque

WARMUP_STEPS = 2                  # a session's first steps compile the step function: not timed
TIMED_STEPS = 50                  # the ETA uses the mean of this many latest step times
# Until two evaluations are timed (a session's first compiles the evaluation and the sampler, 3.2 s against
# 0.3-0.5 s later for the README's smoke run), one is estimated from the step time: the validation split read
# forward (about half a training step's work per character), the sample drawn one character at a time (about one
# time step of a training step each), and the saves.
FORWARD_SHARE = 0.5
SAVE_SECONDS = 0.1


def format_duration(seconds: float) -> str:
    """'1 h 05 min', '12 min', '40 s'."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def total_steps(epochs: int, steps_per_epoch: int, max_steps: int | None) -> int:
    """Training steps of the whole run: every epoch's, or --max-steps when that is fewer."""
    return min(epochs * steps_per_epoch, max_steps) if max_steps else epochs * steps_per_epoch


class TrainingProgress:
    """Reports each training step: live (a line redrawn on a terminal) or plain (a line every `every` steps)."""

    def __init__(self, log, total: int, steps_per_epoch: int, epochs: int, batch_characters: int, live: bool,
                 every: int, eval_every: int = 0, stream=None, evaluation_characters: int = 0, unroll: int = 1,
                 sample_length: int = 0):
        self.log, self.total, self.steps_per_epoch, self.epochs = log, total, steps_per_epoch, epochs
        self.eval_every = eval_every or steps_per_epoch      # evaluations come every eval_every steps
        self.evaluations: list[float] = []                   # seconds each evaluation (and its save) took
        self.evaluation_characters, self.unroll, self.sample_length = evaluation_characters, unroll, sample_length
        self.batch_characters, self.live, self.every = batch_characters, live, max(1, every)
        self.stream = stream or sys.stdout
        self.times: deque[float] = deque(maxlen=TIMED_STEPS)
        self.session_steps = 0
        self.estimated = False            # the "about ... to go" line is said once, when the speed is known
        self.mid_line = False

    def seconds_per_step(self) -> float | None:
        """Mean wall time of this session's latest steps (compilation excluded); None before any is timed."""
        return sum(self.times) / len(self.times) if self.times else None

    def seconds_per_evaluation(self) -> float | None:
        """Mean wall time of this session's evaluations after its first, or (fewer timed) the estimate from the
        step time; None before any step is timed."""
        if len(self.evaluations) >= 2:
            return sum(self.evaluations[1:]) / len(self.evaluations[1:])
        per_step = self.seconds_per_step()
        if per_step is None:
            return None
        forward_steps = FORWARD_SHARE * self.evaluation_characters / self.batch_characters
        return per_step * (forward_steps + self.sample_length / self.unroll) + SAVE_SECONDS

    def evaluations_left(self, global_step: int) -> int:
        """Evaluations still to come after `global_step`."""
        return max(self.total // self.eval_every - global_step // self.eval_every, 0)

    def eta(self, global_step: int) -> float | None:
        """Seconds until the run ends at this session's speed: its steps and its evaluations (estimated until
        two are timed)."""
        per_step = self.seconds_per_step()
        if per_step is None:
            return None
        return per_step * max(self.total - global_step, 0) + \
            self.seconds_per_evaluation() * self.evaluations_left(global_step)

    def evaluated(self, seconds: float) -> None:
        """Record how long an evaluation (with its checkpoint) took, for the ETA."""
        self.evaluations.append(seconds)

    def line(self, global_step: int, epoch: int, step_in_epoch: int, loss: float) -> str:
        """'epoch 3/50 step 120/353 · loss 1.5312 · 41.9 kchars/s · run 12.3% · ETA 1 h 05 min'."""
        per_step, eta = self.seconds_per_step(), self.eta(global_step)
        speed = f"{self.batch_characters / per_step / 1000:.1f} kchars/s" if per_step else "timing"
        return (f"epoch {epoch}/{self.epochs} step {step_in_epoch}/{self.steps_per_epoch} · loss {loss:.4f} · "
                f"{speed} · run {global_step / max(self.total, 1):.1%} · "
                f"ETA {format_duration(eta) if eta is not None else '…'}")

    def step(self, global_step: int, epoch: int, step_in_epoch: int, loss: float, seconds: float) -> None:
        """Report one finished step (1-based epoch and step within it; its wall time in seconds)."""
        self.session_steps += 1
        if self.session_steps > WARMUP_STEPS:
            self.times.append(seconds)
        if not self.estimated and len(self.times) >= 5:
            self.estimated = True
            evaluations = self.evaluations_left(global_step)
            self.say(f"about {format_duration(self.eta(global_step))} to go for the {self.total - global_step:,} "
                     f"remaining steps and {evaluations:,} evaluation{'s' * (evaluations != 1)} at this machine's "
                     f"speed ({self.batch_characters / self.seconds_per_step() / 1000:.1f} kchars/s, "
                     f"{self.seconds_per_evaluation():.1f} s an evaluation"
                     f"{' estimated' if len(self.evaluations) < 2 else ''})")
        text = self.line(global_step, epoch, step_in_epoch, loss)
        if self.live:
            self.stream.write("\r" + text + "\033[K")
            self.stream.flush()
            self.mid_line = True
        elif global_step % self.every == 0 or global_step == self.total:
            self.log(text)

    def end_line(self) -> None:
        """Finish the live line, so what comes next starts on its own line."""
        if self.mid_line:
            self.stream.write("\n")
            self.stream.flush()
            self.mid_line = False

    def say(self, message: str) -> None:
        """Log a message on its own line."""
        self.end_line()
        self.log(message)
