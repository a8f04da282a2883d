"""Capacity planning (issue 15 §6): queue series, queue statistics, scenarios, forecasts and
care debt on the management web.

* ``/planning`` — queues as weekly series: arrivals, removals, size and waits, per queue
  (pooled over the units the viewer may see, or one unit);
* ``/planning/statistics`` — load, pressure, target and relief capacity of a queue;
* ``/planning/scenario`` — a manager's scenario (extra capacity per week, dates, cost)
  simulated from today's list beside doing nothing, with 95 per cent bands;
* ``/planning/forecast`` — weekly demand forecasts with the back-tested error beside;
* ``/planning/care-debt`` — the pandemic deficit against the pre-pandemic pattern (the whole
  region) and the backlog beyond the target and the legal limit.

Every figure is :mod:`sotekeskus.planning`'s (the same calls as ``sotekeskus report queues``,
``plan queue|simulate|forecast``, ``report care-debt``), through
:mod:`sotekeskus.analytics.planning_service` (a source scoped to the viewer's units, answers
kept per data version). Small cells are suppressed as the CLI suppresses them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotekeskus.analytics import planning_service as ps
from sotekeskus.analytics.filters import FilterError, unknown_code
from sotekeskus.domain.access_policy import Action
from sotekeskus.planning.publish import suppress
from sotekeskus.planning.queues import COUNT_COLUMNS, POOLED, QueueError, QueueId, rows_of
from sotekeskus.store.users import Account
from sotekeskus.web import i18n
from sotekeskus.web import labels as L
from sotekeskus.web.deps import ManagementAccount, authorise, language_for
from sotekeskus.web.exports import chart_response, table_response
from sotekeskus.web.i18n import N_, fmt_date, gettext_
from sotekeskus.web.manage import plan_charts
from sotekeskus.web.manage.codes import CodeTable, code_label, leg_label
from sotekeskus.web.manage.scope import (
    PlanScope,
    parse_day,
    parse_number,
    plan_scope,
    scope_note,
    text_param,
)
from sotekeskus.web.manage.views import visible_units
from sotekeskus.web.render import render
from sotekeskus.web.tables import Column

router = APIRouter()

DEFAULT_WEEKS = 26
MAX_SIM_WEEKS, MAX_REPLICATIONS, MAX_PER_WEEK = 104, 200, 5000.0
FORECAST_SERIES = ("arrivals", "served", "removals", "urgent_arrivals")
MEASURES = ("visits", "contacts")
WAIT_FIGURES = ("mean_wait_days", "median_wait_days", "p90_wait_days")

# ------------------------------------------------------------------------------ labels

COLUMNS = {
    "queue_id": N_("Queue"), "week": N_("Week"), "arrivals": N_("Arrivals"),
    "served": N_("Served"), "unserved": N_("Left unserved"), "removals": N_("Removals"),
    "size": N_("Waiting at the end of the week"), "mean_wait_days": N_("Mean wait (days)"),
    "median_wait_days": N_("Median wait (days)"),
    "p90_wait_days": N_("90th percentile of the wait (days)"),
    "past_legal_limit": N_("Past the legal limit"), "past_target": N_("Past the target"),
    "urgent_arrivals": N_("Urgent arrivals"), "urgent_served": N_("Urgent patients seen"),
    "waited_0_1w": N_("Waited under 1 week"), "waited_1_2w": N_("Waited 1–2 weeks"),
    "waited_2_4w": N_("Waited 2–4 weeks"), "waited_4_8w": N_("Waited 4–8 weeks"),
    "waited_8_13w": N_("Waited 8–13 weeks"), "waited_13_26w": N_("Waited 13–26 weeks"),
    "waited_26_52w": N_("Waited 26–52 weeks"), "waited_52w_plus": N_("Waited a year or more"),
    "figure": N_("Figure"), "value": N_("Value"), "unit": N_("Unit of measure"),
    "how": N_("How it is computed"), "estimate": N_("Estimate"),
    "question": N_("Question"), "as_is": N_("Doing nothing"),
    "as_is_lo": N_("Doing nothing, 95 per cent band from"), "as_is_hi": N_("Doing nothing, to"),
    "scenario": N_("Scenario"), "scenario_lo": N_("Scenario, 95 per cent band from"),
    "scenario_hi": N_("Scenario, to"), "model": N_("Model"), "mase": N_("MASE"),
    "mase_vs_seasonal_naive": N_("MASE ÷ seasonal naive"),
    "coverage_95_pct": N_("Coverage of the 95 per cent interval"), "test_points": N_("Test weeks"),
    "error": N_("Error"), "expected": N_("Expected"), "actual": N_("Actual"),
    "deficit": N_("Deficit"), "deficit_lo": N_("Deficit, 95 per cent band from"),
    "deficit_hi": N_("Deficit, to"), "deficit_pct": N_("Deficit of expected"),
    "catch_up": N_("Caught up"), "catch_up_lo": N_("Caught up, 95 per cent band from"),
    "catch_up_hi": N_("Caught up, to"), "catch_up_until": N_("Caught up until"),
    "remaining": N_("Remaining"), "fitted_from": N_("Pattern fitted from"),
    "fitted_months": N_("Months fitted"), "note": N_("Note"), "on": N_("Day"),
    "waiting": N_("Waiting"), "patient_weeks_past_target": N_("Patient-weeks past the target"),
    "patient_weeks_past_legal_limit": N_("Patient-weeks past the legal limit"),
    "demand_per_week": N_("Demand a week"), "target_queue_size": N_("Target queue size"),
    "relief_capacity_per_week": N_("Relief capacity a week"), "clear_by": N_("Cleared by"),
}

#: Figures of the queue statistics: code → (label, how it is computed).
FIGURES: dict[str, tuple[str, str]] = {
    "queue": (N_("Queue"), N_("Service area or case type, professional group or leg, unit.")),
    "on": (N_("Date of the list"), N_("The waiting list at the end of this day.")),
    "target_wait": (N_("Target wait"), N_("Every wait below is in weeks too (days ÷ 7).")),
    "demand": (N_("Demand"), N_("Non-urgent entries in the window ÷ its weeks.")),
    "capacity": (N_("Capacity"),
                 N_("Removals in the window ÷ the weeks the list was not empty.")),
    "served": (N_("Served"), N_("First care events in the window, a week.")),
    "left_unserved": (N_("Left unserved"),
                      N_("Cancelled, counted in the week of the assessment.")),
    "urgent_served": (N_("Urgent patients seen"),
                      N_("Urgent patients seen by the same group, beside the list.")),
    "load": (N_("Load"), N_("Demand ÷ capacity; 1 or more: the list grows.")),
    "cv_demand": (N_("Variation of demand"),
                  N_("√(variance ÷ mean) of the weekly arrivals (1: as random as Poisson).")),
    "cv_capacity": (N_("Variation of capacity"),
                    N_("√(variance ÷ mean) of the weekly removals.")),
    "queue_size": (N_("Waiting"), N_("Waiting at the end of the day.")),
    "mean_wait": (N_("Mean wait"), N_("Of those waiting on the day.")),
    "median_wait": (N_("Median wait"), N_("Of those waiting on the day.")),
    "waiting_over_target": (N_("Waiting longer than the target"),
                            N_("Waited more than the target wait.")),
    "waiting_past_legal_limit": (N_("Past the legal limit"), N_(
        "Past the legal deadline of the rule in force on the assessment date.")),
    "target_mean_wait": (N_("Target mean wait"), N_("Target ÷ 4.")),
    "target_queue_size": (N_("Target queue size"), N_("Demand × target ÷ 4 (Little's law).")),
    "queue_too_big": (N_("Queue too big"),
                      N_("Waiting more than twice the target queue size.")),
    "pressure": (N_("Pressure"), N_(
        "2 × mean wait ÷ target; above 1 the target will most likely be missed.")),
    "target_capacity": (N_("Target capacity"), N_(
        "Capacity that keeps the list at its target size (when the queue is not too big).")),
    "relief_capacity": (N_("Relief capacity"), N_(
        "Capacity that brings the list to its target size by the date (when the queue is "
        "too big).")),
    "capacity_needed": (N_("Capacity needed"), N_(
        "Relief capacity when the queue is too big, else target capacity.")),
    "extra_per_week": (N_("Extra capacity needed"), N_(
        "Capacity needed − capacity now (negative: capacity to spare).")),
}
UNITS = {"": "", "date": "", "days": N_("days"), "weeks": N_("weeks"),
         "patients/week": N_("patients a week"), "patients": N_("patients"),
         "ratio": N_("ratio")}

#: What a simulation was estimated from: code → (label, how).
ESTIMATES: dict[str, tuple[str, str]] = {
    "queue": FIGURES["queue"],
    "start_list": (N_("Waiting at the start"), N_(
        "Non-urgent patients waiting at the end of the day, each with the days already "
        "waited.")),
    "arrivals_per_week": (N_("Arrivals a week"), N_(
        "Non-urgent, a normal week at the level of the last 13 weeks, before month factors.")),
    "urgent_per_week": (N_("Urgent arrivals a week"),
                        N_("Urgent patients of the same group, served first.")),
    "weekday_factors": (N_("Weekday factors"),
                        N_("Monday … Sunday, mean arrivals per non-holiday weekday.")),
    "month_factors": (N_("Month factors"), N_(
        "January … December, arrivals by month ÷ the 2 × 12 moving average.")),
    "holiday_factor": (N_("Holiday factor"), N_(
        "Arrivals on Finnish public holidays ÷ expected on such a weekday.")),
    "capacity_per_week": (N_("Own capacity a week"), N_(
        "Served per open day in the last 13 weeks × 5, before month factors.")),
    "capacity_month_factors": (N_("Capacity month factors"), N_(
        "January … December, served per open day by month ÷ the 2 × 12 moving average.")),
    "cancellations_per_person_week": (N_("Cancellations per person-week"), N_(
        "Left unserved ÷ person-weeks waited in the window.")),
    "min_lead_days": (N_("Shortest lead time (days)"), N_(
        "5th percentile of arrival → appointment of those served.")),
    "legal_limit_days": (N_("Legal limit (days)"), N_(
        "Median legal deadline − arrival + 1 of recent arrivals.")),
}

#: Answers of a scenario: code → label.
ANSWERS = {
    "size_end": N_("Waiting at the end"),
    "median_wait_end": N_("Median wait at the end (days)"),
    "share_over_legal_end": N_("Share past the legal limit at the end"),
    "share_over_target_end": N_("Share over the target at the end"),
    "served_median_below_target_from": N_("Median wait of those seen below the target from"),
    "median_below_target_from": N_("Median wait of those waiting below the target from"),
    "cost": N_("Cost (€)"),
    "replications": N_("Simulated futures"),
}
NOTES = {"no months before the pandemic": N_("No months before the pandemic to learn "
                                              "the pattern from.")}
GROUP_ALL = N_("All groups")


# ------------------------------------------------------------------------------ parameters

_text = text_param  # the planning pages' name for it


def parse_queue(request: Request, scope: PlanScope, account: Account) -> QueueId | None:
    """The ``queue`` parameter (``area/group[/unit|all]`` or ``case_type/from-to[/unit]``);
    a unit outside the viewer's scope is refused."""
    raw = _text(request, "queue")
    if not raw:
        return None
    try:
        queue = QueueId.parse(raw)
    except QueueError as exc:
        raise FilterError(f"queue: {exc}", field="queue", value=raw) from exc
    if queue.unit_id is not None:
        authorise(account, Action.VIEW_AGGREGATES, [queue.unit_id])
        if scope.unit_ids is not None and queue.unit_id not in scope.unit_ids:
            raise FilterError(f"queue: unit {queue.unit_id} is not among the units chosen",
                              field="queue", value=raw)
    return queue


