"""Labels (msgids) the resident pages show for codes. The maps the workdesk shows alike
(channels, close reasons, legs, modes, appointment statuses, purposes) come from
``web.case_labels``; the resident's own wording (states, roles, …) is here."""

from __future__ import annotations

from sotekeskus.web.case_labels import APPOINTMENT_STATUSES as APPOINTMENT_STATUSES
from sotekeskus.web.case_labels import CHANNELS as CHANNELS
from sotekeskus.web.case_labels import CLOSE_REASONS as CLOSE_REASONS
from sotekeskus.web.case_labels import LEGS as LEGS
from sotekeskus.web.case_labels import MODES as MODES
from sotekeskus.web.case_labels import PURPOSES as PURPOSES
from sotekeskus.web.i18n import N_

#: What a case's state means to the resident.
STATES = {
    "new": N_("Received, waiting for a professional"),
    "claimed": N_("A professional is handling it"),
    "assessed": N_("Care need assessed"),
    "routed": N_("Waiting for an appointment"),
    "booked": N_("Appointment booked"),
    "closed": N_("Closed"),
}
ROLES = {
    "professional": N_("Professional"), "scheduler": N_("Scheduler"),
    "manager": N_("Manager"), "leadership": N_("Leadership"), "analyst": N_("Analyst"),
    "admin": N_("Administrator"), "operator": N_("System operator"),
}
CATEGORIES = {
    "care": N_("Health and social services"),
    "health_promotion": N_("Health promotion"),
    "third_sector": N_("Organisations and associations"),
}
SERVICE_AREAS = {
    "medical": N_("Health care"), "oral": N_("Oral health"), "mental": N_("Mental health"),
    "substance": N_("Substance abuse services"), "social": N_("Social services"),
}
