"""Query parameters → :class:`AccessFilter`, and the default period and day of the pages.

Codes are checked against the vocabulary (``domain/vocabulary.py``): an unknown code is a
:class:`FilterError` naming the field and listing the allowed codes (a 400 page), never an
empty result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from sotekeskus.analytics.filters import AccessFilter, FilterError
from sotekeskus.analytics.service import AnalyticsHolder
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea

AGE_GROUP_CODES = ("0-22", "23-64", "65+")
SERVICE_AREA_CODES = tuple(a.value for a in ServiceArea)
PROFESSIONAL_GROUP_CODES = tuple(g.value for g in ProfessionalGroup)


def _multi(params: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    getlist = getattr(params, "getlist", None)
    values = getlist(key) if getlist else ([params[key]] if key in params else [])
    out = tuple(v.strip() for v in values if v and v.strip())
    return out or None


def _codes(params: Mapping[str, Any], key: str, allowed: tuple[str, ...],
           what: str) -> tuple[str, ...] | None:
    values = _multi(params, key)
    for v in values or ():
        if v not in allowed:
            raise FilterError(f"{key}: {v!r} is not a {what}; use one of {', '.join(allowed)}")
    return values


def parse_filter(params: Mapping[str, Any]) -> AccessFilter:
    """An :class:`AccessFilter` from query parameters; raises ``FilterError`` naming the field.

    Parameters: ``month_from``, ``month_to`` (YYYY-MM), ``unit`` (repeatable),
    ``service_area`` (repeatable), ``professional_group`` (repeatable), ``age_group``.
    """
    age = (params.get("age_group") or "").strip() or None
    return AccessFilter(
        month_from=(params.get("month_from") or "").strip() or None,
        month_to=(params.get("month_to") or "").strip() or None,
        unit_ids=_multi(params, "unit"),
        service_areas=_codes(params, "service_area", SERVICE_AREA_CODES, "service area"),
        professional_groups=_codes(params, "professional_group", PROFESSIONAL_GROUP_CODES,
                                   "professional group"),
        age_group=age,
    )


def default_situation_day(holder: AnalyticsHolder, today: date | None = None) -> date:
    """Today, or the last day with contacts when the store's data ends earlier (demo data)."""
    today = today or date.today()
    _, last = holder.get().date_range()
    if last is not None and last < today:
        return last
    return today


def with_default_months(holder: AnalyticsHolder, flt: AccessFilter,
                        months: int = 12) -> AccessFilter:
    """Without a period: the last ``months`` months up to the data's last month (or today)."""
    if flt.month_from or flt.month_to:
        return flt
    _, last = holder.get().date_range()
    today = date.today()
    end = min(last, today) if last else today
    index = end.year * 12 + end.month - 1 - (months - 1)
    start = date(index // 12, index % 12 + 1, 1)
    return replace(flt, month_from=start.strftime("%Y-%m"), month_to=end.strftime("%Y-%m"))
