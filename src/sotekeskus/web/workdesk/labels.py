"""Labels (msgids) of the workdesk's codes; translated through the Babel catalogues."""

from __future__ import annotations

from sotekeskus.web.case_labels import APPOINTMENT_STATUSES as APPOINTMENT_STATUSES
from sotekeskus.web.case_labels import CHANNELS as CHANNELS
from sotekeskus.web.case_labels import CLOSE_REASONS as CLOSE_REASONS
from sotekeskus.web.case_labels import LEGS as LEGS
from sotekeskus.web.case_labels import MODES as MODES
from sotekeskus.web.case_labels import PURPOSES as PURPOSES
from sotekeskus.web.i18n import N_

STATES = {
    "new": N_("New"), "claimed": N_("Claimed"), "assessed": N_("Assessed"),
    "routed": N_("Routed"), "booked": N_("Booked"), "closed": N_("Closed"),
}
URGENCIES = {
    "urgent": N_("Urgent"), "non_urgent": N_("Non-urgent"),
    "no_care_needed": N_("No care needed"), None: N_("Not assessed"),
}
TRANSITIONS = {
    "open": N_("Contact"), "claim": N_("Claimed"), "release": N_("Released"),
    "hand_over": N_("Handed over"), "assess": N_("Assessed"), "resolve": N_("Resolved"),
    "route": N_("Routed"), "refer": N_("Referred"), "book": N_("Booked"),
    "visit": N_("Visit done"), "no_show": N_("Did not come"), "cancel": N_("Cancelled"),
    "merge": N_("Merged"), "reply": N_("Message sent"), "unbook": N_("Appointment cancelled"),
}
SLOT_KINDS = {"non_urgent": N_("Non-urgent"), "urgent": N_("Urgent reserve"),
              "other": N_("Other")}
SLOT_STATUSES = {"free": N_("Free"), "booked": N_("Booked"), "blocked": N_("Blocked")}
DUE = {"overdue": N_("Past the deadline"), "today": N_("Due today"),
       "week": N_("Due within 7 days or overdue")}
WEEKDAYS = {0: N_("Monday"), 1: N_("Tuesday"), 2: N_("Wednesday"), 3: N_("Thursday"),
            4: N_("Friday"), 5: N_("Saturday"), 6: N_("Sunday")}
EXCEPTION_KINDS = {"absence": N_("Absence"), "extra": N_("Extra shift")}
FIGURES = {
    "contacts": N_("Contacts"),
    "queue_unassessed": N_("Waiting for assessment now"),
    "chat_first_reply_mean_min": N_("Chat: first reply, mean (min)"),
    "chat_first_reply_p90_min": N_("Chat: first reply, 90th percentile (min)"),
    "callback_within_window_pct": N_("Call-backs within the promised window"),
    "assessed_same_day_pct": N_("Contacts assessed the same day"),
    "first_contact_resolution_pct": N_("Resolved at first contact"),
    "past_deadline": N_("Open cases past a deadline"),
}
#: Messages after an action (the flash after the redirect).
FLASHES = {
    "contact_recorded": N_("The contact was recorded."),
    "claimed": N_("You claimed the case."),
    "released": N_("The case was returned to the queue."),
    "handed_over": N_("The case was handed over."),
    "assessed": N_("The assessment was saved."),
    "routed": N_("The case was routed to the service's queue."),
    "booked": N_("The appointment was booked."),
    "resolved": N_("The case was closed as resolved."),
    "referred": N_("The case was closed as referred."),
    "cancelled": N_("The case was cancelled."),
    "message_sent": N_("The message was sent."),
    "unbooked": N_("The appointment was cancelled and the time freed."),
    "visit_recorded": N_("The visit was recorded."),
    "no_show_recorded": N_("The no-show was recorded."),
    "template_added": N_("The weekly template was saved."),
    "exception_added": N_("The exception was saved."),
    "slots_created": N_("The slots were created."),
}
