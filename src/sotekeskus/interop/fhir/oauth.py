"""OAuth2 **client credentials** for the FHIR API (RFC 6749 §4.4; SMART Backend Services
style scopes), beside the static scoped tokens of :mod:`sotekeskus.interop.fhir.clients`.

* An API client gets a **client secret** (``sotekeskus api-clients secret NAME``): shown
  once, stored as an argon2 hash (``api_client_secrets``); setting it again replaces it.
* ``POST /fhir/auth/token`` with ``grant_type=client_credentials``, the client id (the
  client's name) and secret (HTTP Basic or form fields) and an optional ``scope``: every
  requested scope must be covered by the client's scopes (``system/*.read`` covers
  ``system/Patient.read``); no ``scope`` grants all of the client's scopes.
* The **access token** lives ``api_token_minutes`` (a setting, default 15); only its
  SHA-256 is stored (``api_access_tokens``) with the granted scopes. It stops working when
  it expires or the client is revoked (every request checks both).

Errors are :class:`OAuthError` with the RFC 6749 ``error`` code, a description and the HTTP
status (401 ``invalid_client``, 400 otherwise).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sotekeskus.interop.fhir.clients import Client, ClientError, check_scopes, client_from_row

if TYPE_CHECKING:
    from sqlalchemy import Engine

_hasher = PasswordHasher()
#: A hash verified when the client is unknown, so that a wrong name costs the same time.
_DUMMY = _hasher.hash("no-such-client")


class OAuthError(ValueError):
    """A token request refused; ``error`` is the RFC 6749 code."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status


@dataclass(frozen=True)
class Issued:
    access_token: str
    expires_in: int  # seconds
    scope: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_secret(engine: Engine, name: str, *, now: datetime | None = None) -> str:
    """Give the active client ``name`` a new client secret (replacing any earlier one);
    returns it (shown once, only its argon2 hash is kept)."""
    from sqlalchemy import delete, select

    from sotekeskus.store.models import ApiClient, ApiClientSecret

    secret = "cs_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        client_id = conn.execute(select(ApiClient.id).where(
            ApiClient.name == name, ApiClient.revoked_at.is_(None))).scalar()
        if client_id is None:
            raise ClientError(f"no active client named {name!r}")
        conn.execute(delete(ApiClientSecret).where(ApiClientSecret.client_id == client_id))
        conn.execute(ApiClientSecret.__table__.insert().values(
            client_id=client_id, secret_hash=_hasher.hash(secret),
            created_at=(now or datetime.now()).replace(microsecond=0)))
    return secret


def _granted(client: Client, requested: str) -> frozenset[str]:
    wanted = requested.split()
    if not wanted:
        return client.scopes
    try:
        parsed = check_scopes(wanted)
    except ClientError as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    for scope in sorted(parsed):
        kind, _, mode = scope.removeprefix("system/").partition(".")
        covered = (client.allows(kind, mode) if "*" not in (kind, mode)
                   else scope in client.scopes or "system/*.*" in client.scopes)
        if not covered:
            raise OAuthError("invalid_scope", f"scope {scope!r} is not among the client's "
                             f"scopes ({' '.join(sorted(client.scopes))})")
    return parsed


def issue_token(engine: Engine, client_name: str, secret: str, scope: str, *,
                minutes: float, now: datetime | None = None) -> Issued:
    """The client-credentials grant: check the client and its secret, grant the requested
    scopes (a subset of the client's) and issue a bearer token valid for ``minutes``."""
    from sqlalchemy import delete, select

    from sotekeskus.store.models import ApiAccessToken, ApiClient, ApiClientSecret

    now = (now or datetime.now()).replace(microsecond=0)
    with engine.connect() as conn:
        row = conn.execute(select(ApiClient, ApiClientSecret.secret_hash).join(
            ApiClientSecret, ApiClientSecret.client_id == ApiClient.id).where(
            ApiClient.name == client_name[:100], ApiClient.revoked_at.is_(None))).first()
    stored = row.secret_hash if row is not None else _DUMMY
    try:
        ok = _hasher.verify(stored, secret[:200]) and row is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise OAuthError("invalid_client", "unknown client, revoked client, no client secret "
                         "set, or wrong secret", 401)
    client = client_from_row(row)
    granted = _granted(client, scope)
    token = "at_" + secrets.token_urlsafe(32)
    lifetime = timedelta(minutes=minutes)
    with engine.begin() as conn:
        conn.execute(delete(ApiAccessToken).where(
            ApiAccessToken.expires_at < now - timedelta(days=1)))  # keep the table small
        conn.execute(ApiAccessToken.__table__.insert().values(
            client_id=client.id, token_sha256=_digest(token), scopes=" ".join(sorted(granted)),
            issued_at=now, expires_at=now + lifetime))
    return Issued(token, int(lifetime.total_seconds()), " ".join(sorted(granted)))


def authenticate_access_token(engine: Engine, token: str, *,
                              now: datetime | None = None) -> Client | None:
    """The client of an unexpired access token whose client is not revoked, carrying the
    token's granted scopes; None otherwise."""
    from sqlalchemy import select

    from sotekeskus.store.models import ApiAccessToken, ApiClient

    if not token.startswith("at_") or len(token) > 200:
        return None
    now = now or datetime.now()
    with engine.connect() as conn:
        row = conn.execute(select(ApiClient, ApiAccessToken.scopes.label("granted")).join(
            ApiAccessToken, ApiAccessToken.client_id == ApiClient.id).where(
            ApiAccessToken.token_sha256 == _digest(token), ApiAccessToken.expires_at > now,
            ApiClient.revoked_at.is_(None))).first()
    if row is None:
        return None
    client = client_from_row(row)
    return Client(client.id, client.name, client.role, client.units,
                  frozenset(row.granted.split()))
