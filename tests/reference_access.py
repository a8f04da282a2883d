"""Plain-Python reference implementation of the access report and the waiting list.

Written straight from shared/docs/domain.md, row by row, with no engine: the test oracle
that the Ibis/DuckDB (and PostgreSQL) path must agree with. Deadlines come from the pure
domain rules (``RuleBook.deadline``), not from the Ibis compilation of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sotekeskus.domain.episode import Episode
from sotekeskus.domain.indicators import median, pct
from sotekeskus.domain.rules import RuleBook, RuleKind
from sotekeskus.domain.vocabulary import DEFAULT_REMOTE_MODES, ServiceArea, Status, Urgency


def access_report(episodes: Iterable[Episode], book: RuleBook,
                  by_unit: bool = False) -> list[dict[str, Any]]:
    groups: dict[tuple[str, ...], list[Episode]] = defaultdict(list)
    for ep in episodes:
        if ep.status is not Status.DONE or ep.visit_at is None:
            continue
        key = (ep.visit_at.strftime("%Y-%m"), ep.service_area.value,
               ep.professional_group.value) + ((ep.unit_id,) if by_unit else ())
        groups[key].append(ep)
    rows = []
    for key in sorted(groups):
        eps = groups[key]
        access = [e for e in eps if e.is_access_visit]
        waits = [e.wait_days for e in access if e.wait_days is not None]
        base = [e for e in eps if e.urgency is Urgency.NON_URGENT and not e.plan_based]
        remote = [e for e in eps if e.contact_mode in DEFAULT_REMOTE_MODES]
        area = ServiceArea(key[1])
        breaches: int | None = None
        if book.has_rules_for(area):
            breaches = 0
            for e in access:
                deadline = book.deadline(e)
                assert e.visit_at is not None
                if deadline is not None and e.visit_at.date() > deadline:
                    breaches += 1
        row: dict[str, Any] = {"month": key[0], "service_area": key[1],
                               "professional_group": key[2]}
        if by_unit:
            row["unit_id"] = key[3]
        row.update(
            visits=len(access),
            within_7d_pct=pct(sum(w <= 7 for w in waits), len(access)),
            within_14d_pct=pct(sum(w <= 14 for w in waits), len(access)),
            over_90d=sum(w > 90 for w in waits),
            median_wait_days=median(waits),
            legal_breaches=breaches,
            assessment_coverage_pct=pct(len(access), len(base)),
            remote_share_pct=pct(len(remote), len(eps)),
        )
        rows.append(row)
    return rows


def waiting_list(episodes: Iterable[Episode], book: RuleBook, on: date) -> list[dict[str, Any]]:
    rows = []
    for e in episodes:
        if e.assessed_at is None or e.assessed_at.date() > on:
            continue
        if e.urgency is not Urgency.NON_URGENT or e.status is Status.CANCELLED:
            continue
        if not (e.status is Status.WAITING or (e.visit_at is not None and e.visit_at.date() > on)):
            continue
        deadline = book.deadline(e, RuleKind.LEGAL)
        rows.append({
            "episode_id": e.episode_id, "unit_id": e.unit_id,
            "professional_group": e.professional_group.value,
            "days_waited": (on - e.assessed_at.date()).days,
            "legal_deadline": deadline,
            "days_to_deadline": (deadline - on).days if deadline else None,
        })
    return sorted(rows, key=lambda r: r["episode_id"])
