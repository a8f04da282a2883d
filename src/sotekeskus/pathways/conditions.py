"""Long-term conditions and their follow-up protocols, as data (``data/conditions.yaml``).

A condition lists ICD-10 categories and ICPC-2 codes (single codes or inclusive ranges of
three-character codes), a protocol interval in calendar months and a grace period in days.

Reading ``diagnosis_codes`` (episode contract v2: ``|``-separated, upper-cased, e.g.
``E11.9|I10|T90``): a code belongs to its three-character category (``E11.9`` and ``E119``
→ ``E11``). Both code systems share the column without a prefix, so a code of exactly three
characters is compared with the ICD-10 ranges **and** the ICPC-2 ranges, and a longer code
only with the ICD-10 ranges. ICPC-2 process codes (``-30``) match nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from sotekeskus.pathways.errors import RuleTableError
from sotekeskus.pathways.rule_table import (
    check_keys,
    check_unique,
    entry_id,
    names,
    read_table,
)

DEFAULT_FILE = "conditions.yaml"
_CODE = re.compile(r"^[A-Z]\d\d$")


@dataclass(frozen=True)
class Condition:
    id: str
    names: dict[str, str]
    icd10: tuple[tuple[str, str], ...]  # inclusive (low, high) category ranges
    icpc2: tuple[tuple[str, str], ...]
    interval_months: int
    grace_days: int

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names.get("en") or self.id

    def codes_text(self) -> str:
        """``ICD-10 E10–E14, ICPC-2 T89–T90`` (for the worklist's reason)."""
        def ranges(rs: tuple[tuple[str, str], ...]) -> str:
            return ", ".join(lo if lo == hi else f"{lo}–{hi}" for lo, hi in rs)
        parts = []
        if self.icd10:
            parts.append(f"ICD-10 {ranges(self.icd10)}")
        if self.icpc2:
            parts.append(f"ICPC-2 {ranges(self.icpc2)}")
        return ", ".join(parts)


@dataclass(frozen=True)
class ConditionTable:
    conditions: tuple[Condition, ...]
    source: str

    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.conditions)

    def get(self, condition_id: str) -> Condition:
        for c in self.conditions:
            if c.id == condition_id:
                return c
        raise KeyError(condition_id)

    def ranges(self) -> pa.Table:
        """``condition_id, system, lo, hi`` for the SQL join (:func:`episode_conditions_sql`)."""
        rows = [(c.id, system, lo, hi) for c in self.conditions
                for system, rs in (("icd10", c.icd10), ("icpc2", c.icpc2)) for lo, hi in rs]
        return pa.table({name: [r[i] for r in rows] for i, name in
                         enumerate(("condition_id", "system", "lo", "hi"))})

    def protocols(self) -> pa.Table:
        """``condition_id, interval_months, grace_days``."""
        return pa.table({
            "condition_id": [c.id for c in self.conditions],
            "interval_months": pa.array([c.interval_months for c in self.conditions],
                                        pa.int32()),
            "grace_days": pa.array([c.grace_days for c in self.conditions], pa.int32()),
        })


def load_conditions(path: str | Path | None = None) -> ConditionTable:
    """The shipped table, or a region's own file; :class:`RuleTableError` names the problem."""
    doc, source = read_table(path, DEFAULT_FILE, "conditions table")
    return parse_conditions(doc, source)


KEYS = ("id", "name", "icd10", "icpc2", "interval_months", "grace_days")


def parse_conditions(doc: Any, source: str) -> ConditionTable:
    if not isinstance(doc, dict) or not isinstance(doc.get("conditions"), list):
        raise RuleTableError(f"{source}: expected a mapping with a list 'conditions'")
    default_grace = _int(doc.get("grace_days", 0), f"{source}: grace_days", minimum=0)
    out: list[Condition] = []
    seen: set[str] = set()
    for i, item in enumerate(doc["conditions"], start=1):
        where = f"{source}: condition {i}"
        if not isinstance(item, dict):
            raise RuleTableError(f"{where}: expected a mapping")
        cid = entry_id(item.get("id"), where)
        where = f"{source}: condition {cid!r}"
        check_unique(cid, where, seen)
        check_keys(item, KEYS, where)
        icd10 = _ranges(item.get("icd10", []), f"{where}: icd10")
        icpc2 = _ranges(item.get("icpc2", []), f"{where}: icpc2")
        if not icd10 and not icpc2:
            raise RuleTableError(f"{where}: list at least one icd10 or icpc2 code")
        out.append(Condition(
            id=cid, names=names(item.get("name"), where), icd10=icd10, icpc2=icpc2,
            interval_months=_int(item.get("interval_months"), f"{where}: interval_months",
                                 minimum=1),
            grace_days=_int(item.get("grace_days", default_grace), f"{where}: grace_days",
                            minimum=0),
        ))
    if not out:
        raise RuleTableError(f"{source}: no conditions")
    return ConditionTable(tuple(out), source)


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RuleTableError(f"{where}: {value!r} is not a whole number ≥ {minimum}")
    return value


def _ranges(values: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(values, list):
        raise RuleTableError(f"{where}: expected a list such as [E10-E14, E66]")
    out = []
    for value in values:
        text = str(value).strip().upper()
        lo, _, hi = text.partition("-")
        hi = hi or lo
        if not (_CODE.match(lo) and _CODE.match(hi)) or lo[0] != hi[0] or lo > hi:
            raise RuleTableError(
                f"{where}: {value!r} is not a three-character code (E11) or a range of them "
                "within one letter (E10-E14)")
        out.append((lo, hi))
    return tuple(out)


def episode_conditions_sql(columns: str, where: str) -> str:
    """SQL: one row per (episode, condition) for the episodes matching ``where`` whose
    diagnosis codes include a code of the condition, with the episode ``columns`` (a
    comma-separated list of columns or ``expression AS name``; ``episode_id`` is always
    included) and ``condition_id``. Needs the
    relation ``__condition_ranges`` registered from :meth:`ConditionTable.ranges`."""
    names = [c.strip() for c in columns.split(",") if c.strip()]
    if "episode_id" not in names:
        names.insert(0, "episode_id")
    outer = ", ".join("e." + c.rsplit(" AS ", 1)[-1].strip() for c in names)
    return f"""
        SELECT DISTINCT {outer}, r.condition_id
        FROM (
            SELECT {", ".join(names)},
                   replace(upper(trim(unnest(string_split(diagnosis_codes, '|')))), '.', '')
                   AS code
            FROM episodes WHERE diagnosis_codes IS NOT NULL AND {where}
        ) e
        JOIN __condition_ranges r
          ON left(e.code, 3) BETWEEN r.lo AND r.hi
         AND (r.system = 'icd10' OR length(e.code) = 3)"""
