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


class VisitNature(StrEnum):
    """Nature of the visit (Avohilmo *käynnin luonne*), episode contract version 2."""

    CURATIVE = "SH"  # sairaanhoito
    HEALTH_PROMOTION = "TH"  # terveydenhoito


#: Optional columns of episode contract version 2 (``shared/docs/pathways.md``): a file may
#: leave them out of its header; when present, an empty value means "not recorded".
EPISODE_COLUMNS_V2: tuple[str, ...] = (
    "diagnosis_codes", "visit_nature", "professional_id", "care_plan")

#: Allowed codes per coded column of contract version 2.
CODES_V2: dict[str, tuple[str, ...]] = {
    "visit_nature": tuple(v.value for v in VisitNature),
    "care_plan": ("true", "false"),
}


class CaseType(StrEnum):
    """Case type of a statutory or regional deadline (``shared/docs/planning.md`` §1).

    ``primary_access`` and ``oral_access`` are the care-guarantee legs measured from the
    episode file; the others come in through the case-events file.
    """

    PRIMARY_ACCESS = "primary_access"  # hoitotakuu, avosairaanhoito / mielenterveys / päihde
    ORAL_ACCESS = "oral_access"  # hoitotakuu, suun terveydenhuolto
    SPECIALIST_REFERRAL = "specialist_referral"  # erikoissairaanhoidon lähete
    CHILD_FAMILY_ASSESSMENT = "child_family_assessment"  # lapsiperheen palvelutarpeen arviointi
    OLDER_PERSON_ASSESSMENT = "older_person_assessment"  # iäkkään palvelutarpeen arviointi
    CHILD_WELFARE_NOTIFICATION = "child_welfare_notification"  # lastensuojeluilmoitus
    CHILD_WELFARE_INVESTIGATION = "child_welfare_investigation"  # lastensuojelutarpeen selvitys
    ELDERLY_SERVICE = "elderly_service"  # iäkkään sosiaalipalvelu päätöksen jälkeen
    DISABILITY_APPLICATION = "disability_application"  # vammaispalveluhakemus
    MEMORY_EXAMINATION = "memory_examination"  # muistitutkimus
    NEUROPSYCHIATRIC_ASSESSMENT = "neuropsychiatric_assessment"  # neuropsykiatrinen tutkimus
    GERIATRICIAN = "geriatrician"  # geriatrin vastaanotto
    SPEECH_THERAPY = "speech_therapy"  # puheterapia
    OCCUPATIONAL_THERAPY = "occupational_therapy"  # toimintaterapia
    SOCIAL_REHABILITATION = "social_rehabilitation"  # sosiaalinen kuntoutus
    PSYCHIATRIC_NURSE = "psychiatric_nurse"  # psykiatrinen sairaanhoitaja


class CaseEvent(StrEnum):
    """An event of a case in the case-events file; a limit lies between two of them."""

    CONTACT = "contact"  # yhteydenotto
    NOTIFICATION = "notification"  # ilmoitus (lastensuojeluilmoitus) vastaanotettu
    REFERRAL = "referral"  # lähete saapunut
    APPLICATION = "application"  # hakemus vireille
    CASE_OPENED = "case_opened"  # asia vireille / asiakkuus alkoi
    ASSESSMENT_STARTED = "assessment_started"  # arviointi aloitettu
    ASSESSED = "assessed"  # arviointi valmis
    DECISION = "decision"  # päätös
    SERVICE_STARTED = "service_started"  # palvelu alkoi
    TREATMENT_STARTED = "treatment_started"  # hoito alkoi
    VISIT = "visit"  # käynti
    CLOSED = "closed"  # asiakkuus / asia päättyi
    CANCELLED = "cancelled"  # peruttu


#: Case types measured from the episode file, and the service areas each covers.
EPISODE_CASE_TYPES: dict[CaseType, frozenset[ServiceArea]] = {
    CaseType.PRIMARY_ACCESS: frozenset(
        {ServiceArea.MEDICAL, ServiceArea.MENTAL, ServiceArea.SUBSTANCE}),
    CaseType.ORAL_ACCESS: frozenset({ServiceArea.ORAL}),
}

#: Case types of the case-events file (all but the episode-file ones).
EVENT_CASE_TYPES: tuple[CaseType, ...] = tuple(
    c for c in CaseType if c not in EPISODE_CASE_TYPES)

#: Events that end a case without its legs being completed (an open leg stops waiting).
TERMINAL_EVENTS: frozenset[CaseEvent] = frozenset({CaseEvent.CLOSED, CaseEvent.CANCELLED})

#: Columns of the case-events file and whether each is required (planning.md §1).
CASE_EVENT_COLUMNS: dict[str, bool] = {
    "case_id": True,
    "person_id": True,
    "birth_date": True,
    "unit_id": True,
    "case_type": True,
    "event": True,
    "at": True,
    "urgency": False,
    "professional_group": False,
}
