"""Project monitoring indicators (hankkeen seurantamittarit): registry, targets, values.

An indicator is bound either to a built-in computation (one of :data:`COMPUTATIONS`, each
evaluated by the analytics engine, so that its numbers are the access report's) or to
``manual`` values entered by hand for each period. Periods are ``"2025"`` (yearly) or
``"2025-Q4"`` (quarterly), years :data:`FIRST_YEAR` to :data:`LAST_YEAR`.

Numbers typed by an administrator (values, targets, baseline) must be finite and in range:
a percentage (unit ``%``) 0–100, anything else within ±:data:`MAX_ABS_VALUE`; ``1e30``,
``inf`` or ``nan`` are refused with a message naming the field. On reading, a value that
is not (an older store, a direct SQL edit) is left out, as is a period that is not one, so
nothing stored can break a page.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotekeskus.indicators.catalogue import COMPUTATION_LIST
from sotekeskus.store.models import IndicatorTarget, IndicatorValue, MonitoringIndicator

PERIOD_KINDS: tuple[str, ...] = ("year", "quarter")

#: Built-in computations an indicator may be bound to (code → what it computes): the
#: indicator catalogue's monitoring bindings.
COMPUTATIONS: dict[str, str] = {c.code: c.description for c in COMPUTATION_LIST}

_PERIOD_RE = {"year": re.compile(r"^\d{4}$"), "quarter": re.compile(r"^\d{4}-Q[1-4]$")}
#: Years a period may name (the care-guarantee data era; keeps period ranges small).
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: Largest magnitude of a value, target or baseline that is not a percentage.
MAX_ABS_VALUE = 1e9
#: The range of a percentage (unit of measure ``%``).
PERCENT_RANGE = (0.0, 100.0)

_log = logging.getLogger(__name__)


class MonitoringError(ValueError):
    """Invalid indicator data (message names the field)."""


@dataclass(frozen=True)
class Indicator:
    id: int
    code: str
    name_fi: str
    name_sv: str
    name_en: str
    definition: str
    unit_of_measure: str
    computation: str
    period_kind: str
    baseline_value: float | None
    baseline_period: str | None
    higher_is_better: bool
    targets: dict[str, float] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)

    def name(self, language: str) -> str:
        return {"fi": self.name_fi, "sv": self.name_sv, "en": self.name_en}.get(
            language, self.name_fi
        ) or self.name_fi


def check_period(period: str, kind: str) -> str:
    period = period.strip().upper()
    if kind not in _PERIOD_RE:
        raise MonitoringError(f"period_kind: must be one of {', '.join(PERIOD_KINDS)}")
    if not _PERIOD_RE[kind].match(period):
        example = "2025" if kind == "year" else "2025-Q4"
        raise MonitoringError(f"period: {period!r} is not a {kind} period like {example}")
    if not FIRST_YEAR <= int(period[:4]) <= LAST_YEAR:
        raise MonitoringError(f"period: {period!r} is outside the years "
                              f"{FIRST_YEAR}–{LAST_YEAR}")
    return period


def value_range(unit_of_measure: str) -> tuple[float, float]:
    """Smallest and largest value allowed for an indicator with this unit."""
    return PERCENT_RANGE if unit_of_measure.strip() == "%" else (-MAX_ABS_VALUE, MAX_ABS_VALUE)


def check_value(value: float, field: str, unit_of_measure: str) -> float:
    """``value`` as a float, or :class:`MonitoringError` naming ``field`` and the range."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise MonitoringError(f"{field}: {value!r} is not a number") from exc
    if not math.isfinite(number):
        raise MonitoringError(f"{field}: {value!r} is not a finite number")
    low, high = value_range(unit_of_measure)
    if not low <= number <= high:
        what = "a percentage" if unit_of_measure.strip() == "%" else "a value"
        raise MonitoringError(f"{field}: {number:g} is out of range; {what} must be within "
                              f"{low:g} … {high:g}")
    return number


