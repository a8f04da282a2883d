"""A local **test** OpenID Connect identity provider for the demo and the tests.

It speaks the same protocol as Suomi.fi e-Identification's OpenID Connect interface
(discovery, authorisation code flow with PKCE S256, RS256-signed ID tokens, JWKS) and sends
the personal identity code as the claim ``urn:oid:1.2.246.21``. Instead of identifying
anyone it lets one **pick a synthetic resident**: only codes with individual number
900–999 (test identities, never a real person) are accepted, validated by
:func:`sotekeskus.domain.workflow.hetu.parse_hetu`.

It refuses every request when the settings say ``production`` (:func:`create_test_idp`
returns an app answering 404), and every page says it is a test provider.

* ``GET /.well-known/openid-configuration``, ``GET /jwks``;
* ``GET /authorize``: checks the request (client, redirect URI on this host, S256
  challenge, state, nonce) and shows the picker; ``POST /authorize`` issues a one-time
  code (60 s) bound to the client, the redirect URI, the nonce and the challenge;
* ``POST /token``: checks the client (``client_secret_post`` or basic), the code, the
  redirect URI and the PKCE ``code_verifier``; answers an ID token (10 min).

The signing key (RSA 2048) is kept in the store's meta table, so every process of one
deployment signs with the same key. Codes live in the process's memory (one process).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sotekeskus.domain.workflow.hetu import HetuError, parse_hetu
from sotekeskus.identity.oidc import code_challenge
from sotekeskus.store.models import Meta, Person

MOUNT = "/test-idp"
CALLBACK_PATH = "/asiointi/tunnistaudu/paluu"
CODE_TTL = 60.0
TOKEN_TTL = 600
KEY_META = "test_idp_signing_key"
HETU_CLAIM = "urn:oid:1.2.246.21"


@dataclass(frozen=True, slots=True)
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    hetu: str
    name: str
    issued: float


def signing_key(engine: Engine) -> RSAKey:
    """The provider's RSA key, created once per store."""
    with Session(engine) as session, session.begin():
        row = session.get(Meta, KEY_META)
        if row is None:
            key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8),
                                                        "use": "sig", "alg": "RS256"})
            import json

            row = Meta(key=KEY_META, value=json.dumps(key.as_dict(private=True)))
            session.add(row)
        import json

        return RSAKey.import_key(json.loads(row.value))


def _issuer(request: Request) -> str:
    """``{scheme}://{host}/test-idp``: the provider's identifier, from the request's host."""
    base = str(request.base_url).rstrip("/")
    return base if base.endswith(MOUNT) else base + MOUNT


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} – TEST identity provider</title>
<link rel="stylesheet" href="/static/resident/resident.css"></head>
<body><main id="main" class="idp">
<p class="test-banner" role="note"><strong>TEST identity provider — not a real
identification.</strong> Synthetic residents only (individual numbers 900–999).
Testitunnistus — ei oikea tunnistus. Testidentifiering — inte en riktig identifiering.</p>
<h1>{html.escape(title)}</h1>{body}</main></body></html>""", status_code=status)


def create_test_idp(engine: Engine, *, client_id: str, client_secret: str | None,
                    production: bool, clock: Callable[[], float] = time.time) -> Starlette:
    """The provider as an ASGI app (mounted at :data:`MOUNT`)."""
    if production:
        async def refused(request: Request) -> Response:
            return JSONResponse({"error": "the test identity provider is disabled in "
                                 "production"}, status_code=404)
        return Starlette(routes=[Route("/{rest:path}", refused, methods=["GET", "POST"])])

    key_holder: list[RSAKey] = []
    grants: dict[str, _Grant] = {}
    lock = threading.Lock()

    def key() -> RSAKey:
        if not key_holder:
            key_holder.append(signing_key(engine))
        return key_holder[0]

    async def discovery(request: Request) -> Response:
        issuer = _issuer(request)
        return JSONResponse({
            "issuer": issuer, "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token", "jwks_uri": issuer + "/jwks",
            "response_types_supported": ["code"], "grant_types_supported":
            ["authorization_code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic"],
            "claims_supported": ["sub", "name", "given_name", "family_name", HETU_CLAIM],
            "scopes_supported": ["openid", "profile", "personal_identity_code"],
            "ui_locales_supported": ["fi", "sv", "en"]})

    async def jwks(request: Request) -> Response:
        return JSONResponse({"keys": [key().as_dict(private=False)]})

    def _check_authorize(request: Request, params: Any) -> str | None:
        """Why the authorisation request is refused, or None."""
        if params.get("response_type") != "code":
            return "response_type must be code"
        if params.get("client_id") != client_id:
            return "unknown client_id"
        redirect = params.get("redirect_uri") or ""
        parts, own = urlsplit(redirect), urlsplit(_issuer(request))
        if (parts.scheme, parts.netloc, parts.path) != (own.scheme, own.netloc, CALLBACK_PATH):
            return f"redirect_uri must be {own.scheme}://{own.netloc}{CALLBACK_PATH}"
        if params.get("code_challenge_method") != "S256" or len(
                params.get("code_challenge") or "") != 43:
            return "PKCE with code_challenge_method=S256 is required"
        if not params.get("state") or not params.get("nonce"):
            return "state and nonce are required"
        if "openid" not in (params.get("scope") or "").split():
            return "scope must include openid"
        return None

    _carry = ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
              "code_challenge", "code_challenge_method", "ui_locales")

    def _synthetic(limit: int = 30) -> list[tuple[str, str]]:
        with Session(engine) as session:  # individual numbers 9xx: character 8
            rows = session.execute(select(Person.hetu, Person.name)
                                   .where(func.substr(Person.hetu, 8, 1) == "9")
                                   .order_by(Person.id).limit(limit * 2)).all()
        out = []
        for hetu, name in rows:
            try:
                if parse_hetu(hetu).is_test_identity:
                    out.append((hetu, name))
            except HetuError:
                continue
            if len(out) >= limit:
                break
        return out

    def _picker(request: Request, params: Any, error: str = "") -> Response:
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(params.get(k) or "")}">'
            for k in _carry)
        options = "".join(
            f'<li><button type="submit" name="hetu" value="{html.escape(h)}">'
            f'{html.escape(n or "—")} <span class="muted">{html.escape(h)}</span></button></li>'
            for h, n in _synthetic())
        err = (f'<p class="error" role="alert" id="idp-error">{html.escape(error)}</p>'
               if error else "")
        body = f"""{err}
