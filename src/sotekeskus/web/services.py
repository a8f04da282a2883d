"""What each page shows, for one signed-in account: analytics calls scoped by role.

No indicator is computed here: every figure comes from :mod:`sotekeskus.analytics` (the
same calls the CLI makes). This module only

* narrows the filter to what the role may see (a manager: own units only; asking for
  another unit is refused, never silently widened or narrowed),
* suppresses small cells for roles without unit-level detail,
* arranges rows into :class:`~sotekeskus.web.tables.Table` objects for pages and exports.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sotekeskus.analytics.filters import AccessFilter, FilterError
from sotekeskus.analytics.suppression import public, suppress_rows
from sotekeskus.store.monitoring import Indicator, period_bounds, periods_between
from sotekeskus.store.users import Account
from sotekeskus.web.i18n import N_
from sotekeskus.web.tables import Column, Table


class Forbidden(Exception):
    """The account may not see what was asked for (the message says what, for the log)."""


AGE_GROUP_CODES = ("0-22", "23-64", "65+")
SERVICE_AREA_CODES = ("medical", "oral", "mental", "substance", "social")
PROFESSIONAL_GROUP_CODES = ("physician", "nurse", "dentist", "dental_hygienist",
                            "psychologist", "social_worker", "therapist", "other")

SUPPRESSION_NOTE = N_("Counts below 5 are shown as <5 and the percentages computed from "
                      "them are hidden.")


def _multi(params: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    getlist = getattr(params, "getlist", None)
    values = getlist(key) if getlist else ([params[key]] if key in params else [])
    out = tuple(v.strip() for v in values if v and v.strip())
    return out or None


def parse_filter(params: Mapping[str, Any]) -> AccessFilter:
    """An :class:`AccessFilter` from query parameters; raises ``FilterError`` naming the field.

    Parameters: ``month_from``, ``month_to`` (YYYY-MM), ``unit`` (repeatable),
    ``service_area`` (repeatable), ``professional_group`` (repeatable), ``age_group``.
    """
    areas = _multi(params, "service_area")
    for a in areas or ():
        if a not in SERVICE_AREA_CODES:
            raise FilterError(f"service_area: {a!r} is not a service area")
    groups = _multi(params, "professional_group")
    for g in groups or ():
        if g not in PROFESSIONAL_GROUP_CODES:
            raise FilterError(f"professional_group: {g!r} is not a professional group")
    age = (params.get("age_group") or "").strip() or None
    return AccessFilter(
        month_from=(params.get("month_from") or "").strip() or None,
        month_to=(params.get("month_to") or "").strip() or None,
        unit_ids=_multi(params, "unit"),
        service_areas=areas,
        professional_groups=groups,
        age_group=age,
    )


def scoped(account: Account, flt: AccessFilter) -> AccessFilter:
    """The filter narrowed to the account's units; :class:`Forbidden` for a foreign unit."""
    if account.all_units:
        return flt
    own = set(account.units)
    if not own:
        raise Forbidden("no units assigned")
    if flt.unit_ids:
        foreign = sorted(set(flt.unit_ids) - own)
        if foreign:
            raise Forbidden(f"unit {foreign[0]} is not among the account's units")
        return flt
    return replace(flt, unit_ids=tuple(sorted(own)))