def _readable(value: float | None, unit_of_measure: str) -> float | None:
    """A stored number if it passes :func:`check_value`, else None (logged)."""
    if value is None:
        return None
    try:
        return check_value(value, "stored value", unit_of_measure)
    except MonitoringError as exc:
        _log.warning("monitoring: ignoring %s", exc)
        return None


def _readable_period(period: str | None, kind: str | None = None) -> str | None:
    if not period:
        return None
    kinds = [kind] if kind in _PERIOD_RE else list(_PERIOD_RE)
    for k in kinds:
        try:
            return check_period(period, k)
        except MonitoringError:
            continue
    _log.warning("monitoring: ignoring the period %r", period)
    return None


def _readable_series(items: Iterable[Any], kind: str, unit: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in sorted(items, key=lambda i: str(i.period)):
        period = _readable_period(item.period, kind)
        value = _readable(item.value, unit)
        if period is not None and value is not None and period == item.period:
            out[period] = value
    return out


def _to_indicator(row: MonitoringIndicator) -> Indicator:
    """The typed view of a row; numbers and periods that fail the checks are left out."""
    unit = row.unit_of_measure or ""
    kind = row.period_kind if row.period_kind in PERIOD_KINDS else "year"
    return Indicator(
        id=row.id, code=row.code, name_fi=row.name_fi, name_sv=row.name_sv,
        name_en=row.name_en, definition=row.definition, unit_of_measure=row.unit_of_measure,
        computation=row.computation, period_kind=kind,
        baseline_value=_readable(row.baseline_value, unit),
        baseline_period=_readable_period(row.baseline_period),
        higher_is_better=row.higher_is_better,
        targets=_readable_series(row.targets, kind, unit),
        values=_readable_series(row.values, kind, unit),
    )


def list_indicators(engine: Engine) -> list[Indicator]:
    with Session(engine) as session:
        rows = session.scalars(select(MonitoringIndicator).order_by(MonitoringIndicator.id))
        return [_to_indicator(r) for r in rows]


def _valid_id(indicator_id: object) -> bool:
    """A database id (SQLite and PostgreSQL integers are 64-bit)."""
    return isinstance(indicator_id, int) and 0 < indicator_id < 2**63


def get_indicator(engine: Engine, indicator_id: int) -> Indicator | None:
    if not _valid_id(indicator_id):
        return None
    with Session(engine) as session:
        row = session.get(MonitoringIndicator, indicator_id)
        return _to_indicator(row) if row else None


def save_indicator(
    engine: Engine,
    *,
    code: str,
    name_fi: str,
    name_sv: str,
    name_en: str,
    definition: str = "",
    unit_of_measure: str = "%",
    computation: str = "manual",
    period_kind: str = "year",
    baseline_value: float | None = None,
    baseline_period: str | None = None,
    higher_is_better: bool = True,
    targets: Mapping[str, float] | None = None,
    indicator_id: int | None = None,
) -> Indicator:
    """Create (``indicator_id`` None) or update an indicator; targets replace the old ones."""
    code = code.strip()
    if not re.fullmatch(r"[a-z0-9_\-]{1,64}", code):
        raise MonitoringError("code: use 1-64 characters a-z, 0-9, _ or -")
    for fname, value in (("name_fi", name_fi), ("name_sv", name_sv), ("name_en", name_en)):
        if not value.strip():
            raise MonitoringError(f"{fname}: is required")
    if computation not in COMPUTATIONS:
        raise MonitoringError(f"computation: must be one of {', '.join(COMPUTATIONS)}")
    if period_kind not in PERIOD_KINDS:
        raise MonitoringError(f"period_kind: must be one of {', '.join(PERIOD_KINDS)}")
    if baseline_period:
        baseline_period = baseline_period.strip().upper()
        if _readable_period(baseline_period) != baseline_period:
            raise MonitoringError(f"baseline_period: expected a period like 2022 or 2022-Q4 "
                                  f"within the years {FIRST_YEAR}–{LAST_YEAR}")
    unit = unit_of_measure.strip() or "%"
    if baseline_value is not None:
        baseline_value = check_value(baseline_value, "baseline_value", unit)
    checked = {check_period(p, period_kind): check_value(v, f"targets: {p}", unit)
               for p, v in (targets or {}).items()}
    with Session(engine) as session, session.begin():
        clash = session.scalar(select(MonitoringIndicator).where(MonitoringIndicator.code == code))
        if indicator_id is None:
            if clash is not None:
                raise MonitoringError(f"code: {code!r} is already in use")
            row = MonitoringIndicator(code=code)
            session.add(row)
        else:
            row = (session.get(MonitoringIndicator, indicator_id)
                   if _valid_id(indicator_id) else None)
            if row is None:
                raise MonitoringError(f"indicator {indicator_id} does not exist")
            if clash is not None and clash.id != indicator_id:
                raise MonitoringError(f"code: {code!r} is already in use")
            for entered in row.values:  # a new unit must still hold the values entered
                check_value(entered.value, f"unit_of_measure: the value of {entered.period}",
                            unit)
            row.code = code
        row.name_fi, row.name_sv, row.name_en = name_fi.strip(), name_sv.strip(), name_en.strip()
        row.definition = definition.strip()
        row.unit_of_measure = unit
        row.computation = computation
        row.period_kind = period_kind
        row.baseline_value = baseline_value
        row.baseline_period = baseline_period or None
        row.higher_is_better = higher_is_better
        row.targets = [IndicatorTarget(period=p, value=v) for p, v in sorted(checked.items())]
        session.flush()
        return _to_indicator(row)


def delete_indicator(engine: Engine, indicator_id: int) -> None:
    if not _valid_id(indicator_id):
        return
    with Session(engine) as session, session.begin():
        row = session.get(MonitoringIndicator, indicator_id)
        if row is not None:
            session.delete(row)


def set_value(
    engine: Engine, indicator_id: int, period: str, value: float | None, entered_by: str
) -> None:
    """Enter (or with ``None`` remove) the hand-entered value of one period."""
    if not _valid_id(indicator_id):
        raise MonitoringError(f"indicator {indicator_id} does not exist")
    with Session(engine) as session, session.begin():
        row = session.get(MonitoringIndicator, indicator_id)
        if row is None:
            raise MonitoringError(f"indicator {indicator_id} does not exist")
        period = check_period(period, row.period_kind)
        existing = next((v for v in row.values if v.period == period), None)
        if value is None:
            if existing is not None:
                row.values.remove(existing)
            return
        value = check_value(value, "value", row.unit_of_measure or "")
        if existing is None:
            row.values.append(
                IndicatorValue(period=period, value=float(value), entered_by=entered_by,
                               entered_at=datetime.now())
            )
        else:
            existing.value = float(value)
            existing.entered_by = entered_by
            existing.entered_at = datetime.now()


def parse_targets(text: str, period_kind: str) -> dict[str, float]:
    """``"2023: 25\\n2024: 30"`` (also ``;`` or ``,`` separated, ``=`` allowed) → mapping."""
    out: dict[str, float] = {}
    for part in re.split(r"[;\n]+", text):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\S+)\s*[:=]\s*(-?\d+(?:[.,]\d+)?)\s*%?", part)
        if not m:
            raise MonitoringError(f"targets: cannot read {part!r}; write e.g. 2025: 45")
        out[check_period(m.group(1), period_kind)] = float(m.group(2).replace(",", "."))
    return out


