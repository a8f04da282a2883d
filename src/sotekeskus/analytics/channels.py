"""Channel measure: share of done episodes in remote contact modes.

Regions define "remote" differently, so the definition has parameters (domain.md, "Channel
measures"): which ``contact_mode`` values count as remote (default phone, video, chat,
e_service), an optional minimum age (on the visit date), and the denominator, done
episodes. Periods are months (``YYYY-MM``), quarters (``YYYY-Qn``) or years of ``visit_at``.
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import ibis.expr.types as ir

from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.periods import period_label
from sotekeskus.domain.vocabulary import CODES, DEFAULT_REMOTE_MODES


class ChannelError(ValueError):
    pass


def channel_share(
    episodes: ir.Table,
    flt: AccessFilter | None = None,
    *,
    remote_modes: Iterable[str] = tuple(sorted(m.value for m in DEFAULT_REMOTE_MODES)),
    min_age: int | None = None,
    by: str = "quarter",
) -> ir.Table:
    modes = sorted(set(remote_modes))
    unknown = [m for m in modes if m not in CODES["contact_mode"]]
    if unknown:
        raise ChannelError(f"remote_modes: unknown contact mode {unknown[0]!r}")
    flt = flt or AccessFilter()
    e = flt.apply_scope(episodes.filter(episodes.status == "done"))
    e = flt.apply_period(e, e.visit_at.date())
    if min_age is not None:
        e = e.filter((e.birth_date + ibis.interval(years=min_age)).cast("date")
                     <= e.visit_at.date())
    e = e.mutate(period=period_label(e.visit_at, by),
                 _remote=e.contact_mode.isin(modes).fill_null(False))
    return e.group_by("period").aggregate(
        done=e.count(), remote=e._remote.sum().cast("int64")).order_by("period")
