"""Tokens of the search grammar (see ``gx.query.filter``), shared by filters and sort keys.

Also the reverse direction: quoting a string or an odd key so the tokenizer reads it back unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gx.errors import FilterSyntaxError
from gx.query.access import ATTRIBUTE_ALIASES, DATASET_KEYS, normalize_attribute, normalize_entity

KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "null", "like", "ilike", "regexp", "true", "false"}
)
#: A number literal; the filter also uses it to tell numeric strings from text.
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[^\W\d][\w.\-]*")
_SAFE_KEY = re.compile(r"[\w.\-]+")
_OPS = ("<=", ">=", "!=", "<>", "==", "=", "<", ">")
_OP_NAMES = {"<>": "!=", "==": "="}
_PUNCT = {"(": "LPAREN", ")": "RPAREN", ",": "COMMA"}


@dataclass(frozen=True)
class Token:
    """One lexeme: kind is FIELD, WORD, STRING, NUMBER, OP, LPAREN, RPAREN, COMMA or EOF."""

    kind: str
    text: str  # FIELD: the entity as written; STRING: the unescaped content
    pos: int
    key: str = ""  # FIELD only
    key_pos: int = 0


def _read_quoted(s: str, start: int, what: str = "string") -> tuple[str, int]:
    """Unescape the quoted run at s[start] (quote doubled inside); return (text, end index)."""
    q, parts, i = s[start], [], start + 1
    while True:
        j = s.find(q, i)
        if j < 0:
            raise FilterSyntaxError(f"unterminated {what}: no closing {q}", s, start)
        parts.append(s[i:j])
        if s.startswith(q, j + 1):
            parts.append(q)
            i = j + 2
        else:
            return "".join(parts), j + 1


def tokenize(s: str) -> list[Token]:
    """Split a filter into tokens, always ending with an EOF token at len(s)."""
    tokens: list[Token] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
        elif c in _PUNCT:
            tokens.append(Token(_PUNCT[c], c, i))
            i += 1
        elif c in "=!<>":
            op = next((o for o in _OPS if s.startswith(o, i)), None)
            if op is None:
                raise FilterSyntaxError("'!' must be followed by '='", s, i)
            tokens.append(Token("OP", _OP_NAMES.get(op, op), i))
            i += len(op)
        elif c in "'\"":
            text, end = _read_quoted(s, i)
            tokens.append(Token("STRING", text, i))
            i = end
        elif c == "`":
            raise FilterSyntaxError("a backtick-quoted key must follow 'entity.'", s, i)
        elif (m := NUMBER.match(s, i)) is not None:
            end = m.end()
            if end < n and (s[end].isalnum() or s[end] in "_."):
                raise FilterSyntaxError("malformed number", s, i)
            tokens.append(Token("NUMBER", m.group(), i))
            i = end
        elif (m := _WORD.match(s, i)) is not None:
            word, end = m.group(), m.end()
            if "." not in word:
                tokens.append(Token("WORD", word, i))
            else:
                entity, _, key = word.partition(".")
                key_pos = i + len(entity) + 1
                if not key:
                    if end < n and s[end] in '`"':
                        key, end = _read_quoted(s, end, "quoted key")
                    else:
                        msg = f"missing key after '{entity}.' (quote odd keys in backticks)"
                        raise FilterSyntaxError(msg, s, key_pos)
                tokens.append(Token("FIELD", entity, i, key, key_pos))
            i = end
        else:
            raise FilterSyntaxError(f"unexpected character {c!r}", s, i)
    tokens.append(Token("EOF", "", n))
    return tokens


def quote_string(value: str) -> str:
    """A single-quoted filter literal for any string."""
    return "'" + value.replace("'", "''") + "'"


def field_ref(entity: str, key: str) -> str:
    """``entity.key`` as a filter or sort key would spell it, backtick-quoting odd keys."""
    if _SAFE_KEY.fullmatch(key):
        return f"{entity}.{key}"
    return f"{entity}.`" + key.replace("`", "``") + "`"


def resolve_field(tok: Token, s: str) -> tuple[str, str]:
    """The canonical (entity, key) a FIELD or bare-attribute WORD token names."""
    if tok.kind == "WORD" and tok.text.lower() not in KEYWORDS:
        attr = normalize_attribute(tok.text)
        if attr is None:
            msg = f"unknown attribute {tok.text!r}; did you mean metrics.{tok.text} or params.{tok.text}?"
            raise FilterSyntaxError(msg, s, tok.pos)
        return "attributes", attr
    if tok.kind != "FIELD":
        what = "missing term" if tok.kind == "EOF" else "expected a term"
        raise FilterSyntaxError(f"{what} such as metrics.loss < 0.5", s, tok.pos)
    entity = normalize_entity(tok.text)
    if entity is None:
        msg = f"unknown entity {tok.text!r}: use metrics., params., tags., attributes. or datasets."
        raise FilterSyntaxError(msg, s, tok.pos)
    if entity == "datasets" and tok.key not in DATASET_KEYS:
        known = ", ".join(DATASET_KEYS)
        raise FilterSyntaxError(f"unknown dataset key {tok.key!r}; known: {known}", s, tok.key_pos)
    if entity != "attributes":
        return entity, tok.key
    attr = normalize_attribute(tok.key)
    if attr is None:
        known = ", ".join(sorted(set(ATTRIBUTE_ALIASES.values())))
        raise FilterSyntaxError(f"unknown attribute {tok.key!r}; known: {known}", s, tok.key_pos)
    return entity, attr
