"""A case: its page (every view audited with the purpose chosen), the assessment form with
the routing rule that fires, booking, and the actions (claim, release, hand over, route,
resolve, refer, cancel, reply, visit, no-show). Every action is a POST with the CSRF token,
then a redirect (works without JavaScript); a refused one is a page saying why — a lost
claim or slot is a 409 naming who has it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from sotekeskus.care.booking.appointments import book, record_no_show, record_visit, unbook
from sotekeskus.care.cases import commands
from sotekeskus.care.cases.queue import bookable_slots, read_case
from sotekeskus.care.catalogue import current_catalogue
from sotekeskus.care.errors import CareError, InvalidInput
from sotekeskus.care.persons import register_person
from sotekeskus.care.questionnaires.summary import case_summary
from sotekeskus.care.staff import Staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Action
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea
from sotekeskus.domain.workflow.cases import Transition
from sotekeskus.web.deps import require_csrf
from sotekeskus.web.workdesk.common import (
    ProfessionalAccount,
    error_page,
    flash,
    now,
    page,
    purpose_of,
    redirect,
    staff_of,
    take_flash,
    unit_of_work,
)
from sotekeskus.web.workdesk.labels import CHANNELS, PURPOSES

router = APIRouter()
CSRF = [Depends(require_csrf)]


def _case_url(case_id: int, purpose: str = "assessment") -> str:
    return f"/workdesk/cases/{case_id}?purpose={purpose}"


@router.get("/cases/new")
def new_case_form(request: Request, account: ProfessionalAccount) -> Response:
    member = staff_of(request, account)
    return page(request, "workdesk_new_case.html", account=account, member=member,
                  channels=CHANNELS, areas=list(ServiceArea), error=None, form={})


@router.post("/cases", dependencies=CSRF)
def open_case(
    request: Request, account: ProfessionalAccount,
    hetu: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "phone", unit_id: Annotated[str, Form()] = "",
    service_area: Annotated[str, Form()] = "medical", subject: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
) -> Response:
    """Record a contact (a call, a walk-in) for a resident identified by the HETU."""
    member = staff_of(request, account)
    form = {"hetu": hetu, "name": name, "channel": channel, "unit_id": unit_id,
            "service_area": service_area, "subject": subject, "message": message}
    at = now(request)
    try:
        with unit_of_work(request, member, "assessment") as uow:
            uow.authorise(Action.WORK_CASES, [unit_id])  # before any write (see UnitOfWork)
            person = register_person(uow.session, hetu, name=name.strip()[:200], now=at)
            case = commands.open_case(uow, commands.Contact(
                person.id, channel, unit_id, subject, service_area, message), now=at)
            case_id = case.id
    except CareError as exc:
        return page(request, "workdesk_new_case.html", status_code=exc.status,
                      account=account, member=member, channels=CHANNELS,
                      areas=list(ServiceArea), error=str(exc), form=form)
    flash(request, "contact_recorded")
    return redirect(_case_url(case_id))


@router.get("/cases/{case_id}")
def case_page(request: Request, account: ProfessionalAccount, case_id: int,
              purpose: str = "") -> Response:
    member = staff_of(request, account)
    why = purpose_of(purpose)
    at = now(request)
    try:
        with unit_of_work(request, member, why) as uow:
            detail = read_case(uow, member, case_id, now=at)
            questionnaire = case_summary(uow.session, case_id)
            slots = (bookable_slots(uow, member, case_id, now=at)
                     if detail.case.state in ("assessed", "routed") else [])
    except CareError as exc:
        return error_page(request, account, exc, "/workdesk")
    catalogue = current_catalogue(request.app.state.engine)
    return page(request, "workdesk_case.html", account=account, d=detail, c=detail.case,
                  member=member, slots=slots, purpose=why, purposes=PURPOSES, now=at,
                  flash=take_flash(request), groups=list(ProfessionalGroup),
                  areas=list(ServiceArea), services=catalogue.services,
                  bookable=catalogue.bookable(), questionnaire=questionnaire)


def _act(request: Request, account: Any, case_id: int, purpose: str,
         work: Callable[[UnitOfWork, Staff, datetime], object], message: str,
         then: str | None = None) -> Response:
    member = staff_of(request, account)
    try:
        with unit_of_work(request, member, purpose) as uow:
            work(uow, member, now(request))
    except CareError as exc:
        return error_page(request, account, exc, _case_url(case_id), case_id=case_id)
    flash(request, message)
    return redirect(then or _case_url(case_id))


@router.post("/cases/{case_id}/claim", dependencies=CSRF)
def claim(request: Request, account: ProfessionalAccount, case_id: int,
          version: Annotated[str, Form()] = "") -> Response:
    """``version``: the case's version in the queue the professional saw (optional)."""
    seen = int(version) if version.isascii() and version.isdigit() and len(version) < 10 \
        else None
    return _act(request, account, case_id, "assessment",
                lambda u, m, t: commands.claim(u, m, case_id, now=t, seen_version=seen),
                "claimed")


