"""Page helpers shared by the planning and the clients-and-pathways pages: the viewer's
scope (units and suppression, from the access policy) and the query parameters they read.

A parameter that does not parse is a :class:`~sotekeskus.analytics.filters.FilterError`
naming the field (a 400 page), never silently ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from fastapi import Request

from sotekeskus.analytics.filters import FilterError
from sotekeskus.domain.access_policy import Action
from sotekeskus.store.users import Account
from sotekeskus.web.deps import authorise
from sotekeskus.web.manage.views import SUPPRESSION_NOTE


@dataclass(frozen=True)
class PlanScope:
    """The units whose episodes the analyses read (``None``: the whole region), what the
    URL asked, and whether small cells are suppressed."""

    unit_ids: tuple[str, ...] | None
    asked: tuple[str, ...]
    suppressed: bool
    whole_region: bool


def plan_scope(request: Request, account: Account) -> PlanScope:
    """The ``unit`` parameters narrowed by the access policy (a foreign unit: Forbidden)."""
    getlist = request.query_params.getlist
    asked = tuple(dict.fromkeys(u.strip() for u in getlist("unit") if u.strip()))
    scope = authorise(account, Action.VIEW_AGGREGATES, asked or None)
    units = asked or (None if scope.unit_ids is None else tuple(sorted(scope.unit_ids)))
    return PlanScope(units, asked, scope.suppress_small_cells, units is None)


def scope_note(q: PlanScope) -> str:
    """The suppression note of a table (msgid), or nothing for exact figures."""
    return SUPPRESSION_NOTE if q.suppressed else ""


def text_param(request: Request, key: str) -> str:
    return (request.query_params.get(key) or "").strip()


def parse_day(request: Request, key: str) -> date | None:
    raw = text_param(request, key)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise FilterError(f"{key}: {raw!r} is not a date YYYY-MM-DD", field=key,
                          value=raw) from exc


def parse_number(request: Request, key: str, default: float | None, *, low: float,
                 high: float, integer: bool = False) -> float | None:
    """A number from the form, ``low`` … ``high`` (a 400 page naming the field otherwise)."""
    raw = text_param(request, key).replace(",", ".")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high or (
            integer and not value.is_integer()):
        kind = "a whole number" if integer else "a number"
        raise FilterError(f"{key}: {raw!r} is not {kind} {low:g} … {high:g}", field=key,
                          value=raw)
    return value
