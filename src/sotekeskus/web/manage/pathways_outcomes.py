"""Outcomes, experience and cost on the management web (issue 16 §8–9).

* ``/pathways/outcomes`` — outcome measures before and after per unit, service area and
  instrument (PHQ-9, GAD-7, WHO-5 …): persons with a baseline, measured twice, mean scores
  and change, improved / worsened (``sotekeskus report outcomes``' figures over the stored
  measurements, ``sotekeskus import measures``);
* ``/pathways/experience`` — NPS per unit and channel (``report experience`` over the
  stored responses, ``sotekeskus import experience``);
* ``/pathways/cost`` — cost per visit and per person served per unit and professional group
  from the cost table (``costs.csv`` in a configured rules folder, else the shipped
  example, labelled as such on the page).

A unit-scoped viewer sees the rows of their own units; small cells are suppressed with each
report's own rule, as the CLI suppresses them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotekeskus.analytics import pathways_service as pw
from sotekeskus.analytics.filters import FilterError
from sotekeskus.pathways.errors import PathwaysError
from sotekeskus.store.users import Account
from sotekeskus.web import labels as L
from sotekeskus.web.deps import ManagementAccount
from sotekeskus.web.exports import table_response
from sotekeskus.web.i18n import N_
from sotekeskus.web.manage.codes import CodeTable
from sotekeskus.web.manage.pathways import (
    ALL,
    _default_day,
    _in_scope,
    _note,
    _unit_labels,
    section_links,
)
from sotekeskus.web.manage.scope import parse_day, parse_number, plan_scope
from sotekeskus.web.manage.views import visible_units
from sotekeskus.web.render import render
from sotekeskus.web.tables import Column

router = APIRouter()

SECTIONS = ("outcomes", "experience", "cost")
COLUMNS = {
    "unit_id": N_("Unit"), "service_area": N_("Service area"), "instrument": N_("Instrument"),
    "baseline": N_("Persons with a baseline"), "measured_both": N_("Measured twice"),
    "mean_baseline": N_("Mean at baseline"), "mean_follow_up": N_("Mean at follow-up"),
    "mean_change": N_("Mean change"), "improved": N_("Improved"),
    "improved_pct": N_("Share improved"), "worsened": N_("Worsened"),
    "worsened_pct": N_("Share worsened"), "channel": N_("Channel"),
    "responses": N_("Responses"), "promoters": N_("Promoters (9–10)"),
    "passives": N_("Passives (7–8)"), "detractors": N_("Detractors (0–6)"),
    "nps": N_("NPS"), "professional_group": N_("Professional group"),
    "visits": N_("Visits"), "persons": N_("Persons served"), "cost_eur": N_("Cost (€)"),
    "cost_per_visit": N_("Cost per visit (€)"),
    "cost_per_person": N_("Cost per person served (€)"),
    "contact_mode": N_("Contact mode"),
}
INSTRUMENTS = {"phq9": N_("PHQ-9 (depression)"), "gad7": N_("GAD-7 (anxiety)"),
               "who5": N_("WHO-5 (well-being)")}
CHANNEL_ALL = {ALL: N_("All channels")}
GROUP_ALL = {ALL: N_("All groups")}


def _engine(request: Request) -> Any:
    return request.app.state.engine


# ------------------------------------------------------------------------------ outcomes

def outcomes_view(request: Request, account: Account) -> dict[str, Any]:
    from sotekeskus.pathways.instruments import shipped_instruments
    from sotekeskus.pathways.outcome_store import stored_measurements
    from sotekeskus.pathways.outcomes import OUTCOME_COLUMNS, outcome_change, suppress_outcomes

    q = plan_scope(request, account)
    instruments = shipped_instruments()
    measured = stored_measurements(_engine(request))
    known = [m for m in measured if m.instrument in instruments]
    last = max((m.measured_on for m in known), default=date.today())
    end = parse_day(request, "to") or last
    start = parse_day(request, "from") or date(end.year, 1, 1)
    if end < start:
        raise FilterError(f"to: {end} is before from {start}", field="to", value=str(end))
    days = int(parse_number(request, "follow_up_days", 28, low=1, high=730, integer=True)
               or 28)
    rows = _in_scope(q, outcome_change(known, start, end, instruments, days))
    if q.suppressed:
        rows = suppress_outcomes(rows)
    kinds = {"unit_id": "code", "service_area": "code", "instrument": "code",
             "mean_baseline": "num", "mean_follow_up": "num", "mean_change": "num"}
    cols = [Column(k, kinds.get(k, "pct" if k.endswith("_pct") else "int"), COLUMNS[k])
            for k in OUTCOME_COLUMNS]
    table = CodeTable("outcomes", N_("Outcome measures before and after"), cols, rows,
                      _note(q), extra_labels={"unit_id": _unit_labels(request),
                                              "instrument": INSTRUMENTS,
                                              "service_area": L.SERVICE_AREAS})
    return {"q": q, "start": start, "end": end, "days": days, "table": table,
            "tables": [table], "measured": len(measured),
            "unknown": len(measured) - len(known)}


# ------------------------------------------------------------------------------ experience

def experience_view(request: Request, account: Account) -> dict[str, Any]:
    from sotekeskus.pathways.outcome_store import stored_experience
    from sotekeskus.pathways.outcomes import NPS_COLUMNS, nps, suppress_nps

    q = plan_scope(request, account)
    start, end = parse_day(request, "from"), parse_day(request, "to")
    if start and end and end < start:
        raise FilterError(f"to: {end} is before from {start}", field="to", value=str(end))
    responses = stored_experience(_engine(request))
    rows = _in_scope(q, nps(responses, start, end))
    if q.suppressed:
        rows = suppress_nps(rows)
    cols = [Column(k, "code" if k in ("unit_id", "channel") else
                   ("num" if k == "nps" else "int"), COLUMNS[k]) for k in NPS_COLUMNS]
    table = CodeTable("experience", N_("Would recommend: NPS by unit and channel"), cols,
                      rows, _note(q), extra_labels={
                          "unit_id": _unit_labels(request),
                          "channel": {**L.CONTACT_MODES, **CHANNEL_ALL}})
    return {"q": q, "start": start, "end": end, "table": table, "tables": [table],
            "responses": len(responses)}


# ------------------------------------------------------------------------------ cost

def cost_view(request: Request, account: Account) -> dict[str, Any]:
    from sotekeskus.pathways.costs import EXAMPLE, region_costs, suppress

    q = plan_scope(request, account)
    end = parse_day(request, "to") or _default_day(request)
    start = parse_day(request, "from") or end - timedelta(days=364)
    if end < start:
        raise FilterError(f"to: {end} is before from {start}", field="to", value=str(end))
    error = None
    try:
        prices = region_costs(request.app.state.settings.rules_dirs)
        rows = _in_scope(q, pw.costs(request.app.state.analytics, prices, start, end))
    except PathwaysError as exc:
        error, rows, prices = str(exc), [], None
    if q.suppressed:
        rows = suppress(rows)
    labels = {"unit_id": _unit_labels(request),
              "professional_group": {**L.PROFESSIONAL_GROUPS, **GROUP_ALL},
              "contact_mode": L.CONTACT_MODES}
    table = CodeTable(
        "cost", N_("Cost per visit and per person served"),
        [Column("unit_id", "code", COLUMNS["unit_id"]),
         Column("professional_group", "code", COLUMNS["professional_group"]),
         Column("visits", "int", COLUMNS["visits"]), Column("persons", "int",
                                                            COLUMNS["persons"]),
         Column("cost_eur", "num", COLUMNS["cost_eur"]),
         Column("cost_per_visit", "num", COLUMNS["cost_per_visit"]),
         Column("cost_per_person", "num", COLUMNS["cost_per_person"])], rows, _note(q),
        extra_labels=labels)
    price_table = CodeTable(
        "cost_table", N_("The cost table"),
        [Column("unit_id", label=COLUMNS["unit_id"]),
         Column("contact_mode", "code", COLUMNS["contact_mode"]),
         Column("professional_group", "code", COLUMNS["professional_group"]),
         Column("cost_eur", "num", COLUMNS["cost_eur"])],
        prices.rows() if prices else [], extra_labels=labels)
    example = prices is not None and prices.source == str(EXAMPLE)
    return {"q": q, "start": start, "end": end, "table": table, "prices": price_table,
            "example": example, "error": error, "tables": [table, price_table]}


# ------------------------------------------------------------------------------ routes

VIEWS = {"outcomes": outcomes_view, "experience": experience_view, "cost": cost_view}
TEMPLATES = {"outcomes": "pathways_outcomes.html", "experience": "pathways_experience.html",
             "cost": "pathways_cost.html"}


def _page(request: Request, account: Account, section: str) -> Response:
    view = VIEWS[section](request, account)
    params = [(k, v) for k, v in request.query_params.multi_items() if v]
    return render(request, TEMPLATES[section], account=account, view=view, section=section,
                  sections=section_links(), query=urlencode(params), params=params,
                  units=visible_units(request.app.state.analytics, account),
                  scope=view["q"], queue_param="")


@router.get("/pathways/outcomes")
def pathways_outcomes(request: Request, account: ManagementAccount) -> Response:
    return _page(request, account, "outcomes")


@router.get("/pathways/experience")
def pathways_experience(request: Request, account: ManagementAccount) -> Response:
    return _page(request, account, "experience")


@router.get("/pathways/cost")
def pathways_cost(request: Request, account: ManagementAccount) -> Response:
    return _page(request, account, "cost")


@router.get("/pathways/{section}/export/{name}.{fmt}")
def pathways_more_export(section: str, name: str, fmt: str, request: Request,
                         account: ManagementAccount) -> Response:
    if section not in SECTIONS:
        from sotekeskus.web.manage.pathways import pathways_export

        return pathways_export(section, name, fmt, request, account)
    return table_response(VIEWS[section](request, account)["tables"], name, fmt)
