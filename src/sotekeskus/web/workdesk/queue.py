"""The queue: one list across channels, ordered by the nearest deadline (urgent first), with
filters and a countdown; refreshed live (server-sent events tell htmx to reload the rows)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from sotekeskus.care.cases.queue import QueueFilter, counts_by_state, queue
from sotekeskus.care.catalogue import current_catalogue
from sotekeskus.care.errors import CareError
from sotekeskus.store.models import Meta
from sotekeskus.web.workdesk.common import (
    ProfessionalAccount,
    error_page,
    now,
    page,
    staff_of,
    take_flash,
    unit_of_work,
)
from sotekeskus.web.workdesk.labels import CHANNELS, DUE

router = APIRouter()

#: How often the event stream looks for a change, and how long one stream lasts (the
#: browser's EventSource reconnects by itself).
POLL_SECONDS = 2.0
STREAM_SECONDS = 55.0


def _filter(request: Request) -> QueueFilter:
    q = request.query_params
    return QueueFilter.parse(channel=q.get("channel", ""), service=q.get("service", ""),
                             unit=q.get("unit", ""), due=q.get("due", ""),
                             mine=q.get("mine") == "1",
                             catalogue=current_catalogue(request.app.state.engine))


def _context(request: Request, account: ProfessionalAccount) -> dict[str, object]:
    member = staff_of(request, account)
    flt = _filter(request)
    at = now(request)
    with unit_of_work(request, member, "assessment") as uow:
        rows = queue(uow, member, flt, now=at)
        counts = counts_by_state(uow, member)
    catalogue = current_catalogue(request.app.state.engine)
    return {"rows": rows, "counts": counts, "flt": flt, "member": member, "now": at,
            "channels": CHANNELS, "dues": DUE, "services": catalogue.services,
            "my_services": [catalogue.services[s] for s in sorted(member.services)
                            if s in catalogue.services],
            "query": request.url.query, "version": _version(request)}


def _version(request: Request) -> str:
    with request.app.state.engine.connect() as conn:
        return str(conn.execute(select(Meta.value).where(Meta.key == "data_version")).scalar()
                   or "")


def queue_page(request: Request, account: ProfessionalAccount) -> Response:
    """``/workdesk`` itself (registered on the audience router: an empty path needs its
    prefix)."""
    try:
        context = _context(request, account)
    except CareError as exc:
        return error_page(request, account, exc, "/workdesk")
    return page(request, "workdesk_queue.html", account=account, flash=take_flash(request),
                  **context)


@router.get("/queue/rows")
def queue_rows(request: Request, account: ProfessionalAccount) -> Response:
    """The queue table alone (htmx refresh)."""
    try:
        context = _context(request, account)
    except CareError as exc:
        return error_page(request, account, exc, "/workdesk")
    return page(request, "workdesk_queue_rows.html", account=account, **context)


@router.get("/events")
async def events(request: Request, account: ProfessionalAccount,
                 since: str = "") -> StreamingResponse:
    """Server-sent events: ``event: changed`` whenever the store's data version moves (a
    case opened or changed anywhere, by any process). One stream lasts about a minute."""
    engine = request.app.state.engine

    def read() -> str:
        with engine.connect() as conn:
            return str(conn.execute(select(Meta.value).where(Meta.key == "data_version"))
                       .scalar() or "")

    async def stream() -> AsyncIterator[str]:
        last = since[:64] or await asyncio.to_thread(read)
        yield "retry: 3000\n\n"
        waited = 0.0
        while waited < STREAM_SECONDS:
            current = await asyncio.to_thread(read)
            if current != last:
                last = current
                yield f"event: changed\ndata: {current}\n\n"
            if await request.is_disconnected():
                break
            await asyncio.sleep(POLL_SECONDS)
            waited += POLL_SECONDS

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
