"""Request dependencies: the signed-in account, its language, role checks, CSRF."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request

from sotekeskus.store.users import Account, get_account
from sotekeskus.web import i18n
from sotekeskus.web.security import check_csrf
from sotekeskus.web.services import Forbidden

LANG_COOKIE = "sotekeskus_lang"


class NotAuthenticated(Exception):
    """No (valid) session: the app redirects to the sign-in page."""


def current_account_or_none(request: Request) -> Account | None:
    cached = getattr(request.state, "account", "unset")
    if cached != "unset":
        return cached  # type: ignore[no-any-return]
    account = None
    uid = request.session.get("uid") if "session" in request.scope else None
    if isinstance(uid, int):
        account = get_account(request.app.state.engine, uid)
        if account is None:
            request.session.clear()
    request.state.account = account
    return account


def require_account(request: Request) -> Account:
    account = current_account_or_none(request)
    if account is None:
        raise NotAuthenticated()
    return account


def require_admin(request: Request) -> Account:
    account = require_account(request)
    if not account.is_admin:
        raise Forbidden("administrator only")
    return account


def require_csrf(request: Request, csrf_token: str | None = Form(None)) -> None:
    """For POST routes: the form field ``csrf_token`` (or header X-CSRF-Token) must match."""
    check_csrf(request, csrf_token)


def language_for(request: Request, account: Account | None) -> str:
    """Session choice, then the account's preference, then the cookie, then the browser."""
    session_lang = request.session.get("lang") if "session" in request.scope else None
    return i18n.pick_language(
        session_lang,
        account.language if account else None,
        request.cookies.get(LANG_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


CurrentAccount = Annotated[Account, Depends(require_account)]
AdminAccount = Annotated[Account, Depends(require_admin)]