#: Targets of the region plans (Tulevaisuuden sote-keskus -hankesuunnitelmat).
REGION_INDICATORS: tuple[dict[str, Any], ...] = (
    {
        "code": "remote-share",
        "name_fi": "Etäasioinnin osuus kaikista käynneistä",
        "name_sv": "Andelen distanskontakter av alla besök",
        "name_en": "Share of visits handled remotely",
        "definition": "Toteutuneet käynnit, joiden yhteystapa on puhelin, video, chat tai "
        "sähköinen asiointi, osuus kaikista toteutuneista käynneistä (%).",
        "computation": "remote_share", "period_kind": "year",
        "baseline_value": 10.0, "baseline_period": "2022",
        "targets": {"2022": 10, "2023": 25, "2024": 30, "2025": 45},
    },
    {
        "code": "remote-share-q",
        "name_fi": "Etäasioinnin osuus neljännesvuosittain",
        "name_sv": "Andelen distanskontakter per kvartal",
        "name_en": "Share of visits handled remotely, by quarter",
        "definition": "Kuten etäasioinnin osuus; tavoite 35 % vuoden 2025 viimeisellä "
        "neljänneksellä.",
        "computation": "remote_share", "period_kind": "quarter",
        "baseline_value": None, "baseline_period": None,
        "targets": {"2025-Q4": 35},
    },
    {
        "code": "within-7d",
        "name_fi": "Kiireetön avosairaanhoidon käynti 7 vuorokaudessa",
        "name_sv": "Icke-brådskande öppenvårdsbesök inom 7 dygn",
        "name_en": "Non-urgent outpatient medical visits within 7 days",
        "definition": "Hoitoonpääsykäynnit (kiireetön, hoidon tarpeen arvio tehty, ei "
        "hoitosuunnitelman mukainen), joissa odotus arviosta käyntiin on enintään 7 vrk (%).",
        "computation": "within_7d_share", "period_kind": "quarter",
        "baseline_value": None, "baseline_period": None,
        "targets": {"2024-Q4": 70, "2025-Q2": 75, "2025-Q4": 80},
    },
    {
        "code": "within-7d-physician",
        "name_fi": "Kiireetön lääkärikäynti 7 vuorokaudessa",
        "name_sv": "Icke-brådskande läkarbesök inom 7 dygn",
        "name_en": "Non-urgent physician visits within 7 days",
        "definition": "Kuten edellä, vain lääkärikäynnit.",
        "computation": "within_7d_physician", "period_kind": "quarter",
        "baseline_value": None, "baseline_period": None,
        "targets": {"2025-Q4": 80},
    },
    {
        "code": "waiting-count",
        "name_fi": "Hoitojonossa olevat vuoden lopussa",
        "name_sv": "Köande vid årets slut",
        "name_en": "Persons waiting at the end of the year",
        "definition": "Kiireettömät, arvioidut, ei vielä toteutuneet käynnit jonossa "
        "kauden viimeisenä päivänä.",
        "unit_of_measure": "persons", "computation": "waiting_count", "period_kind": "year",
        "higher_is_better": False, "baseline_value": None, "baseline_period": None,
        "targets": {},
    },
    {
        "code": "first-contact-resolution",
        "name_fi": "Digiklinikan asiat ratkaistu ensikontaktissa",
        "name_sv": "Digikliniken: ärenden lösta vid första kontakten",
        "name_en": "Digital clinic: matters resolved at first contact",
        "definition": "Digiklinikan yhteydenotoista ensikontaktissa ratkaistujen osuus (%), "
        "kirjataan käsin digiklinikan raportista.",
        "computation": "manual", "period_kind": "year",
        "baseline_value": 60.0, "baseline_period": "2022",
        "targets": {"2024": 70, "2025": 77},
    },
    {
        "code": "chat-wait",
        "name_fi": "Chatin keskimääräinen jonotusaika",
        "name_sv": "Chattens genomsnittliga kötid",
        "name_en": "Mean chat waiting time",
        "definition": "Keskimääräinen odotus chat-jonossa minuutteina, kirjataan käsin.",
        "unit_of_measure": "min", "computation": "manual", "period_kind": "year",
        "higher_is_better": False, "baseline_value": 15.0, "baseline_period": "2022",
        "targets": {"2024": 10, "2025": 7},
    },
)


def seed_region_indicators(engine: Engine) -> list[Indicator]:
    """Create the region-plan indicators that are missing (idempotent, by code)."""
    existing = {i.code for i in list_indicators(engine)}
    for spec in REGION_INDICATORS:
        if spec["code"] not in existing:
            save_indicator(engine, **spec)
    return list_indicators(engine)


def all_periods(indicators: Iterable[Indicator]) -> list[str]:
    seen: set[str] = set()
    for ind in indicators:
        seen.update(ind.targets)
        seen.update(ind.values)
    return sorted(seen)