def queue_label(queue: QueueId | str, unit_names: Mapping[str, str] | None = None) -> str:
    """"Oral health care · Dental hygienist · All units" in the current language."""
    q = QueueId.parse(queue) if isinstance(queue, str) else queue
    if q.is_case:
        start, end = q.professional_group.split("-")
        first, second = code_label("case_type", q.service_area), leg_label(start, end)
    else:
        first = code_label("service_area", q.service_area)
        second = code_label("professional_group", q.professional_group)
    unit = (gettext_(N_("All units")) if q.unit_id is None
            else (unit_names or {}).get(q.unit_id, q.unit_id))
    return f"{first} · {second} · {unit}"


def _labels(queues: list[str], names: Mapping[str, str]) -> dict[str, dict[Any, str]]:
    """Display labels of the queue ids in a table (already in the current language)."""
    return {"queue_id": {q: queue_label(q, names) for q in queues}}


_note = scope_note


def _week_label(value: Any) -> str:
    return fmt_date(value, "short")


def _cols(*keys: str, kind: str = "int") -> list[Column]:
    return [Column(k, kind, COLUMNS[k]) for k in keys]


# ------------------------------------------------------------------------------ queues

QUEUE_CHARTS: dict[str, tuple[tuple[str, ...], str, str, bool]] = {
    "flow": (("arrivals", "served", "unserved"), N_("Arrivals and removals by week"),
             N_("patients"), True),
    "size": (("size", "past_target", "past_legal_limit"),
             N_("Waiting at the end of the week"), N_("patients"), False),
    "waits": (WAIT_FIGURES, N_("Wait of those waiting"), N_("days"), False),
}
SERIES_TABLE = ("week", "arrivals", "served", "unserved", "removals", "size",
                "mean_wait_days", "median_wait_days", "p90_wait_days", "past_legal_limit",
                "past_target", "urgent_arrivals", "urgent_served", "waited_0_1w",
                "waited_1_2w", "waited_2_4w", "waited_4_8w", "waited_8_13w",
                "waited_13_26w", "waited_26_52w", "waited_52w_plus")


