"""Continuity of care: the Bice–Boxerman COC index per unit and professional group.

Definitions (``shared/docs/pathways.md``):
* **visit**: a done episode (``status = done``) whose ``visit_at`` calendar date is within
  ``[date_from, date_to]``, both days included, with a ``professional_id``; every contact
  mode counts (in person and remote alike). Done visits without a ``professional_id`` cannot
  be attributed and are left out; :attr:`Continuity.visits_without_professional` counts them.
* For a person in a unit and professional group (the ``unit_id`` and ``professional_group``
  of the visits): N = visits, nⱼ = visits with professional j, and
  **COC = (Σⱼ nⱼ² − N) / (N (N − 1))** — 1 when one professional saw every visit, 0 when
  each visit was with a different professional. Only persons with N ≥ 2 have an index.
* Per unit × professional group: ``persons`` = persons with an index, ``mean_coc`` = their
  mean COC, ``median_coc`` = the median (the mean of the two middle values when even), and
  ``visits`` = the visits of those persons. Figures are rounded half up to 3 decimals.
* Small cells: ``persons`` below 5 is published as ``"<5"`` with the COC figures hidden
  (:func:`suppress`), unless the viewer may see unit-level detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sotekeskus.analytics.suppression import SUPPRESSED, is_small
from sotekeskus.pathways.errors import PathwaysError
from sotekeskus.pathways.numbers import round_half_up
from sotekeskus.pathways.source import EpisodeSource

COC_DIGITS = 3
COLUMNS = ("unit_id", "professional_group", "persons", "mean_coc")
DETAIL_COLUMNS = ("unit_id", "professional_group", "persons", "visits", "mean_coc",
                  "median_coc")
PURPOSE = "Continuity of care (Bice–Boxerman COC)"


@dataclass(frozen=True)
class Continuity:
    date_from: date
    date_to: date
    rows: list[dict[str, Any]]
    visits_without_professional: int


def continuity(src: EpisodeSource, date_from: date, date_to: date) -> Continuity:
    """COC per unit × professional group over the done visits of ``[date_from, date_to]``."""
    if date_to < date_from:
        raise PathwaysError(f"the period ends ({date_to}) before it starts ({date_from})")
    src.require(["professional_id"], PURPOSE)
    in_period = ("status = 'done' AND visit_at IS NOT NULL "
                 "AND CAST(visit_at AS DATE) BETWEEN ? AND ?")
    params = [date_from, date_to]
    row = src.con.execute(
        f"SELECT count(*) FILTER (WHERE professional_id IS NULL OR professional_id = ''), "
        f"count(*) FROM episodes WHERE {in_period}", params).fetchone()
    assert row is not None
    without, total = int(row[0]), int(row[1])
    if total and without == total:
        raise PathwaysError(
            f"{PURPOSE} needs professional_id, and none of the {total:,} done visits of "
            f"{date_from} – {date_to} in {src.label} has one; import episodes with "
            "professional_id (episode contract version 2)")
    records = src.con.execute(f"""
        WITH per_professional AS (
            SELECT unit_id, professional_group, person_id, professional_id, count(*) AS n
            FROM episodes
            WHERE {in_period} AND professional_id IS NOT NULL AND professional_id <> ''
            GROUP BY unit_id, professional_group, person_id, professional_id
        ), per_person AS (
            SELECT unit_id, professional_group, person_id,
                   sum(n) AS visits, sum(n * n) AS squares
            FROM per_professional GROUP BY unit_id, professional_group, person_id
        )
        SELECT unit_id, professional_group, count(*) AS persons,
               CAST(sum(visits) AS BIGINT) AS visits,
               avg(CAST(squares - visits AS DOUBLE) / (visits * (visits - 1))) AS mean_coc,
               median(CAST(squares - visits AS DOUBLE) / (visits * (visits - 1))) AS median_coc
        FROM per_person WHERE visits >= 2
        GROUP BY unit_id, professional_group
        ORDER BY unit_id, professional_group""", params).fetchall()
    rows = [
        {"unit_id": r[0], "professional_group": r[1], "persons": int(r[2]),
         "visits": int(r[3]), "mean_coc": round_half_up(r[4], COC_DIGITS),
         "median_coc": round_half_up(r[5], COC_DIGITS)}
        for r in records
    ]
    return Continuity(date_from, date_to, rows, without)


def suppress(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with ``persons`` below 5 shown as ``"<5"`` and their figures hidden."""
    out = []
    for r in rows:
        if is_small(r["persons"]):
            r = {**r, "persons": SUPPRESSED, "visits": None, "mean_coc": None,
                 "median_coc": None}
        out.append(r)
    return out
