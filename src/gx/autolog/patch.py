"""The one patching helper: wrap a library's method, remember the original, restore it on ``disable``.

A wrapper never changes what the library returns or raises: logging runs around the original call,
and a logging failure is a warning (or nothing, with ``silent=True``), never an exception in the
user's fit. Fits nested inside an autologged fit (a search's candidates, a pipeline's steps, a
subclass calling ``super().fit``, a library's worker threads) are not logged again; so a fit in one
thread while another thread's fit is being logged is not logged either.
"""

from __future__ import annotations

import functools
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from gx.errors import BadValue, GxWarning
from gx.records import FAILED, FINISHED


@dataclass
class Settings:
    """One integration's switches (MLflow's names)."""

    log_models: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    exclusive: bool = False
    silent: bool = False
    max_tuning_runs: int | None = 5
    log_post_training_metrics: bool = True
    registered_model_name: str | None = None
    extra_tags: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


#: integration -> [(owner, attribute, original or _INHERITED)], in patching order.
_originals: dict[str, list[tuple[Any, str, Any]]] = {}
#: integration -> its post-import hooks (``when_imported``).
_hooks: dict[str, list[Callable[[Any], None]]] = {}
_INHERITED = object()  # the owner had no attribute of its own: restoring deletes the wrapper
settings: dict[str, Settings] = {}
#: Autologged calls in progress in this process, in any thread: a library's worker threads fitting
#: inside a logged fit (joblib's threading backend) must not log into the fit's run.
_active = [0]
_active_lock = threading.Lock()


def warn(integration: str, what: str, exc: BaseException) -> None:
    """One warning for a logging failure (the user's call already returned normally)."""
    if not settings.get(integration, Settings()).silent:
        warnings.warn(f"gx: autolog ({integration}) could not {what}: {type(exc).__name__}: {exc}",
                      GxWarning, stacklevel=3)


def safely(integration: str, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or None with a warning if it raises."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        warn(integration, what, exc)
        return None


def log_params(integration: str, params: dict[str, Any]) -> None:
    """Each param on its own: one the user already logged with another value keeps the user's value
    (one warning naming them), and does not stop the others."""
    from gx.errors import ParamConflict
    from gx.tracking import fluent

    kept = []
    for key, value in params.items():
        try:
            fluent.log_param(key, value)
        except ParamConflict:
            kept.append(key)
    if kept:
        warn(integration, "log params the run already has with other values", ValueError(", ".join(kept[:10])))


def enabled(integration: str) -> bool:
    """Turned on (its hooks wait for the library, or have patched it)."""
    return integration in settings


def when_imported(integration: str, module: str, hook: Callable[[Any], None], under: bool = False) -> None:
    """Patch through ``hook(module)`` once ``module`` (with ``under``: and each module below it) is
    imported: at once for what is imported already, so ``autolog()`` itself imports no library."""
    from gx.autolog import import_hooks

    registered = _hooks.setdefault(integration, [])
    if hook in registered:
        return
    registered.append(hook)
    (import_hooks.on_import_under if under else import_hooks.on_import)(module, hook)


def unpatch(integration: str) -> None:
    """Put every original back, latest first (so a method patched twice ends as it started), and stop
    waiting for imports."""
    if _hooks.get(integration):
        from gx.autolog import import_hooks

        for hook in _hooks.pop(integration):
            import_hooks.remove(hook)
    for owner, name, original in reversed(_originals.pop(integration, [])):
        if original is _INHERITED:
            delattr(owner, name)
        else:
            setattr(owner, name, original)
    settings.pop(integration, None)


def patch(integration: str, owner: Any, name: str,
          around: Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]) -> None:
    """Replace ``owner.name`` by a wrapper calling ``around(original, args, kwargs)`` at the outermost
    level (``args[0]`` is ``self`` for a method), and the original itself inside another autologged call."""
    own = name in vars(owner)
    original = vars(owner)[name] if own else getattr(owner, name, None)
    call = original.__func__ if isinstance(original, (classmethod, staticmethod)) else original
    if not callable(call) or getattr(call, "__gx_autolog__", None) == integration:
        return

    @functools.wraps(call)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _active_lock:
            outermost = not _active[0] and enabled(integration)
            if outermost:
                _active[0] += 1
        if not outermost:
            return call(*args, **kwargs)
        try:
            return around(call, args, kwargs)
        finally:
            with _active_lock:
                _active[0] -= 1

    wrapper.__gx_autolog__ = integration  # type: ignore[attr-defined]
    replacement: Any = wrapper
    if isinstance(original, staticmethod):
        replacement = staticmethod(wrapper)
    elif isinstance(original, classmethod):
        replacement = classmethod(wrapper)
    _originals.setdefault(integration, []).append((owner, name, original if own else _INHERITED))
    setattr(owner, name, replacement)


def call_in_run(integration: str, original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                before: Callable[[], Any], after: Callable[[Any], Any]) -> Any:
    """Run ``original`` inside the active run (or a new one, ended after the call as MLflow does):
    ``before()`` logs what is known up front, ``after(result)`` what the fit produced."""
    from gx.tracking import fluent

    started = None
    if fluent.active_run() is None:
        started = safely(integration, "start a run", fluent.start_run)
        if started is not None and settings[integration].extra_tags:
            safely(integration, "set extra_tags", fluent.set_tags, settings[integration].extra_tags)
    elif settings[integration].exclusive:
        return original(*args, **kwargs)  # exclusive: a run the user started is left alone
    if fluent.active_run() is not None:
        safely(integration, "log the parameters", before)
    try:
        result = original(*args, **kwargs)
    except BaseException:
        if started is not None:
            safely(integration, "end the run", fluent.end_run, FAILED)
        raise
    if fluent.active_run() is not None:
        safely(integration, "log the results", after, result)
    if started is not None:
        safely(integration, "end the run", fluent.end_run, FINISHED)
    return result


def refuse_log_datasets(integration: str, log_datasets: bool | None) -> None:
    """``log_datasets=True`` asks for what gx cannot record yet: one line, not a silent no-op."""
    if log_datasets:
        raise BadValue(f"gx.{integration}.autolog: log_datasets=True is not supported: gx records no datasets "
                       "yet (gx.log_input comes with the datasets feature); pass log_datasets=False")


def configure(integration: str, disable: bool, options: Settings) -> bool:
    """Record the switches; returns False when the integration is being turned off."""
    if options.extra_tags is None:
        options.extra_tags = {}
    if not isinstance(options.extra_tags, dict):
        raise BadValue(f"gx.{integration}.autolog: extra_tags must be a dict of tag names to values")
    if options.registered_model_name is not None and not (
            isinstance(options.registered_model_name, str) and options.registered_model_name):
        raise BadValue(f"gx.{integration}.autolog: registered_model_name must be a model name (a string)")
    if disable:
        unpatch(integration)
        return False
    settings[integration] = options
    return True
