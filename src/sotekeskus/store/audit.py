"""Audit log (käyttöloki): who read which person-level data, and every sign-in, when.

Rows are only ever appended. ``target`` names what was read (e.g. ``waiting_list``) and
``detail`` the scope (units, date, number of persons), never the personal data itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotekeskus.store.models import AuditEvent

# Actions written by the web app.
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"
READ_PERSONS = "read_person_level"
EXPORT_PERSONS = "export_person_level"
DENIED = "access_denied"
ADMIN_CHANGE = "admin_change"
USER_CHANGE = "user_change"  # the users CLI: created, deactivated, password reset


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


def record(
    engine: Engine, actor: str, action: str, target: str = "", detail: str = "",
    at: datetime | None = None,
) -> None:
    """Append one audit row (its own transaction, committed before the data is returned).

    NUL characters (which PostgreSQL cannot store in text) are replaced by U+FFFD, so that
    no value typed by a client can make the audit write, and with it the request, fail.
    """
    with Session(engine) as session, session.begin():
        session.add(
            AuditEvent(
                at=at or datetime.now(), actor=_text(actor)[:100], action=_text(action)[:64],
                target=_text(target)[:500], detail=_text(detail),
            )
        )


def _text(value: str) -> str:
    return str(value).replace("\x00", "\ufffd")


def events(
    engine: Engine, *, actor: str | None = None, action: str | None = None, limit: int = 500
) -> list[AuditRow]:
    """Newest first."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor is not None:
        stmt = stmt.where(AuditEvent.actor == actor)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    with Session(engine) as session:
        return [
            AuditRow(e.id, e.at, e.actor, e.action, e.target, e.detail)
            for e in session.scalars(stmt)
        ]
