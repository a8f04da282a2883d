"""The FHIR API's OAuth2 token endpoint (client credentials) and its SMART configuration
(docs/fhir.md, "Tokens"); the grant itself is :mod:`sotekeskus.interop.fhir.oauth`.

``POST /fhir/auth/token`` (``application/x-www-form-urlencoded``): ``grant_type=
client_credentials``, optional ``scope``; the client authenticates with HTTP Basic
(``client_id:client_secret``) or the form fields ``client_id`` and ``client_secret``.
Answers RFC 6749 JSON: ``access_token``, ``token_type`` bearer, ``expires_in``, ``scope``;
errors ``{"error": …, "error_description": …}`` (400, or 401 for ``invalid_client``).
Every issue and refusal is in the audit log. ``GET /fhir/.well-known/smart-configuration``
advertises the endpoint.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from sotekeskus.interop.fhir.clients import SCOPE_TYPES
from sotekeskus.web.api.fhir_common import base_url

router = APIRouter()
TOKEN_PATH = "/auth/token"
DEFAULT_MINUTES = 15.0
#: Resource types the API creates or changes (the write scopes that mean something).
WRITABLE = ("Appointment", "QuestionnaireResponse")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def token_url(request: Request) -> str:
    return base_url(request) + TOKEN_PATH


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="fhir"'
    return JSONResponse({"error": error, "error_description": description},
                        status_code=status, headers=headers)


def _credentials(request: Request, form: dict[str, str]) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        name, sep, secret = decoded.partition(":")
        return (unquote_plus(name), unquote_plus(secret)) if sep else None
    if form.get("client_id") and form.get("client_secret"):
        return form["client_id"], form["client_secret"]
    return None


def _issue(request: Request, raw: bytes) -> JSONResponse:
    from sotekeskus.interop.fhir.oauth import OAuthError, issue_token
    from sotekeskus.store import audit

    if len(raw) > 8000:
        return _oauth_error("invalid_request", "the request is too long")
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        return _oauth_error("invalid_request", "send application/x-www-form-urlencoded")
    try:
        form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        return _oauth_error("invalid_request", "the form is not UTF-8")
    if form.get("grant_type") != "client_credentials":
        return _oauth_error("unsupported_grant_type", "grant_type: only client_credentials "
                            "is supported")
    credentials = _credentials(request, form)
    if credentials is None:
        return _oauth_error("invalid_client", "client authentication is required (HTTP "
                            "Basic, or client_id and client_secret)", 401)
    engine = request.app.state.engine
    settings = getattr(request.app.state, "settings", None)
    minutes = float(getattr(settings, "api_token_minutes", DEFAULT_MINUTES))
    actor = f"api:{credentials[0][:90]}"
    try:
        issued = issue_token(engine, credentials[0], credentials[1], form.get("scope", ""),
                             minutes=minutes)
    except OAuthError as exc:
        audit.record(engine, actor, audit.DENIED, "fhir:auth/token", f"{exc.error}: {exc}")
        return _oauth_error(exc.error, str(exc), exc.status)
    audit.record(engine, actor, audit.SIGN_IN, "fhir:auth/token",
                 f"client_credentials; scope={issued.scope}; expires_in={issued.expires_in}")
    return JSONResponse({"access_token": issued.access_token, "token_type": "bearer",
                         "expires_in": issued.expires_in, "scope": issued.scope},
                        headers=NO_STORE)


@router.post(TOKEN_PATH)
async def token(request: Request) -> JSONResponse:
    return await run_in_threadpool(_issue, request, await request.body())


@router.get("/.well-known/smart-configuration")
def smart_configuration(request: Request) -> JSONResponse:
    scopes = [f"system/{t}.read" for t in SCOPE_TYPES] + [
        f"system/{t}.write" for t in WRITABLE]
    return JSONResponse({
        "token_endpoint": token_url(request),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                  "client_secret_post"],
        "scopes_supported": scopes,
        "capabilities": ["client-confidential-symmetric", "permission-v1"],
    })
