"""Labels of the codes the deadline, planning and pathway pages show (case types, case
events, statuses) and :class:`CodeTable`, a :class:`~sotekeskus.web.tables.Table` that
shows them translated (exports keep the codes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sotekeskus.web import labels as L
from sotekeskus.web.i18n import N_, fmt_date, fmt_int, fmt_num, gettext_
from sotekeskus.web.tables import Column, Table

CASE_TYPES = {
    "primary_access": N_("Primary care access"),
    "oral_access": N_("Oral health care access"),
    "specialist_referral": N_("Specialist care referral"),
    "child_family_assessment": N_("Child and family service-need assessment"),
    "older_person_assessment": N_("Older person's service-need assessment (75+)"),
    "child_welfare_notification": N_("Child welfare notification"),
    "child_welfare_investigation": N_("Child welfare investigation"),
    "elderly_service": N_("Elderly care service after a decision"),
    "disability_application": N_("Disability services application"),
    "memory_examination": N_("Memory examination"),
    "neuropsychiatric_assessment": N_("Neuropsychiatric assessment"),
    "geriatrician": N_("Geriatrician visit"),
    "speech_therapy": N_("Speech therapy"),
    "occupational_therapy": N_("Occupational therapy"),
    "social_rehabilitation": N_("Social rehabilitation"),
    "psychiatric_nurse": N_("Psychiatric nurse"),
}
CASE_EVENTS = {
    "contact": N_("Contact made"),
    "notification": N_("Notification received"),
    "referral": N_("Referral received"),
    "application": N_("Application made"),
    "case_opened": N_("Case opened"),
    "assessment_started": N_("Assessment started"),
    "assessed": N_("Assessment completed"),
    "decision": N_("Decision made"),
    "service_started": N_("Service started"),
    "treatment_started": N_("Treatment started"),
    "visit": N_("Visit made"),
    "closed": N_("Case closed"),
    "cancelled": N_("Case cancelled"),
}
OPEN_STATUS = {
    "past_limit": N_("Past the limit"),
    "due_within_7d": N_("Limit within 7 days"),
    "within_limit": N_("Within the limit"),
}

#: Column key → the labels of its codes.
CODE_LABELS: dict[str, dict[Any, str]] = {
    "case_type": CASE_TYPES,
    "from_event": CASE_EVENTS,
    "to_event": CASE_EVENTS,
    "status": OPEN_STATUS,
    "service_area": L.SERVICE_AREAS,
    "professional_group": L.PROFESSIONAL_GROUPS,
    "contact_mode": L.CONTACT_MODES,
    "age_group": L.AGE_GROUPS,
}


def code_label(key: str, code: object) -> str:
    """The translated label of ``code`` in column ``key`` (unknown codes as they are)."""
    return L.label(CODE_LABELS.get(key, {}), code)


def leg_label(from_event: str, to_event: str) -> str:
    """"Case opened → Assessment completed" in the current language."""
    return f"{code_label('from_event', from_event)} → {code_label('to_event', to_event)}"


@dataclass
class CodeTable(Table):
    """A table whose ``code`` columns are shown with the labels of :data:`CODE_LABELS`
    (and ``extra_labels``); exports keep the codes."""

    extra_labels: dict[str, dict[Any, str]] = field(default_factory=dict)

    def display(self, row: dict[str, Any], col: Column) -> str:
        if col.kind == "num3":
            value = row.get(col.key)
            return fmt_num(value, 3) if isinstance(value, int | float) else (
                "–" if value is None else str(value))
        if col.kind == "msgid":
            value = row.get(col.key)
            return gettext_(value) if value else "–"
        if col.kind == "mixed":
            return mixed_text(row.get(col.key))
        if col.kind == "limit":
            return limit_text(row.get("_" + col.key))
        if col.kind == "code":
            labels = self.extra_labels.get(col.key) or CODE_LABELS.get(col.key, {})
            value = row.get(col.key)
            return L.label(labels, value) or "–"
        return super().display(row, col)


def limit_text(limit: Any) -> str:
    """A rule's :class:`~sotekeskus.domain.rules.Limit` in the current language."""
    if limit is None:
        return "–"
    if limit.days is not None:
        return gettext_(N_("%(n)s d")) % {"n": limit.days}
    if limit.weeks is not None:
        return gettext_(N_("%(n)s wk")) % {"n": limit.weeks}
    if limit.months is not None:
        return gettext_(N_("%(n)s mo")) % {"n": limit.months}
    if limit.weekdays == 0:
        return gettext_(N_("the same weekday"))
    return gettext_(N_("%(n)s weekdays")) % {"n": limit.weekdays}


def mixed_text(value: Any) -> str:
    """A cell of a column whose rows hold different kinds of values (figure, value rows):
    yes/no, dates, numbers (two decimals), lists of numbers, text."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return gettext_(N_("yes")) if value else gettext_(N_("no"))
    if isinstance(value, date):
        return fmt_date(value)
    if isinstance(value, int):
        return fmt_int(value)
    if isinstance(value, float):
        return fmt_num(value, 2)
    text = str(value)
    parts = text.split()
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return text
    return " ".join(fmt_num(n, 2) for n in numbers) if len(numbers) > 1 else text
