"""Sign-in, sign-out and the language switch.

Sign-in answers an unknown name, a wrong password and a deactivated account alike (401,
"Wrong username or password.", one argon2 verification each). Repeated failures are slowed
per (typed name, client address) and per address (:class:`~sotekeskus.web.security.
SignInThrottle`): 429 with ``Retry-After``, the same for every name. A successful sign-in
starts a server-side session; sign-out ends it, so a copied cookie stops working.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from sotekeskus.store import audit
from sotekeskus.store.users import authenticate, set_language
from sotekeskus.web.deps import LANG_COOKIE, current_account_or_none, require_csrf
from sotekeskus.web.i18n import LANGUAGES, N_
from sotekeskus.web.render import render
from sotekeskus.web.security import begin_session, client_address, end_current_session

router = APIRouter()


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _printable(text: str) -> str:
    """``text`` with control characters (NUL, …) dropped, for the audit log."""
    return "".join(ch for ch in text if ch.isprintable())


def start_page(role: str) -> str:
    """Where a role starts: the workdesk for professionals and schedulers, else the
    situation picture."""
    return {"professional": "/workdesk", "scheduler": "/workdesk/schedules"}.get(
        role, "/situation")


@router.get("/")
def home(request: Request) -> Response:
    account = current_account_or_none(request)
    if account is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(start_page(account.role), status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=safe_next(next, ""), error=None)


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    app = request.app
    throttle = app.state.throttle
    address = client_address(request)
    actor = _printable(username)[:100] or "-"
    wait = throttle.retry_after(username, address)
    if wait:
        audit.record(app.state.engine, actor, audit.SIGN_IN_FAILED, "login",
                     f"throttled address={address}")
        return render(request, "login.html", status_code=429,
                      headers={"Retry-After": str(wait)}, next=safe_next(next, ""),
                      error=N_("Too many failed sign-ins. Wait a while and try again."))
    result = authenticate(app.state.engine, username, password)
    if result.account is None:
        throttle.failed(username, address)
        audit.record(app.state.engine, actor, audit.SIGN_IN_FAILED, "login",
                     f"{result.reason} address={address}")
        return render(request, "login.html", status_code=401, next=safe_next(next, ""),
                      error=N_("Wrong username or password."))
    throttle.succeeded(username, address)
    account = result.account
    begin_session(request, account)  # new server-side session (no fixation), new CSRF token
    request.session["lang"] = account.language
    audit.record(app.state.engine, account.username, audit.SIGN_IN, "login",
                 f"{account.role} address={address}")
    response = RedirectResponse(safe_next(next, start_page(account.role)), status_code=303)
    response.set_cookie(LANG_COOKIE, account.language, max_age=365 * 24 * 3600,
                        samesite="lax", secure=app.state.secure_cookies, httponly=True)
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    account = current_account_or_none(request)
    if account is not None:
        audit.record(request.app.state.engine, account.username, audit.SIGN_OUT, "logout")
    end_current_session(request)
    return RedirectResponse("/login", status_code=303)


@router.post("/language", dependencies=[Depends(require_csrf)])
def switch_language(
    request: Request,
    language: Annotated[str, Form()] = "fi",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if language not in LANGUAGES:
        language = "fi"
    request.session["lang"] = language
    account = current_account_or_none(request)
    if account is not None:
        set_language(request.app.state.engine, account.id, language)
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    response.set_cookie(LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax",
                        secure=request.app.state.secure_cookies, httponly=True)
    return response
