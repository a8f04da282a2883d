"""Outcome measurements and experience responses in the store (migration 0011), so the
management web can show them (``sotekeskus import measures|experience``).

* **Measurements**: a measurements file (:func:`~sotekeskus.pathways.outcomes.read_measurements`)
  is checked and scored first; any invalid row stops the import and nothing is written
  (all-or-nothing). A row's key is person × instrument × day × unit × service area; a row
  whose key is already stored **replaces** it (its score), so importing the same file again
  changes nothing (idempotent).
* **Experience**: a survey file (:func:`~sotekeskus.pathways.outcomes.read_experience`) is
  identified by the SHA-256 of its bytes: importing the same file again changes nothing.
  The free-text ``comment`` is never stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, select, tuple_
from sqlalchemy.orm import Session

from sotekeskus.pathways.instruments import Instrument
from sotekeskus.pathways.outcomes import (
    Measurement,
    _rows,
    read_experience,
    read_measurements,
)
from sotekeskus.store.models import ExperienceResponse, OutcomeMeasurement

CHUNK = 500


@dataclass(frozen=True)
class ImportResult:
    rows: int  # rows in the file
    written: int  # new or replaced rows
    already: bool = False  # the same file was imported before


def import_measurements(engine: Engine, path: str | Path,
                        instruments: dict[str, Instrument] | None = None) -> ImportResult:
    """Check, score and store a measurements file (module docstring)."""
    measured = read_measurements(path, instruments)
    keys = {(m.person_id, m.instrument, m.measured_on, m.unit_id, m.service_area): m
            for m in measured}
    now = datetime.now()
    key_cols = tuple_(OutcomeMeasurement.person_id, OutcomeMeasurement.instrument,
                      OutcomeMeasurement.measured_on, OutcomeMeasurement.unit_id,
                      OutcomeMeasurement.service_area)
    written = 0
    with Session(engine) as session, session.begin():
        items = list(keys.items())
        for i in range(0, len(items), CHUNK):
            part = items[i:i + CHUNK]
            existing = {tuple(r[:5]): r[5] for r in session.execute(
                select(OutcomeMeasurement.person_id, OutcomeMeasurement.instrument,
                       OutcomeMeasurement.measured_on, OutcomeMeasurement.unit_id,
                       OutcomeMeasurement.service_area, OutcomeMeasurement.score)
                .where(key_cols.in_([k for k, _ in part])))}
            changed = [(k, m) for k, m in part if existing.get(k) != m.score]
            stale = [k for k, _ in changed if k in existing]
            if stale:
                session.execute(delete(OutcomeMeasurement).where(key_cols.in_(stale)))
            session.add_all(OutcomeMeasurement(
                person_id=m.person_id, instrument=m.instrument, measured_on=m.measured_on,
                unit_id=m.unit_id, service_area=m.service_area, score=m.score,
                imported_at=now) for _, m in changed)
            written += len(changed)
    return ImportResult(len(measured), written)


def stored_measurements(engine: Engine) -> list[Measurement]:
    with Session(engine) as session:
        return [Measurement(r.person_id, r.instrument, r.measured_on, r.unit_id,
                            r.service_area, r.score)
                for r in session.scalars(select(OutcomeMeasurement)
                                         .order_by(OutcomeMeasurement.id))]


def import_experience(engine: Engine, path: str | Path) -> ImportResult:
    """Check and store a survey file once (module docstring)."""
    responses = read_experience(path)
    _name, rows = _rows(path, ("unit_id", "channel", "responded_on", "score"), ("comment",))
    lines = [line for line, _ in rows]
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    with Session(engine) as session, session.begin():
        seen = session.scalar(select(ExperienceResponse.id)
                              .where(ExperienceResponse.batch_sha256 == digest).limit(1))
        if seen is not None:
            return ImportResult(len(responses), 0, already=True)
        session.add_all(ExperienceResponse(
            batch_sha256=digest, line=line, unit_id=unit, channel=channel,
            responded_on=day, score=score)
            for line, (unit, channel, day, score) in zip(lines, responses, strict=True))
    return ImportResult(len(responses), len(responses))


def stored_experience(engine: Engine) -> list[tuple[str, str, date, int]]:
    with Session(engine) as session:
        return [(r.unit_id, r.channel, r.responded_on, r.score)
                for r in session.scalars(select(ExperienceResponse)
                                         .order_by(ExperienceResponse.id))]
