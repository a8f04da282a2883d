"""Repeated outcome measures (baseline and follow-up) and patient-reported experience (NPS).

**Measurements file** (CSV, UTF-8, header): ``person_id, instrument, measured_on
(YYYY-MM-DD), unit_id, service_area, answers`` where ``answers`` are the item answers in
order, ``|``-separated, an empty place = unanswered (``1|0|2||3|1|0|0|1``). Every row is
scored by its instrument (:mod:`sotekeskus.pathways.instruments`); any invalid row stops the
report with errors naming the line, column and value.

**Change per service** (unit × service area × instrument), for persons whose **baseline** —
their first measurement with the instrument in that service — is dated in
``[date_from, date_to]``: the **follow-up** is their first later measurement at least
``follow_up_days`` (default 28) after the baseline. Reported: ``baseline`` (persons with a
baseline), ``measured_both``, the mean scores at both times and their mean change
(follow-up − baseline) over the persons measured twice, and how many ``improved`` /
``worsened`` by at least the instrument's minimal important change (direction by
``higher_is_better``). Means have one decimal, rounded half up.

**Experience file** (CSV): ``unit_id, channel, responded_on, score`` (0–10, the
recommendation question), optional ``comment`` (never published). ``channel`` is a contact
mode of the vocabulary. Per unit × channel: ``responses``, ``promoters`` (9–10),
``passives`` (7–8), ``detractors`` (0–6) and **NPS** = (promoters − detractors) ÷
responses × 100, one decimal.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

from sotekeskus.analytics.suppression import SUPPRESSED, is_small
from sotekeskus.domain.indicators import pct
from sotekeskus.domain.vocabulary import ContactMode, ServiceArea
from sotekeskus.pathways.errors import EventLogError, FieldError
from sotekeskus.pathways.instruments import AnswerError, Instrument, shipped_instruments
from sotekeskus.pathways.numbers import round_half_up

MEASUREMENT_COLUMNS = ("person_id", "instrument", "measured_on", "unit_id", "service_area",
                       "answers")
EXPERIENCE_COLUMNS = ("unit_id", "channel", "responded_on", "score")
OUTCOME_COLUMNS = ("unit_id", "service_area", "instrument", "baseline", "measured_both",
                   "mean_baseline", "mean_follow_up", "mean_change", "improved",
                   "improved_pct", "worsened", "worsened_pct")
NPS_COLUMNS = ("unit_id", "channel", "responses", "promoters", "passives", "detractors",
               "nps")
FOLLOW_UP_DAYS = 28


class DataFileError(EventLogError):
    """A measurements or experience file with invalid rows (line, column, value)."""

    def render(self) -> str:
        lines = [f"{self.path}: {self.total} error(s); nothing was computed."]
        lines += [f"  {e}" for e in self.errors]
        if self.total > len(self.errors):
            lines.append(f"  ... and {self.total - len(self.errors)} more error(s)")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Measurement:
    person_id: str
    instrument: str
    measured_on: date
    unit_id: str
    service_area: str
    score: float


def _rows(path: str | Path, required: tuple[str, ...],
          optional: tuple[str, ...] = ()) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    name = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DataFileError(name, [FieldError(None, None, None, str(exc))]) from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(name, [FieldError(None, None, None,
                                              f"the file is not UTF-8 ({exc.reason})")]) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    errors = [FieldError(1, c, None, "required column is missing") for c in required
              if c not in header]
    errors += [FieldError(1, c, None, "unknown column; allowed: "
                          + ", ".join(required + optional))
               for c in header if c not in required + optional]
    if errors:
        raise DataFileError(name, errors)
    rows = []
    previous = reader.line_num
    for record in reader:
        line = previous + 1
        previous = reader.line_num
        if not record:
            continue
        if len(record) != len(header):
            errors.append(FieldError(line, None, ",".join(record),
                                     f"expected {len(header)} fields, found {len(record)}"))
            continue
        rows.append((line, {h: v.strip() for h, v in zip(header, record, strict=True)}))
    if errors:
        raise DataFileError(name, errors)
    return name, rows


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def read_measurements(path: str | Path, instruments: dict[str, Instrument] | None = None
                      ) -> list[Measurement]:
    """Read and score a measurements file; :class:`DataFileError` lists every bad row."""
    instruments = instruments or shipped_instruments()
    name, rows = _rows(path, MEASUREMENT_COLUMNS)
    areas = [a.value for a in ServiceArea]
    errors: list[FieldError] = []
    out: list[Measurement] = []
    for line, r in rows:
        bad = len(errors)
        for col in ("person_id", "unit_id"):
            if not r[col]:
                errors.append(FieldError(line, col, r[col], "a value is required"))
        inst = instruments.get(r["instrument"])
        if inst is None:
            errors.append(FieldError(line, "instrument", r["instrument"],
                                     "unknown instrument; allowed: " + ", ".join(instruments)))
        day = _date(r["measured_on"])
        if day is None:
            errors.append(FieldError(line, "measured_on", r["measured_on"],
                                     "not a date YYYY-MM-DD"))
        if r["service_area"] not in areas:
            errors.append(FieldError(line, "service_area", r["service_area"],
                                     "unknown code; allowed: " + ", ".join(areas)))
        score = None
        if inst is not None:
            try:
                answers = [None if a.strip() == "" else int(a) for a in r["answers"].split("|")]
                score = inst.score(answers)
            except ValueError as exc:
                message = (str(exc) if isinstance(exc, AnswerError) else
                           "answers must be whole numbers separated by |")
                errors.append(FieldError(line, "answers", r["answers"], message))
        if len(errors) == bad and inst is not None and day is not None and score is not None:
            out.append(Measurement(r["person_id"], inst.id, day, r["unit_id"],
                                   r["service_area"], score))
    if errors:
        raise DataFileError(name, errors)
    return out


def outcome_change(measurements: list[Measurement], date_from: date, date_to: date,
                   instruments: dict[str, Instrument] | None = None,
                   follow_up_days: int = FOLLOW_UP_DAYS) -> list[dict[str, Any]]:
    """Baseline and follow-up per unit × service area × instrument (module docstring)."""
    instruments = instruments or shipped_instruments()
    series: dict[tuple[str, str, str, str], list[Measurement]] = defaultdict(list)
    for m in measurements:
        series[(m.unit_id, m.service_area, m.instrument, m.person_id)].append(m)
    groups: dict[tuple[str, str, str], list[tuple[float, float | None]]] = defaultdict(list)
    for (unit, area, inst_key, _), ms in series.items():
        ms.sort(key=lambda m: m.measured_on)
        base = ms[0]
        if not date_from <= base.measured_on <= date_to:
            continue
        later = [m for m in ms[1:]
                 if m.measured_on >= base.measured_on + timedelta(days=follow_up_days)]
        groups[(unit, area, inst_key)].append((base.score,
                                               later[0].score if later else None))
    rows = []
    for (unit, area, inst_id), pairs in sorted(groups.items()):
        inst = instruments[inst_id]
        both = [(b, f) for b, f in pairs if f is not None]
        classes = [inst.change_class(b, f) for b, f in both]
        improved, worsened = classes.count("improved"), classes.count("worsened")
        rows.append({
            "unit_id": unit, "service_area": area, "instrument": inst_id,
            "baseline": len(pairs), "measured_both": len(both),
            "mean_baseline": round_half_up(mean(b for b, _ in both), 1) if both else None,
            "mean_follow_up": round_half_up(mean(f for _, f in both), 1) if both else None,
            "mean_change": round_half_up(mean(f - b for b, f in both), 1) if both else None,
            "improved": improved, "improved_pct": pct(improved, len(both)),
            "worsened": worsened, "worsened_pct": pct(worsened, len(both)),
        })
    return rows


def suppress_outcomes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fewer than 5 measured twice: means and shares hidden; counts below 5 as ``"<5"``."""
    out = []
    for row in rows:
        r = dict(row)
        if is_small(row["measured_both"]):
            for k in ("mean_baseline", "mean_follow_up", "mean_change", "improved_pct",
                      "worsened_pct"):
                r[k] = None
        for k in ("baseline", "measured_both", "improved", "worsened"):
            if is_small(row[k]):
                r[k] = SUPPRESSED
                if k in ("improved", "worsened"):
                    r[f"{k}_pct"] = None
        out.append(r)
    return out


