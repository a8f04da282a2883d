"""Clients and pathways (issue 16 §9) on the management web.

* ``/pathways`` — multi-service clients and high users per home unit and age group;
* ``/pathways/continuity`` — continuity of care (Bice–Boxerman) per unit and group;
* ``/pathways/flow`` — the patient flow of a case type as a Graphviz graph with its tables
  (transitions, bottlenecks, variants, start and end activities);
* ``/pathways/segments`` — the transparent segments' profiles and the moves between them;
* ``/pathways/follow-up`` — lapsed follow-up of long-term conditions per unit, and for the
  roles the access policy lets see persons, the worklist (oldest gap first, each row with
  its reason; a purpose is required and every read is audited).

Every figure is :mod:`sotekeskus.pathways`' through
:mod:`sotekeskus.analytics.pathways_service`. Clients, continuity, follow-up and segments are
defined over the whole region, so a manager sees the rows of their own units (segments:
whole-region roles only); the flow is computed from the viewer's units. Small cells are
suppressed with each report's own rule, as the CLI suppresses them.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotekeskus.analytics import pathways_service as pw
from sotekeskus.analytics.filters import FilterError, unknown_code
from sotekeskus.domain.access_policy import Action
from sotekeskus.domain.vocabulary import CaseType
from sotekeskus.pathways.errors import PathwaysError
from sotekeskus.store import audit
from sotekeskus.store.users import Account
from sotekeskus.web import i18n
from sotekeskus.web import labels as L
from sotekeskus.web.deps import ManagementAccount, authorise, language_for
from sotekeskus.web.exports import chart_response, table_response
from sotekeskus.web.i18n import N_, fmt_num, gettext_
from sotekeskus.web.manage import plan_charts
from sotekeskus.web.manage.codes import CASE_EVENTS, CASE_TYPES, CodeTable, code_label
from sotekeskus.web.manage.scope import PlanScope, parse_day, plan_scope, scope_note
from sotekeskus.web.manage.views import visible_units
from sotekeskus.web.render import render
from sotekeskus.web.tables import Column

router = APIRouter()

SECTIONS = ("clients", "continuity", "flow", "segments", "follow-up")
ALL = "all"
DOT = "/usr/bin/dot"

COLUMNS = {
    "unit_id": N_("Unit"), "age_group": N_("Age group"), "clients": N_("Clients"),
    "multi_service_2": N_("Clients of 2 or more service areas"),
    "multi_service_2_pct": N_("Share of 2 or more service areas"),
    "multi_service_3": N_("Clients of 3 or more service areas"),
    "multi_service_3_pct": N_("Share of 3 or more service areas"),
    "high_users": N_("High users"), "high_users_pct": N_("High users' share of clients"),
    "contacts": N_("Contacts"), "high_user_contacts": N_("High users' contacts"),
    "high_user_contacts_pct": N_("High users' share of contacts"),
    "professional_group": N_("Professional group"), "persons": N_("Persons"),
    "visits": N_("Visits"), "mean_coc": N_("Continuity index, mean"),
    "median_coc": N_("Continuity index, median"), "from": N_("From activity"),
    "to": N_("To activity"), "count": N_("Times"), "median_hours": N_("Median time (hours)"),
    "p90_hours": N_("90th percentile of the time (hours)"),
    "total_hours": N_("Total time (hours)"), "share_of_time_pct": N_("Share of all time"),
    "activities": N_("Activities in order"), "activity": N_("Activity"),
    "cases": N_("Cases"), "segment": N_("Segment"), "share_pct": N_("Share of the population"),
    "mean_age": N_("Mean age"), "contacts_per_person": N_("Visits per person"),
    "median_wait_days": N_("Median wait (days)"), "condition": N_("Condition"),
    "lapsed": N_("Follow-up lapsed"), "lapsed_pct": N_("Share lapsed"),
    "person_id": N_("Person (pseudonym)"), "follow_up_basis": N_("Follow-up"),
    "last_follow_up": N_("Last follow-up"), "due": N_("Due"),
    "days_overdue": N_("Days overdue"), "reason": N_("Reason"),
    "judged": N_("Judged by a legal leg"),
    "leg_breached": N_("Past the legal leg"),
    "leg_breached_pct": N_("Share past the legal leg"),
}
AGE_GROUPS = {"0-17": N_("0–17 years"), "18-64": N_("18–64 years"),
              "65-74": N_("65–74 years"), "75+": N_("75 years or over"), ALL: N_("All ages")}
UNIT_ALL = {ALL: N_("The whole region")}
BASIS = {"curative_visit": N_("last curative visit with the condition's code"),
         "care_plan": N_("last care plan"),
         "first_diagnosis": N_("no follow-up since the first visit with the condition's code")}
#: Why a professional reads the worklist (the purpose written to the audit log).
PURPOSES = {
    "contact_patients": N_("Inviting the patients to their follow-up"),
    "plan_capacity": N_("Planning the unit's follow-up appointments"),
    "check_records": N_("Checking the records of the patients listed"),
}
AREA_PCTS = {"medical_pct": L.SERVICE_AREAS["medical"], "oral_pct": L.SERVICE_AREAS["oral"],
             "mental_pct": L.SERVICE_AREAS["mental"],
             "substance_pct": L.SERVICE_AREAS["substance"],
             "social_pct": L.SERVICE_AREAS["social"]}


_note = scope_note


def _in_scope(q: PlanScope, rows: list[dict[str, Any]], key: str = "unit_id"
              ) -> list[dict[str, Any]]:
    """Rows of the viewer's units (a unit-scoped viewer: no region rows)."""
    if q.unit_ids is None:
        return rows
    return [r for r in rows if r.get(key) in q.unit_ids]


