"""Schedules (scheduler): the professionals of the scheduler's units, their weekly
templates and exceptions, and making the slots from them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.booking.schedules import (
    ExceptionInput,
    TemplateInput,
    add_exception,
    add_template,
    materialise,
)
from sotekeskus.care.catalogue import current_catalogue
from sotekeskus.care.errors import CareError, InvalidInput
from sotekeskus.domain.workflow.codes import ServiceMode, SlotKind
from sotekeskus.store.models import (
    ScheduleException,
    ScheduleTemplate,
    StaffProfile,
    User,
    UserUnit,
)
from sotekeskus.web.deps import require_csrf
from sotekeskus.web.workdesk.common import (
    SchedulerAccount,
    error_page,
    flash,
    now,
    page,
    redirect,
    staff_of,
    take_flash,
    unit_of_work,
)
from sotekeskus.web.workdesk.labels import EXCEPTION_KINDS, WEEKDAYS

router = APIRouter()
CSRF = [Depends(require_csrf)]


def _professionals(session: Session, units: frozenset[str]) -> list[tuple[int, str, str]]:
    rows = session.execute(
        select(User.id, User.username, StaffProfile.professional_group)
        .join(StaffProfile, StaffProfile.user_id == User.id)
        .join(UserUnit, UserUnit.user_id == User.id)
        .where(UserUnit.unit_id.in_(sorted(units)), User.active.is_(True))
        .distinct().order_by(User.username))
    return [(i, name, group) for i, name, group in rows]


@router.get("/schedules")
def schedules_page(request: Request, account: SchedulerAccount) -> Response:
    member = staff_of(request, account)
    with Session(request.app.state.engine) as session:
        people = _professionals(session, member.units)
        ids = [p[0] for p in people]
        templates = list(session.scalars(select(ScheduleTemplate).where(
            ScheduleTemplate.user_id.in_(ids)).order_by(ScheduleTemplate.user_id,
                                                        ScheduleTemplate.weekday)))
        exceptions = list(session.scalars(select(ScheduleException).where(
            ScheduleException.user_id.in_(ids),
            ScheduleException.ends_at >= now(request)).order_by(ScheduleException.starts_at)))
    names = {i: name for i, name, _ in people}
    return page(request, "workdesk_schedules.html", account=account, member=member,
                  people=people, names=names, templates=templates, exceptions=exceptions,
                  weekdays=WEEKDAYS,
                  kinds=EXCEPTION_KINDS, modes=list(ServiceMode), slot_kinds=list(SlotKind),
                  services=current_catalogue(request.app.state.engine).bookable(),
                  today=now(request).date(), flash=take_flash(request))


def _int(value: str, field: str) -> int:
    if not (value.strip().isascii() and value.strip().isdigit() and len(value.strip()) < 10):
        raise InvalidInput(f"{field}: a whole number, not {value[:20]!r}")
    return int(value.strip())


def _date(value: str, field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field}: a date YYYY-MM-DD, not {value[:20]!r}") from None


def _datetime(value: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field}: a date and time, not {value[:20]!r}") from None


@router.post("/schedules/templates", dependencies=CSRF)
def add_template_row(
    request: Request, account: SchedulerAccount,
    user_id: Annotated[str, Form()] = "", unit_id: Annotated[str, Form()] = "",
    weekday: Annotated[str, Form()] = "", start_time: Annotated[str, Form()] = "",
    end_time: Annotated[str, Form()] = "", slot_minutes: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "non_urgent",
    service_id: Annotated[str, Form()] = "", valid_from: Annotated[str, Form()] = "",
    valid_to: Annotated[str, Form()] = "",
) -> Response:
    member = staff_of(request, account)
    try:
        form = TemplateInput(_int(user_id, "user_id"), unit_id, _int(weekday, "weekday"),
                             start_time, end_time, _int(slot_minutes, "slot_minutes"), mode,
                             kind, service_id or None, _date(valid_from, "valid_from"),
                             _date(valid_to, "valid_to"))
        with unit_of_work(request, member, "scheduling") as uow:
            add_template(uow, form, today=now(request).date())
    except CareError as exc:
        return error_page(request, account, exc, "/workdesk/schedules")
    flash(request, "template_added")
    return redirect("/workdesk/schedules")


@router.post("/schedules/exceptions", dependencies=CSRF)
def add_exception_row(
    request: Request, account: SchedulerAccount,
    user_id: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
    starts_at: Annotated[str, Form()] = "", ends_at: Annotated[str, Form()] = "",
    unit_id: Annotated[str, Form()] = "", slot_minutes: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
) -> Response:
    member = staff_of(request, account)
    try:
        form = ExceptionInput(_int(user_id, "user_id"), kind,
                              _datetime(starts_at, "starts_at"), _datetime(ends_at, "ends_at"),
                              unit_id or None, None,
                              _int(slot_minutes, "slot_minutes") if slot_minutes else None,
                              mode or None, None, note)
        with unit_of_work(request, member, "scheduling") as uow:
            add_exception(uow, form)
    except CareError as exc:
        return error_page(request, account, exc, "/workdesk/schedules")
    flash(request, "exception_added")
    return redirect("/workdesk/schedules")


@router.post("/schedules/slots", dependencies=CSRF)
def make_slots(request: Request, account: SchedulerAccount,
               user_id: Annotated[str, Form()] = "", weeks: Annotated[str, Form()] = "4"
               ) -> Response:
    member = staff_of(request, account)
    today = now(request).date()
    try:
        n = _int(weeks, "weeks")
        if not 1 <= n <= 26:
            raise InvalidInput("weeks: 1–26")
        with unit_of_work(request, member, "scheduling") as uow:
            materialise(uow, _int(user_id, "user_id"), today, today + timedelta(weeks=n))
    except CareError as exc:
        return error_page(request, account, exc, "/workdesk/schedules")
    flash(request, "slots_created")
    return redirect("/workdesk/schedules")
