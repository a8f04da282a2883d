"""Code lists of the operational workflow (``shared/docs/operations.md``).

The episode contract's codes (service area, professional group, urgency, contact mode,
status) stay in :mod:`sotekeskus.domain.vocabulary`; these are the workdesk's own. Every
place that takes one of these codes rejects an unknown one listing the allowed values
(:func:`parse_code`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar


class CodeError(ValueError):
    """An unknown code; the message names the field, the value and the allowed codes."""


class Channel(StrEnum):
    """How a case reached the centre (asiointikanava)."""

    PHONE = "phone"  # a recorded call, or a call-back request with its promised window
    CHAT = "chat"
    MESSAGE = "message"  # secure asynchronous message
    E_FORM = "e_form"
    QUESTIONNAIRE = "questionnaire"  # symptom or service-need questionnaire
    WALK_IN = "walk_in"


class CaseState(StrEnum):
    """States of a case (operations.md, "The case")."""

    NEW = "new"
    CLAIMED = "claimed"
    ASSESSED = "assessed"
    ROUTED = "routed"
    BOOKED = "booked"
    CLOSED = "closed"


class AssessedUrgency(StrEnum):
    """Urgency recorded by the care-need assessment (hoidon tarpeen arviointi)."""

    URGENT = "urgent"
    NON_URGENT = "non_urgent"
    NO_CARE_NEEDED = "no_care_needed"


class CloseReason(StrEnum):
    """Why a case was closed."""

    RESOLVED = "resolved"  # at first contact: advice, self-care, prescription renewed
    REFERRED = "referred"  # to specialist care or social services
    VISITED = "visited"  # the booked care event took place
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    MERGED = "merged"


class ServiceMode(StrEnum):
    """How a service or a slot is delivered."""

    IN_PERSON = "in_person"
    REMOTE = "remote"


class SlotKind(StrEnum):
    """Kind of an appointment slot: only ``non_urgent`` slots count for T3."""

    NON_URGENT = "non_urgent"
    URGENT = "urgent"  # urgent reserve
    OTHER = "other"


class SlotStatus(StrEnum):
    FREE = "free"
    BOOKED = "booked"
    BLOCKED = "blocked"


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    DONE = "done"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class ScheduleExceptionKind(StrEnum):
    """An exception to a weekly template: an absence removes slots, an extra shift adds."""

    ABSENCE = "absence"
    EXTRA = "extra"


class QuestionnaireOutcome(StrEnum):
    """The recommendation of a questionnaire's outcome rule (docs/questionnaires.md)."""

    EMERGENCY = "emergency"  # call 112 now: shown at once, nothing else asked
    URGENT = "urgent"  # same-day contact
    NON_URGENT = "non_urgent"  # routed to a service, booking where the service allows it
    SELF_CARE = "self_care"  # advice


E = TypeVar("E", bound=StrEnum)


def parse_code(enum: type[E], value: str, field: str) -> E:
    """``value`` as a member of ``enum``; :class:`CodeError` listing the allowed codes."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        raise CodeError(f"{field}: unknown code {value!r}; allowed: {allowed}") from None


class Resolution(StrEnum):
    """What met the need when a case closes ``resolved`` at first contact
    (operations.md: "resolve (advice, self-care, prescription renewed)")."""

    ADVICE = "advice"
    SELF_CARE = "self_care"
    PRESCRIPTION_RENEWED = "prescription_renewed"


class ContactKind(StrEnum):
    """How a resident opened a case at the front door (the channel it lands in:
    message → ``message``, e_form and renewal → ``e_form``, callback → ``phone``,
    chat → ``chat``)."""

    MESSAGE = "message"
    E_FORM = "e_form"
    CALLBACK = "callback"  # a call-back request with a promised window
    RENEWAL = "renewal"  # prescription renewal
    CHAT = "chat"