def _unit_labels(request: Request) -> dict[Any, str]:
    return {**request.app.state.analytics.unit_names(), **{ALL: gettext_(UNIT_ALL[ALL])}}


def _default_day(request: Request) -> date:
    last = pw.last_visit(request.app.state.analytics)
    return last or date.today()


# ------------------------------------------------------------------------------ clients

def clients_view(request: Request, account: Account) -> dict[str, Any]:
    from sotekeskus.pathways.clients import COLUMNS as CLIENT_COLUMNS
    from sotekeskus.pathways.clients import suppress

    holder = request.app.state.analytics
    q = plan_scope(request, account)
    end = parse_day(request, "to") or _default_day(request)
    result = pw.clients(holder, end)
    rows = _in_scope(q, [dict(r) for r in result.rows])
    if q.suppressed:
        rows = suppress(rows)
    units = {"unit_id": _unit_labels(request), "age_group": AGE_GROUPS}
    cols = [Column("unit_id", "code", COLUMNS["unit_id"]),
            Column("age_group", "code", COLUMNS["age_group"]),
            *(Column(k, "pct" if k.endswith("_pct") else "int", COLUMNS[k])
              for k in CLIENT_COLUMNS[2:])]
    table = CodeTable("clients", N_("Clients by home unit and age group"), cols, rows,
                      _note(q), extra_labels=units)
    chart_rows = [r for r in rows if r["age_group"] == ALL]
    chart = CodeTable("chart_clients", N_("Multi-service clients and high users by unit"),
                      [Column("unit_id", "code", COLUMNS["unit_id"]),
                       *(Column(k, "pct", COLUMNS[k]) for k in (
                           "multi_service_2_pct", "multi_service_3_pct", "high_users_pct",
                           "high_user_contacts_pct"))], chart_rows, _note(q),
                      extra_labels=units)
    return {"q": q, "end": end, "start": result.date_from, "table": table, "chart": chart,
            "threshold": result.high_user_threshold, "tables": [table, chart]}


# ------------------------------------------------------------------------------ continuity

