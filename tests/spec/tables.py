"""ASCII tables for the shared spec tests: episodes in, expected rows out.

A table is written as Markdown-style rows; the first row names the columns, a row of dashes
under it is optional, an empty cell is a null::

    | episode_id | assessed_at | visit_at   | status |
    |------------|-------------|------------|--------|
    | e1         | 2025-03-10  | 2025-03-24 | done   |

**Episode tables** (:func:`episodes`) use the episode-file contract's column names
(domain.md). Columns a spec does not care about may be left out; they then take these
defaults, chosen so that they never decide a figure by accident:

| column | default |
|---|---|
| ``person_id`` | ``P`` + episode id |
| ``birth_date`` | ``1980-01-01`` (an adult: 23 or over on any date the specs use) |
| ``unit_id`` | ``U1`` |
| ``service_area`` / ``professional_group`` | ``medical`` / ``physician`` |
| ``urgency`` | ``non_urgent`` |
| ``contact_at`` | the day of ``assessed_at``, else of ``visit_at`` |
| ``status`` | ``done`` when there is a ``visit_at``, else ``waiting`` |
| ``contact_mode`` / ``assessed_at`` / ``visit_at`` | null |
| ``plan_based`` | ``false`` |

A date-time cell may be a bare date: ``contact_at`` then means 08:00 that day,
``assessed_at`` 09:00 and ``visit_at`` 10:00, so that a same-day contact, assessment and visit
keep their order.

**Expected tables** (:func:`assert_rows`) name the output columns to check; other fields of
the engine's rows are not compared. Cells are typed by column: counts and day figures as
integers, percentages and the median as decimals, deadlines as dates, everything else as text.
The rows must match in number, values and order.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sotekeskus.domain.episode import Episode
from sotekeskus.domain.vocabulary import (
    ContactMode,
    ProfessionalGroup,
    ServiceArea,
    Status,
    Urgency,
)

INT_COLUMNS = frozenset({
    "visits", "over_90d", "legal_breaches", "target_misses", "done", "remote", "waiting",
    "past_deadline", "due_today", "due_within_7d", "longest_wait_days", "days_waited",
    "days_to_deadline", "contacts", "not_assessed_same_day",
})
FLOAT_COLUMNS = frozenset({
    "within_7d_pct", "within_14d_pct", "median_wait_days", "assessment_coverage_pct",
    "remote_share_pct", "within_target_pct", "not_assessed_same_day_pct",
})
DATE_COLUMNS = frozenset({"legal_deadline", "assessed_on", "birth_date"})
BARE_DATE_TIME = {"contact_at": time(8), "assessed_at": time(9), "visit_at": time(10)}
EPISODE_FIELDS = ("episode_id", "person_id", "birth_date", "unit_id", "service_area",
                  "professional_group", "urgency", "contact_at", "assessed_at", "visit_at",
                  "contact_mode", "status", "plan_based")


class TableError(ValueError):
    """A spec table is malformed (the message names the row and column)."""


def parse(text: str) -> list[dict[str, str | None]]:
    """Rows of an ASCII table as text cells (an empty cell is ``None``)."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        raise TableError("empty table")
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    header, body = rows[0], rows[1:]
    if body and all(set(c) <= {"-", ":"} and c for c in body[0]):
        body = body[1:]
    out = []
    for number, cells in enumerate(body, start=1):
        if len(cells) != len(header):
            raise TableError(f"row {number}: {len(cells)} cells for {len(header)} columns "
                             f"({' | '.join(cells)})")
        out.append({h: (c if c != "" else None) for h, c in zip(header, cells, strict=True)})
    return out


def _typed(column: str, value: str | None) -> Any:
    if value is None:
        return None
    try:
        if column in INT_COLUMNS:
            return int(value)
        if column in FLOAT_COLUMNS:
            return float(value)
        if column in DATE_COLUMNS:
            return date.fromisoformat(value)
    except ValueError as exc:
        raise TableError(f"column {column}: {value!r} ({exc})") from None
    return value


def rows(text: str) -> list[dict[str, Any]]:
    """An expected table with typed cells."""
    return [{k: _typed(k, v) for k, v in r.items()} for r in parse(text)]


def _moment(column: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), BARE_DATE_TIME[column])
    return datetime.fromisoformat(value)


def episodes(text: str) -> list[Episode]:
    """An episode table (see the module docstring for the defaults)."""
    out = []
    for number, r in enumerate(parse(text), start=1):
        unknown = set(r) - set(EPISODE_FIELDS)
        if unknown:
            raise TableError(f"row {number}: unknown column {sorted(unknown)[0]!r}; "
                             f"allowed: {', '.join(EPISODE_FIELDS)}")
        eid = r.get("episode_id")
        if not eid:
            raise TableError(f"row {number}: episode_id is required")
        assessed = _moment("assessed_at", r.get("assessed_at"))
        visit = _moment("visit_at", r.get("visit_at"))
        contact = _moment("contact_at", r.get("contact_at"))
        if contact is None:
            first = assessed or visit
            if first is None:
                raise TableError(f"row {number} ({eid}): contact_at, assessed_at or "
                                 "visit_at is required")
            contact = datetime.combine(first.date(), BARE_DATE_TIME["contact_at"])
        mode = r.get("contact_mode")
        out.append(Episode(
            episode_id=eid,
            person_id=r.get("person_id") or f"P{eid}",
            birth_date=date.fromisoformat(r.get("birth_date") or "1980-01-01"),
            unit_id=r.get("unit_id") or "U1",
            service_area=ServiceArea(r.get("service_area") or "medical"),
            professional_group=ProfessionalGroup(r.get("professional_group") or "physician"),
            urgency=Urgency(r.get("urgency") or "non_urgent"),
            contact_at=contact,
            status=Status(r.get("status") or ("done" if visit else "waiting")),
            assessed_at=assessed,
            visit_at=visit,
            contact_mode=ContactMode(mode) if mode else None,
            plan_based=(r.get("plan_based") or "false").lower() == "true",
        ))
    return out


def render(table: list[dict[str, Any]], columns: list[str]) -> str:
    """``table`` as an aligned ASCII table of ``columns`` (for failure messages)."""
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in table]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |"]
    lines += ["| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |"
              for row in cells]
    return "\n".join(lines)


def assert_rows(actual: list[dict[str, Any]], expected_text: str, label: str = "") -> None:
    """The engine's rows, projected on the expected table's columns, equal the table."""
    expected = rows(expected_text)
    columns = list(parse(expected_text)[0].keys()) if expected else _header(expected_text)
    missing = [c for c in columns if actual and c not in actual[0]]
    assert not missing, f"{label}: the engine's rows have no column {missing[0]!r}"
    got = [{c: _normal(r.get(c)) for c in columns} for r in actual]
    if got != expected:
        raise AssertionError(
            f"{label}: rows differ\nexpected:\n{render(expected, columns)}\n"
            f"got:\n{render(got, columns)}")


def _header(text: str) -> list[str]:
    first = text.strip().splitlines()[0]
    return [c.strip() for c in first.strip().strip("|").split("|")]


def _normal(value: Any) -> Any:
    """Engine values as the table's types (numpy / Decimal scalars → Python)."""
    if hasattr(value, "item") and not isinstance(value, (date, datetime)):
        value = value.item()
    if isinstance(value, datetime):
        return value.date()
    return value
