"""Labels (msgids) of case codes that the workdesk and the resident pages show alike
(``web.workdesk.labels``, ``web.resident.labels``): one English msgid per code, so one
translation serves both audiences. Translated through the Babel catalogues."""

from __future__ import annotations

from sotekeskus.web.i18n import N_

CHANNELS = {
    "phone": N_("Phone"), "chat": N_("Chat"), "message": N_("Secure message"),
    "e_form": N_("E-form"), "questionnaire": N_("Questionnaire"), "walk_in": N_("Walk-in"),
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
#: Why a professional opens a case (written to the audit log; the resident sees it).
PURPOSES = {
    "assessment": N_("Care-need assessment"),
    "treatment": N_("Treatment"),
    "booking": N_("Booking an appointment"),
    "appointment": N_("Appointment"),
    "coordination": N_("Coordinating care"),
}
