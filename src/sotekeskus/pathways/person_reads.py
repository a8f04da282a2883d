"""The audit rows of a person-level read of the pathways (worklist, risk list).

One read writes, in one transaction before the list is returned, a **summary row** (who,
when, purpose, the scope and the number of persons in ``detail``) and **one row per person
shown** with ``subject_person_id`` — so a resident's "who read my data" finds the read.
Never the personal data itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sotekeskus.pathways.errors import PathwaysError
from sotekeskus.store import audit
from sotekeskus.store.models import AuditEvent


def record_person_reads(engine: Engine, *, actor: str, target: str, detail: str,
                        purpose: str, person_ids: Iterable[str],
                        action: str = audit.READ_PERSONS) -> None:
    """Write the read's audit rows (module docstring); an empty actor or purpose is an
    error (nothing is read without them)."""
    if not actor.strip():
        raise PathwaysError("a person-level read needs the actor (who reads it)")
    if not purpose.strip():
        raise PathwaysError("a person-level read needs a purpose (why it is read)")
    when = datetime.now()
    with Session(engine) as session, session.begin():
        session.add(AuditEvent(at=when, actor=actor[:100], action=action,
                               target=target[:500], detail=detail, purpose=purpose[:200]))
        for person in dict.fromkeys(person_ids):
            session.add(AuditEvent(at=when, actor=actor[:100], action=action,
                                   target=target[:500], detail="person shown",
                                   purpose=purpose[:200], subject_person_id=person))
