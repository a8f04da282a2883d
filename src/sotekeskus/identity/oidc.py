"""OpenID Connect relying party for residents' strong identification (Suomi.fi
e-Identification speaks OpenID Connect; so does the built-in test provider).

The flow (authorisation code with PKCE):

1. :func:`begin` makes a fresh ``state`` (binds the browser, CSRF for the callback), a
   ``nonce`` (binds the ID token to this sign-in) and a PKCE ``code_verifier`` whose
   S256 ``code_challenge`` goes to the provider's authorisation endpoint;
2. the provider sends the browser back with ``code`` and ``state``;
3. :meth:`Provider.exchange` sends the code and the verifier to the token endpoint (client
   authentication ``private_key_jwt`` — RFC 7523, as Suomi.fi requires — when a client key
   is configured, else ``client_secret_post``) and :func:`verify_id_token` checks the
   ID token: signature against the provider's JWKS (RS256/ES256 only, never ``none`` or
   HMAC), ``iss`` = the issuer, ``aud`` contains the client id (``azp`` too when several),
   ``exp`` in the future (60 s leeway), ``iat`` present, ``nonce`` = ours;
4. :func:`identity_of` reads the personal identity code from the claims — Suomi.fi sends it
   as ``urn:oid:1.2.246.21`` (friendly name ``nationalIdentificationNumber``), in the ID
   token or from the userinfo endpoint (JSON, a signed JWT, or a signed JWT encrypted to the
   client key, as Suomi.fi sends it) — and the name (``name``, ``urn:oid:2.5.4.3`` cn, or
   given and family names).

Every failure is an :class:`IdentificationError` naming the check that failed (never the
personal identity code).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

#: Claim names of the personal identity code (Suomi.fi: OID first, then the friendly name).
HETU_CLAIMS = ("urn:oid:1.2.246.21", "nationalIdentificationNumber")
NAME_CLAIMS = ("name", "urn:oid:2.5.4.3", "cn", "urn:oid:2.16.840.1.113730.3.1.241")
GIVEN_NAME_CLAIMS = ("given_name", "urn:oid:2.5.4.42", "firstName")
FAMILY_NAME_CLAIMS = ("family_name", "urn:oid:2.5.4.4", "sn")
ALLOWED_ALGS = ("RS256", "ES256", "PS256")
LEEWAY_SECONDS = 60
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class IdentificationError(Exception):
    """The identification failed; the message says which check (no personal data)."""


@dataclass(frozen=True, slots=True)
class Started:
    """What :func:`begin` made: the values to keep server-side and the redirect target."""

    state: str
    nonce: str
    code_verifier: str
    authorize_url: str


@dataclass(frozen=True, slots=True)
class Identity:
    hetu: str
    name: str
    subject: str
    issuer: str


def code_challenge(verifier: str) -> str:
    """PKCE S256: BASE64URL(SHA256(ASCII(code_verifier))) without padding (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class Provider:
    """One OpenID Connect provider as the relying party sees it.

    ``issuer`` is the provider's identifier (its discovery document lives under
    ``{issuer}/.well-known/openid-configuration``); ``transport`` lets the in-process test
    provider be reached through :class:`httpx.ASGITransport` (same protocol, no network)."""

    issuer: str
    client_id: str
    client_secret: str | None
    transport: httpx.AsyncBaseTransport | None = None
    timeout: float = 10.0
    client_key: RSAKey | None = None  # private_key_jwt and encrypted userinfo
    _metadata: dict[str, Any] | None = None
    _jwks: KeySet | None = None

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=self.timeout)

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            async with self._client() as client:
                try:
                    response = await client.get(url)
                    response.raise_for_status()
                    data = response.json()
                except (httpx.HTTPError, ValueError) as exc:
                    raise IdentificationError(f"discovery: cannot read {url}: {exc}") from None
            if not isinstance(data, dict) or data.get("issuer") != self.issuer:
                raise IdentificationError("discovery: the document names another issuer")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(data.get(key), str):
                    raise IdentificationError(f"discovery: {key} missing")
            self._metadata = data
        return self._metadata

    async def jwks(self, refresh: bool = False) -> KeySet:
        if self._jwks is None or refresh:
            meta = await self.metadata()
            async with self._client() as client:
                try:
                    response = await client.get(meta["jwks_uri"])
                    response.raise_for_status()
                    self._jwks = KeySet.import_key_set(response.json())
                except (httpx.HTTPError, ValueError, JoseError) as exc:
                    raise IdentificationError(f"jwks: cannot read the keys: {exc}") from None
        return self._jwks

    async def authorize_url(self, redirect_uri: str, state: str, nonce: str,
                            verifier: str, language: str) -> str:
        meta = await self.metadata()
        params = {"response_type": "code", "client_id": self.client_id,
                  "redirect_uri": redirect_uri, "scope": "openid profile personal_identity_code",
                  "state": state, "nonce": nonce, "code_challenge": code_challenge(verifier),
                  "code_challenge_method": "S256", "ui_locales": language}
        return str(httpx.URL(meta["authorization_endpoint"], params=params))

    async def exchange(self, code: str, redirect_uri: str, verifier: str,
                       nonce: str) -> dict[str, Any]:
        """The verified claims of the ID token (merged with userinfo when it has any)."""
        meta = await self.metadata()
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri, "code_verifier": verifier,
                "client_id": self.client_id}
        if self.client_key is not None:
            form["client_assertion_type"] = CLIENT_ASSERTION_TYPE
            form["client_assertion"] = client_assertion(self.client_key, self.client_id,
                                                        meta["token_endpoint"])
        elif self.client_secret:
            form["client_secret"] = self.client_secret
        async with self._client() as client:
            try:
                response = await client.post(meta["token_endpoint"], data=form,
                                             headers={"Accept": "application/json"})
                body = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise IdentificationError(f"token: the token endpoint failed: {exc}") from None
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise IdentificationError(f"token: refused ({error or response.status_code})")
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise IdentificationError("token: no id_token in the response")
        try:
            claims = verify_id_token(id_token, await self.jwks(), issuer=self.issuer,
                                     client_id=self.client_id, nonce=nonce)
        except IdentificationError as exc:
            if "signature" not in str(exc):
                raise
            claims = verify_id_token(id_token, await self.jwks(refresh=True),  # key rotation
                                     issuer=self.issuer, client_id=self.client_id, nonce=nonce)
        if not any(c in claims for c in HETU_CLAIMS) and meta.get("userinfo_endpoint") \
                and isinstance(body.get("access_token"), str):
            claims = {**await self._userinfo(meta["userinfo_endpoint"], body["access_token"],
                                             claims), **claims}
        return claims

    async def _userinfo(self, url: str, access_token: str,
                        id_claims: dict[str, Any]) -> dict[str, Any]:
        async with self._client() as client:
            try:
                response = await client.get(url, headers={
                    "Authorization": f"Bearer {access_token}"})
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise IdentificationError(f"userinfo: failed: {exc}") from None
        if response.headers.get("content-type", "").startswith("application/jwt"):
            token = response.text.strip()
            if token.count(".") == 4:  # JWE: encrypted to our key, a signed JWT inside
                token = decrypt(token, self.client_key)
            info = verify_signed(token, await self.jwks())
        else:
            try:
                info = response.json()
            except ValueError:
                raise IdentificationError("userinfo: not JSON") from None
        if not isinstance(info, dict) or info.get("sub") != id_claims.get("sub"):
            raise IdentificationError("userinfo: the subject differs from the ID token's")
        return info


