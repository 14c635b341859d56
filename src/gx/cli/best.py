"""``gx best METRIC [EXP]``: the run with the lowest (or highest) last value of a metric.

The direction defaults from the metric's name: a name with a word that means higher is better
(``acc``, ``accuracy``, ``auc``, ``f1``, ``precision``, ``recall``, ``r2``, ``score``, ``map``,
``iou``, ``bleu`` …, see ``HIGHER_IS_BETTER``) is maximised, unless it also has a word that means
lower is better (``loss``, ``error``, ``rmse`` …); anything else is minimised.
"""

from __future__ import annotations

import re

import click

from gx import formatting as fmt
from gx.errors import BadValue

#: Words (after splitting the name on non-alphanumerics and camelCase) that mean higher is better.
HIGHER_IS_BETTER = frozenset({
    "acc", "accuracy", "ap", "auc", "auroc", "bleu", "dice", "f1", "f1score", "fscore", "hit",
    "hits", "hitrate", "iou", "kappa", "map", "mcc", "miou", "mrr", "ndcg", "precision", "psnr",
    "r2", "recall", "return", "reward", "rouge", "score", "sharpe", "ssim", "top1", "top5",
})  # fmt: skip
#: Words that mean lower is better; they win over the words above (``top1_error``, ``score_loss``).
LOWER_IS_BETTER = frozenset({
    "cer", "err", "error", "latency", "loss", "mae", "mape", "mse", "nll", "perplexity", "ppl",
    "rmse", "wer",
})  # fmt: skip


def metric_words(metric: str) -> list[str]:
    """``"valTop1_acc"`` -> ``["val", "top1", "acc"]``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", metric)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def metric_goal(metric: str) -> str:
    """``"max"`` when the name says higher is better, else ``"min"`` (the rule is documented above)."""
    words = {w for word in metric_words(metric) for w in (word, word.rstrip("0123456789"))}
    return "max" if words & HIGHER_IS_BETTER and not words & LOWER_IS_BETTER else "min"


def left_out_text(left_out: dict[str, int]) -> str:
    """``"1 FAILED and 2 KILLED runs"`` for the runs a status rule kept out of the contest."""
    parts = [f"{n} {status}" for status, n in sorted(left_out.items())]
    count = sum(left_out.values())
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{listed} run{'s' if count != 1 else ''}"


@click.command("best")
@click.argument("metric")
@click.argument("experiment", required=False)
@click.option("--min", "goal", flag_value="min", help="Lower is better.")
@click.option("--max", "goal", flag_value="max", help="Higher is better.")
@click.option("-f", "--filter", "filter_string", default="", metavar="FILTER",
              help="Only runs matching a search filter, e.g. \"params.alpha < 0.5\".")
@click.option("--all-statuses", is_flag=True,
              help="Let runs of any status compete (default: FINISHED runs only).")
@click.option("--parent", "parent_spec", metavar="RUN", help="Only the children of RUN (a sweep's trials).")
@click.option("--json", "as_json", is_flag=True, help="The winner as JSON.")
def best_cmd(metric: str, experiment: str | None, goal: str | None, filter_string: str, all_statuses: bool,
             parent_spec: str | None, as_json: bool) -> None:
    """Print the FINISHED run of EXPERIMENT (default: all) with the best last value of METRIC.

    Without --min/--max, names with a word like acc, accuracy, auc, f1, precision, recall, r2,
    score, map, iou or bleu are maximised (unless they also say loss or error); others minimised.
    Runs without the metric, or with NaN, are ignored; deleted runs are not considered. FAILED,
    KILLED and other unfinished runs compete only with --all-statuses; the output says how many
    were left out.
    """
    from gx.query import search as api

    if parent_spec is not None:
        from gx.query.nesting import children_filter, resolve_run_id

        filter_string = children_filter(resolve_run_id(parent_spec), filter_string)
    metric = re.sub(r"^metrics?\.", "", metric)
    goal = goal or metric_goal(metric)
    statuses = None if all_statuses else api.DEFAULT_STATUSES
    found = api.best(metric, goal, [experiment] if experiment else None, filter_string, statuses)
    winner, considered, left_out = found.winner, found.considered, found.left_out
    finished = "" if all_statuses else " ".join(api.DEFAULT_STATUSES) + " "
    if winner is None:
        scope = f" in {experiment!r}" if experiment else ""
        matching = f" matching {filter_string!r}" if filter_string.strip() else ""
        if not found.total:
            raise BadValue(f"no runs{scope}{matching}; check 'gx ls' or widen the filter")
        if left_out:
            have, them = ("has", "it") if sum(left_out.values()) == 1 else ("have", "them")
            raise BadValue(f"no {finished}run has a value for metric {metric!r}; {left_out_text(left_out)} "
                           f"{have} one: include {them} with --all-statuses")
        runs = api.search([experiment] if experiment else None, filter_string)
        known = sorted({k for r in runs for k in r.metrics})
        hint = f"known metrics: {', '.join(known)}" if known else "the runs have no metrics"
        raise BadValue(f"no run has a value for metric {metric!r} among {found.total} runs; {hint}")
    value = winner.metrics[metric]
    if as_json:
        click.echo(fmt.dumps({"metric": metric, "goal": goal, "value": value, "considered": considered,
                              "statuses": None if statuses is None else list(statuses), "left_out": left_out,
                              "run": fmt.summary_json(winner)}))
        return
    which = "highest" if goal == "max" else "lowest"
    params = " ".join(f"{k}={fmt.value(v)}" for k, v in winner.params.items())
    metrics = " ".join(f"{k}={fmt.value(v)}" for k, v in winner.metrics.items())
    lines = [
        f"best {metric} ({which} of {considered} {finished}run{'s' if considered != 1 else ''}): {fmt.value(value)}",
        f"run         {winner.run_id}",
        f"name        {winner.name or '-'}",
        f"status      {winner.status}",
        f"experiment  {winner.experiment}",
        f"params      {params or '-'}",
        f"metrics     {metrics or '-'}",
    ]
    if left_out:
        them = "it" if sum(left_out.values()) == 1 else "them"
        lines.append(f"left out {left_out_text(left_out)} with a value for {metric} (--all-statuses includes {them})")
    click.echo("\n".join(lines))
