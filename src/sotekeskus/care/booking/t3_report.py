"""T3 as report rows and as the JSON body of ``sotekeskus report t3`` (issue 12 §6).

JSON: ``{"on": "YYYY-MM-DD", "professionals": [{"professional_id", "unit_id",
"professional_group", "t3_days"}], "units": [{"unit_id", "professional_group", "t3_days",
"professionals"}]}``. A unit's ``t3_days`` is a whole number when the median is whole and
``x.5`` when it is the mean of two middle values.
"""

from __future__ import annotations

from typing import Any

from sotekeskus.domain.workflow.t3 import T3Result

PROFESSIONAL_COLUMNS = ["professional_id", "unit_id", "professional_group", "t3_days"]
UNIT_COLUMNS = ["unit_id", "professional_group", "t3_days", "professionals"]
#: The CSV of ``report t3``: unit rows, then professional rows, told apart by ``level``.
CSV_COLUMNS = ["level", "unit_id", "professional_group", "professional_id", "t3_days",
               "professionals"]


def number(value: float) -> int | float:
    """A median as a whole number when it is one."""
    return int(value) if float(value).is_integer() else value


def professional_rows(result: T3Result) -> list[dict[str, Any]]:
    return [{"professional_id": p.professional_id, "unit_id": p.unit_id,
             "professional_group": p.professional_group.value, "t3_days": p.t3_days}
            for p in result.professionals]


def unit_rows(result: T3Result) -> list[dict[str, Any]]:
    return [{"unit_id": u.unit_id, "professional_group": u.professional_group.value,
             "t3_days": number(u.t3_days), "professionals": u.professionals}
            for u in result.units]


def as_json(result: T3Result) -> dict[str, Any]:
    return {"on": result.on.isoformat(), "professionals": professional_rows(result),
            "units": unit_rows(result)}


def csv_rows(result: T3Result) -> list[dict[str, Any]]:
    rows = [{"level": "unit", **u} for u in unit_rows(result)]
    rows += [{"level": "professional", **p} for p in professional_rows(result)]
    return rows
