"""Residents' server-side sessions, kept apart from staff sessions (``store.sessions``).

The resident cookie carries a random 256-bit token; the store keeps only its SHA-256
(``resident_sessions.id``), so a copy of the database hands out no valid cookie. A session
is valid while it has not ended (sign-out, lifetime) and

* saw a request within the **idle lifetime** (``Settings.resident_session_idle_minutes``),
* started within the **absolute lifetime** (``Settings.resident_session_max_hours``).

``last_seen_at`` is written at most once per :data:`TOUCH_INTERVAL` (60 s), so a resident's
page is not a session write: the idle lifetime counts from the last refresh, i.e. it is
exact to 60 s (a session may idle out up to 60 s early, never late). ``resolve(touch=False)``
(a live chat stream's re-check) never refreshes it: an open stream keeps no session alive.

Each session has its own CSRF token (``csrf``), which the resident's forms carry.
Identifications in progress (:class:`~sotekeskus.store.models.ResidentSignIn`) are kept
under the SHA-256 of the OpenID Connect ``state`` for :data:`SIGN_IN_TTL` and can be taken
once. Times are naive local times like the rest of the store; every function takes ``now``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from sotekeskus.store.models import Person, ResidentSession, ResidentSignIn
from sotekeskus.store.session_tokens import EXPIRED as EXPIRED
from sotekeskus.store.session_tokens import IDLE as IDLE
from sotekeskus.store.session_tokens import (
    RETENTION,
    due_touch,
    lifetime_end,
    new_token,
)
from sotekeskus.store.session_tokens import TOUCH_INTERVAL as TOUCH_INTERVAL
from sotekeskus.store.session_tokens import key_of as key_of
from sotekeskus.store.session_tokens import valid_token as _valid

SIGNED_OUT = "signed_out"
#: How long an identification in progress may take (authorize page → callback).
SIGN_IN_TTL = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Lifetimes:
    """Idle lifetime (since the last request) and absolute lifetime (since sign-in)."""

    idle: timedelta = timedelta(minutes=20)
    absolute: timedelta = timedelta(hours=4)


@dataclass(frozen=True, slots=True)
class ResidentSessionView:
    """The signed-in resident of a valid session."""

    person_pk: int
    person_id: str
    name: str
    language: str
    csrf: str


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_path: str
    language: str


def start(engine: Engine, person_pk: int, *, address: str = "", issuer: str = "",
          now: datetime | None = None) -> str:
    """A new session of the resident ``person_pk``; returns the cookie's token."""
    now = now or datetime.now()
    token = new_token()
    with Session(engine) as session, session.begin():
        session.execute(delete(ResidentSession)
                        .where(ResidentSession.created_at < now - RETENTION))
        session.add(ResidentSession(id=key_of(token), person_pk=person_pk,
                                    csrf=secrets.token_urlsafe(32), created_at=now,
                                    last_seen_at=now, address=address[:64],
                                    issuer=issuer[:300]))
    return token


def resolve(engine: Engine, token: object, lifetimes: Lifetimes,
            now: datetime | None = None, *, touch: bool = True) -> ResidentSessionView | None:
    """The resident of a valid token, else None (an expired session is ended)."""
    if not _valid(token):
        return None
    assert isinstance(token, str)
    now = now or datetime.now()
    with Session(engine) as session, session.begin():
        row = session.get(ResidentSession, key_of(token))
        if row is None or row.ended_at is not None:
            return None
        reason = lifetime_end(row.created_at, row.last_seen_at, lifetimes.idle,
                              lifetimes.absolute, now)
        if reason is not None:
            row.ended_at, row.end_reason = now, reason
            return None
        person = session.get(Person, row.person_pk)
        if person is None:
            return None
        if touch and due_touch(row.last_seen_at, now):
            row.last_seen_at = now
        return ResidentSessionView(person.id, person.person_id, person.name,
                                   person.language, row.csrf)


def end(engine: Engine, token: object, reason: str = SIGNED_OUT,
        now: datetime | None = None) -> bool:
    """End the session of ``token``; whether one was open."""
    if not _valid(token):
        return False
    assert isinstance(token, str)
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(ResidentSession)
            .where(ResidentSession.id == key_of(token), ResidentSession.ended_at.is_(None))
            .values(ended_at=now or datetime.now(), end_reason=reason))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def remember_sign_in(engine: Engine, state: str, pending: PendingSignIn,
                     now: datetime | None = None) -> None:
    """Keep an identification in progress under ``state`` (old ones are dropped)."""
    now = now or datetime.now()
    with Session(engine) as session, session.begin():
        session.execute(delete(ResidentSignIn)
                        .where(ResidentSignIn.created_at < now - SIGN_IN_TTL))
        session.add(ResidentSignIn(id=key_of(state), nonce=pending.nonce,
                                   code_verifier=pending.code_verifier,
                                   redirect_uri=pending.redirect_uri[:500],
                                   next_path=pending.next_path[:500],
                                   language=pending.language[:5], created_at=now))


def take_sign_in(engine: Engine, state: object, now: datetime | None = None
                 ) -> PendingSignIn | None:
    """The identification started with ``state`` (removed: it can be taken once), or None
    when unknown, already taken or older than :data:`SIGN_IN_TTL`."""
    if not _valid(state):
        return None
    assert isinstance(state, str)
    now = now or datetime.now()
    with Session(engine) as session, session.begin():
        row = session.get(ResidentSignIn, key_of(state))
        if row is None:
            return None
        taken = session.execute(delete(ResidentSignIn).where(ResidentSignIn.id == row.id))
        if taken.rowcount != 1 or now - row.created_at > SIGN_IN_TTL:  # type: ignore[attr-defined]
            return None
        return PendingSignIn(row.nonce, row.code_verifier, row.redirect_uri, row.next_path,
                             row.language)


def open_sessions(engine: Engine, person_pk: int) -> int:
    """How many sessions of ``person_pk`` have not ended (some may have run out)."""
    with Session(engine) as session:
        return len(session.scalars(select(ResidentSession.id).where(
            ResidentSession.person_pk == person_pk, ResidentSession.ended_at.is_(None))).all())
