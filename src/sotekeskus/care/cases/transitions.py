"""Applying one transition to a case atomically.

:func:`apply` checks the move against the pure state machine and single ownership, then
writes it as a **conditional UPDATE** guarded by the version it read (and, for a claim, by
``owner_user_id IS NULL``): of two professionals acting on the same case at the same
instant exactly one update matches a row; the other gets :class:`Conflict` naming who
changed or holds the case. The history row, the episode projection and the audit row are
written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from sotekeskus.care.cases.deadlines import refresh_due
from sotekeskus.care.errors import Conflict, InvalidInput, NotFound
from sotekeskus.care.projection import project
from sotekeskus.care.staff import Staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Action
from sotekeskus.domain.workflow.cases import Move, Transition, TransitionError, check_owner, move
from sotekeskus.domain.workflow.codes import CaseState
from sotekeskus.store.models import CareCase, CaseTransition, Person, User


@dataclass(frozen=True, slots=True)
class Loaded:
    case: CareCase
    person: Person
    owner: str | None  # the owner's user name


def owner_name(uow: UnitOfWork, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return uow.session.scalar(select(User.username).where(User.id == user_id))


def load(uow: UnitOfWork, case_id: int, *, action: Action = Action.WORK_CASES) -> Loaded:
    """The case and its resident, authorised for ``action`` on the case's unit."""
    case = uow.session.get(CareCase, case_id, populate_existing=True)
    if case is None:
        raise NotFound(f"case: no case {case_id}")
    uow.authorise(action, [case.unit_id])
    person = uow.session.get(Person, case.person_pk)
    assert person is not None
    return Loaded(case, person, owner_name(uow, case.owner_user_id))


def explain_conflict(uow: UnitOfWork, case_id: int, transition: Transition,
                     actor: str) -> Conflict:
    """Why the conditional update matched nothing: who holds or changed the case now."""
    row = uow.session.execute(
        select(CareCase.state, CareCase.owner_user_id, CareCase.version)
        .where(CareCase.id == case_id).execution_options(populate_existing=True)).first()
    if row is None:
        return Conflict(f"case {case_id}: no longer exists")
    holder = owner_name(uow, row.owner_user_id)
    last = uow.session.scalar(
        select(CaseTransition.actor).where(CaseTransition.case_id == case_id)
        .order_by(CaseTransition.id.desc()).limit(1))
    if transition is Transition.CLAIM and holder and holder != actor:
        return Conflict(f"case {case_id} is already claimed by {holder}", holder)
    who = holder or last or "another user"
    return Conflict(f"case {case_id} was changed by {who} meanwhile (now {row.state}); "
                    "reload and try again", who)


def precheck(staff: Staff, loaded: Loaded, transition: Transition, *,
             check_ownership: bool = True) -> Move:
    """Whether ``transition`` is allowed now (state, ownership); the errors of :func:`apply`.
    Use it before work that should not start on a case in the wrong state."""
    case = loaded.case
    try:
        step = move(CaseState(case.state), transition)
        if check_ownership:
            check_owner(transition, loaded.owner, staff.username)
    except TransitionError as exc:
        if transition is Transition.CLAIM and loaded.owner and loaded.owner != staff.username:
            raise Conflict(f"case {case.id} is already claimed by {loaded.owner}",
                           loaded.owner) from None
        raise InvalidInput(f"case {case.id}: {exc}") from None
    return step


def apply(uow: UnitOfWork, staff: Staff, loaded: Loaded, transition: Transition, *,
          now: datetime, values: Mapping[str, Any] | None = None, reason: str = "",
          new_owner: int | None | str = "keep", new_owner_name: str | None = None,
          check_ownership: bool = True) -> Move:
    """Apply ``transition`` to the loaded case (see the module docstring).

    ``new_owner``: ``"keep"``, ``None`` (release) or a user id. ``values``: other columns to
    set on the case.
    """
    case = loaded.case
    step = precheck(staff, loaded, transition, check_ownership=check_ownership)
    changes: dict[str, Any] = {"state": step.to_state.value, "version": case.version + 1,
                               "updated_at": now, **(values or {})}
    if step.close_reason is not None:
        changes.setdefault("close_reason", step.close_reason.value)
        changes.setdefault("closed_at", now)
    owner_after = loaded.owner
    if new_owner != "keep":
        changes["owner_user_id"] = new_owner
        owner_after = new_owner_name if new_owner is not None else None
    stmt = (update(CareCase).where(CareCase.id == case.id, CareCase.version == case.version)
            .values(**changes).execution_options(synchronize_session=False))
    if transition is Transition.CLAIM:
        stmt = stmt.where(CareCase.owner_user_id.is_(None))
    if uow.session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        raise explain_conflict(uow, case.id, transition, staff.username)
    for key, value in changes.items():  # the row already has them: not dirty
        set_committed_value(case, key, value)
    uow.session.add(CaseTransition(
        case_id=case.id, at=now, actor=staff.username, transition=transition.value,
        from_state=step.from_state.value, to_state=step.to_state.value,
        owner_before=loaded.owner, owner_after=owner_after, reason=reason[:2000]))
    refresh_due(case, loaded.person, now.date())  # flushed with the projection
    project(uow.session, case, loaded.person)
    uow.episodes_changed()
    uow.audit_change(f"case:{case.id}", f"{transition.value} {step.from_state.value}"
                     f"→{step.to_state.value}", subject_person_id=loaded.person.person_id)
    return step
