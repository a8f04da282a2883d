"""Statutory and regional deadlines of case events (issue 14 §5): one page per case type.

Per case type, month by month: how many legs (case opened → assessed, notification →
decision, …) were completed, how many within the limit, the share, the breaches and the
median time, judged by the law (or by the region's targets), with the law's changes on the
time axis; the open legs on a day; and, for the roles the access policy lets see persons, the
open cases themselves (every read audited).

Every figure is :mod:`sotekeskus.analytics.deadline_report`'s (the same calls as ``sotekeskus
report deadlines``), kept per case-events version by
:mod:`sotekeskus.analytics.deadline_service`. This module scopes them by the access policy
(a manager: own units; a leg belongs to the unit of its start event), suppresses small cells
where the scope says so and arranges rows into tables and charts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotekeskus.analytics import deadline_service as ds
from sotekeskus.analytics.deadline_report import DeadlineFilter, suppress_rows
from sotekeskus.analytics.filters import FilterError, unknown_code
from sotekeskus.domain.access_policy import Action
from sotekeskus.domain.rules import LegKey, RuleBook, RuleKind
from sotekeskus.domain.vocabulary import EVENT_CASE_TYPES, CaseType
from sotekeskus.indicators.catalogue import by_report
from sotekeskus.store import audit
from sotekeskus.store.users import Account
from sotekeskus.web import charts, i18n
from sotekeskus.web.deps import ManagementAccount, authorise, language_for
from sotekeskus.web.exports import chart_response, table_response
from sotekeskus.web.i18n import N_, gettext_
from sotekeskus.web.manage.codes import CASE_TYPES, CodeTable, code_label, leg_label
from sotekeskus.web.manage.views import SUPPRESSION_NOTE, visible_units
from sotekeskus.web.render import render
from sotekeskus.web.tables import Column

router = APIRouter()

JUDGED_BY = ("law", "targets")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DEFAULT_MONTHS = 12

#: Columns of the report's figures and of the open-leg summary, from the catalogue.
REPORT_COLUMNS = [Column(i.code, i.column_kind) for i in by_report("deadlines")]
OPEN_COLUMNS = [Column("open", "int"), Column("past_limit", "int"),
                Column("due_within_7d", "int"), Column("longest_days", "int")]
LEG_COLUMNS = [Column("from_event", "code", N_("From event")),
               Column("to_event", "code", N_("To event"))]
CASE_TYPE_COLUMN = Column("case_type", "code", N_("Case type"))

#: Charts of a case type: name → (field of the report, title, y axis title, bars, percent).
CHARTS: dict[str, tuple[str, str, str, bool, bool]] = {
    "within": ("within_limit_pct", N_("Share completed within the limit"), "%", False, True),
    "median": ("median_days", N_("Median time from start to end event"), N_("days"), False,
               False),
    "completed": ("completed", N_("Completed legs"), N_("cases"), True, False),
    "breaches": ("breaches", N_("Completed after the limit"), N_("cases"), True, False),
}


# ------------------------------------------------------------------------------ the query

@dataclass(frozen=True)
class DeadlineQuery:
    """What a page shows: months of the end event, units (scoped by the policy), judged by
    the law or the targets, and the day of the open legs."""

    month_from: str
    month_to: str
    unit_ids: tuple[str, ...] | None  # None: the whole region
    asked_units: tuple[str, ...]  # what the URL asked (kept in links)
    judged_by: str
    on: date
    suppressed: bool

    @property
    def targets(self) -> bool:
        return self.judged_by == "targets"

    def filter(self, case_type: CaseType | None = None) -> DeadlineFilter:
        return DeadlineFilter(self.month_from, self.month_to,
                              (case_type,) if case_type else None, self.unit_ids)

    def months(self) -> list[str]:
        """Every month of the period, in order."""
        y, m = int(self.month_from[:4]), int(self.month_from[5:7])
        out = []
        while f"{y:04d}-{m:02d}" <= self.month_to:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def params(self) -> list[tuple[str, str]]:
        """Query parameters that reproduce this query (links, exports, charts)."""
        out = [("month_from", self.month_from), ("month_to", self.month_to)]
        out += [("unit", u) for u in self.asked_units]
        if self.targets:
            out.append(("judged_by", "targets"))
        out.append(("on", self.on.isoformat()))
        return out


def _text(params: Mapping[str, Any], key: str) -> str:
    return (params.get(key) or "").strip()


def _units(params: Mapping[str, Any]) -> tuple[str, ...]:
    getlist = getattr(params, "getlist", None)
    values = getlist("unit") if getlist else ([params["unit"]] if "unit" in params else [])
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _add_months(month: str, n: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_query(request: Request, account: Account) -> DeadlineQuery:
    """The page's query from its parameters; :class:`FilterError` (a 400 page naming the
    field) for a bad month, day or code, :class:`Forbidden` for a unit outside the scope.

    Without a period: the last 12 months up to the last month with case events (or today);
    without a day: today, or the last day with events when they end earlier."""
    params = request.query_params
    holder = request.app.state.analytics
    asked = _units(params)
    scope = authorise(account, Action.VIEW_AGGREGATES, asked or None)
    unit_ids = asked or (None if scope.unit_ids is None else tuple(sorted(scope.unit_ids)))
    judged_by = _text(params, "judged_by") or "law"
    if judged_by not in JUDGED_BY:
        raise unknown_code("judged_by", judged_by, "a way to judge the legs", JUDGED_BY)
    _, last = ds.event_span(holder)
    today = date.today()
    last_day = min(last, today) if last else today
    raw_on = _text(params, "on")
    try:
        on = date.fromisoformat(raw_on) if raw_on else last_day
    except ValueError as exc:
        raise FilterError(f"on: {raw_on!r} is not a date YYYY-MM-DD", field="on",
                          value=raw_on) from exc
    month_from, month_to = _text(params, "month_from"), _text(params, "month_to")
    for key, given in (("month_from", month_from), ("month_to", month_to)):
        if given and not _MONTH.match(given):
            raise FilterError(f"{key}: {given!r} is not a month YYYY-MM", field=key,
                              value=given)
    last_month = last_day.strftime("%Y-%m")
    if not month_to:
        month_to = max(month_from, last_month) if month_from else last_month
    if not month_from:
        month_from = _add_months(month_to, -(DEFAULT_MONTHS - 1))
    checked = DeadlineFilter.parse(f"{month_from}..{month_to}")  # from after to: FilterError
    assert checked.month_from and checked.month_to
    return DeadlineQuery(checked.month_from, checked.month_to, unit_ids, asked, judged_by,
                         on, scope.suppress_small_cells)


def parse_case_type(code: str) -> CaseType:
    """A case type of the case-events file, or :class:`FilterError` listing them."""
    allowed = tuple(c.value for c in EVENT_CASE_TYPES)
    if code not in allowed:
        raise unknown_code("case_type", code, "a case type of the case-events file", allowed)
    return CaseType(code)


# ------------------------------------------------------------------------------ the figures

def case_type_legs(book: RuleBook, case_type: CaseType, targets: bool) -> list[LegKey]:
    """The legs the report judges for a case type (law, else targets; or the targets)."""
    from sotekeskus.analytics.case_legs import judged_legs

    return [j.leg for j in judged_legs(book, targets=targets, case_types=[case_type])]


def reported_case_types(book: RuleBook, targets: bool) -> list[CaseType]:
    """Case types of the case-events file that have at least one judged leg."""
    from sotekeskus.analytics.case_legs import judged_legs

    have = {j.leg.case_type for j in judged_legs(book, targets=targets)}
    return [c for c in EVENT_CASE_TYPES if c in have]


def _publish(q: DeadlineQuery, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return suppress_rows(rows) if q.suppressed else [dict(r) for r in rows]


def law_changes(book: RuleBook, legs: list[LegKey], months: list[str]) -> list[dict[str, Any]]:
    """Legal rows of these legs that came into force within the months shown."""
    if not months:
        return []
    out: dict[date, list[str]] = {}
    for leg in legs:
        for rule in book.rules_for_leg(leg, RuleKind.LEGAL):
            month = rule.effective_from.strftime("%Y-%m")
            if months[0] <= month <= months[-1]:
                out.setdefault(rule.effective_from, []).append(rule.id)
    return [{"date": d, "month": d.strftime("%Y-%m"), "rules": sorted(ids)}
            for d, ids in sorted(out.items())]


@dataclass
class CaseTypeView:
    case_type: CaseType
    legs: list[LegKey]
    by_month: CodeTable  # month × leg, the whole period
    by_unit: CodeTable  # month × unit × leg (the page: the last month)
    open_summary: CodeTable  # per leg, on the day
    goals: CodeTable  # the region's dated goals of each leg (targets)
    charts: dict[str, CodeTable]  # chart name → the table under it
    changes: list[dict[str, Any]]
    last_month: str | None


def _leg_key(row: Mapping[str, Any]) -> str:
    return f"{row['from_event']}__{row['to_event']}"


def chart_table(name: str, q: DeadlineQuery, legs: list[LegKey], rows: list[dict[str, Any]],
                goals: dict[str, list[dict[str, Any]]]) -> CodeTable:
    """One chart's table: per month of the period, the chart's figure of each leg (and, for
    the share judged by targets, each leg's goal in force)."""
    field, title, _y, _bars, _pct = CHARTS[name]
    kind = next(c.kind for c in REPORT_COLUMNS if c.key == field)
    by = {(r["month"], _leg_key(r)): r.get(field) for r in rows}
    columns = [Column("month", "period")]
    out = [{"month": m} for m in q.months()]
    for leg in legs:
        key = f"{leg.from_event}__{leg.to_event}"
        columns.append(Column(key, kind, leg_label(leg.from_event, leg.to_event)))
        for r in out:
            r[key] = by.get((r["month"], key))
        leg_goals = goals.get(key) or []
        if name == "within" and q.targets and leg_goals:
            gkey = key + "__goal"
            columns.append(Column(gkey, "pct", gettext_(N_("Goal")) + ": "
                                  + leg_label(leg.from_event, leg.to_event)))
            for r in out:
                r[gkey] = ds.goal_in_force(leg_goals, r["month"])
    return CodeTable(f"chart_{name}", title, columns, out,
                     SUPPRESSION_NOTE if q.suppressed else "")


def _goals(book: RuleBook, legs: list[LegKey]) -> dict[str, list[dict[str, Any]]]:
    return {f"{leg.from_event}__{leg.to_event}": ds.leg_goals(
        book, (leg.case_type.value, leg.from_event.value, leg.to_event.value)) for leg in legs}


def chart_tables(holder: Any, q: DeadlineQuery, case_type: CaseType
                 ) -> tuple[dict[str, CodeTable], list[dict[str, Any]]]:
    """The tables the charts draw (per month × leg) and the law's changes in the period."""
    book = ds.rulebook(holder)
    legs = case_type_legs(book, case_type, q.targets)
    rows = _publish(q, ds.report_rows(holder, q.filter(case_type), targets=q.targets))
    goals = _goals(book, legs)
    return ({name: chart_table(name, q, legs, rows, goals) for name in CHARTS},
            law_changes(book, legs, q.months()))


def case_type_view(holder: Any, q: DeadlineQuery, case_type: CaseType, *,
                   last_month_tables: bool = False) -> CaseTypeView:
    book = ds.rulebook(holder)
    legs = case_type_legs(book, case_type, q.targets)
    flt = q.filter(case_type)
    by_month = _publish(q, ds.report_rows(holder, flt, targets=q.targets))
    unit_flt = flt
    last = by_month[-1]["month"] if by_month else None
    if last_month_tables and last:
        unit_flt = replace(flt, month_from=last, month_to=last)
    by_unit = _publish(q, ds.report_rows(holder, unit_flt, targets=q.targets, by_unit=True))
    waiting = ds.open_on(holder, q.on, replace(flt, month_from=None, month_to=None),
                         targets=q.targets)
    goals = _goals(book, legs)
    goal_rows = [{"from_event": k.split("__")[0], "to_event": k.split("__")[1],
                  "effective_from": g["effective_from"], "goal_by": g["goal_by"],
                  "goal_pct": g["goal_pct"], "limit": g["limit"].describe(),
                  "_limit": g["limit"], "rule_id": g["rule_id"]}
                 for k, gs in goals.items() for g in gs]
    note = SUPPRESSION_NOTE if q.suppressed else ""
    names = holder.unit_names()
    return CaseTypeView(
        case_type=case_type, legs=legs,
        by_month=CodeTable("deadlines_by_month", N_("By month and leg"),
                           [Column("month", "period"), *LEG_COLUMNS, *REPORT_COLUMNS],
                           [{k: v for k, v in r.items() if k != "case_type"} for r in by_month],
                           note),
        by_unit=CodeTable("deadlines_by_unit", N_("By unit"),
                          [Column("month", "period"), Column("unit_id", "unit"),
                           *LEG_COLUMNS, *REPORT_COLUMNS], by_unit, note, unit_names=names),
        open_summary=CodeTable("deadlines_open", N_("Open on the day"),
                               [*LEG_COLUMNS, *OPEN_COLUMNS], _publish(q, waiting.summary),
                               note),
        goals=CodeTable("deadlines_goals", N_("The region's goals"),
                        [*LEG_COLUMNS, Column("limit", "limit", N_("Limit")),
                         Column("effective_from", "date", N_("In force from")),
                         Column("goal_pct", "pct", N_("Goal")),
                         Column("goal_by", "date", N_("Goal by")),
                         Column("rule_id", label=N_("Rule"))], goal_rows),
        charts={name: chart_table(name, q, legs, by_month, goals) for name in CHARTS},
        changes=law_changes(book, legs, q.months()),
        last_month=last,
    )


def overview_tables(holder: Any, q: DeadlineQuery) -> tuple[CodeTable, CodeTable, str | None]:
    """Every case type: the last month's legs and the open legs on the day."""
    rows = _publish(q, ds.report_rows(holder, q.filter(), targets=q.targets))
    last = rows[-1]["month"] if rows else None
    note = SUPPRESSION_NOTE if q.suppressed else ""
    latest = CodeTable("deadlines_overview", N_("Completed in the last month of the period"),
                       [Column("month", "period"), CASE_TYPE_COLUMN, *LEG_COLUMNS,
                        *REPORT_COLUMNS], [r for r in rows if r["month"] == last], note)
    waiting = ds.open_on(holder, q.on, replace(q.filter(), month_from=None, month_to=None),
                         targets=q.targets)
    open_table = CodeTable("deadlines_open_all", N_("Open on the day"),
                           [CASE_TYPE_COLUMN, *LEG_COLUMNS, *OPEN_COLUMNS],
                           _publish(q, waiting.summary), note)
    return latest, open_table, last


def all_months_table(holder: Any, q: DeadlineQuery) -> CodeTable:
    """The export of the overview: every month, case type and leg of the period."""
    rows = _publish(q, ds.report_rows(holder, q.filter(), targets=q.targets))
    return CodeTable("deadlines_all", N_("Every case type by month"),
                     [Column("month", "period"), CASE_TYPE_COLUMN, *LEG_COLUMNS,
                      *REPORT_COLUMNS], rows, SUPPRESSION_NOTE if q.suppressed else "")


def open_cases_table(holder: Any, account: Account, q: DeadlineQuery,
                     case_type: CaseType) -> CodeTable:
    """Person-level open legs of one case type: only where the policy allows persons (a
    manager, own units); the caller audits the read."""
    scope = authorise(account, Action.VIEW_PERSONS, q.asked_units or None)
    unit_ids = q.asked_units or (None if scope.unit_ids is None
                                 else tuple(sorted(scope.unit_ids)))
    flt = DeadlineFilter(None, None, (case_type,), unit_ids)
    waiting = ds.open_on(holder, q.on, flt, targets=q.targets)
    return CodeTable(
        "deadlines_open_cases", N_("Open cases, person level"),
        [Column("case_id", label=N_("Case")), Column("person_id"),
         Column("unit_id", "unit"), *LEG_COLUMNS,
         Column("started_on", "date", N_("Started on")),
         Column("days_so_far", "int", N_("Days so far")),
         Column("limit_date", "date", N_("Limit date")),
         Column("days_to_limit", "int", N_("Days to the limit")),
         Column("status", "code")],
        waiting.rows, unit_names=holder.unit_names())


def may_see_persons(account: Account) -> bool:
    from sotekeskus.domain.access_policy import may
    from sotekeskus.web.deps import actor_of

    return may(actor_of(account), Action.VIEW_PERSONS).allowed


# ------------------------------------------------------------------------------ the routes

def _drill(params: list[tuple[str, str]], base: str, key: str, value: str) -> str:
    kept = [(k, v) for k, v in params if k != key and v]
    return f"{base}?" + urlencode([*kept, (key, value)])


def _common(request: Request, account: Account, q: DeadlineQuery) -> dict[str, Any]:
    holder = request.app.state.analytics
    book = ds.rulebook(holder)
    return {"account": account, "q": q, "query": urlencode(q.params()),
            "units": visible_units(holder, account),
            "case_types": reported_case_types(book, q.targets),
            "case_type_labels": CASE_TYPES, "may_see_persons": may_see_persons(account),
            "filter_fields": q.params()}


@router.get("/deadlines")
def deadlines(request: Request, account: ManagementAccount) -> Response:
    holder = request.app.state.analytics
    q = parse_query(request, account)
    latest, open_table, last = overview_tables(holder, q)
    return render(request, "deadlines.html", last_month=last, latest=latest,
                  open_table=open_table, **_common(request, account, q))


@router.get("/deadlines/export/{name}.{fmt}")
def deadlines_export(name: str, fmt: str, request: Request,
                     account: ManagementAccount) -> Response:
    holder = request.app.state.analytics
    q = parse_query(request, account)
    latest, open_table, _ = overview_tables(holder, q)
    return table_response([all_months_table(holder, q), open_table], name, fmt,
                          f"{name}_{q.month_from}_{q.month_to}")


@router.get("/deadlines/{case_type}")
def deadlines_case_type(case_type: str, request: Request,
                        account: ManagementAccount) -> Response:
    holder = request.app.state.analytics
    ct = parse_case_type(case_type)
    q = parse_query(request, account)
    view = case_type_view(holder, q, ct, last_month_tables=True)
    base = f"/deadlines/{ct.value}"
    drill = {"unit_id": partial(_drill, q.params(), base, "unit")}
    return render(request, "deadlines_case_type.html", view=view, base=base, drill=drill,
                  title=code_label("case_type", ct.value), **_common(request, account, q))


@router.get("/deadlines/{case_type}/chart/{name}.{fmt}")
def deadlines_chart(case_type: str, name: str, fmt: str, request: Request,
                    account: ManagementAccount) -> Response:
    if name not in CHARTS:
        return Response("unknown chart", status_code=404, media_type="text/plain")
    holder = request.app.state.analytics
    ct = parse_case_type(case_type)
    token = i18n.current_language.set(language_for(request, account))
    try:
        q = parse_query(request, account)
        tables, changes = chart_tables(holder, q, ct)
        table = tables[name]
        _field, title, y_title, bars, percent = CHARTS[name]
        series = [(c.key, c.msgid) for c in table.columns[1:]]
        spec = charts.line_chart(
            table.rows, series, title=gettext_(title) + " – " + code_label("case_type", ct),
            y_title=gettext_(y_title), changes=changes, bars=bars, percent=percent)
    finally:
        i18n.current_language.reset(token)
    return chart_response(spec, fmt, f"deadlines_{ct.value}_{name}",
                          download=request.query_params.get("download") == "1")


@router.get("/deadlines/{case_type}/export/{name}.{fmt}")
def deadlines_case_type_export(case_type: str, name: str, fmt: str, request: Request,
                               account: ManagementAccount) -> Response:
    holder = request.app.state.analytics
    ct = parse_case_type(case_type)
    q = parse_query(request, account)
    if name == "deadlines_open_cases":
        table = open_cases_table(holder, account, q, ct)
        audit.record(request.app.state.engine, account.username, audit.EXPORT_PERSONS,
                     f"deadlines_open_cases.{fmt}",
                     f"case_type={ct.value} on={q.on.isoformat()} "
                     f"units={','.join(q.asked_units or account.units)} "
                     f"persons={len(table.rows)}")
        return table_response([table], name, fmt, f"{name}_{ct.value}_{q.on.isoformat()}")
    view = case_type_view(holder, q, ct)
    tables = [view.by_month, view.by_unit, view.open_summary, view.goals,
              *view.charts.values()]
    return table_response(tables, name, fmt, f"{name}_{ct.value}")


@router.get("/deadlines/{case_type}/open")
def deadlines_open_cases(case_type: str, request: Request,
                         account: ManagementAccount) -> Response:
    holder = request.app.state.analytics
    ct = parse_case_type(case_type)
    q = parse_query(request, account)
    table = open_cases_table(holder, account, q, ct)
    audit.record(request.app.state.engine, account.username, audit.READ_PERSONS,
                 "deadlines_open_cases",
                 f"case_type={ct.value} on={q.on.isoformat()} "
                 f"units={','.join(q.asked_units or account.units)} persons={len(table.rows)}")
    return render(request, "deadlines_open.html", table=table, case_type=ct,
                  title=code_label("case_type", ct.value), **_common(request, account, q))