def _kind(key: str) -> str:
    return "num" if key.endswith("_days") else ("date" if key == "week" else "int")


def _publish_series(q: PlanScope, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not q.suppressed:
        return rows
    return suppress(rows, COUNT_COLUMNS, {"size": WAIT_FIGURES})


@dataclass
class QueuesView:
    start: date
    end: date
    queue: QueueId | None
    overview: CodeTable
    units: CodeTable
    series: CodeTable
    charts: dict[str, CodeTable]
    queues: list[tuple[str, str]]  # (queue id, label) to choose from


def queues_view(request: Request, account: Account) -> QueuesView | None:
    holder = request.app.state.analytics
    q = plan_scope(request, account)
    queue = parse_queue(request, q, account)
    last = ps.last_date(holder, q.unit_ids)
    if last is None:
        return None
    end = parse_day(request, "to") or last
    start = parse_day(request, "from") or end - timedelta(weeks=DEFAULT_WEEKS) + timedelta(1)
    if end < start:
        raise FilterError(f"to: {end} is before from {start}", field="to", value=str(end))
    try:
        frame = ps.series(holder, q.unit_ids, start, end)
    except QueueError as exc:
        raise FilterError(f"from: {exc}", field="from", value=str(start)) from exc
    names = holder.unit_names()
    ids = sorted(set(frame["queue_id"]))
    pooled = frame[frame["unit_id"].isna()]
    weeks = sorted(set(frame["week"]))
    last_week = weeks[-1] if weeks else None
    latest = rows_of(pooled[pooled["week"] == last_week]) if last_week else []
    if queue is None and latest:
        queue = QueueId.parse(max(latest, key=lambda r: (r["size"], r["queue_id"]))["queue_id"])
    if queue is not None and str(queue) not in ids:
        raise FilterError(f"queue: no queue {queue} in the data of the units chosen",
                          field="queue", value=str(queue))
    labels = _labels(ids, names)
    overview = CodeTable(
        "planning_queues", N_("Every queue in the last week"),
        [Column("queue_id", "code", COLUMNS["queue_id"]),
         *_cols("size", "arrivals", "removals", "past_legal_limit", "past_target"),
         *_cols("median_wait_days", kind="num")],
        _publish_series(q, latest), _note(q), extra_labels=labels)
    rows: list[dict[str, Any]] = []
    unit_rows: list[dict[str, Any]] = []
    if queue is not None:
        rows = _publish_series(q, rows_of(frame[frame["queue_id"] == str(queue)]))
        if queue.pooled:
            mine = frame[(frame["service_area"] == queue.service_area)
                         & (frame["professional_group"] == queue.professional_group)
                         & frame["unit_id"].notna() & (frame["week"] == last_week)]
            unit_rows = _publish_series(q, rows_of(mine))
    series = CodeTable("planning_series", N_("By week"),
                       [Column(k, _kind(k), COLUMNS[k]) for k in SERIES_TABLE], rows, _note(q))
    units = CodeTable("planning_units", N_("The queue's units in the last week"),
                      [Column("queue_id", "code", COLUMNS["queue_id"]),
                       *_cols("size", "arrivals", "removals", "past_legal_limit",
                              "past_target"), *_cols("median_wait_days", kind="num")],
                      unit_rows, _note(q), extra_labels=labels)
    charts = {name: CodeTable(f"chart_{name}", title,
                              [Column("week", "date", COLUMNS["week"]),
                               *(Column(k, _kind(k), COLUMNS[k]) for k in keys)],
                              rows, _note(q))
              for name, (keys, title, _y, _bars) in QUEUE_CHARTS.items()}
    choices = [(i, labels["queue_id"][i]) for i in ids if i.endswith("/" + POOLED)]
    choices += [(i, labels["queue_id"][i]) for i in ids if not i.endswith("/" + POOLED)]
    return QueuesView(start, end, queue, overview, units, series, charts, choices)


# ------------------------------------------------------------------------------ statistics

@dataclass
class StatisticsView:
    queue: QueueId
    target_wait: float
    by: date | None
    on: date | None
    table: CodeTable
    notes: list[str]


def statistics_view(request: Request, account: Account) -> StatisticsView | None:
    holder = request.app.state.analytics
    q = plan_scope(request, account)
    queue = parse_queue(request, q, account)
    if queue is None:
        return None
    target = parse_number(request, "target_wait", 90.0, low=1, high=3650)
    assert target is not None
    on, by = parse_day(request, "on"), parse_day(request, "by")
    try:
        plan = ps.queue_plan(holder, q.unit_ids, queue, target_wait_days=target, on=on, by=by)
    except QueueError as exc:
        raise FilterError(f"queue: {exc}", field="queue", value=str(queue)) from exc
    rows = [dict(r) for r in plan.rows()]
    if q.suppressed:
        small = {"queue_size", "waiting_over_target", "waiting_past_legal_limit"}
        rows = [suppress([r], ["value"])[0] if r["figure"] in small else r for r in rows]
        size = next(r for r in rows if r["figure"] == "queue_size")
        if size["value"] == "<5":
            rows = [dict(r, value=None) if r["figure"] in ("mean_wait", "median_wait",
                                                           "pressure") else r for r in rows]
    for r in rows:
        if r["unit"] == "date":
            r["unit"] = ""
        if r["figure"] == "queue":
            r["value"] = queue_label(queue, holder.unit_names())
        r["how"] = FIGURES.get(r["figure"], ("", ""))[1]
    table = CodeTable(
        "planning_statistics", N_("Queue statistics"),
        [Column("figure", "code", COLUMNS["figure"]), Column("value", "mixed", COLUMNS["value"]),
         Column("unit", "code", COLUMNS["unit"]), Column("how", "msgid", COLUMNS["how"])],
        rows, _note(q),
        extra_labels={"figure": {k: v[0] for k, v in FIGURES.items()}, "unit": UNITS})
    notes = []
    if plan.summary.capacity is None:
        notes.append(N_("No removals in the window: capacity, load and extra capacity are "
                        "unknown."))
    if plan.summary.load is not None and plan.summary.load >= 1:
        notes.append(N_("Load 1 or more: the list grows unless capacity rises."))
    return StatisticsView(queue, target, by, plan.on, table, notes)


# ------------------------------------------------------------------------------ scenario

SIM_CHARTS: dict[str, tuple[str, str, str, bool]] = {
    "sim_size": ("size", N_("Waiting at the end of the week"), N_("patients"), False),
    "sim_wait": ("median_wait", N_("Median wait of those waiting"), N_("days"), False),
    "sim_share": ("share_over_target", N_("Share waiting longer than the target"), "%", True),
}


@dataclass
class ScenarioForm:
    queue: str
    target_wait: float | None
    weeks: int
    replications: int
    seed: int
    extra: float
    extra_from: date
    extra_to: date
    extra_cost: float
    own_cost: float
    arrivals_factor: float


@dataclass
class ScenarioView:
    form: ScenarioForm
    start: date
    estimates: CodeTable
    answers: CodeTable
    weeks: CodeTable
    charts: dict[str, CodeTable]


def scenario_form(request: Request, queue: QueueId | None, last: date | None) -> ScenarioForm:
    start = (last or date.today()) + timedelta(days=1)
    weeks = int(parse_number(request, "weeks", 52, low=1, high=MAX_SIM_WEEKS, integer=True)
                or 52)
    return ScenarioForm(
        queue=str(queue) if queue else "",
        target_wait=parse_number(request, "target_wait", 90.0, low=1, high=3650),
        weeks=weeks,
        replications=int(parse_number(request, "replications", 30, low=2,
                                      high=MAX_REPLICATIONS, integer=True) or 30),
        seed=int(parse_number(request, "seed", 1, low=0, high=2**31 - 1, integer=True) or 0),
        extra=parse_number(request, "extra", 0.0, low=0, high=MAX_PER_WEEK) or 0.0,
        extra_from=parse_day(request, "extra_from") or start,
        extra_to=parse_day(request, "extra_to") or start + timedelta(weeks=min(weeks, 26)),
        extra_cost=parse_number(request, "extra_cost", 0.0, low=0, high=1e6) or 0.0,
        own_cost=parse_number(request, "own_cost", 0.0, low=0, high=1e6) or 0.0,
        arrivals_factor=parse_number(request, "arrivals_factor", 1.0, low=0, high=10) or 0.0,
    )


def _band(values: Any) -> tuple[float, float, float]:
    import numpy as np

    return (float(values.mean()), float(np.percentile(values, 2.5)),
            float(np.percentile(values, 97.5)))


def answer_rows(as_is: Any, result: Any, target: float | None) -> list[dict[str, Any]]:
    """The scenario's answers beside doing nothing, as numbers (mean, 95 per cent band)."""
    rows: list[dict[str, Any]] = []
    last = len(result.weeks) - 1

    def end(metric: str, code: str, scale: float = 1.0) -> None:
        a, b = as_is.weeks.iloc[last], result.weeks.iloc[last]

        def val(r: Any, part: str) -> float | None:
            v = float(r[f"{metric}_{part}"])
            return None if math.isnan(v) else round(v * scale, 1)

        rows.append({"question": code, "as_is": val(a, "mean"), "as_is_lo": val(a, "lo"),
                     "as_is_hi": val(a, "hi"), "scenario": val(b, "mean"),
                     "scenario_lo": val(b, "lo"), "scenario_hi": val(b, "hi")})

    end("size", "size_end")
    end("median_wait", "median_wait_end")
    end("share_over_legal", "share_over_legal_end", 100)
    end("share_over_target", "share_over_target_end", 100)
    if target is not None:
        for metric, code in (("served_median_wait", "served_median_below_target_from"),
                             ("median_wait", "median_below_target_from")):
            rows.append({"question": code, "as_is": as_is.first_week_below(metric, target),
                         "scenario": result.first_week_below(metric, target)})
    for name in result.served_by_stream:
        a_served = as_is.served_by_stream.get(name)
        band_a = _band(a_served) if a_served is not None else (None, None, None)
        band_b = _band(result.served_by_stream[name])
        rows.append({"question": f"served_by:{name}",
                     "as_is": None if band_a[0] is None else round(band_a[0], 1),
                     "as_is_lo": band_a[1], "as_is_hi": band_a[2],
                     "scenario": round(band_b[0], 1), "scenario_lo": band_b[1],
                     "scenario_hi": band_b[2]})
    ca, cb = _band(as_is.total_cost), _band(result.total_cost)
    rows.append({"question": "cost", "as_is": round(ca[0], 0), "as_is_lo": round(ca[1], 0),
                 "as_is_hi": round(ca[2], 0), "scenario": round(cb[0], 0),
                 "scenario_lo": round(cb[1], 0), "scenario_hi": round(cb[2], 0)})
    rows.append({"question": "replications", "as_is": as_is.replications,
                 "scenario": result.replications})
    for r in rows:
        for k in ("as_is_lo", "as_is_hi", "scenario_lo", "scenario_hi"):
            if isinstance(r.get(k), float):
                r[k] = round(r[k], 1)
    return rows


def _answer_labels(rows: list[dict[str, Any]]) -> dict[Any, str]:
    labels = dict(ANSWERS)
    for r in rows:
        code = r["question"]
        if code.startswith("served_by:"):
            name = code.split(":", 1)[1]
            labels[code] = (gettext_(N_("Patients served by own staff")) if name == "own"
                            else gettext_(N_("Patients served by the extra capacity")))
    return labels


def scenario_view(request: Request, account: Account) -> tuple[ScenarioForm, ScenarioView | None]:
    from sotekeskus.planning.compare import weekly_rows
    from sotekeskus.planning.scenario_file import ScenarioFileError, parse_scenario
    from sotekeskus.planning.simulation import SimulationError

    holder = request.app.state.analytics
    q = plan_scope(request, account)
    queue = parse_queue(request, q, account)
    last = ps.last_date(holder, q.unit_ids)
    form = scenario_form(request, queue, last)
    if queue is None or not _text(request, "run"):
        return form, None
    data: dict[str, Any] = {
        "queue": str(queue), "weeks": form.weeks, "replications": form.replications,
        "seed": form.seed, "arrivals_factor": form.arrivals_factor,
        "own_cost_per_patient": form.own_cost}
    if form.target_wait is not None:
        data["target_wait_days"] = form.target_wait
    if form.extra > 0:
        data["extra_capacity"] = [{"name": "extra", "per_week": form.extra,
                                   "from": form.extra_from, "to": form.extra_to,
                                   "cost_per_patient": form.extra_cost}]
    try:
        spec = parse_scenario(data, "scenario")
        estimates, as_is, result = ps.simulation(holder, q.unit_ids, spec)
    except (ScenarioFileError, SimulationError, QueueError) as exc:
        raise FilterError(str(exc), field="scenario") from exc
    est_rows = [dict(r) for r in estimates.rows()]
    if q.suppressed:
        est_rows = [suppress([r], ["value"])[0] if r["estimate"] == "start_list" else r
                    for r in est_rows]
    for r in est_rows:
        if r["estimate"] == "queue":
            r["value"] = queue_label(queue, holder.unit_names())
        r["how"] = ESTIMATES.get(r["estimate"], ("", ""))[1]
    est = CodeTable("planning_estimates", N_("Estimated from the data"),
                    [Column("estimate", "code", COLUMNS["estimate"]),
                     Column("value", "mixed", COLUMNS["value"]),
                     Column("how", "msgid", COLUMNS["how"])], est_rows, _note(q),
                    extra_labels={"estimate": {k: v[0] for k, v in ESTIMATES.items()}})
    answers = answer_rows(as_is, result, form.target_wait)
    answers_table = CodeTable(
        "planning_answers", N_("Doing nothing and the scenario"),
        [Column("question", "code", COLUMNS["question"]),
         *(Column(k, "mixed", COLUMNS[k]) for k in ("as_is", "as_is_lo", "as_is_hi",
                                                    "scenario", "scenario_lo",
                                                    "scenario_hi"))],
        answers, extra_labels={"question": _answer_labels(answers)})
    weekly = weekly_rows(as_is, result)
    for r in weekly:
        for k in list(r):
            if k.startswith("share_") and isinstance(r[k], float):
                r[k] = round(100 * r[k], 1)
    week_keys = [k for k in weekly[0] if k != "week"] if weekly else []
    weeks_table = CodeTable(
        "planning_weeks", N_("By week: mean over the simulated futures and the 95 per cent band"),
        [Column("week", "date", COLUMNS["week"]),
         *(Column(k, "pct" if k.startswith("share_") else "num", _sim_label(k))
           for k in week_keys)], weekly)
    charts = {}
    for name, (metric, title, _y, _pct) in SIM_CHARTS.items():
        keys = [f"{metric}_as_is", f"{metric}_as_is_lo", f"{metric}_as_is_hi",
                f"{metric}_scenario", f"{metric}_scenario_lo", f"{metric}_scenario_hi"]
        charts[name] = CodeTable(
            f"chart_{name}", title,
            [Column("week", "date", COLUMNS["week"]),
             *(Column(k, "pct" if metric.startswith("share_") else "num", _sim_label(k))
               for k in keys)], weekly)
    return form, ScenarioView(form, result.scenario.start, est, answers_table, weeks_table,
                              charts)


SIM_METRICS = {"size": N_("Waiting"), "median_wait": N_("Median wait (days)"),
               "p90_wait": N_("90th percentile of the wait (days)"),
               "share_over_legal": N_("Share past the legal limit"),
               "share_over_target": N_("Share over the target"), "served": N_("Served"),
               "served_median_wait": N_("Median wait of those seen (days)"),
               "cost": N_("Cost (€)")}


def _sim_label(key: str) -> str:
    """``size_scenario_lo`` → "Waiting – scenario, 95 per cent band from" (translated)."""
    for metric, label in SIM_METRICS.items():
        for run, run_label in (("as_is", N_("doing nothing")), ("scenario", N_("scenario"))):
            for suffix, part in (("", ""), ("_lo", N_("95 per cent band from")),
                                 ("_hi", N_("95 per cent band to"))):
                if key == f"{metric}_{run}{suffix}":
                    text = f"{gettext_(label)} – {gettext_(run_label)}"
                    return text + (f", {gettext_(part)}" if part else "")
    return key


# ------------------------------------------------------------------------------ forecast

@dataclass
class ForecastView:
    queue: QueueId
    what: str
    horizon: int
    accuracy: CodeTable
    forecast: CodeTable
    chart: CodeTable
    best: str | None
    errors: dict[str, str]


def forecast_view(request: Request, account: Account) -> ForecastView | None:
    from sotekeskus.planning.forecast import ForecastError

    holder = request.app.state.analytics
    q = plan_scope(request, account)
    queue = parse_queue(request, q, account)
    if queue is None:
        return None
    what = _text(request, "series") or "arrivals"
    if what not in FORECAST_SERIES:
        raise unknown_code("series", what, "a weekly series", FORECAST_SERIES)
    horizon = int(parse_number(request, "horizon", 26, low=1, high=104, integer=True) or 26)
    end = parse_day(request, "to") or ps.last_date(holder, q.unit_ids)
    if end is None:
        return None
    try:
        history, result = ps.forecast(holder, q.unit_ids, queue, what, horizon=horizon,
                                      end=end)
    except (ForecastError, QueueError) as exc:
        raise FilterError(f"queue: {exc}", field="queue", value=str(queue)) from exc
    accuracy = [dict(r) for r in result.accuracy_rows()]
    models = list(result.predictions)
    ok = [r for r in accuracy if r.get("mase") is not None]
    best = min(ok, key=lambda r: r["mase"])["model"] if ok else None
    forecast_rows = result.forecast_rows()
    # the chart: the last year of history and the forecasts, the best model's band
    hist_rows = [{"week": w, "actual": float(v)} for w, v in
                 zip(history["week"], history[what], strict=True)][-52:]
    if q.suppressed:
        hist_rows = [dict(r, actual=None) if r["actual"] < 5 else r for r in hist_rows]
    chart_rows = hist_rows + [{"week": r["week"], **{k: v for k, v in r.items()
                                                     if k not in ("series", "week")}}
                              for r in forecast_rows]
    chart_cols = [Column("week", "date", COLUMNS["week"]),
                  Column("actual", "num", N_("Actual"))]
    for m in models:
        chart_cols.append(Column(m, "num", m))
        chart_cols += [Column(f"{m}_lo95", "num", f"{m}: " + gettext_(N_("95 per cent band from"))),
                       Column(f"{m}_hi95", "num", f"{m}: " + gettext_(N_("95 per cent band to")))]
    acc = CodeTable("planning_accuracy", N_("Back-test: how good each model was"),
                    [Column("model", label=COLUMNS["model"]),
                     Column("mase", "num", COLUMNS["mase"]),
                     Column("mase_vs_seasonal_naive", "num", COLUMNS["mase_vs_seasonal_naive"]),
                     Column("coverage_95_pct", "pct", COLUMNS["coverage_95_pct"]),
                     Column("test_points", "int", COLUMNS["test_points"])], accuracy)
    fc = CodeTable("planning_forecast", N_("Forecast by week"),
                   [Column("week", "date", COLUMNS["week"]),
                    *chart_cols[2:]], [{k: v for k, v in r.items() if k != "series"}
                                       for r in forecast_rows])
    chart = CodeTable("chart_forecast", N_("History and forecast"), chart_cols, chart_rows,
                      _note(q))
    return ForecastView(queue, what, horizon, acc, fc, chart, best, dict(result.errors))


# ------------------------------------------------------------------------------ care debt

@dataclass
class CareDebtView:
    window_from: str
    window_to: str
    measure: str
    deficit: CodeTable | None  # None: not for a unit-scoped viewer
    chart: CodeTable | None
    backlog: CodeTable
    on: date | None


def _month(request: Request, key: str, default: str) -> str:
    from sotekeskus.planning.care_debt import CareDebtError, parse_month

    raw = _text(request, key) or default
    try:
        return parse_month(raw, key)
    except CareDebtError as exc:
        raise FilterError(str(exc), field=key, value=raw) from exc


def care_debt_view(request: Request, account: Account) -> CareDebtView:
    from sotekeskus.planning.care_debt import CareDebtError

    holder = request.app.state.analytics
    q = plan_scope(request, account)
    window = (_month(request, "from", "2020-03"), _month(request, "to", "2022-12"))
    measure = _text(request, "measure") or "visits"
    if measure not in MEASURES:
        raise unknown_code("measure", measure, "a measure", MEASURES)
    target = parse_number(request, "target_wait", None, low=1, high=3650)
    clear_by = parse_day(request, "clear_by")
    on = parse_day(request, "on") or ps.last_date(holder, q.unit_ids)
    deficit = chart = None
    group_labels = {"professional_group": {**L.PROFESSIONAL_GROUPS, "all": GROUP_ALL},
                    "note": NOTES}
    try:
        if q.whole_region:
            rows = ps.care_debt(holder, window_from=window[0], window_to=window[1],
                                measure=measure)
            if q.suppressed:
                hidden = ("expected", "deficit", "deficit_lo", "deficit_hi", "deficit_pct",
                          "catch_up", "catch_up_lo", "catch_up_hi", "remaining")
                rows = suppress(rows, ["actual"], {"actual": hidden})
            columns = [Column("service_area", "code", N_("Service area")),
                       Column("professional_group", "code", N_("Professional group")),
                       Column("expected", "num", COLUMNS["expected"]),
                       Column("actual", "int", COLUMNS["actual"]),
                       *(Column(k, "num", COLUMNS[k]) for k in (
                           "deficit", "deficit_lo", "deficit_hi")),
                       Column("deficit_pct", "pct", COLUMNS["deficit_pct"]),
                       *(Column(k, "num", COLUMNS[k]) for k in (
                           "catch_up", "catch_up_lo", "catch_up_hi")),
                       Column("catch_up_until", "period", COLUMNS["catch_up_until"]),
                       Column("remaining", "num", COLUMNS["remaining"]),
                       Column("fitted_from", "period", COLUMNS["fitted_from"]),
                       Column("fitted_months", "int", COLUMNS["fitted_months"]),
                       Column("note", "code", COLUMNS["note"])]
            deficit = CodeTable("care_debt", N_("Visits that did not happen"), columns, rows,
                                _note(q), extra_labels=group_labels)
            totals = [dict(r, label=code_label("service_area", r["service_area"]))
                      for r in rows if r.get("professional_group") == "all"]
            chart = CodeTable("chart_deficit", N_("Deficit by service area"),
                              [Column("service_area", "code", N_("Service area")),
                               *(Column(k, "num", COLUMNS[k]) for k in (
                                   "deficit", "deficit_lo", "deficit_hi"))], totals, _note(q),
                              extra_labels=group_labels)
        backlog_rows = [] if on is None else ps.backlog(
            holder, q.unit_ids, on=on, clear_by=clear_by, target_wait_days=target)
    except CareDebtError as exc:
        raise FilterError(str(exc), field="from") from exc
    if q.suppressed:
        backlog_rows = suppress(backlog_rows, ["waiting", "past_target", "past_legal_limit"], {
            "past_target": ("patient_weeks_past_target",),
            "past_legal_limit": ("patient_weeks_past_legal_limit",)})
    backlog = CodeTable(
        "backlog", N_("Waiting beyond the target and the legal limit"),
        [Column("service_area", "code", N_("Service area")),
         Column("professional_group", "code", N_("Professional group")),
         Column("on", "date", COLUMNS["on"]),
         *_cols("waiting", "past_target", "past_legal_limit"),
         *(Column(k, "num", COLUMNS[k]) for k in (
             "patient_weeks_past_target", "patient_weeks_past_legal_limit", "demand_per_week",
             "target_queue_size", "relief_capacity_per_week")),
         Column("clear_by", "date", COLUMNS["clear_by"])], backlog_rows, _note(q),
        extra_labels=group_labels)
    return CareDebtView(window[0], window[1], measure, deficit, chart, backlog, on)


# ------------------------------------------------------------------------------ routes

SECTIONS = ("queues", "statistics", "scenario", "forecast", "care-debt")


def _context(request: Request, account: Account, section: str) -> dict[str, Any]:
    holder = request.app.state.analytics
    q = plan_scope(request, account)
    params = [(k, v) for k, v in request.query_params.multi_items() if v]
    return {"account": account, "scope": q, "section": section,
            "query": urlencode(params), "params": params,
            "units": visible_units(holder, account),
            "queue_param": _text(request, "queue"), "sections": section_links()}


@router.get("/planning")
def planning_queues(request: Request, account: ManagementAccount) -> Response:
    view = queues_view(request, account)
    ctx = _context(request, account, "queues")
    params = [(k, v) for k, v in ctx["params"] if k not in ("queue", "from", "to")]
    if view is not None:
        params += [("from", view.start.isoformat()), ("to", view.end.isoformat())]
    kept = list(params)
    if view is not None and view.queue is not None:
        params.append(("queue", str(view.queue)))
        ctx["queue_param"] = str(view.queue)
    ctx["query"] = urlencode(params)

    def drill(queue_id: str) -> str:
        return "/planning?" + urlencode([*kept, ("queue", queue_id)])

    names = request.app.state.analytics.unit_names()
    return render(request, "planning_queues.html", view=view, drill={"queue_id": drill},
                  queue_name=queue_label(view.queue, names) if view and view.queue else "",
                  **ctx)


@router.get("/planning/statistics")
def planning_statistics(request: Request, account: ManagementAccount) -> Response:
    ctx = _context(request, account, "statistics")
    view = statistics_view(request, account)
    choices = _choices(request, account)
    return render(request, "planning_statistics.html", view=view, choices=choices,
                  target_wait=_text(request, "target_wait") or "90", **ctx)


@router.get("/planning/scenario")
def planning_scenario(request: Request, account: ManagementAccount) -> Response:
    ctx = _context(request, account, "scenario")
    form, view = scenario_view(request, account)
    return render(request, "planning_scenario.html", form=form, view=view,
                  choices=_choices(request, account), **ctx)


@router.get("/planning/forecast")
def planning_forecast(request: Request, account: ManagementAccount) -> Response:
    ctx = _context(request, account, "forecast")
    view = forecast_view(request, account)
    return render(request, "planning_forecast.html", view=view,
                  choices=_choices(request, account), series_choices=FORECAST_SERIES,
                  series_labels={k: COLUMNS[k] for k in FORECAST_SERIES}, **ctx)


@router.get("/planning/care-debt")
def planning_care_debt(request: Request, account: ManagementAccount) -> Response:
    ctx = _context(request, account, "care-debt")
    view = care_debt_view(request, account)
    return render(request, "planning_care_debt.html", view=view, measures=MEASURES,
                  target_wait=_text(request, "target_wait"), clear_by=_text(request, "clear_by"),
                  **ctx)


def _choices(request: Request, account: Account) -> list[tuple[str, str]]:
    """Queues to choose from: those of the last 26 weeks of the viewer's units."""
    holder = request.app.state.analytics
    q = plan_scope(request, account)
    last = ps.last_date(holder, q.unit_ids)
    if last is None:
        return []
    frame = ps.series(holder, q.unit_ids, last - timedelta(weeks=DEFAULT_WEEKS), last)
    names = holder.unit_names()
    ids = sorted(set(frame["queue_id"]))
    pooled = [i for i in ids if i.endswith("/" + POOLED)]
    return [(i, queue_label(i, names)) for i in pooled + [i for i in ids if i not in pooled]]


def _tables(request: Request, account: Account, section: str) -> list[CodeTable]:
    if section == "queues":
        view = queues_view(request, account)
        return [] if view is None else [view.overview, view.units, view.series,
                                        *view.charts.values()]
    if section == "statistics":
        stats = statistics_view(request, account)
        return [] if stats is None else [stats.table]
    if section == "scenario":
        _form, sim = scenario_view(request, account)
        return [] if sim is None else [sim.estimates, sim.answers, sim.weeks,
                                       *sim.charts.values()]
    if section == "forecast":
        fc = forecast_view(request, account)
        return [] if fc is None else [fc.accuracy, fc.forecast, fc.chart]
    debt = care_debt_view(request, account)
    return [t for t in (debt.deficit, debt.chart, debt.backlog) if t is not None]


@router.get("/planning/{section}/export/{name}.{fmt}")
def planning_export(section: str, name: str, fmt: str, request: Request,
                    account: ManagementAccount) -> Response:
    if section not in SECTIONS:
        return Response("unknown section", status_code=404, media_type="text/plain")
    return table_response(_tables(request, account, section), name, fmt)


def _chart_spec(request: Request, account: Account, section: str, name: str
                ) -> dict[str, Any] | None:
    tables = {t.name: t for t in _tables(request, account, section)}
    table = tables.get(f"chart_{name}")
    if table is None:
        return None
    week_title = gettext_(N_("Week"))
    if name in QUEUE_CHARTS:
        keys, title, y_title, bars = QUEUE_CHARTS[name]
        return plan_charts.series_chart(
            table.rows, "week", [(k, gettext_(COLUMNS[k])) for k in keys],
            title=gettext_(title), y_title=gettext_(y_title), x_title=week_title,
            x_label=_week_label, bars=bars)
    if name in SIM_CHARTS:
        metric, title, y_title, percent = SIM_CHARTS[name]
        series = [(f"{metric}_as_is", gettext_(N_("Doing nothing"))),
                  (f"{metric}_scenario", gettext_(N_("Scenario")))]
        bands = {k: (f"{k}_lo", f"{k}_hi") for k, _ in series}
        return plan_charts.series_chart(
            table.rows, "week", series, title=gettext_(title),
            y_title=y_title if y_title == "%" else gettext_(y_title), x_title=week_title,
            x_label=_week_label, bands=bands, percent=percent)
    if name == "forecast":
        models = [c.key for c in table.columns[2:] if not c.key.endswith(("_lo95", "_hi95"))]
        best = min(((r["mase"], r["model"]) for r in tables["planning_accuracy"].rows
                    if r.get("mase") is not None), default=(None, None))[1]
        bands = {best: (f"{best}_lo95", f"{best}_hi95")} if best else {}
        return plan_charts.series_chart(
            table.rows, "week", [("actual", gettext_(N_("Actual"))),
                                 *((m, m) for m in models)],
            title=gettext_(table.title), y_title=gettext_(N_("patients")),
            x_title=week_title, x_label=_week_label, bands=bands)
    if name == "deficit":
        rows = [dict(r, label=code_label("service_area", r["service_area"]))
                for r in table.rows]
        return plan_charts.range_bars(rows, "label", "deficit", "deficit_lo", "deficit_hi",
                                      title=gettext_(table.title),
                                      y_title=gettext_(N_("visits")),
                                      x_title=gettext_(N_("Service area")))
    return None


@router.get("/planning/{section}/chart/{name}.{fmt}")
def planning_chart(section: str, name: str, fmt: str, request: Request,
                   account: ManagementAccount) -> Response:
    if section not in SECTIONS:
        return Response("unknown section", status_code=404, media_type="text/plain")
    token = i18n.current_language.set(language_for(request, account))
    try:
        spec = _chart_spec(request, account, section, name)
    finally:
        i18n.current_language.reset(token)
    if spec is None:
        return Response("unknown chart", status_code=404, media_type="text/plain")
    return chart_response(spec, fmt, f"planning_{name}",
                          download=request.query_params.get("download") == "1")


def section_links() -> list[tuple[str, str, str]]:
    return [("queues", "/planning", N_("Queues")),
            ("statistics", "/planning/statistics", N_("Queue statistics")),
            ("scenario", "/planning/scenario", N_("Scenarios")),
            ("forecast", "/planning/forecast", N_("Forecasts")),
            ("care-debt", "/planning/care-debt", N_("Care debt"))]

