"""Runs' inputs as people compare them: one line per input for ``gx show``, the ``data: same`` line
``gx compare``/``gx diff`` print first, and the filter behind ``gx ls --input PATH``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

from gx.formatting import value as fmt_value
from gx.records import RunRecord, RunSummary
from gx.runinputs import RunInput, same_content

AnyRun = Union[RunRecord, RunSummary]


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"


def describe(inp: RunInput) -> str:
    """One line about an input: what it is, where it came from, and the hash that identifies it."""
    context = f" ({inp.context})" if inp.context else ""
    if inp.file is None:
        rows = inp.profile.get("num_rows") if isinstance(inp.profile, dict) else None
        columns = inp.schema.get("mlflow_colspec") if isinstance(inp.schema, dict) else None
        shape = f"  {fmt_value(rows)} rows" if isinstance(rows, int) else ""
        shape += f" × {len(columns)} columns" if isinstance(columns, list) and shape else ""
        where = f"  {inp.source_type} {inp.source}".rstrip()
        return f"{inp.name}{context}  digest {inp.digest}{where}{shape}"
    f = inp.file
    git = f"  git {f.git}" + (f" {f.git_blob[:10]}" if f.git_blob else "") if f.git else ""
    return f"{f.path}{context}  {_size(f.size)}  {identity(inp)}{git}"


def identity(inp: RunInput) -> str:
    """The hash that identifies an input's content, shortened: a dataset's digest, else its file's
    Git LFS oid, DVC md5 or sha256."""
    f = inp.file
    if f is None:
        return f"digest {inp.digest}"
    if f.lfs_oid:
        return f"Git LFS oid {f.lfs_oid[:12]}"
    if f.dvc_md5:
        return f"DVC md5 {f.dvc_md5[:12]} ({f.dvc_file})"
    return f"sha256 {(f.sha256 or '')[:12]}"


def input_json(inp: RunInput) -> dict[str, object]:
    """One input as the ui's run page lists it (the fields of ``describe``, apart)."""
    rows = inp.profile.get("num_rows") if isinstance(inp.profile, dict) else None
    return {"name": inp.label, "context": inp.context, "id": identity(inp),
            "size": _size(inp.file.size) if inp.file else None,
            "rows": rows if isinstance(rows, int) else None,
            "source": f"{inp.source_type} {inp.source}".strip(),
            "line": describe(inp)}


def _label(inp: RunInput) -> str:
    name = Path(inp.file.path).name if inp.file else inp.name
    return name + (f" [{inp.context}]" if inp.context else "")


def data_change(runs: Sequence[AnyRun]) -> dict[str, Any] | None:
    """Whether two runs or more read the same data: ``{"same": bool, "changed": [labels]}`` (None when
    none recorded an input). Content decides, not paths or names: the data is the same when every
    input of every run has an input of the same content in each other run; the changed ones are named."""
    if not any(r.inputs for r in runs):
        return None
    changed = [_label(inp) for run in runs for inp in run.inputs
               if not all(any(same_content(inp, other) for other in peer.inputs) for peer in runs if peer is not run)]
    return {"same": not changed, "changed": list(dict.fromkeys(changed))}


def data_line(runs: Sequence[AnyRun]) -> str | None:
    """``data: same`` or ``data: changed (train.csv)`` for two runs or more (None when none recorded
    an input)."""
    change = data_change(runs)
    if change is None:
        return None
    return "data: same" if change["same"] else f"data: changed ({', '.join(change['changed'])})"


def input_filter(path: str) -> str:
    """A filter for runs that read the current content of ``path``: its sha256 (read now, or the LFS
    oid its pointer names), or the md5 DVC recorded for it."""
    from gx.data.files import expand, file_facts, hash_file
    from gx.errors import GxError
    from gx.paths import find_repo
    from gx.query.lexer import quote_string

    try:
        paths = find_repo()
    except GxError:
        paths = None
    terms = []
    for file in expand([path]):
        facts = file_facts(file, paths)
        ids = facts.content_ids()
        sha256 = ids.get("sha256") or hash_file(file, git_blob=False)[1]
        alternatives = [f"datasets.sha256 = {quote_string(sha256)}"]
        if "md5" in ids:
            alternatives.append(f"datasets.md5 = {quote_string(ids['md5'])}")
        terms.append("(" + " or ".join(alternatives) + ")")
    return " and ".join(terms)
