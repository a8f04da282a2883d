"""What each management page shows, for one signed-in account: analytics calls scoped by
the access policy.

No indicator is computed here: every figure comes from :mod:`sotekeskus.analytics` (the
same calls the CLI makes). This module only

* narrows the filter to the scope :func:`~sotekeskus.domain.access_policy.may` gives (a
  manager: own units only; asking for another unit is refused, never silently widened),
* suppresses small cells where the scope says so,
* arranges rows into :class:`~sotekeskus.web.tables.Table` objects for pages and exports.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.service import AnalyticsHolder
from sotekeskus.analytics.suppression import public, suppress_rows
from sotekeskus.domain.access_policy import Action
from sotekeskus.indicators.catalogue import by_report
from sotekeskus.store.users import Account
from sotekeskus.web.deps import authorise
from sotekeskus.web.i18n import N_
from sotekeskus.web.tables import Column, Table

SUPPRESSION_NOTE = N_("Counts below 5 are shown as <5 and the percentages computed from "
                      "them are hidden.")


def scoped(account: Account, flt: AccessFilter,
           action: Action = Action.VIEW_AGGREGATES) -> AccessFilter:
    """The filter narrowed to the scope the access policy gives the account (a manager: own
    units); :class:`Forbidden` for a foreign unit, never silently widened or narrowed."""
    scope = authorise(account, action, flt.unit_ids)
    if scope.unit_ids is None or flt.unit_ids:
        return flt
    return replace(flt, unit_ids=tuple(sorted(scope.unit_ids)))


def suppressed(account: Account) -> bool:
    """Whether the account's published counts have their small cells suppressed."""
    return authorise(account, Action.VIEW_AGGREGATES).suppress_small_cells


def publish(account: Account, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the account may see them: suppressed unless it has unit-level detail."""
    shown = suppress_rows(rows) if suppressed(account) else rows
    return [public(r) for r in shown]


def unit_names(holder: AnalyticsHolder) -> dict[str, str]:
    return holder.unit_names()


def visible_units(holder: AnalyticsHolder, account: Account) -> list[tuple[str, str]]:
    names = unit_names(holder)
    scope = authorise(account, Action.VIEW_AGGREGATES)
    ids = sorted(names) if scope.unit_ids is None else sorted(scope.unit_ids)
    return [(u, names.get(u, u)) for u in ids]


# --------------------------------------------------------------------------- access

#: Columns of the access tables: the catalogue's access indicators, in catalogue order.
ACCESS_COLUMNS = [Column(i.code, i.column_kind) for i in by_report("access")]


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
    an = holder.get()
    summary = an.access_summary(f, by="month")
    table_filter = f
    if last_month_tables and summary:
        last = summary[-1]["month"]
        table_filter = replace(f, month_from=last, month_to=last)
    by_group = an.access_report(table_filter)
    by_unit = an.access_report(table_filter, by_unit=True)
    names = unit_names(holder)
    note = SUPPRESSION_NOTE if suppressed(account) else ""
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
        suppressed=suppressed(account),
    )


def access_summary_rows(holder: AnalyticsHolder, account: Account,
                        flt: AccessFilter) -> tuple[AccessFilter, list[dict[str, Any]]]:
    """Only the per-month summary (what the charts draw), scoped and published."""
    f = scoped(account, flt)
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
    if suppressed(account):
        totals = suppress_rows([totals])[0]
    names = unit_names(holder)
    note = SUPPRESSION_NOTE if suppressed(account) else ""
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
        suppressed=suppressed(account),
    )


def waiting_list_table(holder: AnalyticsHolder, account: Account, on: date,
                       flt: AccessFilter | None = None) -> Table:
    """Person-level waiting list: managers only, own units only (the caller audits)."""
    f = scoped(account, flt or AccessFilter(), Action.VIEW_PERSONS)
    rows = [dict(r) for r in holder.get().waiting_list(on, f).rows]
    return Table(
        "waiting_list", N_("Waiting list, person level"),
        [Column("episode_id"), Column("person_id"), Column("unit_id", "unit"),
         Column("service_area", "code"), Column("professional_group", "code"),
         Column("assessed_on", "date"), Column("days_waited", "int"),
         Column("legal_deadline", "date"), Column("days_to_deadline", "int")],
        rows, unit_names=unit_names(holder),
    )
