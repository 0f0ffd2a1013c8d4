"""setup.py ships what the installed package needs: every plugin file under tb_plugin/static."""

import fnmatch
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _setup_arguments() -> dict:
    """The keyword arguments setup.py passes to setuptools.setup (setup.py run with setup() intercepted)."""
    import setuptools

    captured, original, cwd = {}, setuptools.setup, os.getcwd()
    setuptools.setup = lambda **kwargs: captured.update(kwargs)
    os.chdir(REPO)                                 # setup.py reads README.md beside it
    try:
        source = open(os.path.join(REPO, "setup.py"), encoding="utf-8").read()
        exec(compile(source, "setup.py", "exec"), {"__name__": "__main__", "__file__": os.path.join(REPO, "setup.py")})
    finally:
        setuptools.setup = original
        os.chdir(cwd)
    return captured


def test_package_data_ships_every_plugin_static_file():
    """An installed plugin without static/views/*.js shows an empty tab: each file must match a package_data glob."""
    patterns = _setup_arguments()["package_data"]["tb_plugin"]
    static = os.path.join(REPO, "tb_plugin")
    shipped_kinds = (".js", ".css", ".html")
    files = [os.path.relpath(os.path.join(root, name), static).replace(os.sep, "/")
             for root, _, names in os.walk(os.path.join(static, "static")) for name in names
             if name.endswith(shipped_kinds)]
    assert any(f.startswith("static/views/") for f in files)
    missing = [f for f in files if not any(fnmatch.fnmatchcase(f, p) and f.count("/") == p.count("/")
                                           for p in patterns)]
    assert not missing, f"not in setup.py's package_data: {missing}"


def test_the_plugin_entry_point_names_the_plugin_class():
    """`tensorboard --logdir runs` finds the plugin through this entry point."""
    import importlib

    entry = _setup_arguments()["entry_points"]["tensorboard_plugins"][0]
    name, target = (part.strip() for part in entry.split("="))
    module, attribute = target.split(":")
    assert name == "karpathy_rnn" and hasattr(importlib.import_module(module), attribute)