def publish(account: Account, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the account may see them: suppressed unless it has unit-level detail."""
    shown = rows if account.unit_detail else suppress_rows(rows)
    return [public(r) for r in shown]


class AnalyticsHolder:
    """One :class:`Analytics` per app, opened on first use, used by one thread at a time."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._an: Any = None
        self._store: Any = None
        self.cache: dict[tuple[str, str, str], float | None] = {}
        self.lock = threading.RLock()

    def get(self) -> Any:
        with self.lock:
            if self._an is None:
                from sotekeskus.analytics.engine import Analytics

                self._an = Analytics.open(self.db_url)
            return self._an

    def close(self) -> None:
        with self.lock:
            if self._an is not None and hasattr(self._an, "close"):
                self._an.close()
            self._an = None
            if self._store is not None:
                self._store.dispose()
                self._store = None


# --------------------------------------------------------------------------- units

def unit_names(holder: AnalyticsHolder) -> dict[str, str]:
    with holder.lock:
        return {u["unit_id"]: (u.get("name") or u["unit_id"]) for u in holder.get().units()}


def visible_units(holder: AnalyticsHolder, account: Account) -> list[tuple[str, str]]:
    names = unit_names(holder)
    ids = sorted(names) if account.all_units else list(account.units)
    return [(u, names.get(u, u)) for u in ids]


# --------------------------------------------------------------------------- access

ACCESS_COLUMNS = [
    Column("visits", "int"), Column("within_7d_pct", "pct"), Column("within_14d_pct", "pct"),
    Column("over_90d", "int"), Column("median_wait_days", "num"),
    Column("legal_breaches", "int"), Column("target_misses", "int"),
    Column("within_target_pct", "pct"), Column("assessment_coverage_pct", "pct"),
    Column("remote_share_pct", "pct"),
]


@dataclass
class AccessView:
    filter: AccessFilter
    summary: Table  # per month, the whole filter
    by_group: Table  # per month × service area × professional group
    by_unit: Table  # per month × service area × professional group × unit
    suppressed: bool


def access_view(holder: AnalyticsHolder, account: Account, flt: AccessFilter, *,
                last_month_tables: bool = False) -> AccessView:
    """The dashboard's tables. ``last_month_tables``: the group and unit tables cover only
    the period's last month (what the page shows; the monthly summary and the charts cover
    the whole period, and the exports every month)."""
    f = scoped(account, flt)
    with holder.lock:
        an = holder.get()
        summary = an.access_summary(f, by="month")
        table_filter = f
        if last_month_tables and summary:
            last = summary[-1]["month"]
            table_filter = replace(f, month_from=last, month_to=last)
        by_group = an.access_report(table_filter)
        by_unit = an.access_report(table_filter, by_unit=True)
    names = unit_names(holder)
    note = "" if account.unit_detail else SUPPRESSION_NOTE
    return AccessView(
        filter=f,
        summary=Table("access_summary", N_("Access to care by month"),
                      [Column("month", "period"), *ACCESS_COLUMNS],
                      publish(account, summary), note),
        by_group=Table("access_report", N_("By service area and professional group"),
                       [Column("month", "period"), Column("service_area", "code"),
                        Column("professional_group", "code"), *ACCESS_COLUMNS],
                       publish(account, by_group), note),
        by_unit=Table("access_by_unit", N_("By unit"),
                      [Column("month", "period"), Column("unit_id", "unit"),
                       Column("service_area", "code"), Column("professional_group", "code"),
                       *ACCESS_COLUMNS],
                      publish(account, by_unit), note, unit_names=names),
        suppressed=not account.unit_detail,
    )


def access_summary_rows(holder: AnalyticsHolder, account: Account,
                        flt: AccessFilter) -> tuple[AccessFilter, list[dict[str, Any]]]:
    """Only the per-month summary (what the charts draw), scoped and published."""
    f = scoped(account, flt)
    with holder.lock:
        rows = holder.get().access_summary(f, by="month")
    return f, publish(account, rows)


# --------------------------------------------------------------------------- situation

@dataclass
class SituationView:
    on: date
    waiting: Table
    channels: Table
    not_same_day: Table
    totals: dict[str, Any]
    suppressed: bool


def situation_view(holder: AnalyticsHolder, account: Account, on: date,
                   flt: AccessFilter | None = None) -> SituationView:
    f = scoped(account, flt or AccessFilter())
    with holder.lock:
        an = holder.get()
        wl = an.waiting_list(on, f)
        summary = [dict(r) for r in wl.summary]
        channels = [dict(r) for r in an.contacts_by_channel(on, f)]
        late = [dict(r) for r in an.assessments_not_same_day(on, f)]
    totals = {
        key: sum(int(r.get(key) or 0) for r in summary)
        for key in ("waiting", "past_deadline", "due_today", "due_within_7d")
    }
    totals["contacts"] = sum(int(r.get("contacts") or 0) for r in channels)
    totals["not_assessed_same_day"] = sum(int(r.get("not_assessed_same_day") or 0)
                                          for r in late)
    if not account.unit_detail:
        totals = suppress_rows([totals])[0]
    names = unit_names(holder)
    note = "" if account.unit_detail else SUPPRESSION_NOTE
    return SituationView(
        on=on,
        waiting=Table("waiting_summary", N_("Waiting list by unit and professional group"),
                      [Column("unit_id", "unit"), Column("professional_group", "code"),
                       Column("waiting", "int"), Column("past_deadline", "int"),
                       Column("due_today", "int"), Column("due_within_7d", "int")],
                      publish(account, summary), note, unit_names=names),
        channels=Table("contacts_by_channel", N_("Contacts today by channel"),
                       [Column("contact_mode", "code"), Column("contacts", "int")],
                       publish(account, channels), note),
        not_same_day=Table("assessments_not_same_day",
                           N_("Care-need assessments not done the same day"),
                           [Column("unit_id", "unit"), Column("service_area", "code"),
                            Column("contacts", "int"), Column("not_assessed_same_day", "int")],
                           publish(account, late), note, unit_names=names),
        totals=totals,
        suppressed=not account.unit_detail,
    )


def waiting_list_table(holder: AnalyticsHolder, account: Account, on: date,
                       flt: AccessFilter | None = None) -> Table:
    """Person-level waiting list: managers only, own units only (the caller audits)."""
    if not account.person_level:
        raise Forbidden("person-level data is not available to this role")
    f = scoped(account, flt or AccessFilter())
    with holder.lock:
        rows = [dict(r) for r in holder.get().waiting_list(on, f).rows]
    return Table(
        "waiting_list", N_("Waiting list, person level"),
        [Column("episode_id"), Column("person_id"), Column("unit_id", "unit"),
         Column("service_area", "code"), Column("professional_group", "code"),
         Column("assessed_on", "date"), Column("days_waited", "int"),
         Column("legal_deadline", "date"), Column("days_to_deadline", "int")],
        rows, unit_names=unit_names(holder),
    )


# --------------------------------------------------------------------------- monitoring

def _access_value(holder: AnalyticsHolder, flt: AccessFilter, key: str,
                  period: str) -> float | None:
    start, end = period_bounds(period)
    f = replace(flt, month_from=start.strftime("%Y-%m"), month_to=end.strftime("%Y-%m"))
    by = "quarter" if "Q" in period else "year"
    with holder.lock:
        rows = holder.get().access_summary(f, by=by)
    row = next((r for r in rows if r.get("month") == period or r.get("period") == period),
               None)
    return None if row is None else row.get(key)


def indicator_value(holder: AnalyticsHolder, ind: Indicator, period: str) -> float | None:
    """The value of an indicator for one period (computed, or entered by hand).

    Computed values are cached per data version of the store (an import invalidates them).
    """
    comp = ind.computation
    if comp == "manual":
        return ind.values.get(period)
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.episodes import data_version

    with holder.lock:
        if holder._store is None:
            holder._store = make_engine(holder.db_url)
        key = (data_version(holder._store), comp, period)
        if key not in holder.cache:
            if len(holder.cache) > 2000:
                holder.cache.clear()
            holder.cache[key] = _compute(holder, comp, period)
        return holder.cache[key]


def _compute(holder: AnalyticsHolder, comp: str, period: str) -> float | None:
    start, end = period_bounds(period)
    medical = AccessFilter(service_areas=("medical",))
    if comp == "remote_share":
        by = "quarter" if "Q" in period else "year"
        f = AccessFilter(month_from=start.strftime("%Y-%m"), month_to=end.strftime("%Y-%m"))
        with holder.lock:
            rows = holder.get().channel_share(f, by=by)
        row = next((r for r in rows if r.get("period") == period), None)
        return None if row is None else row.get("remote_share_pct")
    if comp == "within_7d_share":
        return _access_value(holder, medical, "within_7d_pct", period)
    if comp == "within_7d_physician":
        return _access_value(holder, replace(medical, professional_groups=("physician",)),
                             "within_7d_pct", period)
    if comp == "within_14d_share":
        return _access_value(holder, medical, "within_14d_pct", period)
    if comp == "median_wait_days":
        return _access_value(holder, medical, "median_wait_days", period)
    if comp == "legal_breaches":
        return _access_value(holder, AccessFilter(), "legal_breaches", period)
    if comp == "waiting_count":
        if end > date.today():
            return None
        with holder.lock:
            wl = holder.get().waiting_list(end, AccessFilter())
        return float(sum(int(r.get("waiting") or 0) for r in wl.summary))
    return None


@dataclass
class IndicatorProgress:
    indicator: Indicator
    periods: list[str]
    values: dict[str, float | None]
    latest_period: str | None
    latest_value: float | None
    next_target_period: str | None
    next_target: float | None
    status: str  # "met", "on_track", "behind", "no_data"
    table: Table


def indicator_progress(holder: AnalyticsHolder, ind: Indicator,
                       today: date | None = None) -> IndicatorProgress:
    today = today or date.today()
    anchors = sorted({*ind.targets, *ind.values}
                     | ({ind.baseline_period} if ind.baseline_period else set()))
    anchors = [p for p in anchors if (len(p) == 4) == (ind.period_kind == "year")]
    current = (str(today.year) if ind.period_kind == "year"
               else f"{today.year}-Q{(today.month + 2) // 3}")
    if not anchors or (ind.computation != "manual" and current > anchors[-1]):
        anchors = sorted({*anchors, current})
    periods = periods_between(anchors[0], anchors[-1], ind.period_kind)
    values: dict[str, float | None] = {}
    for p in periods:
        start, _ = period_bounds(p)
        values[p] = indicator_value(holder, ind, p) if start <= today else None
    known = [p for p in periods if values.get(p) is not None]
    latest = known[-1] if known else None
    latest_value = values.get(latest) if latest else None
    upcoming = [p for p in sorted(ind.targets) if latest is None or p >= latest]
    nxt = upcoming[0] if upcoming else (sorted(ind.targets)[-1] if ind.targets else None)
    target = ind.targets.get(nxt) if nxt else None
    if latest_value is None or target is None:
        status = "no_data"
    else:
        better = latest_value >= target if ind.higher_is_better else latest_value <= target
        status = "met" if better else "behind"
    rows = [
        {"period": p, "value": values.get(p), "target": ind.targets.get(p)} for p in periods
    ]
    kind = "pct" if ind.unit_of_measure == "%" else "num"
    table = Table(f"indicator_{ind.code}", N_("Values and targets"),
                  [Column("period", "period"), Column("value", kind),
                   Column("target", kind)], rows)
    return IndicatorProgress(ind, periods, values, latest, latest_value, nxt, target,
                             status, table)


def default_situation_day(holder: AnalyticsHolder, today: date | None = None) -> date:
    """Today, or the last day with contacts when the store's data ends earlier (demo data)."""
    today = today or date.today()
    with holder.lock:
        an = holder.get()
        _, last = an.date_range()
    if last is not None and last < today:
        return last
    return today


def with_default_months(holder: AnalyticsHolder, flt: AccessFilter,
                        months: int = 12) -> AccessFilter:
    """Without a period: the last ``months`` months up to the data's last month (or today)."""
    if flt.month_from or flt.month_to:
        return flt
    with holder.lock:
        _, last = holder.get().date_range()
    today = date.today()
    end = min(last, today) if last else today
    index = end.year * 12 + end.month - 1 - (months - 1)
    start = date(index // 12, index % 12 + 1, 1)
    return replace(flt, month_from=start.strftime("%Y-%m"), month_to=end.strftime("%Y-%m"))


def warm_up(holder: AnalyticsHolder, engine: Any) -> None:
    """Open the analytics (rebuilding a stale snapshot) and compute every monitoring
    indicator once, so that the first visitor after start-up does not wait for either."""
    import logging

    from sotekeskus.store.monitoring import list_indicators

    try:
        holder.get()
        for ind in list_indicators(engine):
            indicator_progress(holder, ind)
    except Exception:  # noqa: BLE001 - a failed warm-up only costs the first visitor time
        logging.getLogger(__name__).exception("warm-up failed")
