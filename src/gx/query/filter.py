"""Search filters: MLflow's search grammar (extended), parsed once into nested closures.

Choices (see the tests for examples):
* Strings are quoted with '...' or "..."; a quote inside is doubled ('it''s'); backslashes are
  literal, so REGEXP '\\d+' needs no double escaping. Backtick / double-quoted keys double too.
* ``true``/``false`` (any case) are bool literals. A bool param matches ``true``, 'true' or 'True'.
* A param compares numerically when it is an int/float and the literal is a number (quoted or not);
  otherwise both sides compare as strings: str(param) against the literal's text (source text for
  numbers). Metrics and duration always compare numerically; a quoted number is converted, any
  other string is a FilterSyntaxError at parse time.
* start_time/end_time take epoch milliseconds (as MLflow) or an ISO date/date-time, naive = UTC.
* status compares case-insensitively. LIKE: % and _ wildcards, backslash escapes them.
* A missing key (or a param set to None) fails every comparison, != and NOT IN included; only
  IS NULL is true. NaN fails every comparison except != and NOT IN.
* Bare attribute names (status, start_time, ...) may be used without ``attributes.``.
* ``datasets.KEY`` (``gx.query.access.DATASET_KEYS``) matches a run when any of its inputs does (MLflow's rule).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from typing import Any, Callable

from gx.errors import FilterSyntaxError
from gx.query.access import getter, parse_time
from gx.query.compile import (
    OP_FUNCS,
    STR_BOOLS,
    Literal,
    Predicate,
    Test,
    all_of,
    any_of,
    bind,
    bind_any,
    field_kind,
    like_regex,
    to_number,
    value_test,
)
from gx.query.lexer import NUMBER, Token, resolve_field, tokenize
from gx.records import RunSummary

_MAX_DEPTH = 100


class _Parser:
    """Recursive descent over the tokens, compiling as it goes: OR < AND < NOT < term."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.tokens = tokenize(s)
        self.i = 0
        self.depth = 0
        self.keys: set[tuple[str, str]] = set()

    def error(self, message: str, pos: int) -> FilterSyntaxError:
        return FilterSyntaxError(message, self.s, pos)

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "EOF":
            self.i += 1
        return tok

    def at_word(self, *words: str) -> bool:
        tok = self.tokens[self.i]
        return tok.kind == "WORD" and tok.text.lower() in words

    def parse(self) -> Predicate:
        if self.peek().kind == "EOF":
            return lambda run: True
        predicate = self.parse_or()
        tok = self.peek()
        if tok.kind == "RPAREN":
            raise self.error("unbalanced parenthesis: nothing to close", tok.pos)
        if tok.kind != "EOF":
            raise self.error(
                "unexpected text after a complete term; join terms with AND/OR", tok.pos
            )
        return predicate

    def parse_or(self) -> Predicate:
        preds = [self.parse_and()]
        while self.at_word("or"):
            self.take()
            preds.append(self.parse_and())
        return any_of(preds)

    def parse_and(self) -> Predicate:
        preds = [self.parse_not()]
        while self.at_word("and"):
            self.take()
            preds.append(self.parse_not())
        return all_of(preds)

    def nest(self, pos: int) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.error(f"filter nested deeper than {_MAX_DEPTH} levels", pos)

    def parse_not(self) -> Predicate:
        if not self.at_word("not"):
            return self.parse_primary()
        self.nest(self.take().pos)
        inner = self.parse_not()
        self.depth -= 1
        return lambda run: not inner(run)

    def parse_primary(self) -> Predicate:
        tok = self.peek()
        if tok.kind != "LPAREN":
            return self.parse_term()
        self.take()
        self.nest(tok.pos)
        inner = self.parse_or()
        self.depth -= 1
        close = self.take()
        if close.kind == "EOF":
            raise self.error("unbalanced parenthesis: '(' is never closed", tok.pos)
        if close.kind != "RPAREN":
            raise self.error("expected ')', AND or OR", close.pos)
        return inner

    def parse_term(self) -> Predicate:
        entity, key = resolve_field(self.take(), self.s)
        self.keys.add((entity, key))
        kind = field_kind(entity, key)
        get = getter(entity, key)
        if kind == "status":
            raw = get

            def get(run: RunSummary) -> str | None:
                v = raw(run)
                return None if v is None else str(v).upper()

        join, tok = bind_any if kind == "dataset" else bind, self.take()
        if tok.kind == "OP":
            return join(get, self.compare(kind, OP_FUNCS[tok.text], self.value()))
        word = tok.text.lower() if tok.kind == "WORD" else ""
        if word == "is":
            negate = self.at_word("not")
            if negate:
                self.take()
            null = self.take()
            if null.kind != "WORD" or null.text.lower() != "null":
                raise self.error("expected NULL after IS" + (" NOT" if negate else ""), null.pos)
            if negate:
                return lambda run: get(run) is not None
            return lambda run: get(run) is None
        negate = word == "not"
        if negate:
            tok = self.take()
            word = tok.text.lower() if tok.kind == "WORD" else ""
            if word not in ("in", "like", "ilike", "regexp"):
                raise self.error("expected IN, LIKE, ILIKE or REGEXP after NOT", tok.pos)
        if word == "in":
            test = self.member(kind, self.value_list())
        elif word in ("like", "ilike", "regexp"):
            test = self.pattern(kind, word, tok, entity, key)
        else:
            what = "missing comparator" if tok.kind == "EOF" else "expected a comparator"
            raise self.error(
                f"{what} (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS NULL, REGEXP)", tok.pos
            )
        if negate:
            inner = test
            test = lambda v: not inner(v)  # noqa: E731
        return join(get, test)

    def value(self) -> Literal:
        tok = self.take()
        if tok.kind == "STRING":
            return Literal("str", tok.text, tok.pos)
        if tok.kind == "NUMBER":
            return Literal("num", tok.text, tok.pos, num=to_number(tok.text))
        word = tok.text.lower() if tok.kind == "WORD" else ""
        if word in STR_BOOLS:
            return Literal("bool", word, tok.pos, flag=STR_BOOLS[word])
        if word == "null":
            raise self.error("use IS NULL or IS NOT NULL to test for a missing value", tok.pos)
        if tok.kind in ("WORD", "FIELD"):
            raise self.error("expected a value; quote strings, as in 'text'", tok.pos)
        what = "missing value" if tok.kind == "EOF" else "expected a value"
        raise self.error(f"{what}: a 'string', a number, true or false", tok.pos)

    def value_list(self) -> list[Literal]:
        open_ = self.take()
        if open_.kind != "LPAREN":
            raise self.error("expected '(' after IN, as in IN ('a', 'b')", open_.pos)
        values = [self.value()]
        while True:
            tok = self.take()
            if tok.kind == "RPAREN":
                return values
            if tok.kind == "EOF":
                raise self.error("unbalanced parenthesis: '(' is never closed", open_.pos)
            if tok.kind != "COMMA":
                raise self.error("expected ',' or ')' in the IN list", tok.pos)
            values.append(self.value())

    def number(self, lit: Literal, kind: str) -> float:
        """The numeric value of a literal compared to a number or time field."""
        if lit.kind == "num" and lit.num is not None:
            return float(lit.text) / 1000 if kind == "time" else lit.num
        if lit.kind == "str":
            text = lit.text.strip()
            if kind == "time":
                if NUMBER.fullmatch(text):
                    return float(text) / 1000
                try:
                    return parse_time(text)
                except ValueError:
                    pass
            else:
                try:
                    return float(text)
                except ValueError:
                    pass
        if kind == "time":
            msg = "expected epoch milliseconds or an ISO date such as '2026-11-24T10:00:00'"
        else:
            msg = "expected a number: this field holds numbers"
        raise self.error(msg, lit.pos)

    def compare(self, kind: str, op: Callable[[Any, Any], bool], lit: Literal) -> Test:
        if kind in ("number", "time"):
            x = self.number(lit, kind)
            return lambda v: op(v, x)
        if kind == "status":
            lit = Literal("str", lit.text.upper(), lit.pos)
        return value_test(op, lit)

    def member(self, kind: str, lits: list[Literal]) -> Test:
        if kind in ("number", "time"):
            xs = frozenset(self.number(lit, kind) for lit in lits)
            return lambda v: v in xs
        if kind == "status":
            names = frozenset(lit.text.upper() for lit in lits)
            return lambda v: v in names
        tests = tuple(value_test(operator.eq, lit) for lit in lits)
        return lambda v: any(t(v) for t in tests)

    def pattern(self, kind: str, word: str, tok: Token, entity: str, key: str) -> Test:
        if kind in ("number", "time"):
            msg = f"{word.upper()} does not apply to {entity}.{key}, which holds numbers"
            raise self.error(msg, tok.pos)
        lit = self.value()
        if lit.kind != "str":
            raise self.error(f"{word.upper()} needs a quoted pattern", lit.pos)
        flags = re.IGNORECASE if word == "ilike" or kind == "status" else 0
        if word != "regexp":
            rx = like_regex(lit.text, flags)
            return lambda v: rx.fullmatch(v if type(v) is str else str(v)) is not None
        try:
            rx = re.compile(lit.text, flags)
        except (re.error, OverflowError, RecursionError, ValueError) as exc:
            raise self.error(f"bad regular expression: {exc}", lit.pos) from None
        return lambda v: rx.search(v if type(v) is str else str(v)) is not None


class Filter:
    """A parsed filter; ``matches`` runs the precompiled closures against one run."""

    __slots__ = ("text", "_predicate", "_keys")

    def __init__(self, text: str, predicate: Predicate, keys: set[tuple[str, str]]) -> None:
        self.text = text
        self._predicate = predicate
        self._keys = frozenset(keys)

    def matches(self, run: RunSummary) -> bool:
        """Whether the run satisfies the filter (no parsing happens here)."""
        return self._predicate(run)

    __call__ = matches

    def referenced_keys(self) -> set[tuple[str, str]]:
        """The (entity, key) pairs the filter reads; entities are canonical names."""
        return set(self._keys)

    def __repr__(self) -> str:
        return f"Filter({self.text!r})"


def parse_filter(filter_string: str) -> Filter:
    """Parse and compile a filter; an empty or blank one matches every run."""
    parser = _Parser(filter_string)
    return Filter(filter_string, parser.parse(), parser.keys)


def filter_runs(runs: Iterable[RunSummary], filter_string: str) -> list[RunSummary]:
    """The runs matching a filter, in their input order."""
    predicate = parse_filter(filter_string)._predicate
    return [run for run in runs if predicate(run)]
