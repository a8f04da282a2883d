"""Clients of the FHIR API: scoped bearer tokens.

A client has a name, a **role** and **units** — it is an :class:`Actor` of the one access
policy like a staff account, so the API can never show more than that role may see — and
SMART-style **scopes** naming what the API itself lets it touch: ``system/<Type>.read`` or
``.write`` (``*`` for any type). The token is shown once when the client is created; only its
SHA-256 is stored. A revoked client's token stops working at once. Short-lived access tokens
from the OAuth2 client-credentials endpoint (:mod:`sotekeskus.interop.fhir.oauth`) are
accepted beside the static token, and end with the client's revocation too.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sotekeskus.domain.access_policy import STAFF_ROLES, Actor, Role

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Resource types the API serves, for scopes.
SCOPE_TYPES = ("Patient", "Task", "Appointment", "QuestionnaireResponse", "Questionnaire",
               "Organization", "Location", "EpisodeOfCare", "Encounter", "MeasureReport",
               "Schedule", "Slot", "Practitioner", "PractitionerRole", "HealthcareService",
               "Communication", "AuditEvent", "*")
_SCOPE = re.compile(r"system/(" + "|".join(re.escape(t) for t in SCOPE_TYPES)
                    + r")\.(read|write|\*)")


class ClientError(ValueError):
    """A client cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    role: Role
    units: frozenset[str]
    scopes: frozenset[str]
    revoked: bool = False

    @property
    def actor(self) -> Actor:
        return Actor(f"api:{self.name}", self.role, self.units)

    def allows(self, resource_type: str, mode: str) -> bool:
        """Whether a scope grants ``mode`` (read / write) on ``resource_type``."""
        return any(f"system/{t}.{m}" in self.scopes
                   for t in (resource_type, "*") for m in (mode, "*"))


def check_scopes(scopes: list[str]) -> frozenset[str]:
    bad = [s for s in scopes if not _SCOPE.fullmatch(s)]
    if bad:
        raise ClientError(f"scope {bad[0]!r}: use system/<type>.<read|write|*> with a type of "
                          + ", ".join(SCOPE_TYPES))
    if not scopes:
        raise ClientError("at least one scope is required")
    return frozenset(scopes)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_client(engine: Engine, name: str, role: str, units: list[str],
                  scopes: list[str]) -> tuple[Client, str]:
    """Create a client; returns it and its token (shown once, never stored)."""
    from sqlalchemy import select

    from sotekeskus.store.models import ApiClient, Unit

    name = name.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,100}", name):
        raise ClientError(f"name {name!r}: 1–100 letters, digits, _ . -")
    try:
        parsed_role = Role(role)
    except ValueError:
        raise ClientError(f"role {role!r}: use one of "
                          + ", ".join(r.value for r in STAFF_ROLES)) from None
    if parsed_role not in STAFF_ROLES:
        raise ClientError(f"role {role!r}: use one of " + ", ".join(r.value for r in STAFF_ROLES))
    granted = check_scopes(scopes)
    token = "sk_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        known = set(conn.execute(select(Unit.unit_id)).scalars())
        unknown = sorted(set(units) - known)
        if unknown:
            raise ClientError(f"unit {unknown[0]!r} is not a unit of the store")
        if conn.execute(select(ApiClient.id).where(ApiClient.name == name)).first():
            raise ClientError(f"a client named {name!r} exists already")
        row = conn.execute(ApiClient.__table__.insert().values(
            name=name, token_sha256=_digest(token), role=parsed_role.value,
            units=",".join(sorted(set(units))), scopes=" ".join(sorted(granted)),
            created_at=datetime.now().replace(microsecond=0)).returning(ApiClient.id))
        client_id = int(row.scalar_one())
    return Client(client_id, name, parsed_role, frozenset(units), granted), token


def client_from_row(row: object) -> Client:
    """A :class:`Client` from an ``api_clients`` row."""
    return Client(row.id, row.name, Role(row.role),  # type: ignore[attr-defined]
                  frozenset(u for u in row.units.split(",") if u),  # type: ignore[attr-defined]
                  frozenset(row.scopes.split()),  # type: ignore[attr-defined]
                  row.revoked_at is not None)  # type: ignore[attr-defined]


def authenticate(engine: Engine, token: str) -> Client | None:
    """The active client holding ``token`` (its static token, or an unexpired access token
    from the token endpoint: :mod:`sotekeskus.interop.fhir.oauth`), or None."""
    from sqlalchemy import select

    from sotekeskus.interop.fhir.oauth import authenticate_access_token
    from sotekeskus.store.models import ApiClient

    if not token or len(token) > 200:
        return None
    if token.startswith("at_"):
        return authenticate_access_token(engine, token)
    with engine.connect() as conn:
        row = conn.execute(select(ApiClient).where(
            ApiClient.token_sha256 == _digest(token), ApiClient.revoked_at.is_(None))).first()
    return client_from_row(row) if row is not None else None


def list_clients(engine: Engine) -> list[Client]:
    from sqlalchemy import select

    from sotekeskus.store.models import ApiClient

    with engine.connect() as conn:
        return [client_from_row(r)
                for r in conn.execute(select(ApiClient).order_by(ApiClient.name))]


def revoke_client(engine: Engine, name: str) -> None:
    from sqlalchemy import update

    from sotekeskus.store.models import ApiClient

    with engine.begin() as conn:
        done = conn.execute(update(ApiClient).where(ApiClient.name == name,
                                                    ApiClient.revoked_at.is_(None))
                            .values(revoked_at=datetime.now().replace(microsecond=0)))
    if not done.rowcount:
        raise ClientError(f"no active client named {name!r}")