def continuity_view(request: Request, account: Account) -> dict[str, Any]:
    from sotekeskus.pathways.continuity import DETAIL_COLUMNS, suppress

    holder = request.app.state.analytics
    q = plan_scope(request, account)
    end = parse_day(request, "to") or _default_day(request)
    start = parse_day(request, "from") or date(end.year, 1, 1)
    if end < start:
        raise FilterError(f"to: {end} is before from {start}", field="to", value=str(end))
    labels = {"unit_id": _unit_labels(request), "professional_group": L.PROFESSIONAL_GROUPS}
    error = None
    rows: list[dict[str, Any]] = []
    without = 0
    try:
        result = pw.continuity(holder, start, end)
        rows, without = _in_scope(q, [dict(r) for r in result.rows]), \
            result.visits_without_professional
    except PathwaysError as exc:
        error = str(exc)
    if q.suppressed:
        rows = suppress(rows)
    cols = [Column("unit_id", "code", COLUMNS["unit_id"]),
            Column("professional_group", "code", COLUMNS["professional_group"]),
            Column("persons", "int", COLUMNS["persons"]),
            Column("visits", "int", COLUMNS["visits"]),
            Column("mean_coc", "num3", COLUMNS["mean_coc"]),
            Column("median_coc", "num3", COLUMNS["median_coc"])]
    assert [c.key for c in cols] == list(DETAIL_COLUMNS)
    table = CodeTable("continuity", N_("Continuity of care by unit and professional group"),
                      cols, rows, _note(q), extra_labels=labels)
    return {"q": q, "start": start, "end": end, "table": table, "error": error,
            "without": without, "tables": [table]}


# ------------------------------------------------------------------------------ flow

FLOW_CASE_TYPES = tuple(c.value for c in CaseType)


def _activity(code: str) -> str:
    return code_label("from_event", code) if code in CASE_EVENTS else code


def flow_view(request: Request, account: Account) -> dict[str, Any]:
    holder = request.app.state.analytics
    q = plan_scope(request, account)
    case_type = (request.query_params.get("case_type") or "").strip() or None
    if case_type is not None and case_type not in FLOW_CASE_TYPES:
        raise unknown_code("case_type", case_type, "a case type", FLOW_CASE_TYPES)
    error = None
    body: dict[str, Any] = {"edges": [], "variants": [], "start_activities": {},
                            "end_activities": {}, "bottlenecks": [], "cases": 0,
                            "case_hours": {"median": None, "p90": None}}
    breaches: list[dict[str, Any]] = []
    try:
        result = pw.flow(holder, q.unit_ids, case_type)
        body = result.to_dict(detail=True, suppress=q.suppressed)
        breaches = pw.leg_breaches(holder, q.unit_ids, case_type)
    except PathwaysError as exc:
        error = str(exc)
    if q.suppressed:
        from sotekeskus.pathways.leg_breaches import suppress as suppress_breaches

        breaches = suppress_breaches(breaches)
    by_edge = {(b["from"], b["to"]): b for b in breaches}
    for e in body["edges"]:
        b = by_edge.get((e["from"], e["to"]))
        e["leg_breached"] = b["breached"] if b else None
        e["leg_breached_pct"] = b["breached_pct"] if b else None
    labels = {"from": {k: _activity(k) for k in CASE_EVENTS},
              "to": {k: _activity(k) for k in CASE_EVENTS},
              "activity": {k: _activity(k) for k in CASE_EVENTS}}
    edge_cols = [Column("from", "code", COLUMNS["from"]), Column("to", "code", COLUMNS["to"]),
                 Column("count", "int", COLUMNS["count"]),
                 Column("median_hours", "num", COLUMNS["median_hours"]),
                 Column("p90_hours", "num", COLUMNS["p90_hours"]),
                 Column("total_hours", "num", COLUMNS["total_hours"])]
    edges = CodeTable("flow_edges", N_("Transitions"), [
        *edge_cols, Column("leg_breached", "int", COLUMNS["leg_breached"]),
        Column("leg_breached_pct", "pct", COLUMNS["leg_breached_pct"])], body["edges"],
        _note(q), extra_labels=labels)
    legs = CodeTable("flow_breaches", N_("Statutory leg breaches"), [
        Column("from", "code", COLUMNS["from"]), Column("to", "code", COLUMNS["to"]),
        Column("judged", "int", COLUMNS["judged"]),
        Column("breached", "int", COLUMNS["leg_breached"]),
        Column("breached_pct", "pct", COLUMNS["leg_breached_pct"])], breaches, _note(q),
        extra_labels=labels)
    bottlenecks = CodeTable("flow_bottlenecks", N_("Where the time goes"),
                            [*edge_cols, Column("share_of_time_pct", "pct",
                                                COLUMNS["share_of_time_pct"])],
                            body["bottlenecks"], _note(q), extra_labels=labels)
    variants = CodeTable(
        "flow_variants", N_("The most common paths"),
        [Column("activities", label=COLUMNS["activities"]),
         Column("count", "int", COLUMNS["cases"])],
        [{"activities": " → ".join(_activity(a) for a in v["activities"]),
          "count": v["count"]} for v in body["variants"][:20]], _note(q))
    ends = CodeTable(
        "flow_ends", N_("Where the cases start and end"),
        [Column("activity", "code", COLUMNS["activity"]),
         Column("starts", "int", N_("Cases starting here")),
         Column("ends", "int", N_("Cases ending here"))],
        [{"activity": a, "starts": body["start_activities"].get(a, 0),
          "ends": body["end_activities"].get(a, 0)}
         for a in sorted(set(body["start_activities"]) | set(body["end_activities"]))],
        _note(q), extra_labels=labels)
    return {"q": q, "case_type": case_type, "error": error, "body": body, "edges": edges,
            "bottlenecks": bottlenecks, "variants": variants, "ends": ends, "legs": legs,
            "tables": [edges, bottlenecks, variants, ends, legs],
            "graph": bool(body["edges"]) and shutil.which(DOT) is not None}


