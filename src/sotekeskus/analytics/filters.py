"""Filters shared by the CLI, the web and the exports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir

from sotekeskus.domain.indicators import AGE_GROUPS

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class FilterError(ValueError):
    """A filter value is invalid; the message names the field and the value."""


@dataclass(frozen=True)
class AccessFilter:
    """Selection of episodes for a report.

    ``month_from`` / ``month_to`` (``YYYY-MM``, inclusive) select by the month of the event
    the figure belongs to (``visit_at`` for visits). ``age_group`` is one of
    :data:`AGE_GROUPS`, by age on the contact date.
    """

    month_from: str | None = None
    month_to: str | None = None
    unit_ids: tuple[str, ...] | None = None
    service_areas: tuple[str, ...] | None = None
    professional_groups: tuple[str, ...] | None = None
    age_group: str | None = None

    def __post_init__(self) -> None:
        for name in ("month_from", "month_to"):
            value = getattr(self, name)
            if value is not None and not _MONTH.match(value):
                raise FilterError(f"{name}: {value!r} is not a month YYYY-MM")
        if self.age_group is not None and self.age_group not in AGE_GROUPS:
            raise FilterError(
                f"age_group: {self.age_group!r} is not one of {', '.join(AGE_GROUPS)}")

    @classmethod
    def for_month(cls, month: str | None, **kwargs: object) -> AccessFilter:
        return cls(month_from=month, month_to=month, **kwargs)  # type: ignore[arg-type]

    def month_bounds(self) -> tuple[date | None, date | None]:
        """First day of ``month_from`` and first day after ``month_to``."""
        lo = date.fromisoformat(self.month_from + "-01") if self.month_from else None
        hi = None
        if self.month_to:
            y, m = (int(p) for p in self.month_to.split("-"))
            hi = date(y + (m == 12), m % 12 + 1, 1)
        return lo, hi

    def apply_scope(self, e: ir.Table) -> ir.Table:
        """Unit, service area, group and age filters (not the period)."""
        if self.unit_ids is not None:
            e = e.filter(e.unit_id.isin(list(self.unit_ids)))
        if self.service_areas:
            e = e.filter(e.service_area.isin(list(self.service_areas)))
        if self.professional_groups:
            e = e.filter(e.professional_group.isin(list(self.professional_groups)))
        if self.age_group:
            lo, hi = AGE_GROUPS[self.age_group]
            contact_date = e.contact_at.date()
            if lo:
                e = e.filter(e.birth_date + ibis.interval(years=lo) <= contact_date)
            if hi is not None:
                e = e.filter(e.birth_date + ibis.interval(years=hi) > contact_date)
        return e

    def apply_months(self, e: ir.Table, month: ir.StringValue) -> ir.Table:
        """Period filter on a ``YYYY-MM`` column (text order is time order)."""
        if self.month_from:
            e = e.filter(month >= self.month_from)
        if self.month_to:
            e = e.filter(month <= self.month_to)
        return e

    def apply_period(self, e: ir.Table, day: ir.DateValue) -> ir.Table:
        lo, hi = self.month_bounds()
        if lo:
            e = e.filter(day >= ibis.date(lo))
        if hi:
            e = e.filter(day < ibis.date(hi))
        return e
