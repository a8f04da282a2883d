"""Deterministic case events for the web test region (units U1, U2 and the small U3).

Child and family assessments, child welfare notifications, disability applications (whose
limit changes with the new act on 2025-01-01), specialist referrals (three legs) and memory
examinations (a regional target), started 2024-03-01 … 2025-06-13; end events after the
region's "today" (2025-06-16) are not written, so those cases are open.
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from tests.web.conftest import TODAY

#: case type → the events in order, and the delay (days) of each step after the previous.
SPECS: dict[str, list[tuple[str, tuple[int, int]]]] = {
    "child_family_assessment": [("case_opened", (0, 0)), ("assessed", (20, 110))],
    "child_welfare_notification": [("notification", (0, 0)), ("decision", (1, 14))],
    "disability_application": [("application", (0, 0)), ("decision", (20, 110))],
    "specialist_referral": [("referral", (0, 0)), ("assessment_started", (3, 30)),
                            ("assessed", (10, 80)), ("treatment_started", (20, 200))],
    "memory_examination": [("referral", (0, 0)), ("assessed", (10, 120))],
}
PER_MONTH = {"U1": 6, "U2": 5, "U3": 1}
FIRST = date(2024, 3, 1)
LAST_START = date(2025, 6, 13)


def generate(seed: int = 11) -> list[dict[str, str]]:
    rnd = random.Random(seed)
    rows: list[dict[str, str]] = []
    n = 0
    month = FIRST
    while month <= LAST_START:
        for unit, per_month in PER_MONTH.items():
            for case_type, steps in SPECS.items():
                for _ in range(per_month):
                    n += 1
                    start = month + timedelta(days=rnd.randint(0, 27))
                    if start > LAST_START:
                        continue
                    birth = date(rnd.randint(1935, 2018), rnd.randint(1, 12), rnd.randint(1, 28))
                    at = datetime(start.year, start.month, start.day, 9, rnd.randint(0, 59))
                    for event, (low, high) in steps:
                        at = at + timedelta(days=rnd.randint(low, high), hours=low and 1)
                        if at.date() > TODAY:
                            break
                        rows.append({
                            "case_id": f"C{n:05d}", "person_id": f"P{rnd.randint(1, 900):04d}"
                            if event == steps[0][0] else rows[-1]["person_id"],
                            "birth_date": birth.isoformat(), "unit_id": unit,
                            "case_type": case_type, "event": event,
                            "at": at.isoformat(timespec="minutes"),
                        })
                    else:
                        if rnd.random() < 0.03:
                            rows.append({**rows[-1], "event": "closed",
                                         "at": (at + timedelta(days=1)).isoformat(
                                             timespec="minutes")})
                        continue
                    if rnd.random() < 0.05:  # an open case that was cancelled
                        cancel = min(at + timedelta(days=2), datetime.combine(TODAY, at.time()))
                        rows.append({**rows[-1], "event": "cancelled",
                                     "at": cancel.isoformat(timespec="minutes")})
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return rows


def write_csv(path: Path) -> Path:
    rows = generate()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["case_id", "person_id", "birth_date", "unit_id",
                                     "case_type", "event", "at"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def add_case_events(url: str, folder: Path) -> None:
    """Import the generated events into the store at ``url``."""
    from sotekeskus.rules import default_rulebook
    from sotekeskus.store.case_events import import_case_event_file
    from sotekeskus.store.database import make_engine

    engine = make_engine(url)
    try:
        import_case_event_file(engine, write_csv(folder / "events.csv"),
                               default_rulebook().legs())
    finally:
        engine.dispose()
