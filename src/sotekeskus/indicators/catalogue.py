"""The indicator catalogue: every published figure declared once.

An :class:`Indicator` says what a figure is — its population, numerator and denominator
(as the count fields the engines return), grouping, unit, disclosure rule, labels in
Finnish, Swedish and English, and its FHIR code. Everything that shows a figure reads it
from here: table columns and their labels, exports, charts, the FHIR MeasureReport,
small-cell suppression and the monitoring registry's computations
(:data:`COMPUTATIONS`). ``docs/indicators.md`` is generated from this module
(``python scripts/gen_indicator_catalogue.py``) and checked in CI.

Disclosure rule: a figure is hidden when the count named by ``disclosed_with`` is below
:data:`SMALL_CELL` (a count is disclosed with itself and shown as ``"<5"``), unless the
viewer's scope has unit-level detail (``domain/access_policy.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

SMALL_CELL = 5
LANGUAGES = ("fi", "sv", "en")

Kind = Literal["count", "pct", "days"]
Report = Literal["access", "waiting", "situation", "channels", "deadlines", "open_legs"]

ACCESS_GROUPING = ("month", "service_area", "professional_group", "unit_id", "age_group")
WAITING_GROUPING = ("unit_id", "professional_group")
DEADLINE_GROUPING = ("month", "case_type", "from_event", "to_event", "unit_id")
OPEN_LEG_GROUPING = ("case_type", "from_event", "to_event", "unit_id")
FHIR_SYSTEM = "https://sotekeskus.fi/fhir/CodeSystem/access-indicator"

#: FHIR (UCUM) unit of each kind.
UCUM_UNITS: dict[str, str] = {"count": "1", "pct": "%", "days": "d"}


@dataclass(frozen=True, slots=True)
class Label:
    """A text in the three languages of the product."""

    fi: str
    sv: str
    en: str

    def __getitem__(self, language: str) -> str:
        return str(getattr(self, language if language in LANGUAGES else "en"))


@dataclass(frozen=True, slots=True)
class Indicator:
    """One published figure."""

    code: str  # the field name in engine rows, exports and URLs
    report: Report  # which engine call produces it
    kind: Kind
    label: Label
    definition: str  # English, from shared/docs/domain.md
    population: str  # which episodes enter it
    numerator: str | None = None  # count field of the numerator, when the engine gives one
    denominator: str | None = None  # count field of the denominator
    disclosed_with: str | None = None  # count whose small value hides this figure
    grouping: tuple[str, ...] = ACCESS_GROUPING
    improvement: Literal["increase", "decrease"] = "increase"
    fhir: bool = True  # offered as a FHIR MeasureReport

    @property
    def unit(self) -> str:
        """UCUM unit: ``%`` for shares, ``d`` for days, ``1`` for counts."""
        return UCUM_UNITS[self.kind]

    @property
    def column_kind(self) -> str:
        """How a table cell formats the value (``web/tables.py``)."""
        return {"count": "int", "pct": "pct", "days": "num"}[self.kind]


_ACCESS_POP = ("access visits: status done, non-urgent, assessed, not plan-based; "
               "by the month of visit_at")

_LEG_POP = ("leg instances of the case events with a rule in scope on the start date (the "
            "law where the leg has a legal row, else the region's target; or the targets); "
            "by the month of the end event")
_OPEN_POP = "leg instances of the case events waiting for their end event on day D"

INDICATORS: tuple[Indicator, ...] = (
    Indicator("visits", "access", "count",
              Label("Hoitoonpääsykäynnit", "Besök med vårdgaranti", "Access visits"),
              "Number of access visits.", _ACCESS_POP, disclosed_with="visits", fhir=False),
    Indicator("within_7d_pct", "access", "pct",
              Label("7 vrk:ssa", "Inom 7 dygn", "Within 7 days"),
              "Share of access visits with a wait (visit date − assessment date, calendar "
              "days) of 7 days or less, percent, one decimal, half up.", _ACCESS_POP,
              numerator="_within_7d", denominator="visits", disclosed_with="visits"),
    Indicator("within_14d_pct", "access", "pct",
              Label("14 vrk:ssa", "Inom 14 dygn", "Within 14 days"),
              "Share of access visits with a wait of 14 days or less, percent.", _ACCESS_POP,
              numerator="_within_14d", denominator="visits", disclosed_with="visits"),
    Indicator("over_90d", "access", "count",
              Label("Yli 90 vrk", "Över 90 dygn", "Over 90 days"),
              "Access visits with a wait of more than 90 days.", _ACCESS_POP,
              disclosed_with="over_90d", improvement="decrease"),
    Indicator("median_wait_days", "access", "days",
              Label("Odotuksen mediaani (vrk)", "Medianväntetid (dygn)", "Median wait (days)"),
              "Median wait of access visits in calendar days (mean of the two middle values "
              "when the count is even).", _ACCESS_POP, disclosed_with="visits",
              improvement="decrease"),
    Indicator("legal_breaches", "access", "count",
              Label("Lakisääteisen määräajan ylitykset", "Överskridna lagstadgade tidsgränser",
                    "Legal breaches"),
              "Access visits after the legal deadline of the rule in force on the assessment "
              "date, for the age on that date; null where no rule applies (social).",
              _ACCESS_POP, disclosed_with="legal_breaches", improvement="decrease"),
    Indicator("target_misses", "access", "count",
              Label("Alueen tavoite ylittynyt", "Regionens mål överskridet",
                    "Regional target missed"),
              "Access visits after the region's own target (reported apart from the law).",
              _ACCESS_POP, disclosed_with="target_misses", improvement="decrease"),
    Indicator("within_target_pct", "access", "pct",
              Label("Alueen tavoiteajassa", "Inom regionens mål", "Within regional target"),
              "Share of access visits within the region's target, percent.", _ACCESS_POP,
              numerator="_within_target", denominator="_target_visits",
              disclosed_with="visits"),
    Indicator("assessment_coverage_pct", "access", "pct",
              Label("Arvioinnin kattavuus", "Bedömningarnas täckning", "Assessment coverage"),
              "Access visits ÷ all done non-urgent, non-plan-based visits, percent (how much "
              "of the care the statistic can see).",
              "done non-urgent, non-plan-based visits", numerator="visits",
              denominator="_base", disclosed_with="visits"),
    Indicator("remote_share_pct", "access", "pct",
              Label("Etäasioinnin osuus", "Andel distanskontakter", "Remote share"),
              "Done episodes with a remote contact mode (phone, video, chat, e-service) ÷ all "
              "done episodes, percent.", "done episodes", numerator="_remote",
              denominator="_done", disclosed_with="_done"),
    Indicator("waiting", "waiting", "count",
              Label("Jonossa", "I kö", "Waiting"),
              "Episodes on the waiting list on day D: assessed on or before D, non-urgent, "
              "and waiting or seen after D (cancelled excluded).", "waiting list on day D",
              disclosed_with="waiting", grouping=WAITING_GROUPING, improvement="decrease",
              fhir=False),
    Indicator("past_deadline", "waiting", "count",
              Label("Lakisääteinen määräaika ylittynyt", "Lagstadgad tidsgräns överskriden",
                    "Past legal deadline"),
              "Of those waiting on D, the ones whose legal deadline is before D.",
              "waiting list on day D", disclosed_with="past_deadline",
              grouping=WAITING_GROUPING, improvement="decrease", fhir=False),
    Indicator("due_today", "waiting", "count",
              Label("Määräaika tänään", "Tidsgränsen i dag", "Deadline today"),
              "Of those waiting on D, the ones whose legal deadline is D.",
              "waiting list on day D", disclosed_with="due_today",
              grouping=WAITING_GROUPING, improvement="decrease", fhir=False),
    Indicator("due_within_7d", "waiting", "count",
              Label("Määräaika 7 päivän sisällä", "Tidsgränsen inom 7 dagar",
                    "Deadline within 7 days"),
              "Of those waiting on D, the ones whose legal deadline is D … D+7 (0–7 days "
              "to it; those due today included, as in the open deadline legs).",
              "waiting list on day D", disclosed_with="due_within_7d",
              grouping=WAITING_GROUPING, improvement="decrease", fhir=False),
    Indicator("contacts", "situation", "count",
              Label("Yhteydenotot", "Kontakter", "Contacts"),
              "Episodes whose contact is on day D.", "contacts on day D",
              disclosed_with="contacts", grouping=("contact_mode", "unit_id", "service_area"),
              fhir=False),
    Indicator("not_assessed_same_day", "situation", "count",
              Label("Ei arvioitu samana päivänä", "Inte bedömd samma dag",
                    "Not assessed the same day"),
              "Contacts on day D without a care-need assessment on the same day.",
              "contacts on day D", disclosed_with="not_assessed_same_day",
              grouping=("unit_id", "service_area"), improvement="decrease", fhir=False),
    Indicator("not_assessed_same_day_pct", "situation", "pct",
              Label("Ei arvioitu samana päivänä (%)", "Inte bedömd samma dag (%)",
                    "Not assessed the same day (%)"),
              "Contacts on day D not assessed the same day ÷ contacts on day D, percent.",
              "contacts on day D", numerator="not_assessed_same_day", denominator="contacts",
              disclosed_with="contacts", grouping=("unit_id", "service_area"),
              improvement="decrease", fhir=False),
    # --- statutory and regional deadlines of case events (analytics/deadline_report.py)
    Indicator("completed", "deadlines", "count",
              Label("Valmistuneet", "Slutförda", "Completed"),
              "Leg instances (start event → end event of a case) whose end event is in the "
              "month and that have a rule in scope on the start date.", _LEG_POP,
              disclosed_with="completed", grouping=DEADLINE_GROUPING, fhir=False),
    Indicator("within_limit", "deadlines", "count",
              Label("Määräajassa", "Inom tidsgränsen", "Within the limit"),
              "Of the completed legs, those whose end date is on or before the limit date "
              "(the last day is on time).", _LEG_POP, disclosed_with="within_limit",
              grouping=DEADLINE_GROUPING, fhir=False),
    Indicator("within_limit_pct", "deadlines", "pct",
              Label("Osuus määräajassa", "Andel inom tidsgränsen", "Share within the limit"),
              "Within the limit ÷ completed, percent, one decimal, half up.", _LEG_POP,
              numerator="within_limit", denominator="completed", disclosed_with="completed",
              grouping=DEADLINE_GROUPING, fhir=False),
    Indicator("breaches", "deadlines", "count",
              Label("Myöhässä", "Försenade", "Late"),
              "Completed legs whose end date is after the limit date (completed − within "
              "the limit).", _LEG_POP, disclosed_with="breaches", grouping=DEADLINE_GROUPING,
              improvement="decrease", fhir=False),
    Indicator("median_days", "deadlines", "days",
              Label("Kesto, mediaani (vrk)", "Tid, median (dygn)", "Median time (days)"),
              "Median of end date − start date of the completed legs in calendar days (mean "
              "of the two middle values when the count is even).", _LEG_POP,
              disclosed_with="completed", grouping=DEADLINE_GROUPING, improvement="decrease",
              fhir=False),
    Indicator("open", "open_legs", "count",
              Label("Avoinna", "Öppna", "Open"),
              "Legs waiting on day D: start date ≤ D, no end event on or before D, the case "
              "not closed or cancelled on or before D, a rule in scope.", _OPEN_POP,
              disclosed_with="open", grouping=OPEN_LEG_GROUPING, improvement="decrease",
              fhir=False),
    Indicator("past_limit", "open_legs", "count",
              Label("Määräaika ohitettu", "Tidsgränsen passerad", "Past the limit"),
              "Of the open legs on D, those whose limit date is before D.", _OPEN_POP,
              disclosed_with="past_limit", grouping=OPEN_LEG_GROUPING,
              improvement="decrease", fhir=False),
    Indicator("longest_days", "open_legs", "days",
              Label("Pisin odotus (vrk)", "Längsta väntan (dygn)", "Longest wait (days)"),
              "The longest D − start date among the open legs, calendar days.", _OPEN_POP,
              disclosed_with="open", grouping=OPEN_LEG_GROUPING, improvement="decrease",
              fhir=False),
)

CATALOGUE: dict[str, Indicator] = {i.code: i for i in INDICATORS}


def by_report(report: Report) -> tuple[Indicator, ...]:
    """The indicators one engine call produces, in catalogue order."""
    return tuple(i for i in INDICATORS if i.report == report)


def disclosure_map() -> dict[str, tuple[str, ...]]:
    """Count field → the other figures hidden with it when it is a small cell."""
    out: dict[str, list[str]] = {}
    for ind in INDICATORS:
        if ind.disclosed_with and ind.disclosed_with != ind.code:
            out.setdefault(ind.disclosed_with, []).append(ind.code)
    return {k: tuple(v) for k, v in out.items()}


def disclosed_counts() -> tuple[str, ...]:
    """Every count field that is itself suppressed when small."""
    counts = [i.code for i in INDICATORS if i.kind == "count"]
    counts += [i.disclosed_with for i in INDICATORS
               if i.disclosed_with and i.disclosed_with not in counts]
    return tuple(dict.fromkeys(c for c in counts if c))


# --------------------------------------------------------------------- monitoring bindings

@dataclass(frozen=True, slots=True)
class Computation:
    """A monitoring-registry binding: an indicator of the catalogue under a fixed filter,
    evaluated per registry period (year or quarter).

    ``leg`` binds a deadline figure (``report == "deadlines"``) to one leg of the rule
    book, ``(case_type, from_event, to_event)``: the legs whose end event falls in the
    period, judged by the law (or, with ``targets``, by the region's target rows). Only
    figures that add up over months are allowed (counts and shares of counts).
    """

    code: str
    indicator: str | None  # None: values entered by hand
    label: Label
    description: str
    service_areas: tuple[str, ...] | None = None
    professional_groups: tuple[str, ...] | None = None
    at_period_end: bool = False  # a stock on the last day of the period (waiting list)
    params: Mapping[str, str] = field(default_factory=dict)
    leg: tuple[str, str, str] | None = None  # (case_type, from_event, to_event)
    targets: bool = False  # a leg judged by the region's target rows instead of the law


COMPUTATION_LIST: tuple[Computation, ...] = (
    Computation("manual", None, Label("Kirjataan käsin", "Matas in för hand", "Entered by hand"),
                "values entered by hand for each period"),
    Computation("remote_share", "remote_share_pct",
                Label("Etäasioinnin osuus toteutuneista käynneistä",
                      "Andel distanskontakter av genomförda besök",
                      "Remote share of done visits"),
                "share of done episodes with a remote contact mode (phone, video, chat, "
                "e-service), percent"),
    Computation("within_7d_share", "within_7d_pct",
                Label("Avosairaanhoito: käynnit 7 vrk:ssa", "Öppen sjukvård: besök inom 7 dygn",
                      "Medical care: visits within 7 days"),
                "share of access visits in outpatient medical care (medical) with a wait of 7 "
                "days or less, percent", service_areas=("medical",)),
    Computation("within_7d_physician", "within_7d_pct",
                Label("Lääkärikäynnit 7 vrk:ssa", "Läkarbesök inom 7 dygn",
                      "Physician visits within 7 days"),
                "as within_7d_share, physician visits only, percent",
                service_areas=("medical",), professional_groups=("physician",)),
    Computation("within_14d_share", "within_14d_pct",
                Label("Avosairaanhoito: käynnit 14 vrk:ssa",
                      "Öppen sjukvård: besök inom 14 dygn",
                      "Medical care: visits within 14 days"),
                "share of access visits in medical care with a wait of 14 days or less, "
                "percent", service_areas=("medical",)),
    Computation("median_wait_days", "median_wait_days",
                Label("Avosairaanhoito: odotuksen mediaani", "Öppen sjukvård: medianväntetid",
                      "Medical care: median wait"),
                "median wait of access visits in medical care, days",
                service_areas=("medical",)),
    Computation("legal_breaches", "legal_breaches",
                Label("Käynnit lakisääteisen määräajan jälkeen",
                      "Besök efter den lagstadgade tidsgränsen",
                      "Visits after the legal deadline"),
                "access visits after the legal deadline (all service areas with rules)"),
    Computation("waiting_count", "waiting",
                Label("Jonossa jakson lopussa", "Köande vid periodens slut",
                      "Persons waiting at the end of the period"),
                "persons on the waiting list on the last day of the period",
                at_period_end=True),
    Computation("child_family_90d_target", "within_limit_pct",
                Label("Lapsiperheiden palvelutarpeen arvioinnit 90 vrk:ssa",
                      "Barnfamiljers servicebehovsbedömningar inom 90 dygn",
                      "Child and family assessments within 90 days"),
                "share of child and family service-need assessments (case opened → "
                "assessed) completed within the region's target (90 calendar days), percent",
                leg=("child_family_assessment", "case_opened", "assessed"), targets=True),
    Computation("child_family_3mo_law", "within_limit_pct",
                Label("Lapsiperheiden palvelutarpeen arvioinnit lain määräajassa",
                      "Barnfamiljers servicebehovsbedömningar inom lagens tidsgräns",
                      "Child and family assessments within the legal limit"),
                "share of child and family service-need assessments completed within 3 "
                "calendar months (Social Welfare Act 36 §), percent",
                leg=("child_family_assessment", "case_opened", "assessed")),
    Computation("notification_7wd_law", "within_limit_pct",
                Label("Lastensuojeluilmoitukset ratkaistu 7 arkipäivässä",
                      "Barnskyddsanmälningar avgjorda inom 7 vardagar",
                      "Child welfare notifications decided within 7 weekdays"),
                "share of child welfare notifications with a decision within 7 weekdays "
                "(Child Welfare Act 26 §), percent",
                leg=("child_welfare_notification", "notification", "decision")),
)

COMPUTATIONS: dict[str, Computation] = {c.code: c for c in COMPUTATION_LIST}
