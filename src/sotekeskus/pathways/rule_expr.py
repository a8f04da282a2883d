"""A small, readable rule language for segment tables, translated to SQL.

    rule   := or
    or     := and ("or" and)*
    and    := not ("and" not)*
    not    := "not" not | atom
    atom   := "(" rule ")" | "true" | "false" | FEATURE OP INTEGER
    OP     := >= | <= | == | != | > | <

Features are names from a fixed list (never free SQL), numbers are whole numbers, so a rule
table cannot inject anything into a query. Errors name the rule and the position.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sotekeskus.pathways.errors import RuleTableError

_TOKEN = re.compile(r"\s*(?:(>=|<=|==|!=|>|<|\(|\))|(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\S))")
_OPS = {">=": ">=", "<=": "<=", "==": "=", "!=": "<>", ">": ">", "<": "<"}


def rule_to_sql(rule: str, features: Collection[str], where: str) -> str:
    """The SQL condition of ``rule`` (features become column names)."""
    tokens: list[tuple[str, str, int]] = []  # (kind, text, position)
    for m in _TOKEN.finditer(rule):
        if m.group(4):
            raise RuleTableError(f"{where}: unexpected {m.group(4)!r} at position "
                                 f"{m.start(4) + 1} of {rule!r}")
        if m.group(1):
            tokens.append(("op" if m.group(1) in _OPS else m.group(1), m.group(1), m.start(1)))
        elif m.group(2):
            tokens.append(("int", m.group(2), m.start(2)))
        elif m.group(3):
            word = m.group(3)
            kind = word if word in ("and", "or", "not", "true", "false") else "name"
            tokens.append((kind, word, m.start(3)))
    pos = 0

    def error(expected: str) -> RuleTableError:
        found = repr(tokens[pos][1]) if pos < len(tokens) else "the end"
        at = tokens[pos][2] + 1 if pos < len(tokens) else len(rule) + 1
        return RuleTableError(f"{where}: expected {expected} at position {at} of {rule!r}, "
                              f"found {found}")

    def take(kind: str) -> str | None:
        nonlocal pos
        if pos < len(tokens) and tokens[pos][0] == kind:
            pos += 1
            return tokens[pos - 1][1]
        return None

    def parse_or() -> str:
        parts = [parse_and()]
        while take("or"):
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def parse_and() -> str:
        parts = [parse_not()]
        while take("and"):
            parts.append(parse_not())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def parse_not() -> str:
        if take("not"):
            return f"(NOT {parse_not()})"
        return parse_atom()

    def parse_atom() -> str:
        nonlocal pos
        if take("("):
            inner = parse_or()
            if not take(")"):
                raise error("')'")
            return inner
        if take("true"):
            return "TRUE"
        if take("false"):
            return "FALSE"
        name = take("name")
        if name is None:
            raise error("a feature, '(', 'not', 'true' or 'false'")
        if name not in features:
            pos -= 1
            raise RuleTableError(f"{where}: unknown feature {name!r} in {rule!r}; features: "
                                 + ", ".join(sorted(features)))
        op = take("op")
        if op is None:
            raise error("a comparison (>=, <=, ==, !=, >, <)")
        number = take("int")
        if number is None:
            raise error("a whole number")
        return f"({name} {_OPS[op]} {int(number)})"

    if not tokens:
        raise RuleTableError(f"{where}: the rule is empty")
    sql = parse_or()
    if pos != len(tokens):
        raise error("'and', 'or' or the end")
    return sql
