"""``gx show RUN``: everything about one run."""

from __future__ import annotations

import click

from gx import formatting as fmt
from gx.lfs.content import artifact_size
from gx.records import RunRecord


def record_json(rec: RunRecord) -> dict:
    return {
        "run_id": rec.run_id,
        "experiment": rec.experiment,
        "name": rec.name,
        "status": rec.status,
        "start_time": fmt.iso(rec.start_time),
        "end_time": fmt.iso(rec.end_time),
        "duration": rec.duration,
        "exit_code": rec.exit_code,
        "signal": rec.signal,
        "error": rec.error,
        "params": rec.params,
        "metrics": rec.latest_metrics(),
        "tags": rec.tags,
        "metric_history": {k: [[p.step, p.timestamp, p.value] for p in pts] for k, pts in rec.metrics.items()},
        "source": rec.source,
        "author": rec.author,
        "command": rec.command,
        "host": rec.host,
        "python": rec.python,
        "platform": rec.platform,
        "gx_version": rec.gx_version,
        "env": rec.env,
        "artifacts": {path: artifact_size(content) for path, content in sorted(rec.artifacts.items())},
        "packages": rec.packages,
        "commit": rec.commit,
        "deleted": rec.deleted,
    }


#: Metrics a parent's summary shows the best child for (the parent's ``gx.sweep.metric`` first).
MAX_SUMMARY_METRICS = 5


def children_lines(run_id: str, tags: dict[str, str]) -> list[str]:
    """For a parent run: how many children, by status, and the best child by a few metrics."""
    from gx.cli.best import metric_goal
    from gx.query.nesting import children_filter, summarize_children
    from gx.query.search import search

    children = search(None, children_filter(run_id))
    if not children:
        return []
    summary = summarize_children(children, metric_goal)
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary.statuses.items()))
    lines = [f"\nchildren: {summary.count} ({statuses})   list them: gx ls --parent {run_id[:8]}"]
    chosen = tags.get("gx.sweep.metric")
    metrics = sorted(summary.best, key=lambda m: (m != chosen, m))[:MAX_SUMMARY_METRICS]
    width = max((len(m) for m in metrics), default=0)
    for metric in metrics:
        goal, winner = summary.best[metric]
        lines.append(f"  best {metric.ljust(width)} ({goal})  {fmt.value(winner.metrics[metric])}  "
                     f"{winner.run_id[:8]} {winner.name or ''}".rstrip())
    if len(summary.best) > len(metrics):
        lines.append(f"  ({len(summary.best) - len(metrics)} more metrics: gx best METRIC --parent {run_id[:8]})")
    return lines


@click.command("show")
@click.argument("run")
@click.option("--json", "as_json", is_flag=True, help="Everything as JSON, metric histories included.")
@click.option("--output", "show_output", is_flag=True, help="Also print the captured stdout/stderr tail.")
def show_cmd(run: str, as_json: bool, show_output: bool) -> None:
    """Show RUN: an id, a unique id prefix, a unique run name, an experiment (its newest run)
    or EXP~N (its N-th run before the newest)."""
    from gx.query.runspec import get_spec_record

    rec = get_spec_record(run)
    if as_json:
        click.echo(fmt.dumps(record_json(rec)))
        return
    deleted = "  (deleted)" if rec.deleted else ""
    lines = [
        f"run        {rec.run_id}{deleted}",
        f"name       {rec.name or '-'}",
        f"experiment {rec.experiment}",
        f"status     {rec.status}" + (f" (exit {rec.exit_code})" if rec.exit_code else "")
        + (f" ({rec.signal})" if rec.signal else ""),
        f"started    {fmt.local_time(rec.start_time)}   duration {fmt.duration(rec.duration)}",
        f"author     {rec.author or '-'}   host {rec.host or '-'}   python {rec.python or '-'}",
    ]
    if rec.command:
        lines.append(f"command    {' '.join(rec.command)}")
    src = rec.source
    if src:
        dirty = " + uncommitted changes" if src.get("dirty") else ""
        snap = f" (snapshot {str(src.get('snapshot'))[:10]})" if src.get("snapshot") else ""
        lines.append(f"source     {str(src.get('commit') or '-')[:10]} on {src.get('branch') or '-'}{dirty}{snap}")
    lines.append(f"commit     {rec.commit}")

    def section(title: str, items: dict, render=fmt.value) -> None:
        if items:
            lines.append(f"\n{title}:")
            width = max(len(k) for k in items)
            lines.extend(f"  {k.ljust(width)}  {render(v)}" for k, v in items.items())

    section("params", rec.params)
    metrics = {k: f"{fmt.value(pts[-1].value)}  (step {pts[-1].step}, {len(pts)} points)"
               for k, pts in rec.metrics.items() if pts}
    section("metrics", metrics, str)
    section("tags", rec.tags)
    section("artifacts", {p: f"{artifact_size(c)} bytes" for p, c in sorted(rec.artifacts.items())}, str)
    lines.extend(children_lines(rec.run_id, rec.tags))
    if rec.error:
        lines.append("\nerror:\n  " + rec.error.strip().replace("\n", "\n  "))
    click.echo("\n".join(lines))
    if show_output:
        for title, tail in (("stdout", rec.stdout_tail), ("stderr", rec.stderr_tail)):
            if tail:
                click.echo(f"\n{title} (tail):\n" + tail.decode("utf-8", "replace"))
