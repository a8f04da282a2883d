"""Request dependencies of the shared shell: the signed-in account, its language, guards,
CSRF, and the one authorisation question (:func:`authorise`, over
:func:`sotekeskus.domain.access_policy.may`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Form, Request

from sotekeskus.domain.access_policy import Action, Actor, Resource, Role, Scope, may
from sotekeskus.store.users import Account
from sotekeskus.web import i18n
from sotekeskus.web.errors import Forbidden, NotAuthenticated
from sotekeskus.web.security import check_csrf, session_account

LANG_COOKIE = "sotekeskus_lang"


def current_account_or_none(request: Request) -> Account | None:
    cached = getattr(request.state, "account", "unset")
    if cached != "unset":
        return cached  # type: ignore[no-any-return]
    account = session_account(request)  # server-side session (web.security)
    request.state.account = account
    return account


def actor_of(account: Account) -> Actor:
    """The access policy's view of a staff account."""
    return Actor(account.username, Role(account.role), frozenset(account.units))


def authorise(account: Account, action: Action, unit_ids: Iterable[str] | None = None) -> Scope:
    """Ask the access policy; :class:`Forbidden` (audited by the app) when refused."""
    scope = may(actor_of(account), action, Resource.units(unit_ids))
    if not scope.allowed:
        raise Forbidden(scope.reason)
    return scope


def require_account(request: Request) -> Account:
    account = current_account_or_none(request)
    if account is None:
        raise NotAuthenticated()
    return account


def require_management(request: Request) -> Account:
    """Guard of the management audience: signed in and allowed to see management figures."""
    account = require_account(request)
    authorise(account, Action.VIEW_AGGREGATES)
    return account


def require_admin(request: Request) -> Account:
    """Guard of the administration audience."""
    account = require_account(request)
    authorise(account, Action.ADMINISTER_USERS)
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
ManagementAccount = Annotated[Account, Depends(require_management)]
AdminAccount = Annotated[Account, Depends(require_admin)]
