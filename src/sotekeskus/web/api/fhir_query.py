"""The FHIR API's search machinery shared by every resource type: what a search returns
(:class:`Found`), its parameters (:class:`Query`), the request's context (:class:`Ctx`), the
table row of a resource type (:class:`Kind`), and the helpers for references, FHIR date
search and paging (``_count``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from sotekeskus.interop.fhir.clients import Client
from sotekeskus.interop.fhir.resources import local_datetime
from sotekeskus.web.api.fhir_common import ApiError

DEFAULT_COUNT = 100
MAX_COUNT = 1000


@dataclass(frozen=True)
class Found:
    """A resource to return; ``subject``: the resident's pseudonym for the audit row."""

    resource: dict[str, Any]
    subject: str | None = None


@dataclass
class Query:
    """A search's parameters (``name`` → values, repeated parameters kept) and ``_count``."""

    values: dict[str, list[str]]
    count: int = DEFAULT_COUNT

    def one(self, name: str) -> str | None:
        got = self.values.get(name) or []
        if len(got) > 1:
            raise ApiError(400, "value", f"{name}: give it once")
        return got[0] if got else None


@dataclass
class Ctx:
    uow: Any
    client: Client
    total: int | None = None  # a search's match count when it returns a page of them
    app: Any = None  # the web application (its analytics, for MeasureReport)


@dataclass(frozen=True)
class Kind:
    """One resource type of the API."""

    name: str
    read: Callable[[Ctx, str], Found]
    search: Callable[[Ctx, Query], list[Found]]
    params: tuple[tuple[str, str], ...]  # (name, FHIR search type) for the capability
    needs_param: str | None = None  # the message when a search must name a parameter
    notes: dict[str, str] = field(default_factory=dict)


def _not_found(kind: str, rid: str) -> ApiError:
    return ApiError(404, "not-found", f"no {kind}/{rid}")


def _ref(value: str, kind: str, param: str) -> str:
    """``Kind/id`` or a bare id → the id; another type is a 400."""
    if "/" in value:
        prefix, _, rid = value.rpartition("/")
        if prefix.rsplit("/", 1)[-1] != kind or not rid:
            raise ApiError(400, "value", f"{param}: a reference {kind}/<id> is expected, "
                           f"got {value[:100]!r}")
        return rid
    return value


def _date_filter(column: Any, values: list[str], param: str) -> list[ColumnElement[bool]]:
    """FHIR date search (prefixes eq, ge, le, gt, lt; a date or a date-time with offset)."""
    out: list[ColumnElement[bool]] = []
    for raw in values:
        prefix, text = (raw[:2], raw[2:]) if raw[:2] in ("eq", "ge", "le", "gt", "lt") \
            else ("eq", raw)
        try:
            if len(text) == 10:
                day = datetime.strptime(text, "%Y-%m-%d")
                start, end = day, day + timedelta(days=1)
            else:
                start = end = local_datetime(text)
        except ValueError:
            raise ApiError(400, "value", f"{param}: {raw[:60]!r} is not a date (YYYY-MM-DD) "
                           "or date-time with offset, with an optional prefix eq, ge, le, "
                           "gt or lt") from None
        if start == end:
            cond = {"eq": column == start, "ge": column >= start, "le": column <= start,
                    "gt": column > start, "lt": column < start}[prefix]
        else:
            cond = {"eq": and_(column >= start, column < end), "ge": column >= start,
                    "le": column < end, "gt": column >= end, "lt": column < start}[prefix]
        out.append(cond)
    return out


def _page(ctx: Ctx, query: Query, stmt: Any) -> list[Any]:
    """The first ``_count`` rows of ``stmt``; ``ctx.total`` the number of all matches."""
    ctx.total = int(ctx.uow.session.scalar(
        select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    return list(ctx.uow.session.scalars(stmt.limit(query.count)))
