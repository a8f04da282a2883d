"""Server-side sessions: sign-out, deactivation and lifetimes end a session for good.

The browser's signed session cookie carries only a random token (256 bits). The store keeps
the session under the token's SHA-256 (``user_sessions.id``), so a copy of the database
does not hand out valid cookies. A token is valid while its session

* has not ended (sign-out, deactivation of the user, password reset, lifetime);
* belongs to an active user;
* saw a request within the **idle lifetime** (``Settings.session_idle_minutes``), and
* started within the **absolute lifetime** (``Settings.session_max_hours``), however
  active it has been.

``last_seen_at`` is written at most once per :data:`TOUCH_INTERVAL` (not on every request),
so the idle lifetime is exact to within that interval. Rows older than
:data:`RETENTION` are deleted when a new session starts (sign-ins and sign-outs stay in the
audit log).
Times are naive local times like the rest of the store; every function takes ``now`` so
that tests can move the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from sotekeskus.store.models import User, UserSession
from sotekeskus.store.session_tokens import EXPIRED as EXPIRED
from sotekeskus.store.session_tokens import IDLE as IDLE
from sotekeskus.store.session_tokens import (
    RETENTION,
    due_touch,
    key_of,
    lifetime_end,
    new_token,
    valid_token,
)
from sotekeskus.store.session_tokens import TOUCH_INTERVAL as TOUCH_INTERVAL
from sotekeskus.store.users import (
    SESSIONS_DEACTIVATED,
    SESSIONS_PASSWORD_RESET,
    Account,
    end_sessions,
    to_account,
)

#: Why a session ended (``user_sessions.end_reason``).
SIGNED_OUT = "signed_out"
DEACTIVATED = SESSIONS_DEACTIVATED
PASSWORD_RESET = SESSIONS_PASSWORD_RESET


@dataclass(frozen=True, slots=True)
class Lifetimes:
    """Idle lifetime (since the last request) and absolute lifetime (since sign-in)."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)

    @classmethod
    def from_settings(cls, idle_minutes: float, max_hours: float) -> Lifetimes:
        return cls(timedelta(minutes=idle_minutes), timedelta(hours=max_hours))


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One session as the administration sees it (never the token)."""

    user_id: int
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    address: str


def start_session(engine: Engine, user_id: int, address: str = "",
                  now: datetime | None = None) -> str:
    """A new session of ``user_id``; returns the token for the cookie."""
    now = now or datetime.now()
    token = new_token()
    with Session(engine) as session, session.begin():
        session.execute(delete(UserSession).where(UserSession.created_at < now - RETENTION))
        session.add(UserSession(id=key_of(token), user_id=user_id, created_at=now,
                                last_seen_at=now, address=address[:64]))
    return token


def resolve(engine: Engine, token: object, lifetimes: Lifetimes,
            now: datetime | None = None, *, touch: bool = True) -> Account | None:
    """The account of a valid session token, else None (an expired session is ended)."""
    if not valid_token(token):
        return None
    assert isinstance(token, str)
    now = now or datetime.now()
    with Session(engine) as session, session.begin():
        row = session.get(UserSession, key_of(token))
        if row is None or row.ended_at is not None:
            return None
        user = session.get(User, row.user_id)
        reason = None
        if user is None or not user.active:
            reason = DEACTIVATED
        else:
            reason = lifetime_end(row.created_at, row.last_seen_at, lifetimes.idle,
                                  lifetimes.absolute, now)
        if reason is not None:
            row.ended_at, row.end_reason = now, reason
            return None
        assert user is not None
        if touch and due_touch(row.last_seen_at, now):
            row.last_seen_at = now
        return to_account(user)


def end_session(engine: Engine, token: object, reason: str = SIGNED_OUT,
                now: datetime | None = None) -> bool:
    """End the session of ``token``; whether one was open."""
    if not valid_token(token):
        return False
    assert isinstance(token, str)
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(UserSession)
            .where(UserSession.id == key_of(token), UserSession.ended_at.is_(None))
            .values(ended_at=now or datetime.now(), end_reason=reason))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def end_user_sessions(engine: Engine, user_id: int, reason: str = SIGNED_OUT,
                      now: datetime | None = None) -> int:
    """End every open session of ``user_id`` (e.g. "sign out everywhere"); how many."""
    with Session(engine) as session, session.begin():
        return end_sessions(session, user_id, reason, now)


def open_sessions(engine: Engine, user_id: int | None = None) -> list[SessionInfo]:
    """Sessions not ended yet (some may have run out and end on their next use)."""
    stmt = select(UserSession).where(UserSession.ended_at.is_(None))
    if user_id is not None:
        stmt = stmt.where(UserSession.user_id == user_id)
    with Session(engine) as session:
        return [SessionInfo(r.user_id, r.created_at, r.last_seen_at, r.ended_at,
                            r.end_reason, r.address)
                for r in session.scalars(stmt.order_by(UserSession.created_at))]
