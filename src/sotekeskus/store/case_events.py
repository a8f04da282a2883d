"""Case-events repository: the all-or-nothing, idempotent upsert of validated case events.

One row per (``case_id``, ``event``): re-importing the pair replaces its values, never
duplicates it. The whole import is one transaction. The file is authoritative for its
cases: ``case_type``, ``person_id`` and ``birth_date`` of a re-imported case are written to
the events of that case already in the store too, so a case stays consistent. Every import
bumps the meta key ``case_events_version``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Engine, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sotekeskus.domain.rules import LegKey
from sotekeskus.ingest.case_events import (
    SCHEMA,
    CaseEventBatch,
    check_leg_order,
    read_case_event_file,
)
from sotekeskus.store.models import CaseEventRow, Meta, Unit

CHUNK = 20_000
COLUMNS = [f.name for f in SCHEMA]


@dataclass(frozen=True)
class CaseEventImportResult:
    rows: int
    inserted: int
    updated: int
    cases: int
    version: str


def _rows(table: pa.Table) -> list[dict[str, object]]:
    return table.select(COLUMNS).to_pylist()


def existing_events(engine: Engine, case_ids: Iterable[str]) -> pa.Table:
    """The store's events of these cases (columns of :data:`SCHEMA`)."""
    ids = sorted(set(case_ids))
    records: list[dict[str, object]] = []
    t = CaseEventRow.__table__
    with engine.connect() as conn:
        if not conn.dialect.has_table(conn, "case_events"):
            return SCHEMA.empty_table()
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            result = conn.execute(select(*[t.c[c] for c in COLUMNS]).where(
                t.c.case_id.in_(chunk)))
            records.extend(dict(r._mapping) for r in result)
    return pa.Table.from_pylist(records, schema=SCHEMA)


def all_events(engine: Engine, case_types: Sequence[str] | None = None) -> pa.Table:
    """Every stored case event (of ``case_types``), columns of :data:`SCHEMA`."""
    t = CaseEventRow.__table__
    query = select(*[t.c[c] for c in COLUMNS])
    if case_types:
        query = query.where(t.c.case_type.in_(list(case_types)))
    with engine.connect() as conn:
        if not conn.dialect.has_table(conn, "case_events"):
            return SCHEMA.empty_table()
        columns: dict[str, list[object]] = {c: [] for c in COLUMNS}
        for row in conn.execute(query):
            for name, value in zip(COLUMNS, row, strict=True):
                columns[name].append(value)
    return pa.table({c: pa.array(v, SCHEMA.field(c).type) for c, v in columns.items()},
                    schema=SCHEMA)


def upsert_case_events(engine: Engine, batch: CaseEventBatch) -> CaseEventImportResult:
    """Write the validated events in one transaction (insert or replace by case and event)."""
    table = batch.events()
    rows = _rows(table)
    keys = {(r["case_id"], r["event"]) for r in rows}
    cases = sorted({str(r["case_id"]) for r in rows})
    version = uuid.uuid4().hex
    t = CaseEventRow.__table__
    with engine.begin() as conn:
        first: dict[object, dict[str, object]] = {}
        for r in rows:
            first.setdefault(r["case_id"], r)
        stored = 0
        differing: set[str] = set()  # stored cases whose attributes the file changes
        for start in range(0, len(cases), 1000):
            chunk = cases[start:start + 1000]
            for case_id, event, case_type, person_id, birth_date in conn.execute(
                    select(t.c.case_id, t.c.event, t.c.case_type, t.c.person_id,
                           t.c.birth_date).where(t.c.case_id.in_(chunk))):
                stored += (case_id, event) in keys
                new = first[case_id]
                if (case_type, person_id, birth_date) != (
                        new["case_type"], new["person_id"], new["birth_date"]):
                    differing.add(case_id)
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        for start in range(0, len(rows), CHUNK):
            chunk_rows = rows[start:start + CHUNK]
            stmt = insert(t)
            stmt = stmt.on_conflict_do_update(
                index_elements=[t.c.case_id, t.c.event],
                set_={c: stmt.excluded[c] for c in COLUMNS if c not in ("case_id", "event")})
            conn.execute(stmt, chunk_rows)
        # the file is authoritative for its cases: align the case's other stored events
        for case_id in sorted(differing):
            r = first[case_id]
            conn.execute(t.update().where(t.c.case_id == case_id).values(
                case_type=r["case_type"], person_id=r["person_id"], birth_date=r["birth_date"]))
        known = set(conn.execute(select(Unit.unit_id)).scalars())
        new_units = sorted({str(r["unit_id"]) for r in rows} - known)
        if new_units:
            conn.execute(Unit.__table__.insert(),
                         [{"unit_id": u, "name": u, "municipality": ""} for u in new_units])
        if conn.execute(select(Meta.value).where(Meta.key == "case_events_version")).first():
            conn.execute(Meta.__table__.update().where(Meta.key == "case_events_version")
                         .values(value=version))
        else:
            conn.execute(Meta.__table__.insert().values(key="case_events_version",
                                                        value=version))
    return CaseEventImportResult(len(rows), len(rows) - stored, stored, len(cases), version)


def count_events(engine: Engine) -> int:
    with engine.connect() as conn:
        if not conn.dialect.has_table(conn, "case_events"):
            return 0
        return int(conn.execute(text("SELECT count(*) FROM case_events")).scalar_one())


def import_case_event_file(engine: Engine, path: str | Path,
                           legs: Iterable[LegKey]) -> CaseEventImportResult:
    """Validate ``path`` (also the leg order against the events already stored) and write it;
    raises :class:`~sotekeskus.ingest.case_events.CaseEventFileError` and writes nothing
    when anything is wrong. The store must be at the newest schema."""
    batch = read_case_event_file(path)
    existing = existing_events(engine, batch.table.column("case_id").to_pylist())
    check_leg_order(batch, existing, legs)
    return upsert_case_events(engine, batch)
