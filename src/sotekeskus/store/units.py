"""Unit register: upsert units (id, name, municipality) from a units file or the generator."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Engine, select

from sotekeskus.store.models import Unit


def upsert_units(engine: Engine, units: Iterable[Mapping[str, str]]) -> int:
    """Insert or update units by ``unit_id``; returns how many rows were written."""
    written = 0
    with engine.begin() as conn:
        existing = set(conn.execute(select(Unit.unit_id)).scalars())
        for u in units:
            values = {"name": str(u.get("name") or u["unit_id"]),
                      "municipality": str(u.get("municipality") or "")}
            if u["unit_id"] in existing:
                conn.execute(Unit.__table__.update().where(Unit.unit_id == u["unit_id"])
                             .values(**values))
            else:
                conn.execute(Unit.__table__.insert().values(unit_id=u["unit_id"], **values))
            written += 1
    return written
