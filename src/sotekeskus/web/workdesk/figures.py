"""The workdesk's live figures and the T3 series for unit managers and leadership
(``VIEW_AGGREGATES``; a manager sees her own units). Small cells are suppressed unless the
policy's scope gives unit-level detail."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from sotekeskus.analytics.suppression import suppress_rows
from sotekeskus.care.booking.t3_report import number
from sotekeskus.care.booking.t3_store import t3_series
from sotekeskus.care.catalogue import current_catalogue
from sotekeskus.care.errors import InvalidInput
from sotekeskus.care.figures import compute
from sotekeskus.domain.access_policy import Action
from sotekeskus.web.deps import authorise
from sotekeskus.web.workdesk.common import FiguresAccount, error_page, now, page
from sotekeskus.web.workdesk.labels import CHANNELS, FIGURES

router = APIRouter()
SERIES_DAYS = 14


@router.get("/figures")
def figures_page(request: Request, account: FiguresAccount, on: str = "") -> Response:
    scope = authorise(account, Action.VIEW_AGGREGATES)
    at = now(request)
    try:
        day = date.fromisoformat(on) if on else at.date()
    except ValueError:
        return error_page(request, account, InvalidInput(
            f"on: {on[:20]!r} is not a date YYYY-MM-DD"), "/workdesk/figures")
    units = scope.unit_ids
    with Session(request.app.state.engine) as session:
        f = compute(session, day, at, units)
        days = [day - timedelta(days=n) for n in range(SERIES_DAYS - 1, -1, -1)]
        series = t3_series(session, days, units)
    summary = f.summary()
    waiting = {r["channel"]: r for r in f.queue}
    channel_rows = [{**r, "waiting": waiting.get(r["channel"], {}).get("waiting", 0),
                     "oldest_wait_min": waiting.get(r["channel"], {}).get("oldest_wait_min")}
                    for r in f.contacts_by_channel]
    routing_rows = list(f.routing)
    if scope.suppress_small_cells:
        summary = suppress_rows(summary, {"count": ("value",)})
        channel_rows = suppress_rows(channel_rows, {"contacts": (),
                                                    "waiting": ("oldest_wait_min",)})
        routing_rows = suppress_rows(routing_rows, {"cases": (), "by_rule": (), "manual": ()})
    t3_rows = [{"day": d, "unit_id": u.unit_id, "professional_group": u.professional_group,
                "t3_days": number(u.t3_days), "professionals": u.professionals}
               for d, result in series for u in result.units]
    latest = [r for r in t3_rows if r["day"] == day]
    return page(request, "workdesk_figures.html", account=account, f=f, day=day,
                  summary=summary, figure_labels=FIGURES, channels=CHANNELS,
                  channel_rows=channel_rows, routing_rows=routing_rows,
                  services=current_catalogue(request.app.state.engine).services,
                  t3_latest=latest, t3_rows=t3_rows, days=days,
                  suppressed=scope.suppress_small_cells)
