"""``gx best`` through the index: the winning run among those of some statuses, found by indexed
queries on the last metric values (``metric_values`` carries each run's status for this)."""

from __future__ import annotations

import marshal
from collections.abc import Collection

from gx.query.index import Index
from gx.query.index_rows import check_crc, unpacked_inputs
from gx.records import RunSummary


def best(index: Index, metric: str, goal: str, experiments: list[str] | None = None,
         statuses: Collection[str] | None = None) -> tuple[RunSummary | None, int, dict[str, int]]:
    """The non-deleted run with the lowest (``goal="min"``) or highest last value of ``metric``,
    newest first among ties, among runs whose status is in ``statuses`` (any when None); how many
    such runs have a value; and, per other status, how many runs with a value were left out."""
    index.warn_bad_runs(experiments)
    deleted = index.deleted(experiments)
    scope = "" if not experiments else " AND m.experiment IN (" + ",".join("?" * len(experiments)) + ")"
    args = (metric, *(experiments or ()))
    wanted = sorted(statuses) if statuses is not None else None
    only = "" if wanted is None else " AND m.status IN (" + ",".join("?" * len(wanted)) + ")"
    order = "DESC" if goal == "max" else "ASC"
    winner = None
    sql = ("SELECT m.experiment, m.run_id FROM metric_values m JOIN runs r USING(run_id, experiment) "
           f"WHERE m.key = ? AND m.value IS NOT NULL{scope}{only} ORDER BY m.value {order}, r.start_time DESC")
    for exp, run_id in index.conn.execute(sql, (*args, *(wanted or ()))):
        if (exp, run_id) not in deleted:
            winner = (exp, run_id)
            break
    valued = f"FROM metric_values m WHERE m.key = ? AND m.value IS NOT NULL{scope}"
    by_status: dict[str, int] = {}
    if deleted:
        for exp, run_id, status in index.conn.execute(f"SELECT m.experiment, m.run_id, m.status {valued}", args):
            if (exp, run_id) not in deleted:
                by_status[status] = by_status.get(status, 0) + 1
    else:  # a scan of the covering index metric_by_status
        by_status = dict(index.conn.execute(f"SELECT m.status, count(*) {valued} GROUP BY m.status", args).fetchall())
    considered = sum(n for status, n in by_status.items() if wanted is None or status in wanted)
    left_out = {status: n for status, n in by_status.items() if wanted is not None and status not in wanted}
    return (_summary(index, *winner) if winner is not None else None), considered, left_out


def _summary(index: Index, experiment: str, run_id: str) -> RunSummary:
    row = index.conn.execute("SELECT sha, head, params, metrics, tags, crc FROM runs WHERE experiment=? AND run_id=?",
                             (experiment, run_id)).fetchone()
    sha, head, params, metrics, tags, crc = row
    check_crc(crc, head, params, metrics, tags)
    run_id, name, status, start, end, source, inputs = marshal.loads(head)
    return RunSummary(run_id, experiment, name, status, start, end, marshal.loads(params),
                      marshal.loads(metrics), marshal.loads(tags), sha, False, source, unpacked_inputs(inputs))
