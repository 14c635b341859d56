"""Post-import hooks: call a function once a module has finished executing, or at once if it already has.

``gx.autolog()`` must not import scikit-learn, XGBoost or LightGBM itself (a second or more), so an
integration registers a hook on its library instead. A finder at the front of ``sys.meta_path`` asks
the finders after it for the module's spec and wraps its loader; the wrapper puts the original loader
back on the module before running it, so ``__loader__``, ``__spec__.loader`` and resource reading see
exactly what they would without gx. A hook that raises is a warning; the import itself never fails.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, Callable

from gx.errors import GxWarning

Hook = Callable[[ModuleType], None]

#: Exact module name -> hooks; prefix ("sklearn.") -> hooks run for every submodule under it.
_exact: dict[str, list[Hook]] = {}
_prefix: dict[str, list[Hook]] = {}
_lock = threading.RLock()
_finding = threading.local()


def on_import(name: str, hook: Hook) -> None:
    """``hook(module)`` when ``name`` has been imported: now if it already is, else right after its import."""
    with _lock:
        _exact.setdefault(name, []).append(hook)
        _install()
    module = sys.modules.get(name)
    if module is not None and _executed(module):
        _run([hook], module)


def on_import_under(package: str, hook: Hook) -> None:
    """``hook(module)`` for every module below ``package`` (``package`` itself included): each one already
    imported now, each one imported later right after its import."""
    with _lock:
        _prefix.setdefault(package + ".", []).append(hook)
        _exact.setdefault(package, []).append(hook)
        _install()
    for name, module in list(sys.modules.items()):
        if (name == package or name.startswith(package + ".")) and module is not None and _executed(module):
            _run([hook], module)


def remove(hook: Hook) -> None:
    """Forget ``hook`` everywhere (``autolog(disable=True)``)."""
    with _lock:
        for table in (_exact, _prefix):
            for key in list(table):
                table[key] = [h for h in table[key] if h is not hook]
                if not table[key]:
                    del table[key]


def _executed(module: ModuleType) -> bool:
    """False while the module is still running its own body (it is in sys.modules already then)."""
    spec = getattr(module, "__spec__", None)
    return not getattr(spec, "_initializing", False)


def _hooks_for(name: str) -> list[Hook]:
    with _lock:
        found = list(_exact.get(name, ()))
        for prefix, hooks in _prefix.items():
            if name.startswith(prefix):
                found.extend(h for h in hooks if h not in found)
        return found


def _run(hooks: Sequence[Hook], module: ModuleType) -> None:
    for hook in hooks:
        try:
            hook(module)
        except Exception as exc:
            warnings.warn(f"gx: autolog could not patch {module.__name__}: {type(exc).__name__}: {exc}",
                          GxWarning, stacklevel=2)


class _HookedLoader:
    """The module's own loader, followed by its hooks."""

    def __init__(self, loader: Any, hooks: list[Hook]) -> None:
        self.loader = loader
        self.hooks = hooks

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self.loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = self.loader
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = self.loader
        self.loader.exec_module(module)
        _run(self.hooks, sys.modules.get(module.__name__, module))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)


class _PostImportFinder:
    """Finds nothing itself: wraps the loader the next finders return for a watched module."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None, target: Any = None) -> ModuleSpec | None:
        hooks = _hooks_for(fullname)
        finding = _finding.__dict__.setdefault("names", set())
        if not hooks or fullname in finding:
            return None
        finding.add(fullname)
        try:
            spec = _find_after(self, fullname, path, target)
        finally:
            finding.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _HookedLoader(spec.loader, hooks)
        return spec


def _find_after(me: Any, fullname: str, path: Sequence[str] | None, target: Any) -> ModuleSpec | None:
    for finder in list(sys.meta_path):
        if finder is me or not hasattr(finder, "find_spec"):
            continue
        spec = finder.find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


_finder = _PostImportFinder()


def _install() -> None:
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
