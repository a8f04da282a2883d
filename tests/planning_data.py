"""Hand-made episode tables for the planning tests."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from sotekeskus.synth import EPISODE_SCHEMA


def episodes(rows: list[dict]) -> pa.Table:
    """Rows with the keys id, unit, area, group, assessed, visit, status and optionally
    urgency, plan, birth; dates become 10:00 on that day."""
    def ts(value):
        if value is None:
            return None
        if isinstance(value, datetime):
            return value
        return datetime(value.year, value.month, value.day, 10, 0)

    cols: dict[str, list] = {name: [] for name in EPISODE_SCHEMA.names}
    for i, r in enumerate(rows):
        assessed = ts(r.get("assessed"))
        visit = ts(r.get("visit"))
        cols["episode_id"].append(r.get("id", f"E{i:05d}"))
        cols["person_id"].append(r.get("person", f"P{i:05d}"))
        cols["birth_date"].append(r.get("birth", date(1980, 5, 5)))
        cols["unit_id"].append(r.get("unit", "U001"))
        cols["service_area"].append(r.get("area", "oral"))
        cols["professional_group"].append(r.get("group", "dental_hygienist"))
        cols["urgency"].append(r.get("urgency", "non_urgent"))
        cols["contact_at"].append(ts(r.get("contact")) or assessed)
        cols["assessed_at"].append(assessed)
        cols["visit_at"].append(visit)
        status = r.get("status") or ("done" if visit else "waiting")
        cols["contact_mode"].append("in_person" if status == "done" else None)
        cols["status"].append(status)
        cols["plan_based"].append(r.get("plan", False))
    return pa.table(cols, schema=EPISODE_SCHEMA)