def _dot_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def flow_dot(body: dict[str, Any]) -> str:
    """The flow as a Graphviz digraph: activities, and each transition with its count and
    median time (the numbers of the transitions table)."""
    nodes = sorted({e["from"] for e in body["edges"]} | {e["to"] for e in body["edges"]})
    counts = [e["count"] for e in body["edges"] if isinstance(e["count"], int)]
    top = max(counts or [1])
    lines = ["digraph flow {", "  rankdir=LR;", '  bgcolor="white";',
             '  node [shape=box, style="rounded,filled", fillcolor="#e8f0fb", '
             'color="#005eb8", fontname="Helvetica", fontsize=11];',
             '  edge [color="#444444", fontname="Helvetica", fontsize=9];']
    for n in nodes:
        lines.append(f"  {_dot_text(n)} [label={_dot_text(_activity(n))}];")
    hours = gettext_(N_("h"))
    for e in body["edges"]:
        count = e["count"]
        text = str(count) if isinstance(count, str) else fmt_num(count, 0)
        if e.get("median_hours") is not None:
            text += f" · {fmt_num(e['median_hours'], 1)} {hours}"
        late = e.get("leg_breached")
        colour = ""
        if late:  # an int above 0, or "<5"
            shown = late if isinstance(late, str) else fmt_num(late, 0)
            text += " · " + gettext_(N_("%(n)s past the legal leg")) % {"n": shown}
            colour = ', color="#b3261e", fontcolor="#b3261e"'
        width = 1 + 4 * (count / top) if isinstance(count, int) else 1
        lines.append(f"  {_dot_text(e['from'])} -> {_dot_text(e['to'])} "
                     f"[label={_dot_text(text)}, penwidth={width:.2f}{colour}];")
    lines.append("}")
    return "\n".join(lines)


