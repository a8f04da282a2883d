"""The professional's own day: her slots and the appointments in them."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sotekeskus.care.cases.queue import my_day
from sotekeskus.care.errors import InvalidInput
from sotekeskus.web.workdesk.common import (
    ProfessionalAccount,
    error_page,
    now,
    page,
    staff_of,
    take_flash,
    unit_of_work,
)

router = APIRouter()


@router.get("/day")
def day_page(request: Request, account: ProfessionalAccount, on: str = "") -> Response:
    member = staff_of(request, account)
    try:
        day = date.fromisoformat(on) if on else now(request).date()
    except ValueError:
        return error_page(request, account, InvalidInput(
            f"on: {on[:20]!r} is not a date YYYY-MM-DD"), "/workdesk/day")
    with unit_of_work(request, member, "appointment") as uow:
        rows = my_day(uow, member, day)
    return page(request, "workdesk_day.html", account=account, member=member, rows=rows,
                  day=day, now=now(request), flash=take_flash(request))
