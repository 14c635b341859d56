"""``gx sweep SCRIPT [ARGS]``: a hyperparameter search whose trials are ``gx run`` child runs."""

from __future__ import annotations

import sys

import click


def _echo_progress(text: str, final: bool) -> None:
    if sys.stderr.isatty():
        click.echo(f"\r\033[K{text}", err=True, nl=final)
    elif final:
        click.echo(text, err=True)


@click.command("sweep", context_settings={"allow_interspersed_args": True})
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUES",
              help="A dimension: a,b,c | uniform(lo,hi) | loguniform(lo,hi) | int(lo,hi) | choice(a,b). Repeatable.")
@click.option("--method", type=click.Choice(["grid", "random", "tpe"]), help="Search method (default random; tpe needs Optuna).")
@click.option("--trials", type=click.IntRange(min=1), help="How many trials (default: the whole grid, or 10).")
@click.option("--metric", help="The metric each trial logs that ranks it.")
@click.option("--goal", type=click.Choice(["min", "max"]), help="Lower or higher is better (default min).")
@click.option("-j", "--jobs", type=click.IntRange(min=1, max=64), help="Trials run at once (default 1).")
@click.option("--seed", type=int, help="Seed for random and tpe (default 0).")
@click.option("-e", "--experiment", help="Experiment for the sweep and its trials.")
@click.option("-n", "--name", help="A name for the sweep's run.")
@click.option("--prune", is_flag=True, default=None,
              help="Stop a trial whose --metric, logged with steps, is worse than the finished trials' median "
                   "at the same step (median stopping; through Optuna's pruner with tpe or --storage).")
@click.option("--pruner", metavar="NAME",
              help="With tpe or --storage, Optuna's pruner: median (default), percentile[:P], hyperband, "
                   "successive-halving; none turns pruning off. Implies --prune.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed trial (default: record it FAILED and go on).")
@click.option("--storage", metavar="URL",
              help="Share an Optuna study with other machines: journal:PATH (a shared file) or an RDB URL.")
@click.option("--study", metavar="NAME", help="The shared study's name (the same on every machine).")
@click.option("--resume", "resume_spec", metavar="SWEEP", help="Run only the trials SWEEP has not recorded FINISHED, with its recorded settings (-j, --fail-fast "
                   "and --storage, needed if it shares a study, may be given).")
def sweep_cmd(command: tuple[str, ...], params: tuple[str, ...], method: str | None, trials: int | None,
              metric: str | None, goal: str | None, jobs: int | None, seed: int | None, experiment: str | None,
              name: str | None, prune: bool | None, pruner: str | None, fail_fast: bool, storage: str | None, study: str | None,
              resume_spec: str | None) -> None:
    """Search hyperparameters: each trial runs SCRIPT as `gx run` with its params (a child run of the
    sweep's run), in its own scratch copy of the project. gx.yaml's `sweep:` section gives defaults.
    Ctrl-C records running trials as KILLED; `gx sweep --resume SWEEP` runs what is missing."""
    from gx.errors import BadValue
    from gx.store.refs import validate_experiment
    from gx.sweep import api
    from gx.tracking import fluent

    if resume_spec is not None:
        settings = {"SCRIPT": command, "-p": params, "--method": method, "--trials": trials, "--metric": metric,
                    "--goal": goal, "--seed": seed, "-e": experiment, "-n": name, "--prune": prune,
                    "--pruner": pruner, "--study": study}
        given = [flag for flag, value in settings.items() if value not in (None, ())]
        if given:
            raise BadValue(f"--resume runs the sweep as it was recorded: {', '.join(given)} cannot be given with it "
                           "(only -j, --fail-fast and --storage)")
        run_id, completed = api.resume(resume_spec, jobs, _echo_progress, storage, fail_fast)
    else:
        exp = validate_experiment(fluent._current_experiment(experiment))
        options = {"params": params, "method": method, "trials": trials, "metric": metric, "goal": goal,
                   "jobs": jobs, "seed": seed, "fail_fast": fail_fast, "prune": prune or None, "pruner": pruner,
                   "storage": storage, "study": study}
        spec = api.spec_from(options, api.config_section(), list(command), exp)
        run_id, completed = api.start(spec, name, _echo_progress)
    click.echo(f"gx: sweep {run_id[:8]}: see the trials with gx ls --parent {run_id[:8]}"
               + ("" if completed else f"; resume with gx sweep --resume {run_id[:8]}"), err=True)
    if not completed:
        raise SystemExit(130)