def client_assertion(key: RSAKey, client_id: str, token_endpoint: str,
                     now: float | None = None) -> str:
    """RFC 7523 client authentication: a JWT signed with the client's key whose ``iss`` and
    ``sub`` are the client id and whose ``aud`` is the token endpoint; valid 60 s, one
    ``jti``."""
    now = time.time() if now is None else now
    claims = {"iss": client_id, "sub": client_id, "aud": token_endpoint,
              "jti": secrets.token_urlsafe(24), "iat": int(now), "exp": int(now) + 60}
    header = {"alg": "RS256", **({"kid": key.kid} if key.kid else {})}
    return jwt.encode(header, claims, key)


def decrypt(token: str, key: RSAKey | None) -> str:
    """The plaintext (a signed JWT) of a compact JWE encrypted to the client key."""
    if key is None:
        raise IdentificationError("userinfo: encrypted, but no client key is configured")
    try:
        return jwe.decrypt_compact(token, key).plaintext.decode("utf-8")  # type: ignore[union-attr]
    except (JoseError, ValueError, UnicodeDecodeError) as exc:
        raise IdentificationError(f"userinfo: cannot decrypt ({exc})") from None


def load_client_key(path: str) -> RSAKey:
    """The client's private RSA key from a PEM or JWK (JSON) file."""
    import json
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else text
        return RSAKey.import_key(data)
    except (ValueError, JoseError) as exc:
        raise IdentificationError(f"client key {path}: not an RSA private key ({exc})") from None


def verify_signed(token: str, keys: KeySet) -> dict[str, Any]:
    try:
        decoded = jwt.decode(token, keys, algorithms=list(ALLOWED_ALGS))
    except (JoseError, ValueError) as exc:
        raise IdentificationError(f"id_token: bad signature or format ({exc})") from None
    return dict(decoded.claims)


def verify_id_token(token: str, keys: KeySet, *, issuer: str, client_id: str, nonce: str,
                    now: float | None = None) -> dict[str, Any]:
    """The claims of a valid ID token, else :class:`IdentificationError` naming the check."""
    claims = verify_signed(token, keys)
    now = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise IdentificationError("id_token: iss is not the configured issuer")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise IdentificationError("id_token: aud does not name this client")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise IdentificationError("id_token: several audiences and azp is not this client")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp + LEEWAY_SECONDS < now:
        raise IdentificationError("id_token: expired (exp)")
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or iat - LEEWAY_SECONDS > now:
        raise IdentificationError("id_token: iat missing or in the future")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
            claims["nonce"], nonce):
        raise IdentificationError("id_token: nonce does not match this sign-in")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise IdentificationError("id_token: sub missing")
    return claims


def _first(claims: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def identity_of(claims: dict[str, Any]) -> Identity:
    """The personal identity code and name from verified claims."""
    hetu = _first(claims, HETU_CLAIMS)
    if not hetu:
        raise IdentificationError("claims: no personal identity code ("
                                  + " / ".join(HETU_CLAIMS) + ")")
    name = _first(claims, NAME_CLAIMS) or " ".join(
        p for p in (_first(claims, GIVEN_NAME_CLAIMS), _first(claims, FAMILY_NAME_CLAIMS)) if p)
    return Identity(hetu, name[:200], str(claims.get("sub", "")), str(claims.get("iss", "")))


def begin_values() -> tuple[str, str, str]:
    """A fresh ``state``, ``nonce`` and PKCE ``code_verifier`` (43 characters each)."""
    return secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
