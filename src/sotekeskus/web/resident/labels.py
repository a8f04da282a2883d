"""Labels (msgids) the resident pages show for codes; the same English msgids as the
workdesk's, so one translation serves both."""

from __future__ import annotations

from sotekeskus.web.i18n import N_

CHANNELS = {
    "phone": N_("Phone"), "chat": N_("Chat"), "message": N_("Secure message"),
    "e_form": N_("E-form"), "questionnaire": N_("Questionnaire"), "walk_in": N_("Walk-in"),
}
#: What a case's state means to the resident.
STATES = {
    "new": N_("Received, waiting for a professional"),
    "claimed": N_("A professional is handling it"),
    "assessed": N_("Care need assessed"),
    "routed": N_("Waiting for an appointment"),
    "booked": N_("Appointment booked"),
    "closed": N_("Closed"),
}
CLOSE_REASONS = {
    "resolved": N_("Resolved at first contact"), "referred": N_("Referred"),
    "visited": N_("Visit done"), "cancelled": N_("Cancelled"), "no_show": N_("Did not come"),
    "merged": N_("Merged"),
}
LEGS = {
    "contact_to_assessment": N_("Contact → assessment"),
    "assessment_to_visit": N_("Assessment → first care event"),
}
MODES = {"in_person": N_("In person"), "remote": N_("Remote")}
APPOINTMENT_STATUSES = {"booked": N_("Booked"), "done": N_("Visit done"),
                        "cancelled": N_("Cancelled"), "no_show": N_("Did not come")}
PURPOSES = {
    "assessment": N_("Care-need assessment"),
    "treatment": N_("Treatment"),
    "booking": N_("Booking an appointment"),
    "appointment": N_("Appointment"),
    "coordination": N_("Coordinating care"),
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
