"""The FHIR API's search machinery shared by every resource type: what a search returns
(:class:`Found`), its parameters (:class:`Query`), the request's context (:class:`Ctx`), the
table row of a resource type (:class:`Kind`), and the helpers for references, FHIR date
search and paging (``_count``, ``_offset``; docs/fhir.md "Paging")."""

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
#: The largest ``_offset`` a next link may carry (a deeper walk narrows the search instead).
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class Found:
    """A resource to return; ``subject``: the resident's pseudonym for the audit row."""

    resource: dict[str, Any]
    subject: str | None = None


@dataclass
class Query:
    """A search's parameters (``name`` → values, repeated parameters kept), the page size
    ``_count``, the page's first match ``_offset`` (0-based, in the search's stable order)
    and ``_snapshot`` (the newest row a paged AuditEvent walk includes)."""

    values: dict[str, list[str]]
    count: int = DEFAULT_COUNT
    offset: int = 0
    snapshot: int | None = None

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
    snapshot: int | None = None  # the newest row a paged walk includes (AuditEvent)


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
    """The page of ``stmt`` (an ordered select): ``_count`` rows from ``_offset``;
    ``ctx.total`` the number of all matches. ``stmt`` must order by a unique key last, so
    that pages neither repeat nor skip a row."""
    ctx.total = int(ctx.uow.session.scalar(
        select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    return list(ctx.uow.session.scalars(stmt.offset(query.offset).limit(query.count)))


def page_of(ctx: Ctx, query: Query, found: list[Found]) -> list[Found]:
    """A search that returned all its matches (``ctx.total`` unset) → the requested page;
    one that paged in the database (``ctx.total`` set) is returned as it is."""
    if ctx.total is not None:
        return found
    ctx.total = len(found)
    return found[query.offset:query.offset + query.count]
