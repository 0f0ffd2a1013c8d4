"""Keep TensorFlow's C++ start-up lines out of the scripts' output, unless the user asks for them.

Importing TensorFlow writes eight or so lines to stderr (oneDNN, CUDA stubs, CPU features; twice) from its C++
libraries before their logging is set up, so TF_CPP_MIN_LOG_LEVEL does not hold them back; the first op can add a
`cuInit` error on machines without a GPU driver. A script's own `error:` line must be the only line, so
`quiet_tensorflow()` (run by karpathy_rnn.cli.run_script before anything imports TensorFlow) sets
TF_CPP_MIN_LOG_LEVEL=3 and, around TensorFlow's own import, points file descriptor 2 at a temporary file: the
start-up lines are dropped, anything else written meanwhile is passed on. A user who sets TF_CPP_MIN_LOG_LEVEL
sees everything, as without this module.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import re
import sys
import tempfile

# What TensorFlow's C++ libraries write while they load: absl's note, glog-style lines, the CPU-feature advice.
STARTUP_LINE = re.compile(rb"^(WARNING: All log messages before absl::InitializeLog\(\)|[IWE]\d{4} \d\d:\d\d:"
                          rb"|To enable the following instructions:)")


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's loader, with stderr captured while its package runs; start-up lines dropped, the rest kept."""

    def __init__(self, loader, finder):
        self.loader, self.finder = loader, finder

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        sys.stderr.flush()
        saved = os.dup(2)
        with tempfile.TemporaryFile() as captured:
            os.dup2(captured.fileno(), 2)
            try:
                self.loader.exec_module(module)
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
                captured.seek(0)
                kept = [line for line in captured.read().splitlines(keepends=True) if not STARTUP_LINE.match(line)]
                if kept:
                    sys.stderr.flush()
                    os.write(2, b"".join(kept))

    def __getattr__(self, name):                      # is_package, get_resource_reader, ... as the real loader
        return getattr(self.loader, name)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` as usual and gives it a _QuietLoader; gone once TensorFlow has been imported (a look-up
    that imports nothing, `importlib.util.find_spec("tensorflow")`, leaves it waiting)."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "tensorflow":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader, self)
        return spec


def quiet_tensorflow() -> None:
    """Hide TensorFlow's C++ start-up and log lines in this process unless TF_CPP_MIN_LOG_LEVEL is set."""
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if not any(isinstance(finder, _QuietTensorFlowImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowImport())
