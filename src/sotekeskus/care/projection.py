"""The one place where the operational side meets the analytical side: every case is, at
every moment, one row of the episode contract (``shared/docs/operations.md``).

Mapping of a case to its episode row (``episode_id`` = the case's ``episode_id``, ``W-<id>``):

* ``person_id``, ``birth_date``: the resident's pseudonym and birth date (never the HETU);
* ``unit_id``: the case's unit (the booked slot's unit once booked);
* ``service_area``: the assessed one (before the assessment: the line of the contact);
* ``professional_group``: the group needed by the assessment, the booked slot's group once
  booked; before the assessment the first-line group (``social_worker`` on the social
  line, else ``nurse``);
* ``urgency``: ``urgent`` when assessed urgent, else ``non_urgent`` (also before it);
* ``contact_at``, ``assessed_at``: the contact and the (first) assessment;
* ``visit_at``, ``contact_mode``: the realised first care event — the visit of a booked
  appointment, or, when the need was met at first contact (``resolve``), the resolution in
  the mode of the channel (phone → phone, chat → chat, message / e-form / questionnaire →
  e_service, walk-in → in_person);
* ``status``: ``waiting`` while open; ``done`` with a realised care event; ``cancelled``
  when closed without one (cancelled, no-show, referred elsewhere, merged, or resolved as
  ``no_care_needed``);
* ``plan_based``: false (a contact through the workdesk is not a planned visit);
* ``professional_id``: the user name of the professional of the care event.

The row is written in the **same transaction** as the case change, and the unit of work
bumps the store's ``data_version`` at commit, so the analytics snapshot follows. The bump is
logged in ``episode_changes`` (:func:`log_changes`: version before, version after, each
episode id the unit of work projected), which lets the snapshot re-project only those rows
(:func:`sotekeskus.analytics.source.refresh_snapshot`); log rows older than
:data:`CHANGE_LOG_DAYS` days are pruned (a snapshot older than that is rebuilt in full).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from sotekeskus.domain.vocabulary import (
    ContactMode,
    ProfessionalGroup,
    ServiceArea,
    Status,
    Urgency,
)
from sotekeskus.domain.workflow.codes import AssessedUrgency, CaseState, Channel, CloseReason
from sotekeskus.store.models import CareCase, Episode, EpisodeChange, Person

#: Mode of the care event when the need is met at first contact, by channel.
CHANNEL_MODES: dict[Channel, ContactMode] = {
    Channel.PHONE: ContactMode.PHONE, Channel.CHAT: ContactMode.CHAT,
    Channel.MESSAGE: ContactMode.E_SERVICE, Channel.E_FORM: ContactMode.E_SERVICE,
    Channel.QUESTIONNAIRE: ContactMode.E_SERVICE, Channel.WALK_IN: ContactMode.IN_PERSON,
}
EPISODE_PREFIX = "W-"
#: Key of the session's ``info`` holding the episode ids projected in its transaction.
CHANGED_KEY = "sotekeskus.changed_episodes"
#: Change-log rows older than this many days are pruned.
CHANGE_LOG_DAYS = 2


def episode_id_of(case_id: int) -> str:
    return f"{EPISODE_PREFIX}{case_id}"


def first_line_group(service_area: ServiceArea) -> ProfessionalGroup:
    return (ProfessionalGroup.SOCIAL_WORKER if service_area is ServiceArea.SOCIAL
            else ProfessionalGroup.NURSE)


def episode_values(case: CareCase, person: Person) -> dict[str, object]:
    """The episode row of ``case`` (see the module docstring)."""
    area = ServiceArea(case.service_area)
    if case.state != CaseState.CLOSED:
        status = Status.WAITING
    elif case.visit_at is not None:
        status = Status.DONE
    else:
        status = Status.CANCELLED
    return {
        "episode_id": case.episode_id, "person_id": person.person_id,
        "birth_date": person.birth_date, "unit_id": case.unit_id, "service_area": area.value,
        "professional_group": case.professional_group or first_line_group(area).value,
        "urgency": (Urgency.URGENT if case.urgency == AssessedUrgency.URGENT
                    else Urgency.NON_URGENT).value,
        "contact_at": case.contact_at, "assessed_at": case.assessed_at,
        "visit_at": case.visit_at if status is Status.DONE else None,
        "contact_mode": case.contact_mode if status is Status.DONE else None,
        "status": status.value, "plan_based": False, "import_id": None,
        "professional_id": case.visit_professional if status is Status.DONE else None,
    }


def project(session: Session, case: CareCase, person: Person) -> None:
    """Write (insert or update) the case's episode row in the caller's transaction."""
    values = episode_values(case, person)
    session.info.setdefault(CHANGED_KEY, set()).add(case.episode_id)
    row = session.get(Episode, case.episode_id)
    if row is None:
        session.add(Episode(**values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    session.flush()


def resolution_mode(channel: Channel) -> ContactMode:
    return CHANNEL_MODES[channel]


def is_care_event(reason: CloseReason, urgency: AssessedUrgency | None) -> bool:
    """Whether closing for ``reason`` realised a care event (see the module docstring)."""
    if reason is CloseReason.VISITED:
        return True
    return reason is CloseReason.RESOLVED and urgency is not AssessedUrgency.NO_CARE_NEEDED


def changed_episode_ids(session: Session) -> set[str]:
    """The episode ids :func:`project` wrote in ``session``'s transaction."""
    return set(session.info.get(CHANGED_KEY, ()))


def log_changes(session: Session, version_from: str, version_to: str,
                episode_ids: set[str]) -> None:
    """Log one data-version bump and the episodes it changed (in the caller's transaction,
    after the bump). A bump that changed no episode is logged with an empty id, so the chain
    of versions stays unbroken. Every 256th row prunes the log older than
    :data:`CHANGE_LOG_DAYS` days."""
    now = datetime.now()
    rows = [EpisodeChange(version_from=version_from, version_to=version_to, episode_id=e,
                          changed_at=now) for e in sorted(episode_ids or {""})]
    session.add_all(rows)
    session.flush()
    session.info.pop(CHANGED_KEY, None)
    if any(r.seq % 256 == 0 for r in rows):
        session.execute(delete(EpisodeChange).where(
            EpisodeChange.changed_at < now - timedelta(days=CHANGE_LOG_DAYS)))
