"""fsck's checks of commit and tag headers on raw bytes: order and form, identities, dates, NUL bytes."""

from __future__ import annotations

import re

from gx.store.fsck_types import BLOB, COMMIT, TAG, TREE, Checked


def check_commit(raw: bytes) -> Checked:
    """Header order and form, identities, dates and NUL bytes, as fsck_commit in git's fsck.c."""
    if b"\0" not in raw and (raw.endswith(b"\n") or b"\n\n" in raw):
        plain = _PLAIN_COMMIT.match(raw)
        if plain is not None:  # the usual commit: nothing to report, only its links
            out = Checked()
            parents = plain[2]
            out.links.append((plain[1], TREE, b""))
            out.links.extend((parents[at + 7:at + 47], COMMIT, b"") for at in range(0, len(parents), 48))
            return out
    return check_commit_line_by_line(raw)


#: An identity no rule of ``_ident_problem`` flags: a name and e-mail without angle brackets, one
#: space before the date, a date of at most 18 digits (below git's overflow) without zero padding.
_PLAIN_IDENT = rb"[^<>\n]* <[^<>\n]*> (?:0|[1-9][0-9]{0,17}) [+-][0-9]{4}"
_PLAIN_COMMIT = re.compile(rb"tree ([0-9a-f]{40})\n((?:parent [0-9a-f]{40}\n)*)author %s\ncommitter %s\n"
                           % (_PLAIN_IDENT, _PLAIN_IDENT))


def check_commit_line_by_line(raw: bytes) -> Checked:
    """``check_commit`` for any commit: each header line parsed and checked in turn."""
    out = Checked()
    end_of_header = raw.find(b"\n\n")
    header = raw if end_of_header < 0 else raw[:end_of_header + 1]
    nul = header.find(b"\0")
    if nul >= 0:
        out.add("nulInHeader", f"unterminated header: NUL at offset {nul}")
        return out
    if end_of_header < 0 and not raw.endswith(b"\n"):
        out.add("unterminatedHeader", "unterminated header")
        return out
    lines = header.split(b"\n")
    i = 0
    if not lines[i].startswith(b"tree "):
        out.add("missingTree", "invalid format - expected 'tree' line")
        return out
    if not _is_hex_id(lines[i][5:]):
        out.add("badTreeSha1", "invalid 'tree' line format - bad sha1")
    else:
        out.links.append((lines[i][5:].lower(), TREE, b""))
    i += 1
    while lines[i].startswith(b"parent "):
        if not _is_hex_id(lines[i][7:]):
            out.add("badParentSha1", "invalid 'parent' line format - bad sha1")
        else:
            out.links.append((lines[i][7:].lower(), COMMIT, b""))
        i += 1
    authors = 0
    while lines[i].startswith(b"author "):
        authors += 1
        if not _ident(lines[i][7:], out):
            return out
        i += 1
    if authors != 1:
        out.add("missingAuthor" if not authors else "multipleAuthors",
                "invalid format - " + ("expected 'author' line" if not authors else "multiple 'author' lines"))
        return out
    if not lines[i].startswith(b"committer "):
        out.add("missingCommitter", "invalid format - expected 'committer' line")
        return out
    if _ident(lines[i][10:], out) and b"\0" in raw:
        out.add("nulInCommit", "NUL byte in the commit object body")
    return out


_TAG_TYPES = {b"commit": COMMIT, b"tree": TREE, b"blob": BLOB, b"tag": TAG}


def check_tag(raw: bytes) -> Checked:
    """``object``, ``type``, ``tag`` and ``tagger`` headers, as fsck_tag_standalone in git's fsck.c."""
    out = Checked()
    end_of_header = raw.find(b"\n\n")
    header = raw if end_of_header < 0 else raw[:end_of_header + 1]
    if b"\0" in header:
        out.add("nulInHeader", "unterminated header: NUL in the tag's header")
        return out
    lines = header.split(b"\n")
    if not lines[0].startswith(b"object ") or not _is_hex_id(lines[0][7:]):
        out.add("badObjectSha1" if lines[0].startswith(b"object ") else "missingObject",
                "invalid 'object' line format")
        return out
    kind = _TAG_TYPES.get(lines[1][5:]) if len(lines) > 1 and lines[1].startswith(b"type ") else None
    if kind is None:
        out.add("badType" if len(lines) > 1 and lines[1].startswith(b"type ") else "missingTypeEntry",
                "invalid 'type' value")
        return out
    out.links.append((lines[0][7:].lower(), kind, b""))
    if len(lines) < 3 or not lines[2].startswith(b"tag ") or not lines[2][4:]:
        out.add("missingTagEntry", "invalid format - expected 'tag' line")
        return out
    if len(lines) < 4 or not lines[3].startswith(b"tagger "):
        out.add("missingTaggerEntry", "invalid format - expected 'tagger' line")
    else:
        _ident(lines[3][7:], out)
    return out


def _is_hex_id(text: bytes) -> bool:
    return _HEX_ID.fullmatch(text) is not None


_HEX_ID = re.compile(rb"[0-9a-fA-F]{40}")


_IDENT_TEXTS = {
    "missingNameBeforeEmail": "missing space before email", "missingEmail": "missing email",
    "badName": "bad name", "missingSpaceBeforeEmail": "missing space before email", "badEmail": "bad email",
    "missingSpaceBeforeDate": "missing space before date", "badDate": "bad date",
    "zeroPaddedDate": "zero-padded date", "badDateOverflow": "date causes integer overflow",
    "badTimezone": "bad time zone",
}


def _ident(line: bytes, out: Checked) -> bool:
    """``Name <email> 1234567890 +0000``, as fsck_ident; reports the first problem."""
    msg_id = _ident_problem(line)
    if msg_id:
        out.add(msg_id, f"invalid author/committer line - {_IDENT_TEXTS[msg_id]}")
    return msg_id is None


def _ident_problem(line: bytes) -> str | None:
    if line.startswith(b"<"):
        return "missingNameBeforeEmail"
    lt, gt = line.find(b"<"), line.find(b">")
    if lt < 0 and gt < 0:
        return "missingEmail"
    if gt >= 0 and (lt < 0 or gt < lt):
        return "badName"
    if line[lt - 1:lt] != b" ":
        return "missingSpaceBeforeEmail"
    close = line.find(b">", lt + 1)
    if close < 0 or b"<" in line[lt + 1:close]:
        return "badEmail"
    rest = line[close + 1:]
    if not rest.startswith(b" "):
        return "missingSpaceBeforeDate"
    rest = rest[1:].lstrip(b" \t")
    digits = len(rest) - len(rest.lstrip(b"0123456789"))
    if not digits:
        return "badDate"
    if rest.startswith(b"0") and rest[1:2] != b" ":
        return "zeroPaddedDate"
    if int(rest[:digits]) >= 2**63 - 1:
        return "badDateOverflow"
    if rest[digits:digits + 1] != b" ":
        return "badDate"
    zone = rest[digits + 1:]
    if len(zone) != 5 or zone[:1] not in (b"+", b"-") or not zone[1:].isdigit():
        return "badTimezone"
    return None
