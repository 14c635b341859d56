"""What a sweep is (``SweepSpec``, stored as the sweep run's ``gx.sweep.*`` tags so ``--resume`` reads it
back) and how far it got (``Progress``, the live progress line)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from gx.sweep.pruners import DEFAULT_PRUNER, check_pruner


@dataclass
class SweepSpec:
    command: list[str]
    space: dict[str, str]  # -p text, as describe() writes it
    method: str = "random"
    trials: int | None = None
    metric: str | None = None
    goal: str = "min"
    jobs: int = 1
    seed: int = 0
    experiment: str = "default"
    fail_fast: bool = False
    storage: str | None = None  # never recorded: an RDB URL may hold a password
    study: str | None = None
    prune: bool = False
    pruner: str = DEFAULT_PRUNER  # used when ``prune``: see gx.sweep.pruners

    def tags(self) -> dict[str, str]:
        return {"gx.sweep": "1", "gx.sweep.method": self.method, "gx.sweep.trials": str(self.trials),
                "gx.sweep.metric": self.metric or "", "gx.sweep.goal": self.goal, "gx.sweep.seed": str(self.seed),
                "gx.sweep.command": json.dumps(self.command), "gx.sweep.space": json.dumps(self.space),
                "gx.sweep.prune": "1" if self.prune else "0",
                **({"gx.sweep.pruner": self.pruner} if self.prune else {}),
                **({"gx.sweep.study": self.study or ""} if self.storage else {})}

    @classmethod
    def from_tags(cls, tags: dict[str, str], experiment: str) -> SweepSpec:
        from gx.errors import GxError

        try:
            return cls(command=list(json.loads(tags["gx.sweep.command"])), space=dict(json.loads(tags["gx.sweep.space"])),
                       method=tags["gx.sweep.method"], trials=int(tags["gx.sweep.trials"]),
                       metric=tags.get("gx.sweep.metric") or None, goal=tags.get("gx.sweep.goal", "min"),
                       seed=int(tags.get("gx.sweep.seed", "0")), experiment=experiment,
                       prune=tags.get("gx.sweep.prune") == "1",
                       pruner=check_pruner(tags.get("gx.sweep.pruner") or DEFAULT_PRUNER))
        except (KeyError, ValueError, TypeError, GxError):
            raise GxError("that run is not a sweep gx can resume (its gx.sweep.* tags are missing or damaged)") from None


@dataclass
class Progress:
    total: int
    done: int = 0
    failed: int = 0
    pruned: int = 0
    running: int = 0
    best: tuple[float, str] | None = None
    durations: list[float] = field(default_factory=list)

    def line(self, metric: str | None, jobs: int) -> str:
        best = f" · best {metric} {self.best[0]:.4g} ({self.best[1]})" if self.best and metric else ""
        remaining = self.total - self.done - self.failed - self.pruned
        eta = ""
        if self.durations and remaining > 0:
            seconds = sum(self.durations) / len(self.durations) * remaining / max(1, jobs)
            eta = f" · ETA {int(seconds // 60)}m{int(seconds % 60):02d}s"
        pruned = f", {self.pruned} pruned" if self.pruned else ""
        return (f"{self.done + self.failed + self.pruned}/{self.total} trials: {self.done} done, {self.running} running, "
                f"{self.failed} failed{pruned}{best}{eta}")
