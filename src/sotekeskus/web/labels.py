"""Translatable labels of codes and indicator fields (msgids marked for extraction)."""

from __future__ import annotations

from sotekeskus.web.i18n import N_, gettext_

SERVICE_AREAS = {
    "medical": N_("Outpatient medical care"),
    "oral": N_("Oral health care"),
    "mental": N_("Mental health services"),
    "substance": N_("Substance abuse services"),
    "social": N_("Social welfare"),
}
PROFESSIONAL_GROUPS = {
    "physician": N_("Physician"),
    "nurse": N_("Nurse"),
    "dentist": N_("Dentist"),
    "dental_hygienist": N_("Dental hygienist"),
    "psychologist": N_("Psychologist"),
    "social_worker": N_("Social worker"),
    "therapist": N_("Therapist"),
    "other": N_("Other professional"),
}
CONTACT_MODES = {
    "in_person": N_("Visit at the unit"),
    "home_visit": N_("Home visit"),
    "phone": N_("Phone"),
    "video": N_("Video"),
    "chat": N_("Chat"),
    "e_service": N_("E-service"),
    None: N_("Not recorded"),
}
AGE_GROUPS = {
    "0-22": N_("0–22 years"),
    "23-64": N_("23–64 years"),
    "65+": N_("65 years or over"),
}
ROLES = {
    "manager": N_("Unit manager"),
    "leadership": N_("Leadership"),
    "analyst": N_("Analyst"),
    "admin": N_("Administrator"),
}
PERIOD_KINDS = {"year": N_("Yearly"), "quarter": N_("Quarterly")}
COMPUTATIONS = {
    "manual": N_("Entered by hand"),
    "remote_share": N_("Remote share of done visits"),
    "within_7d_share": N_("Medical care: visits within 7 days"),
    "within_7d_physician": N_("Physician visits within 7 days"),
    "within_14d_share": N_("Medical care: visits within 14 days"),
    "median_wait_days": N_("Medical care: median wait"),
    "legal_breaches": N_("Visits after the legal deadline"),
    "waiting_count": N_("Persons waiting at the end of the period"),
}
UNITS_OF_MEASURE = {"%": "%", "persons": N_("persons"), "min": N_("min"), "days": N_("days")}

#: Column labels shared by tables and exports.
COLUMNS = {
    "month": N_("Month"),
    "period": N_("Period"),
    "unit_id": N_("Unit"),
    "service_area": N_("Service area"),
    "professional_group": N_("Professional group"),
    "visits": N_("Access visits"),
    "within_7d_pct": N_("Within 7 days"),
    "within_14d_pct": N_("Within 14 days"),
    "over_90d": N_("Over 90 days"),
    "median_wait_days": N_("Median wait (days)"),
    "legal_breaches": N_("Legal breaches"),
    "target_misses": N_("Regional target missed"),
    "within_target_pct": N_("Within regional target"),
    "assessment_coverage_pct": N_("Assessment coverage"),
    "remote_share_pct": N_("Remote share"),
    "waiting": N_("Waiting"),
    "past_deadline": N_("Past legal deadline"),
    "due_today": N_("Deadline today"),
    "due_within_7d": N_("Deadline within 7 days"),
    "contact_mode": N_("Channel"),
    "contacts": N_("Contacts"),
    "not_assessed_same_day": N_("Not assessed the same day"),
    "episode_id": N_("Episode"),
    "person_id": N_("Person (pseudonym)"),
    "assessed_on": N_("Assessed on"),
    "days_waited": N_("Days waited"),
    "legal_deadline": N_("Legal deadline"),
    "days_to_deadline": N_("Days to deadline"),
    "target": N_("Target"),
    "value": N_("Value"),
    "status": N_("Status"),
    "indicator": N_("Indicator"),
    "baseline": N_("Baseline"),
}


def label(mapping: dict, code: object) -> str:
    """Translated label of a code; unknown codes are shown as they are."""
    text = mapping.get(code)
    return gettext_(text) if text else ("" if code is None else str(code))