def read_experience(path: str | Path) -> list[tuple[str, str, date, int]]:
    """``(unit_id, channel, responded_on, score)`` rows of an experience file."""
    name, rows = _rows(path, EXPERIENCE_COLUMNS, ("comment",))
    channels = [c.value for c in ContactMode]
    errors: list[FieldError] = []
    out = []
    for line, r in rows:
        bad = len(errors)
        if not r["unit_id"]:
            errors.append(FieldError(line, "unit_id", "", "a value is required"))
        if r["channel"] not in channels:
            errors.append(FieldError(line, "channel", r["channel"],
                                     "unknown code; allowed: " + ", ".join(channels)))
        day = _date(r["responded_on"])
        if day is None:
            errors.append(FieldError(line, "responded_on", r["responded_on"],
                                     "not a date YYYY-MM-DD"))
        score = int(r["score"]) if r["score"].isdigit() else -1
        if not 0 <= score <= 10:
            errors.append(FieldError(line, "score", r["score"], "a whole number 0–10"))
        if len(errors) == bad and day is not None:
            out.append((r["unit_id"], r["channel"], day, score))
    if errors:
        raise DataFileError(name, errors)
    return out


def nps(responses: list[tuple[str, str, date, int]], date_from: date | None = None,
        date_to: date | None = None) -> list[dict[str, Any]]:
    """NPS per unit × channel, then per unit over all channels (``channel`` = ``"all"``)."""
    cells: dict[tuple[str, str], list[int]] = defaultdict(list)
    for unit, channel, day, score in responses:
        if (date_from and day < date_from) or (date_to and day > date_to):
            continue
        cells[(unit, channel)].append(score)
        cells[(unit, "all")].append(score)
    rows = []
    for (unit, channel), scores in sorted(cells.items(), key=lambda kv: (
            kv[0][0], kv[0][1] == "all", kv[0][1])):
        promoters = sum(s >= 9 for s in scores)
        detractors = sum(s <= 6 for s in scores)
        n = len(scores)
        rows.append({"unit_id": unit, "channel": channel, "responses": n,
                     "promoters": promoters, "passives": n - promoters - detractors,
                     "detractors": detractors,
                     "nps": round_half_up(100 * (promoters - detractors) / n, 1)})
    return rows


def suppress_nps(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fewer than 5 responses: ``"<5"`` and the breakdown and NPS hidden."""
    return [{**r, "responses": SUPPRESSED, "promoters": None, "passives": None,
             "detractors": None, "nps": None} if is_small(r["responses"]) else dict(r)
            for r in rows]
