"""The rules for ``.gitmodules`` and ``.gitattributes`` contents, as git's fsck applies them
(submodule-config.c, attr.c). The names themselves, in every filesystem's spelling, are ``gx.gitnames``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

from gx import limits

# -- .gitattributes and .gitmodules contents -------------------------------------------------------
_ATTR_MAX_FILE_SIZE, _ATTR_MAX_LINE_LENGTH = 100 * 1024 * 1024, 2048


def check_gitattributes(raw: bytes) -> list[tuple[str, str]]:
    """``(fsck id, text)`` for a .gitattributes blob git cannot read (fsck_blob)."""
    if len(raw) > _ATTR_MAX_FILE_SIZE:
        return [("gitattributesLarge", ".gitattributes too large to parse")]
    if any(len(line) >= _ATTR_MAX_LINE_LENGTH for line in raw.split(b"\0", 1)[0].split(b"\n")):
        return [("gitattributesLineLength", ".gitattributes has too long lines to parse")]
    return []


def check_gitmodules(raw: bytes) -> list[tuple[str, str]]:
    """``(fsck id, text)`` for submodule names, urls, paths and update commands that git refuses
    (fsck_gitmodules_fn); entries before a syntax error are checked, as git does."""
    if len(raw) > limits.MAX_DOCUMENT_BYTES:
        return [("gitmodulesLarge", f".gitmodules is over {limits.MAX_DOCUMENT_BYTES:,} bytes")]
    out: list[tuple[str, str]] = []
    try:
        for var, value in _config_entries(raw):
            section, _, rest = var.partition(b".")
            subsection, dot, key = rest.rpartition(b".")
            if section != b"submodule" or not dot:
                continue
            shown = subsection.decode("utf-8", "backslashreplace")
            if not _submodule_name_ok(subsection):
                out.append(("gitmodulesName", f"disallowed submodule name: {shown}"))
            text = (value or b"").decode("utf-8", "backslashreplace")
            if key == b"url" and value is not None and not _submodule_url_ok(value):
                out.append(("gitmodulesUrl", f"disallowed submodule url: {text}"))
            if key == b"path" and value is not None and value.startswith(b"-"):
                out.append(("gitmodulesPath", f"disallowed submodule path: {text}"))
            if key == b"update" and value is not None and value.startswith(b"!"):
                out.append(("gitmodulesUpdate", f"disallowed submodule update setting: {text}"))
    except ValueError:
        out.append(("gitmodulesParse", "could not parse gitmodules blob"))
    return out


def _submodule_name_ok(name: bytes) -> bool:
    return bool(name) and not any(part == b".." for part in name.replace(b"\\", b"/").split(b"/"))


def _submodule_url_ok(url: bytes) -> bool:
    """check_submodule_url: no option-like url, no newline once decoded, no ``../`` escaping the host."""
    if url.startswith(b"-"):
        return False
    if url.startswith((b"./", b"../", b".\\", b"..\\", b"git://")):
        if b"\n" in unquote_to_bytes(url):
            return False
        rest = url
        dotdots = 0
        while rest.startswith((b"./", b".\\", b"../", b"..\\")):
            dotdots += rest.startswith((b"../", b"..\\"))
            rest = rest[3:] if rest.startswith((b"../", b"..\\")) else rest[2:]
        return not (dotdots and rest[:1] in (b":", b"/"))
    for scheme in (b"http", b"https", b"ftp", b"ftps"):
        if url.startswith(scheme + b"::"):
            url = url[len(scheme) + 2:]
            break
    if not url.startswith((b"http://", b"https://", b"ftp://", b"ftps://")):
        return True
    host = url.split(b"://", 1)[1].split(b"/", 1)[0].split(b"?", 1)[0].split(b"#", 1)[0].rpartition(b"@")[2]
    decoded = unquote_to_bytes(url)
    return bool(host) and b"\n" not in decoded and not any(c < 0x20 or c == 0x7F for c in url)


def _config_entries(data: bytes) -> Iterator[tuple[bytes, bytes | None]]:
    """``(section.subsection.key, value)`` in order, as git's config parser reads them; a syntax
    error raises ValueError after the entries before it (git has checked those by then too)."""
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    chars = iter(text.replace(b"\r\n", b"\n") + b"\n")
    base, c = b"", 0
    for c in chars:
        if c in b" \t\n\v\f\r":
            continue
        if c in b"#;":
            for c in chars:
                if c == ord("\n"):
                    break
            continue
        if c == ord("["):
            base = _section(chars)
            continue
        if not (chr(c).isascii() and chr(c).isalpha()):
            raise ValueError("bad config line")
        key = bytearray([c])
        for c in chars:
            if not (chr(c).isascii() and (chr(c).isalnum() or c == ord("-"))):
                break
            key.append(c)
        while c in b" \t":
            c = next(chars, ord("\n"))
        if c == ord("\n"):
            yield base + b"." + bytes(key).lower(), None
            continue
        if c != ord("="):
            raise ValueError("bad config line")
        yield base + b"." + bytes(key).lower(), _value(chars)


def _section(chars: Iterator[int]) -> bytes:
    name = bytearray()
    for c in chars:
        if c == ord("]"):
            if not name:
                raise ValueError("empty section name")
            return bytes(name)
        if c in b" \t\v\f\r\n":
            break
        if not (chr(c).isascii() and (chr(c).isalnum() or c in b"-.")):
            raise ValueError("bad section name")
        name.append(c)
    else:
        raise ValueError("unterminated section header")
    while c in b" \t\v\f\r":
        c = next(chars, ord("\n"))
    if c != ord('"'):
        raise ValueError("bad section header")
    sub = bytearray()
    for c in chars:
        if c == ord("\n"):
            raise ValueError("unterminated section header")
        if c == ord('"'):
            break
        if c == ord("\\"):
            c = next(chars, ord("\n"))
            if c == ord("\n"):
                raise ValueError("unterminated section header")
        sub.append(c)
    if next(chars, 0) != ord("]"):
        raise ValueError("bad section header")
    return bytes(name).lower() + b"." + bytes(sub)


def _value(chars: Iterator[int]) -> bytes:
    """parse_value: quotes, escapes, comments and trailing blanks as git reads them."""
    value, quote, comment, trim = bytearray(), False, False, 0
    escapes = {ord("t"): ord("\t"), ord("b"): ord("\b"), ord("n"): ord("\n"), ord("\\"): ord("\\"),
               ord('"'): ord('"')}
    for c in chars:
        if c == ord("\n"):
            if quote:
                raise ValueError("unterminated quote")
            return bytes(value[:trim] if trim else value)
        if comment:
            continue
        if c in b" \t\v\f\r" and not quote:
            trim = trim or len(value)
            if value:
                value.append(c)
            continue
        if not quote and c in b"#;":
            comment = True
            continue
        trim = 0
        if c == ord("\\"):
            c = next(chars, ord("\n"))
            if c == ord("\n"):
                continue
            if c not in escapes:
                raise ValueError("unknown escape")
            value.append(escapes[c])
        elif c == ord('"'):
            quote = not quote
        else:
            value.append(c)
    raise ValueError("unterminated value")
