"""Every limit gx applies to what it reads and writes, in one place (docs/format.md lists them).

Anything read back from git may come from someone else's clone, and anything read from the working
tree may be a FIFO, a device or a huge file: each read is bounded here, and crossing a bound is a
clear error naming the file and the limit, never a hang or a memory blow-up.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gx.errors import BadFile

#: A YAML or JSON document gx parses (params, metrics, run.yaml, gx.yaml): at most this many bytes,
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
#: this many nodes once aliases are expanded (a "billion laughs" document stops here),
MAX_DOCUMENT_NODES = 500_000
#: and this deep.
MAX_DOCUMENT_DEPTH = 64
#: Keys a run may hold in each of params, metrics and tags.
MAX_KEYS_PER_RUN = 10_000
#: Points in one metric's history.
MAX_HISTORY_POINTS = 10_000_000
#: Length of a param, metric or tag key; of a run name; of a tag or string param value.
MAX_KEY_LENGTH = 250
MAX_RUN_NAME_LENGTH = 250
MAX_VALUE_LENGTH = 64 * 1024
#: Artifacts are for small files (plots, configs, reports): each one at most this many bytes.
MAX_ARTIFACT_BYTES = int(float(os.environ.get("GX_MAX_ARTIFACT_MB", "10")) * 1024 * 1024)
#: Files in one run's tree (artifacts and metric histories included).
MAX_FILES_PER_RUN = 20_000
#: An experiment name: its ref file (``.git/refs/remotes/<remote>/experiments/<name>.lock``) must fit
#: a filesystem name (255 bytes) and Windows' 260-character paths.
MAX_EXPERIMENT_NAME_LENGTH = 100
#: One part of an artifact path, in UTF-8 bytes: what every filesystem can store as a file name.
MAX_PATH_PART_BYTES = 255
#: A run commit's ``gx-summary`` header: a longer one is not written, and one read back is not parsed.
MAX_SUMMARY_BYTES = 16 * 1024

# -- Git LFS servers (gx.lfs.transfer): everything a server or `git-lfs-authenticate` sends is bounded.
#: A batch API response, an error body or `git-lfs-authenticate`'s JSON: at most this many bytes.
MAX_LFS_JSON_BYTES = 8 * 1024 * 1024
#: Objects asked for in one batch request (git-lfs's own lfs.transfer.batchSize default).
LFS_BATCH_SIZE = 100
#: Headers in one action, and the length of an href or a header value.
MAX_LFS_ACTION_HEADERS = 50
MAX_LFS_HREF_LENGTH = 8 * 1024
#: Seconds a stalled LFS connection (no byte either way) is given before it counts as cut.
LFS_TIMEOUT = float(os.environ.get("GX_LFS_TIMEOUT", "60"))

# -- commit hooks (gx.hooks.handoff): the pre-commit check's process waiting to record the commit.
#: Seconds it waits for the post-commit hook (a commit message editor may stay open that long).
HOOK_HELPER_MAX_WAIT = 3600.0
#: Seconds a post-commit hook waits for it to finish recording before leaving it to finish alone.
HOOK_HANDOFF_WAIT = 600.0


def stat_regular_file(path: str | os.PathLike[str], what: str = "file") -> os.stat_result:
    """``os.stat`` of a regular file; a missing path, a FIFO, device, socket or directory is a
    ``BadFile`` naming ``what``, decided without opening it (opening a FIFO would block)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise BadFile(f"{what} {str(p)!r} does not exist") from None
    except OSError as exc:
        raise BadFile(f"cannot read {what} {str(p)!r}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise BadFile(f"{what} {str(p)!r} is {kind}; gx reads regular files only")
    return st


def read_regular_file(path: str | os.PathLike[str], limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. A FIFO, device, socket or directory is
    refused without opening it for reading (that would block or never end), and the read itself is
    bounded, so a file that grows while it is read cannot exhaust memory either."""
    p = Path(path)
    st = stat_regular_file(p, what)
    if st.st_size > limit:
        raise BadFile(f"{what} {str(p)!r} is {st.st_size:,} bytes; the limit is {limit:,}")
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise BadFile(f"cannot read {what} {str(p)!r}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise BadFile(f"{what} {str(p)!r} is over {limit:,} bytes; the limit is {limit:,}")
    return data
