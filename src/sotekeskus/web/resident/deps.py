"""Request dependencies of the resident audience (``/asiointi``): who is signed in, CSRF,
language, rendering and the one authorisation question for residents.

Residents' sessions are **not** staff sessions: their own cookie
(:data:`RESIDENT_COOKIE`, path ``/asiointi``, HttpOnly, SameSite=Lax) carries the token of a
server-side session in :mod:`sotekeskus.store.resident_sessions`. A staff session cookie
grants nothing here and a resident cookie grants nothing on staff routes (it is never sent
to them, and staff guards read only the staff session).

Every resident route depends on :func:`require_resident`; every read or change of a
person's data asks :func:`authorise_resident` (→ :func:`sotekeskus.domain.access_policy.may`
with the resident role), which only lets a resident act on their own person.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from sotekeskus.domain.access_policy import Action, Actor, Resource, Role, may
from sotekeskus.store import audit
from sotekeskus.store import resident_sessions as store
from sotekeskus.web import i18n
from sotekeskus.web.security import CsrfError, web_security

PREFIX = "/asiointi"
RESIDENT_COOKIE = "sotekeskus_resident"
#: The cookie that binds an identification in progress to this browser (its ``state``).
SIGN_IN_COOKIE = "sotekeskus_resident_signin"
LANG_COOKIE = "sotekeskus_resident_lang"
SIGN_IN_PATH = PREFIX + "/tunnistaudu"


@dataclass(frozen=True, slots=True)
class ResidentPrincipal:
    """The signed-in resident: the person row's key, the pseudonymous id (for the audit log
    and the access policy), the name given by the identity provider and the language."""

    person_pk: int
    person_id: str
    name: str
    language: str

    @property
    def actor(self) -> Actor:
        return Actor(f"resident:{self.person_id}", Role.RESIDENT, frozenset(), self.person_id)


class ResidentNotAuthenticated(HTTPException):
    """No valid resident session: a redirect to the resident sign-in (htmx: HX-Redirect)."""

    def __init__(self, target: str, htmx: bool = False) -> None:
        if htmx:
            super().__init__(401, "identification needed", headers={"HX-Redirect": target})
        else:
            super().__init__(303, "identification needed", headers={"Location": target})


class ResidentNotFound(HTTPException):
    """What the resident asked for does not exist **or is not theirs**: the same 404 either
    way, so an identifier of another person's data reveals nothing."""

    def __init__(self, what: str = "") -> None:
        super().__init__(404, what or "not found")


def lifetimes(request: Request) -> store.Lifetimes:
    from datetime import timedelta

    settings = request.app.state.settings
    return store.Lifetimes(timedelta(minutes=settings.resident_session_idle_minutes),
                           timedelta(hours=settings.resident_session_max_hours))


def clock(request: Request) -> datetime:
    return web_security(request).clock()


def _session(request: Request) -> store.ResidentSessionView | None:
    cached = getattr(request.state, "resident_session", "unset")
    if cached != "unset":
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(RESIDENT_COOKIE)
    found = None
    if token:
        found = store.resolve(request.app.state.engine, token, lifetimes(request),
                              clock(request))
    request.state.resident_session = found
    return found


def current_resident_or_none(request: Request) -> ResidentPrincipal | None:
    found = _session(request)
    if found is None:
        return None
    return ResidentPrincipal(found.person_pk, found.person_id, found.name, found.language)


def require_resident(request: Request) -> ResidentPrincipal:
    """The signed-in resident, else :class:`ResidentNotAuthenticated` (→ sign-in page)."""
    principal = current_resident_or_none(request)
    if principal is None:
        q = request.url.query
        here = request.url.path + (f"?{q}" if q else "")
        raise ResidentNotAuthenticated(f"{SIGN_IN_PATH}?next={quote(here, safe='')}",
                                       bool(request.headers.get("hx-request")))
    return principal


def resident_csrf_token(request: Request) -> str:
    """The signed-in resident's form token ("" when nobody is signed in)."""
    found = _session(request)
    return found.csrf if found else ""


def check_resident_csrf(request: Request, submitted: str | None) -> None:
    """:class:`CsrfError` unless ``submitted`` (form field or X-CSRF-Token) is the token of
    the resident's session."""
    expected = resident_csrf_token(request)
    candidate = submitted or request.headers.get("x-csrf-token")
    if not expected or not candidate or not hmac.compare_digest(expected, str(candidate)):
        raise CsrfError()


def require_resident_csrf(request: Request, csrf_token: str | None = Form(None)) -> None:
    """For resident POST routes (use with :func:`require_resident`)."""
    require_resident(request)
    check_resident_csrf(request, csrf_token)


def authorise_resident(request: Request, principal: ResidentPrincipal, action: Action,
                       person_id: str, what: str = "") -> None:
    """Ask the access policy whether ``principal`` may take ``action`` on the data of
    ``person_id``; a refusal is audited and answered 404 (nothing about another person's
    data is revealed, not even that it exists)."""
    scope = may(principal.actor, action, Resource.person(person_id))
    if not scope.allowed:
        audit.record(request.app.state.engine, principal.actor.name, audit.DENIED,
                     (what or request.url.path)[:500], scope.reason)
        raise ResidentNotFound()


def resident_language(request: Request, principal: ResidentPrincipal | None = None) -> str:
    """``?lang=``, then the resident's language cookie, then the person's language, then
    the browser."""
    return i18n.pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        principal.language if principal else None,
        accept_language=request.headers.get("accept-language"),
    )


def resident_render(request: Request, template: str, status_code: int = 200,
                    **context: Any) -> HTMLResponse:
    """Render a resident page (``resident_base.html`` layout) in the resident's language,
    with ``resident`` (or None), ``csrf`` (the resident session's token) and ``lang``."""
    principal = context.pop("resident", None) or current_resident_or_none(request)
    lang = resident_language(request, principal)
    token = i18n.current_language.set(lang)
    try:
        q = request.url.query
        html = request.app.state.templates.get_template(template).render(
            request=request, resident=principal, account=None, lang=lang,
            csrf=resident_csrf_token(request), path=request.url.path,
            full_path=request.url.path + (f"?{q}" if q else ""), **context)
    finally:
        i18n.current_language.reset(token)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = lang
    return response


CurrentResident = Annotated[ResidentPrincipal, Depends(require_resident)]
ResidentCsrf = Depends(require_resident_csrf)
