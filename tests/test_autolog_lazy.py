"""``gx.autolog()`` imports no library: it patches scikit-learn, XGBoost and LightGBM when the script
imports them (post-import hooks), and the hooked modules look exactly as they would without gx."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gx
from gx.autolog import import_hooks
from gx.errors import GxWarning

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_autolog_imports_no_library_and_patches_each_once_the_script_imports_it(repo):
    pytest.importorskip("xgboost")
    script = textwrap.dedent("""
        import sys, time
        import gx
        t = time.perf_counter()
        gx.autolog()
        print(f"{time.perf_counter() - t:.3f}")
        print(sorted(m for m in ("sklearn", "xgboost", "lightgbm") if m in sys.modules))
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        import xgboost
        X = np.arange(40.0).reshape(20, 2); y = (X[:, 0] > 19).astype(int)
        LogisticRegression().fit(X, y)
        xgboost.train({"max_depth": 2}, xgboost.DMatrix(X, y), 2)
        print(sorted(r.tags.get("estimator_class", r.params.get("max_depth") and "xgboost") for r in gx.list_runs()))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=repo.path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": SRC}, timeout=120)
    assert out.returncode == 0, out.stderr
    seconds, imported, runs = out.stdout.splitlines()
    assert imported == "[]"
    assert float(seconds) < 1.0  # ~30 ms; importing scikit-learn's estimators took over a second
    assert runs == "['sklearn.linear_model._logistic.LogisticRegression', 'xgboost']"
    repo.fsck()


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real package on sys.path (``gxhookpkg`` with submodules ``a`` and ``b``), forgotten afterwards."""
    root = tmp_path / "gxhookpkg"
    root.mkdir()
    (root / "__init__.py").write_text("LOADED = 'package'\n")
    (root / "a.py").write_text("LOADED = 'a'\n")
    (root / "b.py").write_text("LOADED = 'b'\n")
    (root / "data.txt").write_text("resource\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "gxhookpkg"
    for name in [m for m in sys.modules if m == "gxhookpkg" or m.startswith("gxhookpkg.")]:
        del sys.modules[name]


def test_a_hook_runs_after_the_module_body_and_the_module_keeps_its_own_loader(package):
    import importlib
    import importlib.resources

    seen = []

    def hook(module):
        seen.append((module.__name__, module.LOADED))

    import_hooks.on_import(package, hook)
    try:
        module = importlib.import_module(package)
        assert seen == [("gxhookpkg", "package")]
        assert type(module.__loader__).__name__ == "SourceFileLoader"
        assert module.__spec__.loader is module.__loader__
        assert importlib.resources.files(package).joinpath("data.txt").read_text() == "resource\n"
        import_hooks.on_import(package, hook)  # already imported: runs at once
        assert len(seen) == 2
    finally:
        import_hooks.remove(hook)


def test_hooks_under_a_package_see_modules_imported_before_and_after(package):
    import importlib

    importlib.import_module(f"{package}.a")
    seen = []
    hook = seen.append
    import_hooks.on_import_under(package, hook)
    try:
        assert sorted(m.__name__ for m in seen) == ["gxhookpkg", "gxhookpkg.a"]
        importlib.import_module(f"{package}.b")
        assert seen[-1].__name__ == "gxhookpkg.b"
    finally:
        import_hooks.remove(hook)
    del sys.modules[f"{package}.b"]
    importlib.import_module(f"{package}.b")  # removed: not called again
    assert len(seen) == 3


def test_a_failing_hook_is_a_warning_and_the_import_succeeds(package):
    import importlib

    def broken(module):
        raise RuntimeError("boom")

    import_hooks.on_import(package, broken)
    try:
        with pytest.warns(GxWarning, match="could not patch gxhookpkg: RuntimeError: boom"):
            module = importlib.import_module(package)
        assert module.LOADED == "package"
    finally:
        import_hooks.remove(broken)


def test_disable_before_the_import_leaves_the_library_unpatched():
    code = textwrap.dedent("""
        import gx
        gx.autolog()
        gx.autolog(disable=True)
        from sklearn.linear_model import LogisticRegression
        import sklearn.metrics
        print(hasattr(LogisticRegression.fit, "__gx_autolog__"), hasattr(sklearn.metrics.r2_score, "__gx_autolog__"))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": SRC}, timeout=60)
    assert out.stdout.split() == ["False", "False"], out.stderr
    assert gx.autolog is not None
