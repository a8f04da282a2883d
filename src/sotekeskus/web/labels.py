"""Translatable labels of codes and indicator fields (msgids marked for extraction)."""

from __future__ import annotations

from sotekeskus.indicators.catalogue import CATALOGUE, COMPUTATIONS
from sotekeskus.web.i18n import N_, current_language, gettext_

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
    "professional": N_("Professional"),
    "scheduler": N_("Scheduler"),
}
PERIOD_KINDS = {"year": N_("Yearly"), "quarter": N_("Quarterly")}
UNITS_OF_MEASURE = {"%": "%", "persons": N_("persons"), "min": N_("min"), "days": N_("days")}

#: Column labels shared by tables and exports (indicators: from the catalogue).
COLUMNS = {
    "month": N_("Month"),
    "period": N_("Period"),
    "unit_id": N_("Unit"),
    "service_area": N_("Service area"),
    "professional_group": N_("Professional group"),
    "contact_mode": N_("Channel"),
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


def column_label(key: str) -> str:
    """A column's label: an indicator's from the catalogue (already in the current
    language), any other column's msgid from :data:`COLUMNS`."""
    ind = CATALOGUE.get(key)
    if ind is not None:
        return ind.label[current_language.get()]
    return COLUMNS.get(key, key)


def computation_label(code: str) -> str:
    """The monitoring computation's label in the current language."""
    comp = COMPUTATIONS.get(code)
    return comp.label[current_language.get()] if comp else code
