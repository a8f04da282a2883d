"""One unit of work per use case (request, CLI command, API call) on the operational side.

``with UnitOfWork(engine, actor, purpose) as uow:`` opens one transaction. Inside it the use
case reads and writes through ``uow.session``; every person-level read is recorded with
``uow.audit_read(...)`` and every change with ``uow.audit_change(...)``; both land in the
append-only audit log **in the same transaction** as the data, so there is never a read
without its audit row nor a change without its trace. Leaving the block normally commits;
an exception rolls everything back (data and audit alike) and propagates.

Audit rows carry the unit's ``purpose`` in a column of its own and, for reads and changes of
one resident's data, the resident's pseudonymous ``subject_person_id`` — so the resident can
be shown who read their data, when and why.

A use case that changed episode rows (the projection of cases) calls
:meth:`UnitOfWork.episodes_changed`; the store's ``data_version`` is then bumped as the
**last** statement before the commit (the analytics snapshot follows it), so concurrent use
cases hold that one hot row for the shortest possible time.

Authorisation is asked of the one access policy (:func:`UnitOfWork.authorise`), which
raises :class:`NotAllowed` with the policy's reason; the refusal itself is audited in its
own transaction, so a rolled-back use case still leaves the trace of the attempt.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from sotekeskus.domain.access_policy import Action, Actor, Resource, Scope, may
from sotekeskus.store import audit
from sotekeskus.store.models import AuditEvent, Meta


class NotAllowed(PermissionError):
    """The access policy refused the use case; the message is the policy's reason."""


class UnitOfWork:
    """A transaction plus its audit trail for one use case of one actor with one purpose."""

    def __init__(self, engine: Engine, actor: Actor, purpose: str) -> None:
        if not purpose.strip():
            raise ValueError("a unit of work needs a purpose (why the data is used)")
        self.engine = engine
        self.actor = actor
        self.purpose = purpose.strip()
        self.session = Session(engine, expire_on_commit=False)
        self._open = False
        self._episodes_changed = False

    def __enter__(self) -> UnitOfWork:
        self.session.begin()
        self._open = True
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                if self._episodes_changed:
                    self._bump_data_version()
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self._open = False
            self.session.close()

    def authorise(self, action: Action, unit_ids: Iterable[str] | None = None, *,
                  person_id: str | None = None) -> Scope:
        """The policy's scope for ``action``; :class:`NotAllowed` (audited) when refused.
        ``person_id``: the one resident whose data the action is on (resident actions).

        Ask before the use case writes anything: the refusal is audited in a transaction of
        its own, which on SQLite would wait for this unit's write lock."""
        resource = Resource.units(unit_ids)
        if person_id is not None:
            resource = Resource(resource.unit_ids, person_id)
        scope = may(self.actor, action, resource)
        if not scope.allowed:
            audit.record(self.engine, self.actor.name, audit.DENIED, action.value,
                         f"{scope.reason}; purpose={self.purpose}")
            raise NotAllowed(scope.reason)
        return scope

    def _audit(self, action: str, target: str, detail: str,
               subject_person_id: str | None = None) -> None:
        if not self._open:
            raise RuntimeError("the unit of work is not open (use it in a with block)")
        self.session.add(AuditEvent(
            at=datetime.now(), actor=self.actor.name[:100], action=action[:64],
            target=target.replace("\x00", "\ufffd")[:500],
            detail=f"purpose={self.purpose}; {detail}".replace("\x00", "\ufffd"),
            purpose=self.purpose.replace("\x00", "\ufffd")[:200],
            subject_person_id=subject_person_id))

    def audit_read(self, target: str, detail: str = "", *,
                   subject_person_id: str | None = None) -> None:
        """Record a person-level read (e.g. ``case:123``) with this unit's purpose and, when
        it is one resident's data, the resident's pseudonymous id."""
        self._audit(audit.READ_PERSONS, target, detail, subject_person_id)

    def audit_change(self, target: str, detail: str = "", *,
                     subject_person_id: str | None = None) -> None:
        """Record a change made by this use case."""
        self._audit(audit.ADMIN_CHANGE, target, detail, subject_person_id)

    def episodes_changed(self) -> None:
        """Episode rows changed: bump ``data_version`` when this unit commits."""
        self._episodes_changed = True

    def _bump_data_version(self) -> None:
        """Bump ``data_version`` and log the bump with the episode ids it changed
        (:func:`sotekeskus.care.projection.changed_episode_ids`): the previous version is
        read under the row's lock (``FOR UPDATE``; SQLite holds its write lock already), so
        the logged bumps form one chain in commit order."""
        version = uuid.uuid4().hex
        previous = self.session.execute(
            select(Meta.value).where(Meta.key == "data_version").with_for_update()).scalar()
        done = self.session.execute(
            update(Meta).where(Meta.key == "data_version").values(value=version))
        if not done.rowcount:  # type: ignore[attr-defined]
            self.session.add(Meta(key="data_version", value=version))
            self.session.flush()
        from sotekeskus.care.projection import changed_episode_ids, log_changes

        log_changes(self.session, previous or "empty", version,
                    changed_episode_ids(self.session))
