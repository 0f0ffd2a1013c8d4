"""benchmarks/mutations.py stays runnable: every planted bug still finds its original text once, and names a test
file that exists and holds the -k selector's words (in test names or parameters; the suite itself is not run here)."""

import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import mutations  # noqa: E402


def test_every_planted_bug_still_applies_to_the_code_and_names_existing_tests():
    problems = []
    for path, old, new, spec in mutations.MUTANTS:
        tests, k = spec.split("::", 1) if "::" in spec else ("tests/test_layers_conformance.py", spec)
        source = open(os.path.join(REPO, path), encoding="utf-8").read()
        if source.count(old) != 1 or old == new:
            problems.append(f"{path}: original text found {source.count(old)} times: {old[:60]!r}")
        if not os.path.isfile(os.path.join(REPO, tests)):
            problems.append(f"{spec}: no such test file")
            continue
        text = open(os.path.join(REPO, tests), encoding="utf-8").read()
        words = [w for w in re.split(r"\W+", k) if w and w not in ("and", "or", "not")]
        if not all(w in text for w in words):
            problems.append(f"{spec}: the test file never mentions {words}")
    assert problems == [], "\n".join(problems)
