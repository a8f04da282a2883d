"""Data quality on the management web (docs/data-quality.md): recording completeness and the
rows imports put in quarantine, from :func:`sotekeskus.interop.quality.data_quality`.

Tables (each also a CSV / Excel download with the same figures):

* ``by_unit_month``: per unit × month the stored episodes, assessment coverage, missing
  contact modes, and the rejected rows (a row counts once however many rules it breaks) in
  all and per reason category;
* ``by_group``: rejected rows per unit × professional group (all and per category);
* ``by_category``: rejected rows per category (a row with reasons of two categories
  counts in both), over the units and month shown;
* ``by_month``: rejected rows per month;
* ``top_reasons``: the most frequent (category, column, reason) over the units shown.

Totals are summed from the exact per-unit rows (each rejected row belongs to one unit, one
month and one professional group) **before** suppression. Who sees what is the access
policy's: a manager sees own units only (quarantined rows whose unit cannot be told are
not any manager's); analysts and administrators see counts below 5 as ``<5``
(``Scope.suppress_small_cells``); leadership and managers see exact counts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotekeskus.analytics.filters import FilterError
from sotekeskus.analytics.suppression import suppress_rows
from sotekeskus.domain.access_policy import Action
from sotekeskus.interop.quality import CATEGORY_FIELDS, SUPPRESSION, UNKNOWN, data_quality
from sotekeskus.store.users import Account
from sotekeskus.web.deps import ManagementAccount, authorise
from sotekeskus.web.exports import table_response
from sotekeskus.web.i18n import N_
from sotekeskus.web.manage.codes import CodeTable
from sotekeskus.web.render import render
from sotekeskus.web.tables import Column, Table

router = APIRouter()
TOP_REASONS = 10
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

CATEGORY_LABELS = {
    "invalid_code": N_("Invalid code"),
    "missing_value": N_("Missing value"),
    "bad_date": N_("Bad date"),
    "order": N_("Dates in the wrong order"),
    "duplicate": N_("Duplicate episode id"),
    "malformed": N_("Malformed line"),
    "other": N_("Other"),
}
#: Count column → its label (msgid).
COUNT_LABELS = {
    "episodes": N_("Episodes"),
    "non_urgent_visits": N_("Non-urgent visits"),
    "without_assessment": N_("Without assessment"),
    "missing_contact_mode": N_("Missing contact mode"),
    "rejected_rows": N_("Rejected rows"),
    "invalid_codes": N_("Invalid codes"),
    "missing_values": N_("Missing values"),
    "bad_dates": N_("Bad dates"),
    "order_violations": N_("Dates in the wrong order"),
    "duplicates": N_("Duplicates"),
    "malformed": N_("Malformed lines"),
    "other": N_("Other"),
    "missing_professional_group": N_("Without professional group"),
}
_CATEGORY_COUNTS = tuple(CATEGORY_FIELDS.values())


def _count(key: str, kind: str = "int") -> Column:
    return Column(key, kind, label=COUNT_LABELS[key])


UNIT_MONTH_COLUMNS = [Column("unit_id", "unit"), Column("month", "period"),
                      _count("episodes"), _count("non_urgent_visits"),
                      _count("without_assessment"), Column("assessment_coverage_pct", "pct"),
                      _count("missing_contact_mode"), _count("rejected_rows"),
                      *(_count(c) for c in _CATEGORY_COUNTS),
                      _count("missing_professional_group")]
GROUP_COLUMNS = [Column("unit_id", "unit"), Column("professional_group", "code"),
                 _count("rejected_rows"), *(_count(c) for c in _CATEGORY_COUNTS)]


@dataclass
class Selection:
    unit_ids: tuple[str, ...] | None  # None: every unit the account may see
    month: str | None
    suppressed: bool

    def query(self) -> str:
        return urlencode([("unit", u) for u in self.unit_ids or ()]
                         + ([("month", self.month)] if self.month else []))


def select_for(request: Request, account: Account) -> Selection:
    """The page's filters narrowed to the account's scope; a bad month or a unit outside
    the scope is an error naming it."""
    params = request.query_params
    asked = tuple(u.strip() for u in params.getlist("unit") if u.strip()) or None
    month = (params.get("month") or "").strip() or None
    if month is not None and not _MONTH.fullmatch(month):
        raise FilterError(f"month: {month[:20]!r} is not a month YYYY-MM")
    scope = authorise(account, Action.VIEW_AGGREGATES, asked)  # Forbidden for a foreign unit
    units = asked if asked else (None if scope.unit_ids is None
                                 else tuple(sorted(scope.unit_ids)))
    return Selection(units, month, scope.suppress_small_cells)


def _sum(rows: list[dict[str, Any]], key: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    totals: dict[Any, Counter[str]] = {}
    for row in rows:
        totals.setdefault(row[key], Counter()).update({f: int(row[f]) for f in fields})
    return [{key: k, **{f: c[f] for f in fields}} for k, c in sorted(totals.items())]


def tables(engine: Any, sel: Selection, unit_names: dict[str, str]) -> list[Table]:
    """The page's tables (exact counts, then suppressed when the account's scope says so)."""
    units = sel.unit_ids
    by_unit_month = data_quality(engine, "unit-month", units, sel.month)
    by_group = data_quality(engine, "unit-group", units, sel.month)
    reasons = data_quality(engine, "reason", units, sel.month)
    by_category = [{"category": category,
                    "rejected_rows": sum(int(r[field]) for r in by_group)}
                   for category, field in CATEGORY_FIELDS.items()]
    by_month = [r for r in _sum(by_unit_month, "month", ("rejected_rows",))
                if r["rejected_rows"]]
    top: Counter[tuple[str, str, str]] = Counter()
    for r in reasons:
        top[(r["category"], r["column"] or "", r["reason"])] += int(r["rejected_rows"])
    top_rows = [{"category": c, "column": col, "reason": reason, "rejected_rows": n}
                for (c, col, reason), n in sorted(top.items(),
                                                  key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]]
    counts = {"rejected_rows": ()}
    if sel.suppressed:
        by_unit_month = suppress_rows(by_unit_month, SUPPRESSION)
        by_group = suppress_rows(by_group, {c: () for c in ("rejected_rows",
                                                            *_CATEGORY_COUNTS)})
        by_category = suppress_rows(by_category, counts)
        by_month = suppress_rows(by_month, counts)
        top_rows = suppress_rows(top_rows, counts)
    note = N_("Counts below 5 are shown as <5.") if sel.suppressed else ""
    names = {**unit_names, UNKNOWN: UNKNOWN}
    category_labels = {"category": CATEGORY_LABELS}
    return [
        Table("by_unit_month", N_("Recording completeness and rejected rows per unit and "
                                  "month"), UNIT_MONTH_COLUMNS, by_unit_month, note, names),
        CodeTable("by_group", N_("Rejected rows per unit and professional group"),
                  GROUP_COLUMNS, by_group, note, names),
        CodeTable("by_category", N_("Rejected rows per reason category"),
                  [Column("category", "code", N_("Category")), _count("rejected_rows")],
                  by_category, note, extra_labels=category_labels),
        Table("by_month", N_("Rejected rows per month"),
              [Column("month", "period"), _count("rejected_rows")], by_month, note),
        CodeTable("top_reasons", N_("Most frequent reasons"),
                  [Column("category", "code", N_("Category")),
                   Column("column", label=N_("Column")), Column("reason", label=N_("Reason")),
                   _count("rejected_rows")], top_rows, note, extra_labels=category_labels),
    ]


def _unit_names(request: Request) -> dict[str, str]:
    from sqlalchemy import select

    from sotekeskus.store.models import Unit

    with request.app.state.engine.connect() as conn:
        return {u: n or u for u, n in conn.execute(select(Unit.unit_id, Unit.name))}


def _visible(request: Request, account: Account, names: dict[str, str]
             ) -> list[tuple[str, str]]:
    scope = authorise(account, Action.VIEW_AGGREGATES)
    ids = sorted(names) if scope.unit_ids is None else sorted(scope.unit_ids)
    return [(u, names.get(u, u)) for u in ids]


@router.get("/data-quality")
def data_quality_page(request: Request, account: ManagementAccount) -> Response:
    sel = select_for(request, account)
    names = _unit_names(request)
    return render(request, "data_quality.html", account=account, sel=sel,
                  tables=tables(request.app.state.engine, sel, names),
                  units=_visible(request, account, names), query=sel.query())


@router.get("/data-quality/export/{name}.{fmt}")
def data_quality_export(name: str, fmt: str, request: Request,
                        account: ManagementAccount) -> Response:
    sel = select_for(request, account)
    found = tables(request.app.state.engine, sel, _unit_names(request))
    return table_response(found, name, fmt, stem=f"data_quality_{name}")
