"""Floor for the access report over the *enriched* snapshot (derived columns materialised).

The floor in access_report.py computes deadlines in the query, as a hand-written report over
the raw episodes would; our engine reads the derived columns that the snapshot build
materialised once per import. This script times the hand-written SQL over those same derived
columns, so the two are compared on equal terms.

    .venv/bin/python bench/floor_enriched.py bench/data/10m/store.db.analytics.duckdb
"""

from __future__ import annotations

import statistics
import sys
import time

import duckdb

SQL = """
SELECT visit_month, service_area, professional_group,
       count(*) AS done, sum(is_remote::INT) AS remote, sum(is_base::INT) AS base,
       sum(is_access::INT) AS visits,
       sum((is_access AND wait_days <= 7)::INT) AS within_7d,
       sum((is_access AND wait_days <= 14)::INT) AS within_14d,
       sum((is_access AND wait_days > 90)::INT) AS over_90d,
       median(wait_days) FILTER (WHERE is_access) AS median_wait_days,
       sum(is_breach::INT) AS legal_breaches,
       sum(is_target_visit::INT) AS target_visits, sum(is_target_miss::INT) AS target_misses
FROM episodes WHERE status = 'done'
GROUP BY ALL ORDER BY ALL
"""


def main() -> int:
    con = duckdb.connect(sys.argv[1], read_only=True)
    con.execute(SQL).fetchall()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        rows = con.execute(SQL).fetchall()
        times.append(time.perf_counter() - t)
    n = con.execute("SELECT count(*) FROM episodes").fetchone()[0]  # type: ignore[index]
    print(f"{n:,} episodes, {len(rows):,} rows out: best {min(times):.3f} s, "
          f"median {statistics.median(times):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
