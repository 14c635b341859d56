"""``gx reproduce``: the run's command on its exact source (a temporary linked worktree), recorded
as a new run in the same experiment tagged with the run it reproduces."""

from __future__ import annotations

import os
from typing import Any

from gx.errors import GxError
from gx.query.runs import get_record, open_store
from gx.query.runspec import get_spec_record
from gx.records import RunRecord
from gx.reproduce.plan import REPRODUCES_TAG, Plan, make_plan
from gx.store.worktree import source_commits, temporary_source


def plan_for(run: str, overrides: dict[str, Any]) -> tuple[RunRecord, Plan]:
    rec = get_spec_record(run)
    plan = make_plan(rec, overrides)
    with open_store() as store:
        source_commits(store, plan.source)  # a missing source commit fails before anything runs
    return rec, plan


def reproduce(plan: Plan) -> tuple[int, RunRecord]:
    """Run the plan; (exit code, the new run's record)."""
    from gx.tracking import runner

    with open_store() as store, temporary_source(store, plan.source) as root:
        here = os.getcwd()
        workdir = os.path.join(root, plan.workdir) if plan.workdir else root
        if not os.path.isdir(workdir):
            raise GxError(f"run {plan.run_id[:8]} started in {plan.workdir}/, which its source does not have "
                          "(an untracked folder is not part of the source)")
        os.chdir(workdir)
        try:
            code, live = runner.run(plan.command, plan.experiment, plan.name, plan.params, {REPRODUCES_TAG: plan.run_id})
        finally:
            os.chdir(here)
    return code, get_record(live.run_id)
