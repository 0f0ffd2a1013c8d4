"""A training run's settings (the paper's recipe, section 3.3, as defaults) and their checks, without TensorFlow."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from karpathy_rnn.errors import KRNNError
from karpathy_rnn.training.budget import BUDGETS

UNIT_NAMES = ("rnn", "lstm", "gru", "nlstm")
DISTRIBUTE = ("none", "mirrored")
# fp32: the paper's (and the default); bf16: Keras' mixed_bfloat16 policy (bfloat16 matrix products, float32
# weights, states, cell, softmax and loss)
PRECISIONS = ("fp32", "bf16")
KERAS_POLICY = {"fp32": "float32", "bf16": "mixed_bfloat16"}
DEFAULT_CORPUS = "war_and_peace"
FALLBACK_CORPUS = "python_stdlib"   # embedded: built from this Python, needs no file and no network
DEFAULT_HIDDEN = 128

# what a resumed run must share with the run it continues (the rest may change, e.g. a longer --max-steps)
RESUME_FIXED = ("unit", "layers", "hidden", "depth", "batch_size", "unroll", "seed", "dropout", "learning_rate",
                "rho", "decay", "decay_after", "clip", "precision")


@dataclass
class TrainConfig:
    """Every setting of a training run; defaults are the paper's (section 3.3)."""

    corpus: str | None = None          # name or path; None: War and Peace, else the embedded corpus
    unit: str = "lstm"
    layers: int = 2
    hidden: int | None = None          # None: from `budget`, else DEFAULT_HIDDEN
    budget: str | None = None          # "50k", "130k", "400k" or "1.3m"
    depth: int = 2                     # Nested LSTM depth
    batch_size: int = 100
    unroll: int = 100
    epochs: int = 50
    learning_rate: float = 2e-3
    rho: float = 0.95
    decay: float = 0.95                # multiply the learning rate by this each epoch after `decay_after`
    decay_after: int = 10
    clip: float = 5.0                  # clip each gradient element to [-clip, clip] (char-rnn's grad_clip); 0: off
    dropout: float = 0.0
    seed: int = 0
    logdir: str = "runs"
    name: str | None = None            # run directory name; None: <corpus>-<unit>-<layers>x<hidden>
    resume: bool = False
    xla: bool = True
    precision: str = "fp32"            # "bf16": Keras' mixed_bfloat16 policy (PRECISIONS)
    memory_check: bool = True          # refuse a run the machine's (or GPU's) free memory cannot hold
    max_steps: int | None = None
    eval_every: int = 0                # evaluate every N steps; 0: at each epoch's end
    patience: int = 5                  # stop after this many evaluations without a better validation loss; 0: never
    checkpoint_every: int = 100        # steps between checkpoints (also at each evaluation and on Ctrl-C)
    distribute: str = "none"
    sample_length: int = 300           # characters of the text sample logged at each evaluation
    log_every: int = 0                 # a plain progress line every N steps off a terminal; 0: ten per epoch
    data_dir: str | None = None
    split: str | None = None
    compare_nn: list[str] | None = None  # n-NN traces (or scripts/nn.py's folder) to compare with (Figure 5 right)
    compare_every: int = 0             # steps between comparisons; 0: 1/20 epoch
    compare_chars: int = 10_000        # the first characters of the test split compared on
    analyze_every: int = 0             # keep the weights every N steps (RUN/history) and analyse them after; 0: off
    analyze_split: str = "val"         # the split the analysis over training traces

    def to_dict(self) -> dict:
        """The settings as a JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Settings from `to_dict`'s output (unknown keys are ignored)."""
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in names})


def _integer(name: str, value, minimum: int, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (maximum and value > maximum):
        bound = f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"
        raise KRNNError(f"--{name.replace('_', '-')} must be {bound}, got {value!r}")


def _number(name: str, value, low: float, high: float, low_open=True, high_open=False) -> None:
    ok = isinstance(value, (int, float)) and math.isfinite(value) and (value > low if low_open else value >= low) \
        and (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise KRNNError(f"--{name.replace('_', '-')} must be a number in {interval}, got {value!r}")


def check_config(config: TrainConfig) -> TrainConfig:
    """Raise KRNNError naming the first bad setting and its fix; returns the config."""
    if config.unit not in UNIT_NAMES:
        raise KRNNError(f"unknown unit {config.unit!r}; use one of {', '.join(UNIT_NAMES)}")
    if config.budget is not None and config.budget not in BUDGETS:
        raise KRNNError(f"unknown budget {config.budget!r}; use one of {', '.join(BUDGETS)} (about 50K, 130K, "
                        "400K and 1.3M parameters)")
    if config.budget is not None and config.hidden is not None:
        raise KRNNError(f"give --hidden ({config.hidden}) or --budget ({config.budget}), not both")
    if config.precision not in PRECISIONS:
        raise KRNNError(f"unknown --precision {config.precision!r}; use one of {', '.join(PRECISIONS)} (bf16: "
                        "bfloat16 matrix products with float32 weights, states and loss)")
    if config.distribute not in DISTRIBUTE:
        raise KRNNError(f"unknown --distribute {config.distribute!r}; use one of {', '.join(DISTRIBUTE)}")
    _integer("layers", config.layers, 1, 3)
    if config.hidden is not None:
        _integer("hidden", config.hidden, 1)
    _integer("depth", config.depth, 2)
    for name in ("batch_size", "unroll", "epochs", "sample_length", "checkpoint_every"):
        _integer(name, getattr(config, name), 1 if name != "sample_length" else 0)
    for name in ("eval_every", "patience", "decay_after", "seed", "log_every", "compare_every", "analyze_every"):
        _integer(name, getattr(config, name), 0)
    if config.max_steps is not None:
        _integer("max_steps", config.max_steps, 1)
    _integer("compare_chars", config.compare_chars, 1)
    if config.analyze_split not in ("train", "val", "test"):
        raise KRNNError(f"--analyze-split {config.analyze_split!r} must be train, val or test")
    _number("learning_rate", config.learning_rate, 0, 1e38)
    _number("rho", config.rho, 0, 1, low_open=False, high_open=True)
    _number("decay", config.decay, 0, 1)
    _number("clip", config.clip, 0, math.inf, low_open=False, high_open=True)
    _number("dropout", config.dropout, 0, 1, low_open=False, high_open=True)
    if config.name is not None and (not config.name or "/" in config.name or config.name in (".", "..")):
        raise KRNNError(f"--name {config.name!r} must be a plain folder name (no '/')")
    if config.split is not None:
        from karpathy_rnn.data.splits import parse_split

        parse_split(config.split)               # before any corpus is looked for or downloaded
    return config


def learning_rate_at(config: TrainConfig, epoch: int) -> float:
    """The learning rate of 0-based `epoch`: constant for `decay_after` epochs, then x`decay` per epoch (char-rnn)."""
    return config.learning_rate * config.decay ** max(0, epoch + 1 - config.decay_after)
