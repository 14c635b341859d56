"""``gx.optuna.Callback``: each finished Optuna trial as a run, shaped like optuna-integration's
``MLflowCallback``: params, the objective value(s) under ``metric_name``, intermediate values as a
step history, the trial's state, number and direction as tags; a child of the active run, if any."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: The optuna-integration tag names for what a trial is.
TRIAL_TAGS = ("number", "datetime_start", "datetime_complete")


class Callback:
    """Pass to ``study.optimize(..., callbacks=[gx.optuna.Callback(metric_name="rmse")])``."""

    def __init__(self, tracking_uri: str | None = None, metric_name: str | Sequence[str] = "value",
                 create_experiment: bool = True, mlflow_kwargs: dict[str, Any] | None = None,
                 tag_study_user_attrs: bool = False, tag_trial_user_attrs: bool = True) -> None:
        self.metric_name = metric_name
        self.create_experiment = create_experiment
        self.run_kwargs = dict(mlflow_kwargs or {})
        self.tag_study_user_attrs = tag_study_user_attrs
        self.tag_trial_user_attrs = tag_trial_user_attrs

    def __call__(self, study: Any, trial: Any) -> None:
        from gx.tracking import fluent

        kwargs = dict(self.run_kwargs)
        kwargs.setdefault("run_name", str(trial.number))
        nested = fluent.active_run() is not None
        if self.create_experiment and not nested and "experiment" not in kwargs and _named(study):
            kwargs["experiment"] = _experiment_name(study.study_name)
        with fluent.start_run(nested=nested, **kwargs):
            fluent.log_params(dict(trial.params))
            last = -1
            if len(study.directions) == 1:  # intermediate values first: the objective's value is the last point
                for step, value in sorted(trial.intermediate_values.items()):
                    fluent.log_metric(self._names(1)[0], value, step=step)
                    last = max(last, step)
            for key, value in self._values(study, trial).items():
                fluent.log_metric(key, value, step=last + 1)
            fluent.set_tags(self._tags(study, trial))

    def _names(self, count: int) -> list[str]:
        if isinstance(self.metric_name, str):
            return [self.metric_name] if count == 1 else [f"{self.metric_name}_{i}" for i in range(count)]
        names = list(self.metric_name)
        if len(names) != count:
            raise ValueError(f"metric_name has {len(names)} names; the study has {count} objectives")
        return names

    def _values(self, study: Any, trial: Any) -> dict[str, float]:
        values = trial.values or []
        return {name: float(v) for name, v in zip(self._names(len(study.directions)), values) if v is not None}

    def _tags(self, study: Any, trial: Any) -> dict[str, str]:
        tags = {key: str(getattr(trial, key)) for key in TRIAL_TAGS}
        tags["state"] = trial.state.name
        tags["study_name"] = study.study_name
        directions = [d.name for d in study.directions]
        tags["direction"] = directions[0] if len(directions) == 1 else str(directions)
        for name, distribution in trial.distributions.items():
            tags[f"param_distribution.{name}"] = str(distribution)[:250]
        if self.tag_trial_user_attrs:
            tags.update({str(k): str(v)[:250] for k, v in trial.user_attrs.items()})
        if self.tag_study_user_attrs:
            tags.update({str(k): str(v)[:250] for k, v in study.user_attrs.items()})
        return tags


def _experiment_name(name: str) -> str | None:
    """The study's name as the experiment, when it is a valid experiment name."""
    from gx.errors import GxError
    from gx.store.refs import validate_experiment

    try:
        return validate_experiment(name)
    except GxError:
        return None


def _named(study: Any) -> bool:
    """Optuna names unnamed studies ``no-name-<uuid>``: those go to the current experiment."""
    return not str(study.study_name).startswith("no-name-")
