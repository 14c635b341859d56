"""Starting and resuming a sweep: the sweep's own run around the scheduler, and gx.yaml's ``sweep:``."""

from __future__ import annotations

from typing import Any, Callable

from gx import limits, yamlio
from gx.errors import BadValue, GxError
from gx.records import FINISHED, KILLED
from gx.sweep.parent import refresh
from gx.sweep.prune import PRUNED_TAG, pruned_tag, pruned_trials
from gx.sweep.pruners import DEFAULT_PRUNER, check_pruner
from gx.sweep.scheduler import Sweep, parent_summary_metrics, recorded_trials
from gx.sweep.space import describe, parse_space
from gx.sweep.spec import SweepSpec

Echo = Callable[[str, bool], None]


def config_section() -> dict[str, Any]:
    """gx.yaml's ``sweep:`` mapping (``{}`` when there is none), read with the document limits."""
    from gx.paths import find_repo

    paths = find_repo()
    path = paths.worktree / "gx.yaml" if paths.worktree is not None else None
    if path is None or not path.is_file():
        return {}
    try:
        config = yamlio.load(limits.read_regular_file(path, limits.MAX_DOCUMENT_BYTES, "gx.yaml"))
    except (ValueError, yamlio.YAMLError) as exc:
        raise BadValue(f"gx.yaml: {exc}") from None
    section = config.get("sweep") if isinstance(config, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise BadValue("gx.yaml: 'sweep:' must be a mapping (params:, method:, trials:, metric:, goal:, jobs:)")
    return section


def start(spec: SweepSpec, name: str | None, echo: Echo) -> tuple[str, bool]:
    """Run a new sweep; returns (the sweep's run id, completed without interruption)."""
    from gx.tracking import fluent

    spec.space = describe(parse_space(spec.space))  # checked (and normalised) before any run exists
    if spec.method == "grid":
        from gx.sweep.plan import grid_size

        size = grid_size(parse_space(spec.space))
        spec.trials = min(spec.trials or size, size)
    spec.trials = spec.trials or 10
    parent = fluent.start_run(run_name=name, experiment=spec.experiment, tags=spec.tags())
    return parent.info.run_id, _drive(Sweep(spec, parent.info.run_id, echo=echo), list(range(spec.trials)), True)


def resume(sweep_spec: str, jobs: int | None, echo: Echo, storage: str | None = None,
           fail_fast: bool = False) -> tuple[str, bool]:
    """Run the trials of a recorded sweep that have no FINISHED child; they join the same sweep. A sweep
    sharing an Optuna study asks the study for as many new trials as it lacks FINISHED children (the
    storage URL is given again: gx never records it, it may hold a password)."""
    from gx.query.runspec import get_spec_record

    record = get_spec_record(sweep_spec)
    if record.tags.get("gx.sweep") != "1":
        raise GxError(f"run {record.run_id[:8]} is not a sweep (gx sweep records its run with a gx.sweep tag)")
    spec = SweepSpec.from_tags(record.tags, record.experiment)
    if "gx.sweep.study" in record.tags:
        if storage is None:
            raise GxError(f"sweep {record.run_id[:8]} shares the Optuna study {record.tags['gx.sweep.study']!r}: "
                          "give its --storage again with --resume (gx does not record the URL)")
        spec.storage, spec.study = storage, record.tags["gx.sweep.study"]
    elif storage is not None:
        raise GxError(f"sweep {record.run_id[:8]} shares no Optuna study: --resume takes no --storage")
    spec.jobs, spec.fail_fast = jobs or spec.jobs, fail_fast
    done = recorded_trials(record.run_id, record.experiment)
    pruned = pruned_trials(record.tags)
    if spec.storage is not None:  # the study numbers new trials: these are slots, not trial numbers
        missing = list(range(max(0, (spec.trials or 0) - len(done) - len(pruned - set(done)))))
    else:  # a pruned trial is a result, not something missing
        missing = [n for n in range(spec.trials or 0) if n not in done and n not in pruned]
    if not missing:
        echo(f"sweep {record.run_id[:8]}: all {spec.trials} trials are recorded FINISHED (or pruned); nothing to run",
             True)
        refresh(record.run_id, spec, set(), True)
        return record.run_id, True
    sweep = Sweep(spec, record.run_id, done=done, echo=echo)
    completed = False
    try:
        completed = _drive(sweep, missing, False)
    finally:  # interrupted too: what this resume's trials recorded goes into the sweep's run
        refresh(record.run_id, spec, sweep.pruned, completed)
    return record.run_id, completed


def _drive(sweep: Sweep, numbers: list[int], owns_run: bool) -> bool:
    from gx.tracking import fluent

    try:
        completed = sweep.run(numbers)
    except BaseException:
        if owns_run:
            fluent.end_run(KILLED)
        raise
    if owns_run:
        fluent.log_metrics(parent_summary_metrics(sweep))
        if sweep.pruned:
            fluent.set_tag(PRUNED_TAG, pruned_tag(sweep.pruned))
        fluent.end_run(FINISHED if completed else KILLED)
    return completed


def spec_from(options: dict[str, Any], section: dict[str, Any], command: list[str], experiment: str) -> SweepSpec:
    """Command-line options over gx.yaml's ``sweep:`` over the defaults."""
    def pick(key: str, default: Any = None) -> Any:
        value = options.get(key)
        return value if value not in (None, (), []) else section.get(key, default)

    params = options.get("params") or section.get("params") or {}
    if not isinstance(params, (dict, list, tuple)):
        raise BadValue("gx.yaml: sweep: params: must map names to values, like alpha: 0.01,0.1,1")
    command = command or ([section["script"]] if isinstance(section.get("script"), str) else [])
    if not command:
        raise BadValue("nothing to sweep: give a script (gx sweep train.py -p alpha=0.1,1) or sweep: script: in gx.yaml")
    space = {str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else list(params)
    method = str(pick("method", "random"))
    goal = str(pick("goal", "min"))
    if method not in ("grid", "random", "tpe") or goal not in ("min", "max"):
        raise BadValue(f"sweep: method must be grid, random or tpe and goal min or max (got {method!r}, {goal!r})")
    trials, jobs = pick("trials"), pick("jobs", 1)
    if not (trials is None or (isinstance(trials, int) and trials > 0)) or not (isinstance(jobs, int) and jobs > 0):
        raise BadValue("sweep: trials and jobs must be positive integers")
    storage, study = pick("storage"), pick("study")
    pruner = check_pruner(str(pick("pruner", DEFAULT_PRUNER)))
    prune = pruner != "none" and (bool(pick("prune", False)) or pick("pruner") is not None)
    if prune and not pick("metric"):
        raise BadValue("--prune compares the trials' --metric: name it (--metric loss)")
    if prune and pruner != DEFAULT_PRUNER and method != "tpe" and storage is None:
        raise BadValue(f"--pruner {pruner} is Optuna's: use it with --method tpe or --storage "
                       "(grid and random sweeps prune with gx's median rule)")
    if storage is not None and method == "grid":
        raise BadValue("--storage shares an Optuna study: use --method tpe or random with it")
    if storage is not None and not study:
        raise BadValue("--storage needs --study NAME (the same name on every machine)")
    return SweepSpec(command=list(command), space=space, method=method, trials=trials, metric=pick("metric"),
                     goal=goal, jobs=jobs, seed=int(pick("seed", 0)), experiment=experiment,
                     fail_fast=bool(options.get("fail_fast")), storage=storage, study=study, prune=prune,
                     pruner=pruner if prune else DEFAULT_PRUNER)
