"""Sign-in, sign-out and the language switch."""

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

router = APIRouter()


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def client_key(request: Request) -> str:
    return "ip:" + (request.client.host if request.client else "unknown")


@router.get("/")
def home(request: Request) -> Response:
    account = current_account_or_none(request)
    if account is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/situation", status_code=303)


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
    keys = (client_key(request), "user:" + username.strip().lower())
    wait = throttle.retry_after(*keys)
    if wait:
        audit.record(app.state.engine, username[:100] or "-", audit.SIGN_IN_FAILED,
                     "login", "throttled")
        return render(request, "login.html", status_code=429,
                      headers={"Retry-After": str(wait)}, next=safe_next(next, ""),
                      error=N_("Too many failed sign-ins. Wait a while and try again."))
    result = authenticate(app.state.engine, username, password)
    if result.account is None:
        throttle.failed(*keys)
        audit.record(app.state.engine, username[:100] or "-", audit.SIGN_IN_FAILED,
                     "login", result.reason)
        message = (N_("The account is locked for a while after too many failed sign-ins.")
                   if result.reason == "locked" else N_("Wrong username or password."))
        return render(request, "login.html", status_code=401, next=safe_next(next, ""),
                      error=message)
    throttle.succeeded(*keys)
    account = result.account
    request.session.clear()  # new session on sign-in (no fixation), new CSRF token
    request.session["uid"] = account.id
    request.session["lang"] = account.language
    audit.record(app.state.engine, account.username, audit.SIGN_IN, "login", account.role)
    response = RedirectResponse(safe_next(next, "/situation"), status_code=303)
    response.set_cookie(LANG_COOKIE, account.language, max_age=365 * 24 * 3600,
                        samesite="lax", secure=app.state.secure_cookies, httponly=True)
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    account = current_account_or_none(request)
    if account is not None:
        audit.record(request.app.state.engine, account.username, audit.SIGN_OUT, "logout")
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
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
