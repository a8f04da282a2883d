"""Administration: users and roles, the audit log.

A new user's units must exist in the store (400 naming the unknown unit); deactivating a
user ends all their sessions at once (a copied cookie stops working).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from sotekeskus.store import audit
from sotekeskus.store.users import (
    ROLES,
    Account,
    UserError,
    create_user,
    list_accounts,
    set_active,
)
from sotekeskus.web.deps import AdminAccount, require_csrf
from sotekeskus.web.manage.views import visible_units
from sotekeskus.web.render import render

router = APIRouter()


def _users_page(request: Request, account: Account, error: str | None = None,
                status_code: int = 200) -> Response:
    return render(request, "admin_users.html", status_code=status_code, account=account,
                  users=list_accounts(request.app.state.engine), roles=ROLES, error=error,
                  units=visible_units(request.app.state.analytics, account))


@router.get("/users")
def users(request: Request, account: AdminAccount) -> Response:
    return _users_page(request, account)


@router.post("/users", dependencies=[Depends(require_csrf)])
def add_user(
    request: Request,
    account: AdminAccount,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    units: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        created = create_user(request.app.state.engine, username, password, role, units or (),
                              display_name=display_name)
    except UserError as exc:
        return _users_page(request, account, str(exc), 400)
    audit.record(request.app.state.engine, account.username, audit.ADMIN_CHANGE,
                 f"user:{created.username}", f"created role={created.role} "
                 f"units={','.join(created.units)}")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/deactivate", dependencies=[Depends(require_csrf)])
def deactivate(user_id: str, request: Request, account: AdminAccount) -> Response:
    """Deactivate a user and end all their sessions now (not one's own account)."""
    engine = request.app.state.engine
    target = next((u for u in list_accounts(engine)
                   if user_id.isascii() and user_id.isdigit() and str(u.id) == user_id), None)
    if target is None:
        return _users_page(request, account, f"user: no user with id {user_id[:20]!r}", 404)
    if target.id == account.id:
        return _users_page(request, account, "user: you cannot deactivate your own account",
                           400)
    ended = set_active(engine, target.id, False)
    audit.record(engine, account.username, audit.ADMIN_CHANGE, f"user:{target.username}",
                 f"deactivated; sessions ended={ended}")
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit")
def audit_log(request: Request, account: AdminAccount) -> Response:
    return render(request, "admin_audit.html", account=account,
                  events=audit.events(request.app.state.engine, limit=300))
