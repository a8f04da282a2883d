"""Per-episode derived columns, defined once (Ibis) and used by every indicator.

| column | definition |
|---|---|
| ``visit_month`` | ``YYYY-MM`` of ``visit_at`` (the month a visit belongs to) |
| ``wait_days`` | calendar date of ``visit_at`` − calendar date of ``assessed_at`` |
| ``is_base`` | done, non-urgent, not plan-based (denominator of assessment coverage) |
| ``is_access`` | an access visit: ``is_base`` and ``assessed_at`` present |
| ``is_remote`` | contact mode phone, video, chat or e_service |
| ``legal_deadline`` | last on-time date under the law in force on the assessment date |
| ``target_deadline`` | the same under the region's own targets |
| ``is_breach`` | access visit seen after ``legal_deadline`` |
| ``is_target_visit`` / ``is_target_miss`` | access visit under a target / seen after it |

The snapshot of the store materialises these columns (they depend on the rule book, whose
fingerprint is part of the snapshot's version); a Parquet file or PostgreSQL computes them on
the fly with the same expressions (:func:`with_derived`).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from sotekeskus.domain.rules import RuleBook
from sotekeskus.domain.vocabulary import DEFAULT_REMOTE_MODES

if TYPE_CHECKING:  # rulebook_fingerprint is used without Ibis (a report's start-up)
    import ibis.expr.types as ir

REMOTE_MODES = sorted(m.value for m in DEFAULT_REMOTE_MODES)
DERIVED_COLUMNS = ("visit_month", "wait_days", "is_base", "is_access", "is_remote",
                   "legal_deadline", "target_deadline", "is_breach", "is_target_visit",
                   "is_target_miss")


def derive(e: ir.Table, book: RuleBook) -> ir.Table:
    """``e`` with the derived columns added."""
    from sotekeskus.analytics.deadlines import legal_deadline, target_deadline

    visit_date = e.visit_at.date()
    base = (e.status == "done") & (e.urgency == "non_urgent") & ~e.plan_based.fill_null(False)
    access = base & e.assessed_at.notnull()
    legal = legal_deadline(book, e)
    target = target_deadline(book, e)
    return e.mutate(
        visit_month=e.visit_at.strftime("%Y-%m"),
        wait_days=visit_date.delta(e.assessed_at.date(), unit="day"),
        is_base=base,
        is_access=access,
        is_remote=e.contact_mode.isin(REMOTE_MODES).fill_null(False),
        legal_deadline=legal,
        target_deadline=target,
        is_breach=access & (visit_date > legal).fill_null(False),
        is_target_visit=access & target.notnull(),
        is_target_miss=access & (visit_date > target).fill_null(False),
    )


def with_derived(e: ir.Table, book: RuleBook) -> ir.Table:
    """``e`` itself when it already carries the derived columns, else :func:`derive`."""
    if all(c in e.columns for c in DERIVED_COLUMNS):
        return e
    return derive(e, book)


def rulebook_fingerprint(book: RuleBook) -> str:
    """Changes whenever a rule or target changes (part of the snapshot's version).

    Built from sorted, plain values so that it is the same in every process (the repr of a
    frozenset depends on string hashing, which differs between processes)."""
    rows = []
    for r in sorted(book.episode_rules(), key=lambda r: r.id):
        rows.append([
            r.id, r.kind.value, r.leg.value, r.effective_from.isoformat(),
            r.effective_to.isoformat() if r.effective_to else None,
            sorted(a.value for a in r.service_areas), r.urgency.value, r.age_from, r.age_below,
            sorted(g.value for g in r.professional_groups) if r.professional_groups else None,
            [r.limit.days, r.limit.months, r.limit.weekdays],
        ])
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]