def render_svg(dot_source: str) -> bytes:
    """SVG of a DOT graph by Graphviz's ``dot`` (a PathwaysError when it fails)."""
    try:
        done = subprocess.run([DOT, "-Tsvg"], input=dot_source.encode(), capture_output=True,
                              timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PathwaysError(f"Graphviz dot could not draw the graph: {exc}") from exc
    if done.returncode != 0:
        raise PathwaysError("Graphviz dot could not draw the graph: "
                            + done.stderr.decode(errors="replace")[:300])
    return done.stdout


# ------------------------------------------------------------------------------ segments

def segments_view(request: Request, account: Account) -> dict[str, Any]:
    from sotekeskus.pathways.segments import (
        NONE,
        load_segments,
        profile_columns,
        suppress_profiles,
        suppress_transitions,
    )

    holder = request.app.state.analytics
    q = plan_scope(request, account)
    raw = (request.query_params.get("year") or "").strip()
    default_year = _default_day(request).year
    try:
        year = int(raw) if raw else default_year
    except ValueError as exc:
        raise FilterError(f"year: {raw!r} is not a year", field="year", value=raw) from exc
    if not 2000 <= year <= 2100:
        raise FilterError(f"year: {year} is outside 2000 … 2100", field="year", value=raw)
    table = load_segments()
    lang = language_for(request, account)
    names = {s.id: s.name(lang) for s in (*table.segments, *table.overlays)}
    names[NONE] = gettext_(N_("Not a client that year"))
    if not q.whole_region:
        return {"q": q, "year": year, "region_only": True, "tables": []}
    profiles, moves = pw.segments(holder, year)
    rows = [dict(r) for r in profiles.rows]
    moves = [dict(r) for r in moves]
    if q.suppressed:
        rows = suppress_profiles(rows, table)
        moves = suppress_transitions(moves)
    cols = []
    for key in profile_columns(table):
        if key == "segment":
            cols.append(Column(key, "code", COLUMNS["segment"]))
        elif key in AREA_PCTS:
            cols.append(Column(key, "pct", AREA_PCTS[key]))
        elif key in names:
            cols.append(Column(key, "int", names[key]))
        elif key.endswith("_pct") and key[:-4] in names:
            cols.append(Column(key, "pct", names[key[:-4]] + " – "
                               + gettext_(N_("share"))))
        elif key == "persons":
            cols.append(Column(key, "int", COLUMNS[key]))
        else:
            cols.append(Column(key, "pct" if key.endswith("_pct") else "num", COLUMNS[key]))
    seg_labels = {"segment": names, "from": names, "to": names}
    profile_table = CodeTable("segments", N_("Segments and their profiles"), cols, rows,
                              _note(q), extra_labels=seg_labels)
    moves_table = CodeTable(
        "segment_transitions", N_("Moves between segments"),
        [Column("from", "code", str(year - 1)), Column("to", "code", str(year)),
         Column("persons", "int", COLUMNS["persons"])], moves, _note(q),
        extra_labels=seg_labels)
    return {"q": q, "year": year, "region_only": False, "profiles": profile_table,
            "moves": moves_table, "population": profiles.population, "notes": profiles.notes,
            "tables": [profile_table, moves_table], "names": names,
            "graph": shutil.which(DOT) is not None}


def transitions_dot(rows: list[dict[str, Any]], names: dict[str, str], year: int) -> str:
    """Persons moving from a segment in ``year − 1`` to one in ``year``."""
    lines = ["digraph moves {", "  rankdir=LR;", '  bgcolor="white";',
             '  node [shape=box, style="rounded,filled", fillcolor="#e8f0fb", '
             'color="#005eb8", fontname="Helvetica", fontsize=11];',
             '  edge [color="#444444", fontname="Helvetica", fontsize=9];']
    ids = list(dict.fromkeys([*(r["from"] for r in rows), *(r["to"] for r in rows)]))
    lines.append("  newrank=true; nodesep=0.25; ranksep=2.2;")
    for side, y in (("a", year - 1), ("b", year)):
        nodes = [_dot_text(side + ":" + i) for i in ids]
        lines.append("  { rank=same; " + "; ".join(nodes) + "; }")
        for node, i in zip(nodes, ids, strict=True):
            lines.append(f"  {node} [label={_dot_text(f'{y}: {names.get(i, i)}')}];")
        lines += [f"  {a} -> {b} [style=invis];" for a, b in pairwise(nodes)]
    counts = [r["persons"] for r in rows if isinstance(r["persons"], int)]
    top = max(counts or [1])
    for r in rows:
        n = r["persons"]
        if n == 0:
            continue
        text = str(n) if isinstance(n, str) else fmt_num(n, 0)
        width = 1 + 4 * (n / top) if isinstance(n, int) else 1
        lines.append(f"  {_dot_text('a:' + r['from'])} -> {_dot_text('b:' + r['to'])} "
                     f"[label={_dot_text(text)}, penwidth={width:.2f}];")
    lines.append("}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ follow-up

def _conditions_param(request: Request) -> tuple[str, ...] | None:
    from sotekeskus.pathways.conditions import load_conditions

    allowed = load_conditions().ids()
    chosen = tuple(v.strip() for v in request.query_params.getlist("condition") if v.strip())
    for c in chosen:
        if c not in allowed:
            raise unknown_code("condition", c, "a condition of the conditions table", allowed)
    return chosen or None


def _condition_names(lang: str) -> dict[Any, str]:
    from sotekeskus.pathways.conditions import load_conditions

    return {c.id: c.name(lang) for c in load_conditions().conditions}


def follow_up_view(request: Request, account: Account) -> dict[str, Any]:
    from sotekeskus.pathways.followup import suppress

    holder = request.app.state.analytics
    q = plan_scope(request, account)
    on = parse_day(request, "on") or _default_day(request)
    chosen = _conditions_param(request)
    lang = language_for(request, account)
    error = None
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    try:
        result = pw.follow_up(holder, on)
        rows, notes = [dict(r) for r in result.rows], list(result.notes)
    except PathwaysError as exc:
        error = str(exc)
    rows = _in_scope(q, rows)
    if chosen:
        rows = [r for r in rows if r["condition"] in chosen]
    if q.suppressed:
        rows = suppress(rows)
    table = CodeTable(
        "follow_up", N_("Follow-up of long-term conditions by unit"),
        [Column("unit_id", "code", COLUMNS["unit_id"]),
         Column("condition", "code", COLUMNS["condition"]),
         Column("persons", "int", COLUMNS["persons"]), Column("lapsed", "int", COLUMNS["lapsed"]),
         Column("lapsed_pct", "pct", COLUMNS["lapsed_pct"])], rows, _note(q),
        extra_labels={"unit_id": _unit_labels(request), "condition": _condition_names(lang)})
    return {"q": q, "on": on, "chosen": chosen or (), "table": table, "error": error,
            "notes": notes, "tables": [table], "conditions": _condition_names(lang)}


def worklist_view(request: Request, account: Account) -> dict[str, Any]:
    """The person-level worklist: the access policy's persons scope, a purpose, an audited
    read (written by the library before the list is returned)."""
    from sotekeskus.pathways.conditions import load_conditions

    holder = request.app.state.analytics
    asked = tuple(dict.fromkeys(u.strip() for u in request.query_params.getlist("unit")
                                if u.strip()))
    scope = authorise(account, Action.VIEW_CLINICAL_WORKLISTS, asked or None)
    units = asked or (None if scope.unit_ids is None else tuple(sorted(scope.unit_ids)))
    on = parse_day(request, "on") or _default_day(request)
    chosen = _conditions_param(request)
    purpose = (request.query_params.get("purpose") or "").strip()
    lang = language_for(request, account)
    if purpose and purpose not in PURPOSES:
        raise unknown_code("purpose", purpose, "a purpose", tuple(PURPOSES))
    rows: list[dict[str, Any]] = []
    if purpose:
        try:
            rows = pw.worklist(holder, on, actor=account.username, purpose=purpose,
                               audit_engine=request.app.state.engine, units=units,
                               conditions=chosen, language=lang)
        except PathwaysError as exc:
            raise FilterError(str(exc), field="worklist") from exc
    table_conditions = load_conditions()
    token = i18n.current_language.set(lang)  # the reasons are text in the reader's language
    try:
        for r in rows:
            c = table_conditions.get(r["condition"])
            r["reason"] = gettext_(N_(
                "%(condition)s: %(basis)s on %(last)s; protocol %(months)s months and %(grace)s "
                "days' grace, due %(due)s, %(days)s days overdue")) % {
                "condition": c.name(lang), "basis": gettext_(BASIS[r["follow_up_basis"]]),
                "last": i18n.fmt_date(r["last_follow_up"]), "months": c.interval_months,
                "grace": c.grace_days, "due": i18n.fmt_date(r["due"]),
                "days": r["days_overdue"]}
    finally:
        i18n.current_language.reset(token)
    table = CodeTable(
        "follow_up_worklist", N_("Lapsed follow-up, person level"),
        [Column("person_id", label=COLUMNS["person_id"]),
         Column("condition", "code", COLUMNS["condition"]),
         Column("unit_id", "code", COLUMNS["unit_id"]),
         Column("follow_up_basis", "code", COLUMNS["follow_up_basis"]),
         Column("last_follow_up", "date", COLUMNS["last_follow_up"]),
         Column("due", "date", COLUMNS["due"]),
         Column("days_overdue", "int", COLUMNS["days_overdue"]),
         Column("reason", label=COLUMNS["reason"])], rows,
        extra_labels={"unit_id": _unit_labels(request), "condition": _condition_names(lang),
                      "follow_up_basis": BASIS})
    return {"on": on, "units": units, "purpose": purpose, "chosen": chosen or (),
            "table": table, "conditions": _condition_names(lang), "read": bool(purpose)}


# ------------------------------------------------------------------------------ routes

VIEWS = {"clients": clients_view, "continuity": continuity_view, "flow": flow_view,
         "segments": segments_view, "follow-up": follow_up_view}
TEMPLATES = {"clients": "pathways_clients.html", "continuity": "pathways_continuity.html",
             "flow": "pathways_flow.html", "segments": "pathways_segments.html",
             "follow-up": "pathways_follow_up.html"}


def section_links() -> list[tuple[str, str, str]]:
    return [("clients", "/pathways", N_("Clients")),
            ("continuity", "/pathways/continuity", N_("Continuity of care")),
            ("flow", "/pathways/flow", N_("Patient flow")),
            ("segments", "/pathways/segments", N_("Segments")),
            ("follow-up", "/pathways/follow-up", N_("Follow-up")),
            ("outcomes", "/pathways/outcomes", N_("Outcomes")),
            ("experience", "/pathways/experience", N_("Experience")),
            ("cost", "/pathways/cost", N_("Cost")),
            ("models", "/pathways/models", N_("Risk models"))]


def _page(request: Request, account: Account, section: str, **extra: Any) -> Response:
    holder = request.app.state.analytics
    view = VIEWS[section](request, account)
    params = [(k, v) for k, v in request.query_params.multi_items() if v]
    from sotekeskus.web.manage.deadlines import may_see_persons

    return render(request, TEMPLATES[section], account=account, view=view, section=section,
                  sections=section_links(), query=urlencode(params), params=params,
                  units=visible_units(holder, account), scope=view["q"],
                  may_see_persons=may_see_persons(account), queue_param="",
                  case_types=FLOW_CASE_TYPES, L_CASE_TYPES=CASE_TYPES, purposes=PURPOSES,
                  **extra)


@router.get("/pathways")
def pathways_clients(request: Request, account: ManagementAccount) -> Response:
    return _page(request, account, "clients")


@router.get("/pathways/continuity")
def pathways_continuity(request: Request, account: ManagementAccount) -> Response:
    return _page(request, account, "continuity")


@router.get("/pathways/flow")
def pathways_flow(request: Request, account: ManagementAccount) -> Response:
    return _page(request, account, "flow")


@router.get("/pathways/segments")
def pathways_segments(request: Request, account: ManagementAccount) -> Response:
    return _page(request, account, "segments")


@router.get("/pathways/follow-up")
def pathways_follow_up(request: Request, account: ManagementAccount) -> Response:
    return _page(request, account, "follow-up")


@router.get("/pathways/follow-up/worklist")
def pathways_worklist(request: Request, account: ManagementAccount) -> Response:
    view = worklist_view(request, account)
    params = [(k, v) for k, v in request.query_params.multi_items() if v]
    return render(request, "pathways_worklist.html", account=account, view=view,
                  section="follow-up", sections=section_links(), query=urlencode(params),
                  units=visible_units(request.app.state.analytics, account),
                  purposes=PURPOSES, scope=plan_scope(request, account), queue_param="")


@router.get("/pathways/follow-up/worklist.{fmt}")
def pathways_worklist_export(fmt: str, request: Request,
                             account: ManagementAccount) -> Response:
    if fmt not in ("csv", "xlsx"):
        return Response("unknown export", status_code=404, media_type="text/plain")
    view = worklist_view(request, account)
    if not view["read"]:
        raise FilterError("purpose: required (why the list is read); use one of "
                          + ", ".join(PURPOSES), field="purpose")
    audit.record(request.app.state.engine, account.username, audit.EXPORT_PERSONS,
                 f"follow_up_worklist.{fmt}",
                 f"on={view['on'].isoformat()}; units="
                 f"{','.join(view['units']) if view['units'] else 'all'}; "
                 f"persons={len(view['table'].rows)}; purpose={view['purpose']}")
    return table_response([view["table"]], "follow_up_worklist", fmt,
                          f"follow_up_worklist_{view['on'].isoformat()}")


@router.get("/pathways/{section}/export/{name}.{fmt}")
def pathways_export(section: str, name: str, fmt: str, request: Request,
                    account: ManagementAccount) -> Response:
    if section not in SECTIONS:
        return Response("unknown section", status_code=404, media_type="text/plain")
    return table_response(VIEWS[section](request, account)["tables"], name, fmt)


@router.get("/pathways/{section}/chart/{name}.{fmt}")
def pathways_chart(section: str, name: str, fmt: str, request: Request,
                   account: ManagementAccount) -> Response:
    if section not in SECTIONS:
        return Response("unknown section", status_code=404, media_type="text/plain")
    token = i18n.current_language.set(language_for(request, account))
    try:
        view = VIEWS[section](request, account)
        if section == "flow" and name == "graph" and fmt == "svg":
            if not view["body"]["edges"]:
                return Response("no transitions", status_code=404, media_type="text/plain")
            svg = render_svg(flow_dot(view["body"]))
            return _svg(svg, request, f"flow_{view['case_type'] or 'all'}.svg")
        if section == "segments" and name == "moves" and fmt == "svg" \
                and not view["region_only"]:
            svg = render_svg(transitions_dot(view["moves"].rows, view["names"], view["year"]))
            return _svg(svg, request, f"segments_{view['year']}.svg")
        if section == "clients" and name == "clients":
            table = view["chart"]
            keys = [c.key for c in table.columns[1:]]
            labels = table.extra_labels["unit_id"]
            spec = plan_charts.series_chart(
                table.rows, "unit_id", [(k, gettext_(COLUMNS[k])) for k in keys],
                title=gettext_(table.title), y_title="%", x_title=gettext_(COLUMNS["unit_id"]),
                x_label=lambda u: labels.get(u, u), bars=True, percent=True)
        elif section == "continuity" and name == "continuity":
            table = view["table"]
            units = table.extra_labels["unit_id"]
            rows = [dict(r, label=f"{units.get(r['unit_id'], r['unit_id'])} · "
                                  f"{code_label('professional_group', r['professional_group'])}")
                    for r in table.rows]
            spec = plan_charts.series_chart(
                rows, "label", [("mean_coc", gettext_(COLUMNS["mean_coc"]))],
                title=gettext_(table.title), y_title=gettext_(N_("index 0–1")),
                x_title=gettext_(COLUMNS["unit_id"]), x_label=str, bars=True)
        else:
            return Response("unknown chart", status_code=404, media_type="text/plain")
    finally:
        i18n.current_language.reset(token)
    return chart_response(spec, fmt, f"pathways_{name}",
                          download=request.query_params.get("download") == "1")


def _svg(body: bytes, request: Request, filename: str) -> Response:
    from sotekeskus.web.exports import attachment

    headers = (attachment(filename) if request.query_params.get("download") == "1"
               else {"Cache-Control": "no-store"})
    return Response(body, media_type="image/svg+xml", headers=headers)

