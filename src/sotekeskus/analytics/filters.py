"""Filters shared by the CLI, the web and the exports.

Codes are checked here, once for every caller (``domain.md``, "Codes are checked
everywhere"): a service area, professional group or age group outside the vocabulary is a
:class:`FilterError` naming the field and listing the allowed codes, never an empty result.
Unit ids are data, not vocabulary: :meth:`AccessFilter.check_units` checks them against the
units a store knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches
from enum import StrEnum
from typing import TYPE_CHECKING

from sotekeskus.domain.indicators import AGE_GROUPS
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea

if TYPE_CHECKING:
    import ibis.expr.types as ir

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class FilterError(ValueError):
    """A filter value is invalid; the message names the field and the value.

    ``field`` is the :class:`AccessFilter` field (``service_areas``, ``unit_ids``, …),
    ``value`` the offending value and ``allowed`` the allowed codes (empty when the value is
    not a code, e.g. a malformed month).
    """

    def __init__(self, message: str, *, field: str = "", value: object = None,
                 allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.allowed = allowed


def unknown_code(field: str, value: str, what: str, allowed: Iterable[str]) -> FilterError:
    """The error for ``value`` not among ``allowed`` (``what``: "a service area", …).

    It names the field, lists the codes and suggests the nearest one
    (``'medicl' … did you mean 'medical'?``)."""
    codes = tuple(allowed)
    near = get_close_matches(value, codes, n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return FilterError(f"{field}: {value!r} is not {what}; use one of {', '.join(codes)}{hint}",
                       field=field, value=value, allowed=codes)


def check_codes(field: str, values: Iterable[str] | None, vocabulary: type[StrEnum],
                what: str) -> None:
    """Raise :class:`FilterError` for the first value not in ``vocabulary``."""
    allowed = tuple(v.value for v in vocabulary)
    for value in values or ():
        if value not in allowed:
            raise unknown_code(field, value, what, allowed)


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
                raise FilterError(f"{name}: {value!r} is not a month YYYY-MM",
                                  field=name, value=value)
        check_codes("service_area", self.service_areas, ServiceArea, "a service area")
        check_codes("professional_group", self.professional_groups, ProfessionalGroup,
                    "a professional group")
        if self.age_group is not None and self.age_group not in AGE_GROUPS:
            raise unknown_code("age_group", self.age_group, "an age group", AGE_GROUPS)

    def check_units(self, known: Iterable[str]) -> None:
        """Raise :class:`FilterError` if a selected unit id is not among ``known`` (the
        units of the store or file being read); the message lists the known ones."""
        if not self.unit_ids:
            return
        codes = tuple(sorted(known))
        for unit_id in self.unit_ids:
            if unit_id not in codes:
                raise unknown_code("unit", unit_id, "a known unit", codes)

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
        import ibis

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
        import ibis

        lo, hi = self.month_bounds()
        if lo:
            e = e.filter(day >= ibis.date(lo))
        if hi:
            e = e.filter(day < ibis.date(hi))
        return e
