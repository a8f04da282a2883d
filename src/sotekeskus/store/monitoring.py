"""Project monitoring indicators (hankkeen seurantamittarit): registry, targets, values.

An indicator is bound either to a built-in computation (one of :data:`COMPUTATIONS`, each
evaluated by the analytics engine, so that its numbers are the access report's) or to
``manual`` values entered by hand for each period. Periods are ``"2025"`` (yearly) or
``"2025-Q4"`` (quarterly).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotekeskus.store.models import IndicatorTarget, IndicatorValue, MonitoringIndicator

PERIOD_KINDS: tuple[str, ...] = ("year", "quarter")

#: Built-in computations an indicator may be bound to (code → what it computes).
COMPUTATIONS: dict[str, str] = {
    "manual": "values entered by hand for each period",
    "remote_share": "share of done episodes with a remote contact mode (phone, video, chat, "
    "e-service), percent",
    "within_7d_share": "share of access visits in outpatient medical care (medical) with a "
    "wait of 7 days or less, percent",
    "within_7d_physician": "as within_7d_share, physician visits only, percent",
    "within_14d_share": "share of access visits in medical care with a wait of 14 days or "
    "less, percent",
    "median_wait_days": "median wait of access visits in medical care, days",
    "legal_breaches": "access visits after the legal deadline (all service areas with rules)",
    "waiting_count": "persons on the waiting list on the last day of the period",
}

_PERIOD_RE = {"year": re.compile(r"^\d{4}$"), "quarter": re.compile(r"^\d{4}-Q[1-4]$")}


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
    return period


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of ``"2025"`` or ``"2025-Q4"``."""
    year = int(period[:4])
    if len(period) == 4:
        return date(year, 1, 1), date(year, 12, 31)
    q = int(period[-1])
    start = date(year, 3 * q - 2, 1)
    end_month = 3 * q
    end = date(year + 1, 1, 1) if end_month == 12 else date(year, end_month + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def _to_indicator(row: MonitoringIndicator) -> Indicator:
    return Indicator(
        id=row.id, code=row.code, name_fi=row.name_fi, name_sv=row.name_sv,
        name_en=row.name_en, definition=row.definition, unit_of_measure=row.unit_of_measure,
        computation=row.computation, period_kind=row.period_kind,
        baseline_value=row.baseline_value, baseline_period=row.baseline_period,
        higher_is_better=row.higher_is_better,
        targets={t.period: t.value for t in sorted(row.targets, key=lambda t: t.period)},
        values={v.period: v.value for v in sorted(row.values, key=lambda v: v.period)},
    )


def list_indicators(engine: Engine) -> list[Indicator]:
    with Session(engine) as session:
        rows = session.scalars(select(MonitoringIndicator).order_by(MonitoringIndicator.id))
        return [_to_indicator(r) for r in rows]


def get_indicator(engine: Engine, indicator_id: int) -> Indicator | None:
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
        if not (_PERIOD_RE["year"].match(baseline_period)
                or _PERIOD_RE["quarter"].match(baseline_period)):
            raise MonitoringError("baseline_period: expected a period like 2022 or 2022-Q4")
    checked = {check_period(p, period_kind): float(v) for p, v in (targets or {}).items()}
    with Session(engine) as session, session.begin():
        clash = session.scalar(select(MonitoringIndicator).where(MonitoringIndicator.code == code))
        if indicator_id is None:
            if clash is not None:
                raise MonitoringError(f"code: {code!r} is already in use")
            row = MonitoringIndicator(code=code)
            session.add(row)
        else:
            row = session.get(MonitoringIndicator, indicator_id)
            if row is None:
                raise MonitoringError(f"indicator {indicator_id} does not exist")
            if clash is not None and clash.id != indicator_id:
                raise MonitoringError(f"code: {code!r} is already in use")
            row.code = code
        row.name_fi, row.name_sv, row.name_en = name_fi.strip(), name_sv.strip(), name_en.strip()
        row.definition = definition.strip()
        row.unit_of_measure = unit_of_measure.strip() or "%"
        row.computation = computation
        row.period_kind = period_kind
        row.baseline_value = baseline_value
        row.baseline_period = baseline_period or None
        row.higher_is_better = higher_is_better
        row.targets = [IndicatorTarget(period=p, value=v) for p, v in sorted(checked.items())]
        session.flush()
        return _to_indicator(row)


def delete_indicator(engine: Engine, indicator_id: int) -> None:
    with Session(engine) as session, session.begin():
        row = session.get(MonitoringIndicator, indicator_id)
        if row is not None:
            session.delete(row)


def set_value(
    engine: Engine, indicator_id: int, period: str, value: float | None, entered_by: str
) -> None:
    """Enter (or with ``None`` remove) the hand-entered value of one period."""
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


def periods_between(first: str, last: str, kind: str) -> list[str]:
    """Every period of ``kind`` from ``first`` to ``last`` inclusive."""
    out: list[str] = []
    if kind == "year":
        return [str(y) for y in range(int(first[:4]), int(last[:4]) + 1)]
    y, q = int(first[:4]), int(first[-1]) if "Q" in first else 1
    ly, lq = int(last[:4]), int(last[-1]) if "Q" in last else 4
    while (y, q) <= (ly, lq):
        out.append(f"{y}-Q{q}")
        q += 1
        if q == 5:
            y, q = y + 1, 1
    return out


def all_periods(indicators: Iterable[Indicator]) -> list[str]:
    seen: set[str] = set()
    for ind in indicators:
        seen.update(ind.targets)
        seen.update(ind.values)
    return sorted(seen)
