"""Multi-service clients and high users over 12 months, per home unit and age group.

Definitions (``shared/docs/pathways.md``, "Multi-service and high-need clients"):
* **window**: the 12 calendar months ending on ``end`` (included), e.g. 2025-01-01 –
  2025-12-31 for ``end`` = 2025-12-31 (:func:`sotekeskus.pathways.periods.window`);
* **contact**: a done episode (``status = done``) whose ``visit_at`` date is in the window;
  a **client** is a person with at least one contact;
* **multi-service client** (monipalveluasiakas): contacts in 2 or more service areas
  (medical, oral, mental, substance, social) in the window; also reported for 3 or more;
* **high user**: the top 10 % of clients by contacts, region-wide: with P clients,
  k = ⌈0.1 × P⌉ and the threshold is the contacts of the k-th client in descending order;
  every client with at least that many contacts is a high user (equals are treated alike,
  so there may be a few more than 10 %). ``high_user_contacts_pct`` = their contacts ÷ all
  contacts;
* **home unit**: the unit of most of the person's contacts in the window (ties: the
  smallest ``unit_id``); a person and all their contacts are counted there. **Age group**:
  age in completed years on ``end`` (:data:`~sotekeskus.pathways.periods.CLIENT_AGE_GROUPS`).

Rows: one per home unit × age group, per home unit over all ages (``age_group`` =
``"all"``), per age group over all units (``unit_id`` = ``"all"``) and the region
(``"all"``, ``"all"``). Percentages have one decimal, rounded half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sotekeskus.analytics.suppression import SUPPRESSED, is_small
from sotekeskus.domain.indicators import pct
from sotekeskus.pathways.periods import CLIENT_AGE_GROUPS, age_group_sql, age_sql, window
from sotekeskus.pathways.source import EpisodeSource

ALL = "all"
HIGH_USER_PERCENT = 10  # the top 10 % of clients by contacts
COLUMNS = ("unit_id", "age_group", "clients", "multi_service_2", "multi_service_2_pct",
           "multi_service_3", "multi_service_3_pct", "high_users", "high_users_pct",
           "contacts", "high_user_contacts", "high_user_contacts_pct")
#: Count → the percentages that would reveal it (hidden with it when it is small).
DERIVED = {
    "clients": ("multi_service_2_pct", "multi_service_3_pct", "high_users_pct"),
    "multi_service_2": ("multi_service_2_pct",),
    "multi_service_3": ("multi_service_3_pct",),
    "high_users": ("high_users_pct",),
    "contacts": ("high_user_contacts_pct",),
    "high_user_contacts": ("high_user_contacts_pct",),
}


@dataclass(frozen=True)
class Clients:
    date_from: date
    date_to: date
    high_user_threshold: int | None  # contacts; None when there are no clients
    rows: list[dict[str, Any]]

    @property
    def region(self) -> dict[str, Any]:
        return next(r for r in self.rows if r["unit_id"] == ALL and r["age_group"] == ALL)


def person_table_sql(start: date, end: date) -> str:
    """SQL of one row per client: contacts, service areas, home unit, age and age group."""
    age = age_sql("birth_date", f"DATE '{end.isoformat()}'")
    return f"""
        WITH contacts AS (
            SELECT person_id, unit_id, service_area, birth_date FROM episodes
            WHERE status = 'done' AND visit_at IS NOT NULL
              AND CAST(visit_at AS DATE) BETWEEN DATE '{start.isoformat()}'
                                             AND DATE '{end.isoformat()}'
        ), per_unit AS (
            SELECT person_id, unit_id, count(*) AS n FROM contacts GROUP BY person_id, unit_id
        ), home AS (
            SELECT person_id, arg_min(unit_id, (-n, unit_id)) AS home_unit
            FROM per_unit GROUP BY person_id
        ), persons AS (
            SELECT c.person_id, h.home_unit, count(*) AS contacts,
                   count(DISTINCT c.service_area) AS areas, max(c.birth_date) AS birth_date
            FROM contacts c JOIN home h USING (person_id)
            GROUP BY c.person_id, h.home_unit
        )
        SELECT person_id, home_unit, contacts, areas, {age} AS age,
               {age_group_sql(age)} AS age_group
        FROM persons"""


def clients(src: EpisodeSource, end: date, months: int = 12) -> Clients:
    """Multi-service clients and high users in the ``months`` months ending on ``end``."""
    start, end = window(end, months)
    con = src.con
    con.execute(f"CREATE OR REPLACE TEMP TABLE __clients AS {person_table_sql(start, end)}")
    n = con.execute("SELECT count(*) FROM __clients").fetchone()
    k = -(-int(n[0] if n else 0) * HIGH_USER_PERCENT // 100)  # ⌈P × 10 / 100⌉, exactly
    row = con.execute("SELECT contacts FROM __clients ORDER BY contacts DESC LIMIT 1 OFFSET ?",
                      [k - 1]).fetchone() if k else None
    threshold = int(row[0]) if row else None
    records = con.execute("""
        SELECT coalesce(home_unit, 'all') AS unit_id, coalesce(age_group, 'all') AS age_group,
               count(*) AS clients,
               count(*) FILTER (WHERE areas >= 2) AS multi_service_2,
               count(*) FILTER (WHERE areas >= 3) AS multi_service_3,
               count(*) FILTER (WHERE contacts >= ?) AS high_users,
               sum(contacts) AS contacts,
               coalesce(sum(contacts) FILTER (WHERE contacts >= ?), 0) AS high_user_contacts,
               grouping(home_unit) AS g_unit, grouping(age_group) AS g_age
        FROM __clients
        GROUP BY GROUPING SETS ((home_unit, age_group), (home_unit), (age_group), ())
    """, [threshold or 0, threshold or 0]).fetchall()
    con.execute("DROP TABLE __clients")
    order = {label: i for i, label in enumerate(CLIENT_AGE_GROUPS)}
    rows = []
    for r in sorted(records, key=lambda r: (r[8], r[0] if not r[8] else "",
                                            r[9], order.get(r[1], 99))):
        c = int(r[2])
        contacts = int(r[6] or 0)
        rows.append({
            "unit_id": ALL if r[8] else r[0], "age_group": ALL if r[9] else r[1],
            "clients": c,
            "multi_service_2": int(r[3]), "multi_service_2_pct": pct(int(r[3]), c),
            "multi_service_3": int(r[4]), "multi_service_3_pct": pct(int(r[4]), c),
            "high_users": int(r[5]), "high_users_pct": pct(int(r[5]), c),
            "contacts": contacts, "high_user_contacts": int(r[7]),
            "high_user_contacts_pct": pct(int(r[7]), contacts),
        })
    if not rows:
        rows = [{**{k: 0 for k in COLUMNS}, "unit_id": ALL, "age_group": ALL,
                 **{k: None for k in COLUMNS if k.endswith("_pct")}}]
    return Clients(start, end, threshold, rows)


def suppress(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Counts below 5 shown as ``"<5"``, and the percentages that would reveal them hidden."""
    out = []
    for row in rows:
        r = dict(row)
        for count, derived in DERIVED.items():
            if is_small(row[count]):
                r[count] = SUPPRESSED
                for d in derived:
                    r[d] = None
        out.append(r)
    return out