@router.post("/cases/{case_id}/release", dependencies=CSRF)
def release(request: Request, account: ProfessionalAccount, case_id: int,
            reason: Annotated[str, Form()] = "") -> Response:
    return _act(request, account, case_id, "coordination",
                lambda u, m, t: commands.release(u, m, case_id, now=t, reason=reason),
                "released", "/workdesk")


@router.post("/cases/{case_id}/hand-over", dependencies=CSRF)
def hand_over(request: Request, account: ProfessionalAccount, case_id: int,
              to: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> Response:
    return _act(request, account, case_id, "coordination",
                lambda u, m, t: commands.hand_over(u, m, case_id, to, now=t, reason=reason),
                "handed_over", "/workdesk")


@router.post("/cases/{case_id}/assess", dependencies=CSRF)
def assess(request: Request, account: ProfessionalAccount, case_id: int,
           urgency: Annotated[str, Form()] = "", need: Annotated[str, Form()] = "",
           service_area: Annotated[str, Form()] = "",
           professional_group: Annotated[str, Form()] = "",
           reason_code: Annotated[str, Form()] = "") -> Response:
    form = commands.AssessmentInput(urgency, need, service_area, professional_group,
                                    reason_code)
    return _act(request, account, case_id, "assessment",
                lambda u, m, t: commands.assess(u, m, case_id, form, now=t), "assessed")


@router.post("/cases/{case_id}/route", dependencies=CSRF)
def route(request: Request, account: ProfessionalAccount, case_id: int,
          service: Annotated[str, Form()] = "") -> Response:
    return _act(request, account, case_id, "assessment",
                lambda u, m, t: commands.route(u, m, case_id, service or None, now=t),
                "routed", "/workdesk")


@router.post("/cases/{case_id}/book", dependencies=CSRF)
def book_slot(request: Request, account: ProfessionalAccount, case_id: int,
              slot: Annotated[str, Form()] = "") -> Response:
    if not (slot.isascii() and slot.isdigit() and len(slot) < 19):
        return error_page(request, account, InvalidInput("slot: choose a free time"),
                          _case_url(case_id, "booking"), case_id=case_id)
    return _act(request, account, case_id, "booking",
                lambda u, m, t: book(u, m, case_id, int(slot), now=t), "booked", "/workdesk")


@router.post("/cases/{case_id}/resolve", dependencies=CSRF)
def resolve(request: Request, account: ProfessionalAccount, case_id: int,
            note: Annotated[str, Form()] = "") -> Response:
    return _act(request, account, case_id, "assessment",
                lambda u, m, t: commands.resolve(u, m, case_id, note, now=t), "resolved",
                "/workdesk")


@router.post("/cases/{case_id}/refer", dependencies=CSRF)
def refer(request: Request, account: ProfessionalAccount, case_id: int,
          reason: Annotated[str, Form()] = "") -> Response:
    return _act(request, account, case_id, "coordination",
                lambda u, m, t: commands.refer(u, m, case_id, reason, now=t), "referred",
                "/workdesk")


@router.post("/cases/{case_id}/cancel", dependencies=CSRF)
def cancel(request: Request, account: ProfessionalAccount, case_id: int,
           reason: Annotated[str, Form()] = "", merge: Annotated[str, Form()] = "") -> Response:
    transition = Transition.MERGE if merge == "1" else Transition.CANCEL
    return _act(request, account, case_id, "coordination",
                lambda u, m, t: commands.cancel(u, m, case_id, reason, now=t,
                                                transition=transition),
                "cancelled", "/workdesk")


@router.post("/cases/{case_id}/reply", dependencies=CSRF)
def reply(request: Request, account: ProfessionalAccount, case_id: int,
          body: Annotated[str, Form()] = "") -> Response:
    return _act(request, account, case_id, "assessment",
                lambda u, m, t: commands.reply(u, m, case_id, body, now=t), "message_sent")


@router.post("/cases/{case_id}/unbook", dependencies=CSRF)
def cancel_booking(request: Request, account: ProfessionalAccount, case_id: int,
                   reason: Annotated[str, Form()] = "") -> Response:
    return _act(request, account, case_id, "booking",
                lambda u, m, t: unbook(u, m, case_id, reason, now=t), "unbooked")


@router.post("/cases/{case_id}/visit", dependencies=CSRF)
def visit(request: Request, account: ProfessionalAccount, case_id: int,
          contact_mode: Annotated[str, Form()] = "") -> Response:
    return _act(request, account, case_id, "appointment",
                lambda u, m, t: record_visit(u, m, case_id, now=t,
                                             contact_mode=contact_mode or None),
                "visit_recorded", "/workdesk/day")


@router.post("/cases/{case_id}/no-show", dependencies=CSRF)
def no_show(request: Request, account: ProfessionalAccount, case_id: int) -> Response:
    return _act(request, account, case_id, "appointment",
                lambda u, m, t: record_no_show(u, m, case_id, now=t), "no_show_recorded",
                "/workdesk/day")
