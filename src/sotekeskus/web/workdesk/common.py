"""What the workdesk's routes share: the guards (the access policy), the staff member of the
request, the clock, one unit of work per request, flash messages and error pages.

Guards: ``require_professional`` (``WORK_CASES``), ``require_scheduler``
(``MANAGE_SCHEDULES``), ``require_figures`` (``VIEW_AGGREGATES``). A refusal is
:class:`~sotekeskus.web.errors.Forbidden`, which the app audits and renders as 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from sotekeskus.care.errors import CareError
from sotekeskus.care.staff import Staff, load_staff
from sotekeskus.care.unit_of_work import NotAllowed, UnitOfWork
from sotekeskus.domain.access_policy import Action
from sotekeskus.store.users import Account
from sotekeskus.web.deps import authorise, require_account
from sotekeskus.web.errors import Forbidden
from sotekeskus.web.render import render
from sotekeskus.web.workdesk.labels import PURPOSES

FLASH = "workdesk_flash"


def require_professional(request: Request) -> Account:
    account = require_account(request)
    authorise(account, Action.WORK_CASES)
    return account


def require_scheduler(request: Request) -> Account:
    account = require_account(request)
    authorise(account, Action.MANAGE_SCHEDULES)
    return account


def require_figures(request: Request) -> Account:
    account = require_account(request)
    authorise(account, Action.VIEW_AGGREGATES)
    return account


ProfessionalAccount = Annotated[Account, Depends(require_professional)]
SchedulerAccount = Annotated[Account, Depends(require_scheduler)]
FiguresAccount = Annotated[Account, Depends(require_figures)]


def now(request: Request) -> datetime:
    """The clock (``app.state.workdesk_now`` when a test or the demo sets one)."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "workdesk_now", None)
    return clock() if clock else datetime.now()


def staff_of(request: Request, account: Account) -> Staff:
    from sqlalchemy.orm import Session

    with Session(request.app.state.engine) as session:
        return load_staff(session, account.id)


def purpose_of(value: str | None) -> str:
    """A purpose code from the query string (default: care-need assessment)."""
    return value if value in PURPOSES else "assessment"


@contextmanager
def unit_of_work(request: Request, member: Staff, purpose: str) -> Iterator[UnitOfWork]:
    """One unit of work for the request; a policy refusal becomes a 403 page."""
    try:
        with UnitOfWork(request.app.state.engine, member.actor, purpose) as uow:
            yield uow
    except NotAllowed as exc:
        raise Forbidden(str(exc)) from None


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session[FLASH] = {"message": message, "kind": kind}


def take_flash(request: Request) -> dict[str, str] | None:
    return request.session.pop(FLASH, None) if "session" in request.scope else None


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def page(request: Request, template: str, **context: Any) -> Response:
    """Render a workdesk template with the workdesk's labels (``W``) and countdown helper."""
    from sotekeskus.web.workdesk import labels

    return render(request, template, W=labels, countdown=countdown, **context)


def countdown(seconds: int | None) -> dict[str, int | bool] | None:
    """Seconds to a deadline as days / hours / minutes (absolute) and whether past."""
    if seconds is None:
        return None
    past = seconds < 0
    left = abs(seconds)
    return {"past": past, "days": left // 86400, "hours": left % 86400 // 3600,
            "minutes": left % 3600 // 60}


def error_page(request: Request, account: Account, exc: CareError, back: str,
               **context: Any) -> Response:
    """A refused action (400 / 404 / 409) as a page that says why and links back."""
    return page(request, "workdesk_error.html", status_code=exc.status, account=account,
                  message=str(exc), back=back, conflict=exc.status == 409, **context)
