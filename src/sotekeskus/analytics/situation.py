"""Situation picture (tilannekuva) of one day.

* contacts by channel: episodes whose ``contact_at`` falls on the day, by ``contact_mode``
  (``None`` = not recorded yet);
* assessments not done the same day: of the day's contacts, those with no ``assessed_at``
  or assessed on a later date, per unit × service area.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from sotekeskus.analytics.filters import AccessFilter


def contacts_by_channel(episodes: ir.Table, day: date,
                        flt: AccessFilter | None = None) -> ir.Table:
    e = (flt or AccessFilter()).apply_scope(episodes)
    e = e.filter(e.contact_at.date() == ibis.date(day))
    return e.group_by("contact_mode").aggregate(contacts=e.count()).order_by("contact_mode")


def assessments_not_same_day(episodes: ir.Table, day: date,
                             flt: AccessFilter | None = None) -> ir.Table:
    e = (flt or AccessFilter()).apply_scope(episodes)
    e = e.filter(e.contact_at.date() == ibis.date(day))
    late = e.assessed_at.isnull() | (e.assessed_at.date() > e.contact_at.date()).fill_null(False)
    return e.group_by(["unit_id", "service_area"]).aggregate(
        contacts=e.count(),
        not_assessed_same_day=late.sum().cast("int64"),
    ).order_by(["unit_id", "service_area"])
