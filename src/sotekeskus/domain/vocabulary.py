"""The controlled vocabulary of the episode contract (``shared/docs/domain.md``).

Each enumeration's values are exactly the codes allowed in an episode file.
"""

from __future__ import annotations

from enum import StrEnum


class ServiceArea(StrEnum):
    """Service area (palvelualue) that owns an episode."""

    MEDICAL = "medical"  # avosairaanhoito
    ORAL = "oral"  # suun terveydenhuolto
    MENTAL = "mental"  # mielenterveyspalvelut
    SUBSTANCE = "substance"  # päihdepalvelut
    SOCIAL = "social"  # sosiaalihuolto


class ProfessionalGroup(StrEnum):
    """Group of the professional of the care event (or the one needed, while waiting)."""

    PHYSICIAN = "physician"
    NURSE = "nurse"
    DENTIST = "dentist"
    DENTAL_HYGIENIST = "dental_hygienist"
    PSYCHOLOGIST = "psychologist"
    SOCIAL_WORKER = "social_worker"
    THERAPIST = "therapist"
    OTHER = "other"


class Urgency(StrEnum):
    URGENT = "urgent"
    NON_URGENT = "non_urgent"


class ContactMode(StrEnum):
    """Mode of the care event (yhteystapa)."""

    IN_PERSON = "in_person"
    HOME_VISIT = "home_visit"
    PHONE = "phone"
    VIDEO = "video"
    CHAT = "chat"
    E_SERVICE = "e_service"


class Status(StrEnum):
    DONE = "done"
    WAITING = "waiting"
    CANCELLED = "cancelled"


#: Contact modes that count as remote in the default channel measure.
DEFAULT_REMOTE_MODES: frozenset[ContactMode] = frozenset(
    {ContactMode.PHONE, ContactMode.VIDEO, ContactMode.CHAT, ContactMode.E_SERVICE}
)

#: Columns of the episode file, in contract order, and whether each is required.
EPISODE_COLUMNS: dict[str, bool] = {
    "episode_id": True,
    "person_id": True,
    "birth_date": True,
    "unit_id": True,
    "service_area": True,
    "professional_group": True,
    "urgency": True,
    "contact_at": True,
    "assessed_at": False,
    "visit_at": False,
    "contact_mode": False,
    "status": True,
    "plan_based": False,
}

#: Allowed codes per coded column.
CODES: dict[str, tuple[str, ...]] = {
    "service_area": tuple(v.value for v in ServiceArea),
    "professional_group": tuple(v.value for v in ProfessionalGroup),
    "urgency": tuple(v.value for v in Urgency),
    "contact_mode": tuple(v.value for v in ContactMode),
    "status": tuple(v.value for v in Status),
    "plan_based": ("true", "false"),
}
