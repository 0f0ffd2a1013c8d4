"""Issue 16.5: every command of the README's bash blocks runs as written, in order, in a fresh folder that holds only
the repository's scripts and README (what a new clone has), on tiny settings appended to the training commands.

The blocks are read from README.md itself, so the test cannot drift from it. A command the test does not run is
in NOT_RUN with the reason, and the test fails if NOT_RUN names a command the README no longer has.
"""

import os
import shlex
import subprocess
import sys

import pytest

from tests.training_helpers import REPO

pytestmark = pytest.mark.slow   # real training runs, analyses and TensorBoard on War and Peace

# Commands not run here, by how they start, and why.
NOT_RUN = {
    "pip install": "installing is what .ci/run does before the tests, exactly as the README says",
    "python -m pytest": "the command running this test",
    "apt-get download linux-source-6.1": "downloads Debian's 140 MB kernel source (prepare_data's tests rebuild a "
                                         "small tree the same way)",
    "python scripts/prepare_data.py linux_kernel --source": "needs that download",
}
# Appended to a script's command line (argparse keeps the last value): small enough for a test, same run names.
TINY = {"train.py": ["--max-steps", "2", "--batch-size", "10", "--unroll", "20", "--sample-length", "0",
                     "--no-progress"],
        "autocomplete.py train": ["--max-steps", "2", "--epochs", "1", "--words", "64"],
        "analyze.py connectivity": ["--count", "2"],
        "analyze.py runs/emerging": ["--lanes", "16"],
        # the War and Peace test split (325,823 characters) in 16 lanes: 12 s a trace instead of 22 (issue 32's CI)
        "analyze.py runs/war_and_peace-lstm-2x128": ["--lanes", "16"],
        "analyze.py trace": ["--lanes", "16"],
        "analyze.py runs/quick": ["--lanes", "16"],
        "analyze.py runs/torch-tiny": ["--lanes", "16"],
        "train_torch_char_lm.py": ["--steps", "5", "--every", "5"]}


def readme_commands() -> list[tuple[int, str]]:
    """(line number, command) of every line of the README's ```bash blocks, comments dropped."""
    commands, inside = [], False
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.startswith("```"):
                inside = line.strip() == "```bash" if not inside else False
                continue
            if inside and line.strip():
                command = " ".join(shlex.quote(word) for word in shlex.split(line, comments=True))
                if command:
                    commands.append((number, command))
    return commands


def _run(words: list[str], folder, env) -> subprocess.CompletedProcess:
    script = os.path.basename(words[1])
    tiny = TINY.get(script, []) + TINY.get(f"{script} {words[2] if len(words) > 2 else ''}", [])
    return subprocess.run([sys.executable, *words[1:], *tiny], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=900)


def test_every_readme_command_runs_as_written_in_order(tmp_path, shared_data):
    from tb_plugin.testing import tensorboard
    folder = tmp_path / "clone"
    folder.mkdir()
    os.symlink(os.path.join(REPO, "scripts"), folder / "scripts")
    os.symlink(os.path.join(REPO, "benchmarks"), folder / "benchmarks")        # the README's PyTorch model
    (folder / "README.md").write_bytes(open(os.path.join(REPO, "README.md"), "rb").read())
    (folder / ".gitignore").write_bytes(open(os.path.join(REPO, ".gitignore"), "rb").read())
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    commands = readme_commands()
    skipped = {prefix for prefix in NOT_RUN if any(command.startswith(prefix) for _, command in commands)}
    assert skipped == set(NOT_RUN), f"NOT_RUN names commands the README no longer has: {set(NOT_RUN) - skipped}"
    ran = []
    for number, command in commands:
        if any(command.startswith(prefix) for prefix in NOT_RUN):
            continue
        words = shlex.split(command)
        if words[0] == "tensorboard":                    # a server: started, asked for the plugin's runs, stopped
            assert words[1:] == ["--logdir", "runs"], command
            with tensorboard(str(folder / "runs"), expect_runs=0):
                pass
        else:
            assert words[0] == "python" and words[1].startswith(("scripts/", "benchmarks/")), \
                f"README line {number}: {command}"
            done = _run(words, folder, env)
            assert done.returncode == 0, f"README line {number}: {command}\n{done.stderr[-3000:]}"
            assert not [line for line in done.stderr.splitlines() if line.startswith(("I0000", "W0000", "E0000"))]
        ran.append(number)
    assert len(ran) >= 12, ran
    assert (folder / "runs" / "war_and_peace-lstm-2x128" / "analysis" / "test" / "report.md").is_file()
    assert (folder / "runs" / "cell.html").is_file() and (folder / "exported" / "wp" / "saved_model.pb").is_file()
    # issue 32.5: what the commands write is what the clone ignores (cell.html and traces/ were left untracked)
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=folder, check=True,
                            capture_output=True, text=True).stdout.split("\n")
    assert sorted(line for line in status if line) == ["?? .gitignore", "?? README.md", "?? benchmarks", "?? scripts"], \
        status
    assert (folder / "runs" / "torch-tiny" / "analysis" / "test" / "report.md").is_file()      # issue 34.1


def test_the_readme_smoke_run_is_mostly_training_and_leaves_the_plateau():
    """Issue 32.3: the smoke run (`--corpus README.md --hidden 64 --max-steps 200`) made 40 evaluations of 5 steps
    each, which took longer than its 200 steps, and ended on the unigram plateau (loss 4.53 -> 3.34). Its plan:
    at least 500 updates (800 at batch 20 x 50 left the plateau: validation 2.34, ~30 s) and evaluations, at the
    ETA's own estimate in training steps, under a tenth of the training."""
    from karpathy_rnn.data.lanes import steps_per_epoch
    from karpathy_rnn.training.progress import FORWARD_SHARE
    from karpathy_rnn.training.trainer import load_training_corpus
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_script", os.path.join(REPO, "scripts", "train.py"))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    smoke = [shlex.split(command) for _, command in readme_commands() if "--corpus README.md" in command]
    assert len(smoke) == 1, smoke
    config = train.config_from_args(train.build_parser().parse_args(smoke[0][2:]))
    config.corpus = os.path.join(REPO, "README.md")
    corpus, _ = load_training_corpus(config, log=lambda message: None)
    per_epoch = steps_per_epoch(len(corpus.train), config.batch_size, config.unroll, config.seed)
    steps = min(config.max_steps, config.epochs * per_epoch)
    evaluations = steps // (config.eval_every or per_epoch)
    batch = config.batch_size * config.unroll
    evaluation_in_steps = FORWARD_SHARE * len(corpus.split_ids("val")) / batch + config.sample_length / config.unroll
    assert steps >= 500 and evaluations * evaluation_in_steps < steps / 10, (steps, evaluations, evaluation_in_steps)
