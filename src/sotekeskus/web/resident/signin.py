"""Residents' identification (OpenID Connect), sign-out and language.

``GET /asiointi/tunnistaudu`` explains and offers identification;
``GET /asiointi/tunnistaudu/aloita`` starts it (state, nonce, PKCE kept server-side; the
``state`` also in a short-lived cookie that binds this browser) and sends the browser to
the provider; ``GET /asiointi/tunnistaudu/paluu`` takes the provider's answer, checks the
state against the cookie and the stored sign-in (once, within 10 minutes), exchanges the
code, verifies the ID token, registers the person on a first visit and starts a resident
session (a new token; no fixation). Failures are throttled per client address like the
staff sign-in and written to the audit log.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sotekeskus.care.errors import InvalidInput
from sotekeskus.care.persons import register_person
from sotekeskus.identity import oidc
from sotekeskus.identity.test_idp import MOUNT as TEST_IDP_MOUNT
from sotekeskus.store import audit
from sotekeskus.store import resident_sessions as store
from sotekeskus.web import i18n
from sotekeskus.web.resident.deps import (
    LANG_COOKIE,
    PREFIX,
    RESIDENT_COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_PATH,
    ResidentCsrf,
    clock,
    current_resident_or_none,
    resident_language,
    resident_render,
)
from sotekeskus.web.security import SignInThrottle, client_address

router = APIRouter()
CALLBACK = SIGN_IN_PATH + "/paluu"
THROTTLE_KEY = "resident-identification"


class NotConfigured(Exception):
    """Production without a configured identity provider."""


def throttle(request: Request) -> SignInThrottle:
    found = getattr(request.app.state, "resident_throttle", None)
    if found is None:
        found = SignInThrottle(free_failures=5, address_failures=30)
        request.app.state.resident_throttle = found
    return found  # type: ignore[no-any-return]


def uses_test_idp(request: Request) -> bool:
    settings = request.app.state.settings
    return not settings.resident_oidc_issuer and not settings.production


def provider(request: Request) -> oidc.Provider:
    """The configured provider, or the built-in test provider (never in production)."""
    settings = request.app.state.settings
    cache: dict[str, oidc.Provider] | None = getattr(request.app.state,
                                                     "resident_providers", None)
    if cache is None:
        cache = {}
        request.app.state.resident_providers = cache
    if settings.resident_oidc_issuer:
        issuer, transport = settings.resident_oidc_issuer, None
    elif settings.production:
        raise NotConfigured()
    else:
        issuer = str(request.base_url).rstrip("/") + TEST_IDP_MOUNT
        transport = httpx.ASGITransport(app=request.app)
    found = cache.get(issuer)
    if found is None:
        secret = settings.resident_oidc_client_secret
        if not settings.resident_oidc_issuer:
            secret = test_client_secret(request)
        key = (oidc.load_client_key(settings.resident_oidc_client_key)
               if settings.resident_oidc_issuer and settings.resident_oidc_client_key
               else None)
        found = oidc.Provider(issuer, settings.resident_oidc_client_id, secret, transport,
                              client_key=key)
        cache[issuer] = found
    return found


def test_client_secret(request: Request) -> str | None:
    return getattr(request.app.state, "test_idp_client_secret", None)


def redirect_uri(request: Request) -> str:
    configured = request.app.state.settings.resident_oidc_redirect_uri
    return configured or str(request.base_url).rstrip("/") + CALLBACK


def safe_next(value: str | None) -> str:
    """A local path under ``/asiointi`` (anything else: the front page)."""
    if not value:
        return PREFIX + "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX) or "\\" in value:
        return PREFIX + "/"
    return value[:500]


def _cookie(response: Response, request: Request, name: str, value: str, path: str,
            max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True,
                        samesite="lax", secure=request.app.state.secure_cookies)


@router.get("/")
def front_page(request: Request) -> Response:
    return resident_render(request, "resident_home.html", signed_out=bool(
        request.query_params.get("signed_out")))


@router.get("/tunnistaudu")
def sign_in_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    if current_resident_or_none(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    settings = request.app.state.settings
    configured = bool(settings.resident_oidc_issuer) or not settings.production
    return resident_render(request, "resident_signin.html", next=safe_next(next),
                           test_idp=uses_test_idp(request), configured=configured,
                           status_code=200 if configured else 503)


def _failure(request: Request, reason: str, status: int = 400) -> Response:
    address = client_address(request)
    throttle(request).failed(THROTTLE_KEY, address)
    audit.record(request.app.state.engine, "resident:-", audit.SIGN_IN_FAILED, "asiointi",
                 reason[:300])
    response = resident_render(request, "resident_error.html", status_code=status,
                               title=i18n.N_("Identification failed"),
                               message=i18n.N_("The identification did not succeed. "
                                               "Try again."), detail=reason)
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)
    return response


def _throttled(request: Request) -> Response | None:
    wait = throttle(request).retry_after(THROTTLE_KEY, client_address(request))
    if not wait:
        return None
    response = resident_render(request, "resident_error.html", status_code=429,
                               title=i18n.N_("Too many attempts"),
                               message=i18n.N_("Wait a moment and try again."),
                               detail=f"{wait} s")
    response.headers["Retry-After"] = str(wait)
    return response


@router.get("/tunnistaudu/aloita")
async def start(request: Request, next: str | None = None) -> Response:  # noqa: A002
    slow = _throttled(request)
    if slow is not None:
        return slow
    try:
        prov = provider(request)
    except NotConfigured:
        return resident_render(request, "resident_signin.html", status_code=503,
                               next=PREFIX + "/", test_idp=False, configured=False)
    state, nonce, verifier = oidc.begin_values()
    lang = resident_language(request)
    uri = redirect_uri(request)
    try:
        target = await prov.authorize_url(uri, state, nonce, verifier, lang)
    except oidc.IdentificationError as exc:
        return _failure(request, str(exc), 502)
    pending = store.PendingSignIn(nonce, verifier, uri, safe_next(next), lang)
    await run_in_threadpool(store.remember_sign_in, request.app.state.engine, state,
                            pending, clock(request))
    response = RedirectResponse(target, status_code=303)
    _cookie(response, request, SIGN_IN_COOKIE, state, SIGN_IN_PATH, 600)
    return response


def _sign_in_person(request: Request, identity: oidc.Identity, synthetic_only: bool,
                    language: str) -> tuple[int, str]:
    engine = request.app.state.engine
    with Session(engine) as session, session.begin():
        person = register_person(session, identity.hetu, name=identity.name,
                                 language=language, synthetic_only=synthetic_only,
                                 now=clock(request))
        if identity.name and not person.name:
            person.name = identity.name
        return person.id, person.person_id


@router.get("/tunnistaudu/paluu")
async def callback(request: Request, code: str | None = None, state: str | None = None,
                   error: str | None = None) -> Response:
    slow = _throttled(request)
    if slow is not None:
        return slow
    cookie_state = request.cookies.get(SIGN_IN_COOKIE)
    if not state or not cookie_state or state != cookie_state:
        return _failure(request, "state does not match this browser's identification")
    engine = request.app.state.engine
    pending = await run_in_threadpool(store.take_sign_in, engine, state, clock(request))
    if pending is None:
        return _failure(request, "identification unknown, already used or expired")
    if error:
        return _failure(request, f"the identity provider answered {error[:60]}")
    if not code:
        return _failure(request, "no authorisation code")
    try:
        prov = provider(request)
        claims = await prov.exchange(code, pending.redirect_uri, pending.code_verifier,
                                     pending.nonce)
        identity = oidc.identity_of(claims)
    except NotConfigured:
        return _failure(request, "no identity provider configured", 503)
    except oidc.IdentificationError as exc:
        return _failure(request, str(exc))
    test = prov.transport is not None
    try:
        person_pk, person_id = await run_in_threadpool(
            _sign_in_person, request, identity, test, pending.language)
    except InvalidInput as exc:
        return _failure(request, str(exc))
    address = client_address(request)
    throttle(request).succeeded(THROTTLE_KEY, address)
    old = request.cookies.get(RESIDENT_COOKIE)
    if old:
        await run_in_threadpool(store.end, engine, old, store.SIGNED_OUT, clock(request))
    token = await run_in_threadpool(store.start, engine, person_pk, address=address,
                                    issuer=identity.issuer, now=clock(request))
    audit.record(engine, f"resident:{person_id}", audit.SIGN_IN, "asiointi",
                 f"issuer={identity.issuer}; test={test}")
    response = RedirectResponse(pending.next_path or PREFIX + "/", status_code=303)
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)
    _cookie(response, request, RESIDENT_COOKIE, token, PREFIX,
            int(request.app.state.settings.resident_session_max_hours * 3600))
    return response


@router.post("/kirjaudu-ulos", dependencies=[ResidentCsrf])
def sign_out(request: Request) -> Response:
    token = request.cookies.get(RESIDENT_COOKIE)
    resident = current_resident_or_none(request)
    store.end(request.app.state.engine, token, store.SIGNED_OUT, clock(request))
    if resident is not None:
        audit.record(request.app.state.engine, f"resident:{resident.person_id}",
                     audit.SIGN_OUT, "asiointi")
    response = RedirectResponse(PREFIX + "/?signed_out=1", status_code=303)
    response.delete_cookie(RESIDENT_COOKIE, path=PREFIX)
    return response


@router.get("/kieli")
def language(request: Request, lang: str = "fi", next: str | None = None  # noqa: A002
             ) -> Response:
    """Choose the language (a cookie of the resident pages); back to ``next``."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in i18n.LANGUAGES:
        _cookie(response, request, LANG_COOKIE, lang, PREFIX, 365 * 86400)
    return response