<form method="post" action="{MOUNT}/authorize">{hidden}
<h2>Synthetic residents</h2>
<ul class="idp-people">{options or '<li>None in the store yet.</li>'}</ul>
</form>
<form method="post" action="{MOUNT}/authorize">{hidden}
<h2>Another test identity</h2>
<p><label for="idp-hetu">Personal identity code (individual number 900–999)</label>
<input id="idp-hetu" name="hetu" autocomplete="off" required
{' aria-describedby="idp-error" aria-invalid="true"' if error else ''}></p>
<p><label for="idp-name">Name</label> <input id="idp-name" name="name" autocomplete="off"></p>
<p><button type="submit">Identify</button></p></form>
<form method="post" action="{MOUNT}/authorize">{hidden}
<p><button type="submit" name="cancel" value="1">Cancel</button></p></form>"""
        return _page("Choose a test resident", body, 400 if error else 200)

    async def authorize(request: Request) -> Response:
        params: Any = request.query_params if request.method == "GET" else await request.form()
        problem = _check_authorize(request, params)
        if problem:  # never redirect to an unchecked redirect_uri
            return _page("Invalid identification request", f"<p>{html.escape(problem)}</p>",
                         400)
        redirect = params["redirect_uri"]
        if request.method == "GET":
            return _picker(request, params)
        if params.get("cancel"):
            return RedirectResponse(redirect + "?" + urlencode(
                {"error": "access_denied", "state": params["state"]}), status_code=303)
        try:
            parsed = parse_hetu(str(params.get("hetu") or ""))
        except HetuError as exc:
            return _picker(request, params, f"Personal identity code: {exc}")
        if not parsed.is_test_identity:
            return _picker(request, params, "Only test identities (individual number "
                                            "900–999) can be used here.")
        name = str(params.get("name") or "").strip()[:200]
        if not name:
            with Session(engine) as session:
                name = session.scalar(select(Person.name).where(
                    Person.hetu == parsed.code)) or "Test Resident"
        code = secrets.token_urlsafe(32)
        now = clock()
        with lock:
            for stale in [c for c, g in grants.items() if now - g.issued > CODE_TTL]:
                del grants[stale]
            grants[code] = _Grant(client_id, redirect, params["nonce"],
                                  params["code_challenge"], parsed.code, name, now)
        return RedirectResponse(redirect + "?" + urlencode(
            {"code": code, "state": params["state"]}), status_code=303)

    def _client_ok(request: Request, form: Any) -> bool:
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
        if cid != client_id:
            return False
        return client_secret is None or secrets.compare_digest(str(secret or ""),
                                                               client_secret)

    async def token(request: Request) -> Response:
        form = await request.form()

        def error(code: str, detail: str, status: int = 400) -> Response:
            return JSONResponse({"error": code, "error_description": detail},
                                status_code=status, headers={"Cache-Control": "no-store"})

        if form.get("grant_type") != "authorization_code":
            return error("unsupported_grant_type", "authorization_code only")
        if not _client_ok(request, form):
            return error("invalid_client", "unknown client or wrong secret", 401)
        with lock:
            grant = grants.pop(str(form.get("code") or ""), None)  # one use only
        if grant is None or clock() - grant.issued > CODE_TTL:
            return error("invalid_grant", "unknown, used or expired code")
        if form.get("redirect_uri") != grant.redirect_uri:
            return error("invalid_grant", "redirect_uri differs from the authorisation's")
        verifier = str(form.get("code_verifier") or "")
        if not 43 <= len(verifier) <= 128 or not secrets.compare_digest(
                code_challenge(verifier), grant.challenge):
            return error("invalid_grant", "PKCE code_verifier does not match")
        now = int(clock())
        issuer = _issuer(request)
        given, _, family = grant.name.partition(" ")
        claims = {"iss": issuer, "aud": grant.client_id, "sub": hashlib.sha256(
                  ("test-idp:" + grant.hetu).encode()).hexdigest()[:32],
                  "iat": now, "exp": now + TOKEN_TTL, "auth_time": int(grant.issued),
                  "nonce": grant.nonce, "acr": "http://ftn.ficora.fi/2017/loatest",
                  "name": grant.name, "given_name": given, "family_name": family,
                  HETU_CLAIM: grant.hetu}
        k = key()
        id_token = jwt.encode({"alg": "RS256", "kid": k.kid}, claims, k)
        return JSONResponse({"access_token": secrets.token_urlsafe(32), "token_type": "Bearer",
                             "expires_in": TOKEN_TTL, "id_token": id_token},
                            headers={"Cache-Control": "no-store"})

    return Starlette(routes=[
        Route("/.well-known/openid-configuration", discovery),
        Route("/jwks", jwks),
        Route("/authorize", authorize, methods=["GET", "POST"]),
        Route("/token", token, methods=["POST"]),
    ])
