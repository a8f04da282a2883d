"""Queues as weekly series (stock and flow, as in NHS RTT planning).

A **queue** is a service area × professional group × unit, or the same pooled over the
units (``unit_id`` ``None``, written ``oral/dental_hygienist/all``).

**Entries** (:func:`queue_entries`): an episode enters its queue on the date of its
care-need assessment when it is assessed and not plan-based (a plan-based visit waits for
its planned date, not for capacity). It leaves it:

* *served* on the date of its first care event (``status = done``; a visit recorded before
  the assessment counts on the assessment date);
* *left unserved* when cancelled. The episode file has no cancellation date, so a cancelled
  episode is counted as arriving and leaving unserved in the week of its assessment (it is
  never in a week-end count, exactly as the waiting list on a date excludes it);
* not at all while ``status = waiting``.

Non-urgent entries form the queue. Urgent ones are counted beside it (``urgent_arrivals``,
``urgent_served``): they are seen at once, but by the same professionals, so they use the
queue's capacity first.

**Weekly series** (:func:`weekly_series`), weeks Monday–Sunday:

* ``arrivals``, ``served``, ``unserved`` (left unserved), ``removals`` = served + unserved:
  counts of entries whose arrival / removal date falls in the week;
* ``size``: non-urgent entries waiting at the end of Sunday — arrived on or before it and
  not removed by then (the waiting list on that date, plan-based episodes left out);
* ``mean_wait_days`` of those waiting (Sunday − assessment date), and optionally the exact
  ``median_wait_days`` and ``p90_wait_days`` (linear interpolation; the median of an even
  count is the mean of the two middle waits);
* ``past_legal_limit`` / ``past_target``: of those waiting, how many are past the legal
  deadline (rule in force on the assessment date) / the regional target deadline;
* the wait distribution of those waiting, in weeks waited: ``waited_0_1w`` (0–6 days),
  ``waited_1_2w``, ``waited_2_4w``, ``waited_4_8w``, ``waited_8_13w``, ``waited_13_26w``,
  ``waited_26_52w``, ``waited_52w_plus`` (364 days or more).

Every count adds up across units, so the pooled queue's series is the sum of its units'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sotekeskus.domain.vocabulary import CODES, EPISODE_CASE_TYPES, CaseEvent, CaseType
from sotekeskus.planning.source import PlanningSource

POOLED = "all"
#: Wait bins of those waiting, in days: [lo, hi).
WAIT_BINS: tuple[tuple[str, int, int | None], ...] = (
    ("waited_0_1w", 0, 7), ("waited_1_2w", 7, 14), ("waited_2_4w", 14, 28),
    ("waited_4_8w", 28, 56), ("waited_8_13w", 56, 91), ("waited_13_26w", 91, 182),
    ("waited_26_52w", 182, 364), ("waited_52w_plus", 364, None),
)
COUNT_COLUMNS = ("arrivals", "served", "unserved", "removals", "size", "past_legal_limit",
                 "past_target", "urgent_arrivals", "urgent_served",
                 *(name for name, _, _ in WAIT_BINS))
SERIES_COLUMNS = ("queue_id", "service_area", "professional_group", "unit_id", "week",
                  "arrivals", "served", "unserved", "removals", "size", "mean_wait_days",
                  "median_wait_days", "p90_wait_days", "past_legal_limit", "past_target",
                  "urgent_arrivals", "urgent_served", *(name for name, _, _ in WAIT_BINS))
_EPOCH = date(1970, 1, 1)
_NEVER = np.iinfo(np.int64).max // 4


class QueueError(ValueError):
    """A queue name or a queue computation's input is invalid (the message says which)."""


CASE_TYPES: tuple[str, ...] = tuple(c.value for c in CaseType
                                   if c not in EPISODE_CASE_TYPES)
CASE_EVENTS: tuple[str, ...] = tuple(e.value for e in CaseEvent)


@dataclass(frozen=True, order=True)
class QueueId:
    """``service_area/professional_group/unit_id`` (``all``: pooled over the units), or a
    case-events queue ``case_type/from_event-to_event/unit_id`` (e.g.
    ``geriatrician/referral-visit``): the cases waiting between two events."""

    service_area: str
    professional_group: str
    unit_id: str | None = None

    def __post_init__(self) -> None:
        if self.service_area in CASE_TYPES:
            events = self.professional_group.split("-")
            if len(events) != 2 or not all(e in CASE_EVENTS for e in events):
                raise QueueError(
                    f"a {self.service_area} queue is written {self.service_area}/"
                    f"from_event-to_event, events one of {', '.join(CASE_EVENTS)}; got "
                    f"{self.professional_group!r}")
            return
        if self.service_area not in CODES["service_area"]:
            raise QueueError(f"service_area {self.service_area!r} is not one of "
                             f"{', '.join(CODES['service_area'])} (or a case type: "
                             f"{', '.join(CASE_TYPES)})")
        if self.professional_group not in CODES["professional_group"]:
            raise QueueError(f"professional_group {self.professional_group!r} is not one of "
                             f"{', '.join(CODES['professional_group'])}")

    def __str__(self) -> str:
        return f"{self.service_area}/{self.professional_group}/{self.unit_id or POOLED}"

    @property
    def pooled(self) -> bool:
        return self.unit_id is None

    @property
    def is_case(self) -> bool:
        """A queue between two events of a case type (from the case-events file)."""
        return self.service_area in CASE_TYPES

    @classmethod
    def parse(cls, text: str) -> QueueId:
        """``oral/dental_hygienist``, ``oral/dental_hygienist/all``, ``…/U010`` or
        ``geriatrician/referral-visit[/U012]``."""
        parts = [p.strip() for p in text.strip().split("/")]
        if len(parts) not in (2, 3) or not all(parts):
            raise QueueError(
                f"queue {text!r}: write service_area/professional_group[/unit_id], e.g. "
                "oral/dental_hygienist or oral/dental_hygienist/U010 (or case_type/"
                "from_event-to_event, e.g. geriatrician/referral-visit)")
        unit = parts[2] if len(parts) == 3 and parts[2] != POOLED else None
        return cls(parts[0], parts[1], unit)


def day_number(value: date) -> int:
    return (value - _EPOCH).days


def from_day_number(value: int) -> date:
    return _EPOCH + timedelta(days=int(value))


def monday_of(value: date) -> date:
    return value - timedelta(days=value.weekday())


# ---- entries -------------------------------------------------------------------------------

ENTRY_SCHEMA = pa.schema([
    ("service_area", pa.string()), ("professional_group", pa.string()),
    ("unit_id", pa.string()), ("urgent", pa.bool_()), ("arrival_day", pa.int64()),
    ("removal_day", pa.int64()), ("served", pa.bool_()), ("legal_deadline_day", pa.int64()),
    ("target_deadline_day", pa.int64()),
])


def queue_entries(source: PlanningSource, *, service_areas: Sequence[str] | None = None,
                  professional_groups: Sequence[str] | None = None,
                  unit_ids: Sequence[str] | None = None,
                  include_unassessed: bool = False) -> pa.Table:
    """One row per queue entry (see the module docstring), days as day numbers since
    1970-01-01; ``removal_day`` null while waiting, ``served`` false when left unserved.

    With ``include_unassessed`` an episode whose assessment was not recorded enters on its
    contact date (units record the assessment for only part of their episodes, so the
    assessed ones alone undercount demand and capacity by that share); by default only
    assessed episodes enter, exactly as in the waiting list on a date."""
    e = source.episodes()
    e = e.filter(~e.plan_based.fill_null(False))
    if include_unassessed:
        e = e.mutate(assessed_at=e.assessed_at.fill_null(e.contact_at))
    else:
        e = e.filter(e.assessed_at.notnull())
    if service_areas:
        e = e.filter(e.service_area.isin(list(service_areas)))
    if professional_groups:
        e = e.filter(e.professional_group.isin(list(professional_groups)))
    if unit_ids:
        e = e.filter(e.unit_id.isin(list(unit_ids)))
    epoch = ibis.date(_EPOCH)
    arrival = e.assessed_at.date().delta(epoch, unit="day")
    visit = e.visit_at.date().delta(epoch, unit="day")
    removal = ibis.cases(
        (e.status == "done", ibis.greatest(visit, arrival)),
        (e.status == "cancelled", arrival),
        else_=ibis.null("int64"),
    )
    e = e.select(
        service_area=e.service_area, professional_group=e.professional_group,
        unit_id=e.unit_id, urgent=e.urgency == "urgent", arrival_day=arrival.cast("int64"),
        removal_day=removal.cast("int64"), served=e.status == "done",
        legal_deadline_day=e.legal_deadline.delta(epoch, unit="day").cast("int64"),
        target_deadline_day=e.target_deadline.delta(epoch, unit="day").cast("int64"),
    )
    table = e.to_pyarrow()
    return table.cast(ENTRY_SCHEMA)


# ---- weekly series -------------------------------------------------------------------------


def _week_index(days: np.ndarray, monday0: int, n_weeks: int) -> np.ndarray:
    """Week of each day (-1 before the range, n_weeks after it)."""
    week: np.ndarray = np.clip(np.floor_divide(days - monday0, 7), -1, n_weeks)
    return week


def _interval_counts(q: np.ndarray, lo: np.ndarray, hi: np.ndarray, nq: int, end0: int,
                     n_weeks: int, weight: np.ndarray | None = None) -> np.ndarray:
    """Sum of ``weight`` over the entries with lo ≤ E_j < hi, for every queue and week-end
    E_j = end0 + 7j (difference array over weeks, then a cumulative sum)."""
    j_lo = np.clip(-np.floor_divide(-(lo - end0), 7), 0, n_weeks)  # ceil
    j_hi = np.clip(-np.floor_divide(-(np.minimum(hi, _NEVER) - end0), 7), 0, n_weeks)
    keep = j_lo < j_hi
    w = np.ones(int(keep.sum())) if weight is None else weight[keep].astype(np.float64)
    stride = n_weeks + 1
    diff = np.bincount(q[keep] * stride + j_lo[keep], weights=w, minlength=nq * stride)
    diff -= np.bincount(q[keep] * stride + j_hi[keep], weights=w, minlength=nq * stride)
    return np.cumsum(diff.reshape(nq, stride), axis=1)[:, :n_weeks]


def _week_counts(q: np.ndarray, days: np.ndarray, mask: np.ndarray, nq: int, monday0: int,
                 n_weeks: int) -> np.ndarray:
    wk = _week_index(days, monday0, n_weeks)
    keep = mask & (wk >= 0) & (wk < n_weeks)
    return np.bincount(q[keep] * n_weeks + wk[keep], minlength=nq * n_weeks).reshape(
        nq, n_weeks)


def _quantiles(q: np.ndarray, a: np.ndarray, r: np.ndarray, nq: int, end0: int,
               n_weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact median and 90th percentile of (E_j − a) over the entries waiting at E_j."""
    j_lo = np.clip(-np.floor_divide(-(a - end0), 7), 0, n_weeks)
    j_hi = np.clip(-np.floor_divide(-(np.minimum(r, _NEVER) - end0), 7), 0, n_weeks)
    count = np.maximum(j_hi - j_lo, 0)
    median = np.full((nq, n_weeks), np.nan)
    p90 = np.full((nq, n_weeks), np.nan)
    total = int(count.sum())
    if total == 0:
        return median, p90
    idx = np.repeat(np.arange(a.size), count)
    first = np.repeat(np.cumsum(count) - count, count)
    j = j_lo[idx] + (np.arange(total) - first)
    wait = end0 + 7 * j - a[idx]
    group = q[idx] * n_weeks + j
    order = np.lexsort((wait, group))
    group, wait = group[order], wait[order].astype(np.float64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, group.size])
    for p, out in ((0.5, median), (0.9, p90)):
        pos = starts + p * (sizes - 1)
        low = np.floor(pos).astype(np.int64)
        high = np.minimum(low + 1, starts + sizes - 1)
        value = wait[low] + (wait[high] - wait[low]) * (pos - low)
        out.reshape(-1)[group[starts]] = value
    return median, p90


def _additive_series(q: np.ndarray, nq: int, t: dict[str, np.ndarray], monday0: int,
                     n_weeks: int) -> dict[str, np.ndarray]:
    """Every count (and ``_sum_arrival``, the sum of the waiting entries' arrival days) per
    queue and week; all of them add up across queues."""
    end0 = monday0 + 6
    urgent = t["urgent"]
    nu = ~urgent
    a, r = t["arrival_day"], t["removal_day"]
    removed = r < _NEVER
    served = t["served"] & removed
    out: dict[str, np.ndarray] = {
        "arrivals": _week_counts(q, a, nu, nq, monday0, n_weeks),
        "served": _week_counts(q, r, nu & served, nq, monday0, n_weeks),
        "unserved": _week_counts(q, r, nu & removed & ~served, nq, monday0, n_weeks),
        "urgent_arrivals": _week_counts(q, a, urgent, nq, monday0, n_weeks),
        "urgent_served": _week_counts(q, r, urgent & served, nq, monday0, n_weeks),
    }
    out["removals"] = out["served"] + out["unserved"]
    qn, an, rn = q[nu], a[nu], r[nu]
    out["size"] = _interval_counts(qn, an, rn, nq, end0, n_weeks)
    out["_sum_arrival"] = _interval_counts(qn, an, rn, nq, end0, n_weeks, weight=an)
    for name, lo_days, hi_days in WAIT_BINS:
        hi = rn if hi_days is None else np.minimum(an + hi_days, rn)
        out[name] = _interval_counts(qn, an + lo_days, hi, nq, end0, n_weeks)
    for name, column in (("past_legal_limit", "legal_deadline_day"),
                         ("past_target", "target_deadline_day")):
        deadline = t[column][nu]
        has = deadline < _NEVER
        out[name] = _interval_counts(qn[has], np.maximum(an[has], deadline[has] + 1),
                                     rn[has], nq, end0, n_weeks)
    return out


def _factorize(entries: pa.Table, columns: list[str]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Integer code of each entry's key (the ``columns``), codes in sorted label order."""
    combined = np.zeros(entries.num_rows, dtype=np.int64)
    dictionaries = []
    for c in columns:
        encoded = pc.dictionary_encode(entries[c].combine_chunks())
        dictionary = encoded.dictionary.to_pylist()
        combined = combined * max(len(dictionary), 1) + encoded.indices.to_numpy(
            zero_copy_only=False).astype(np.int64)
        dictionaries.append(dictionary)
    if combined.size == 0:
        return combined, []
    present = np.flatnonzero(np.bincount(combined))
    labels = []
    for value in present.tolist():
        parts = []
        for dictionary in reversed(dictionaries):
            value, index = divmod(value, max(len(dictionary), 1))
            parts.append(dictionary[index])
        labels.append(tuple(reversed(parts)))
    order = sorted(range(len(labels)), key=lambda i: labels[i])
    lookup = np.zeros(int(present[-1]) + 1, dtype=np.int64)
    lookup[present[order]] = np.arange(len(labels))
    return lookup[combined], [labels[i] for i in order]


def weekly_series(entries: pa.Table, start: date, end: date, *, units: bool = True,
                  pooled: bool = True, quantiles: bool = False) -> pd.DataFrame:
    """One row per queue × week for the whole weeks from the Monday of ``start``'s week to
    the last Sunday on or before ``end`` (:data:`SERIES_COLUMNS`; median and p90 only with
    ``quantiles``). A week the data does not cover to its Sunday is left out: its arrivals
    and week-end figures would be cut short.

    Entries that arrived before ``start`` count in the sizes and waits, not in arrivals.
    """
    if end < start:
        raise QueueError(f"end {end} is before start {start}")
    if not (units or pooled):
        raise QueueError("ask for the units' queues, the pooled queues or both")
    monday0 = day_number(monday_of(start))
    n_weeks = (day_number(end) - monday0 + 1) // 7
    if n_weeks < 1:
        raise QueueError(f"{start} … {end} holds no whole week (Monday to Sunday)")
    t: dict[str, np.ndarray] = {}
    for name in ("arrival_day", "removal_day", "legal_deadline_day", "target_deadline_day"):
        t[name] = entries[name].fill_null(_NEVER).to_numpy().astype(np.int64)
    for name in ("served", "urgent"):
        t[name] = entries[name].fill_null(False).to_numpy(zero_copy_only=False)
    codes, labels = _factorize(entries, ["service_area", "professional_group", "unit_id"])
    if not labels:
        return pd.DataFrame({c: [] for c in SERIES_COLUMNS})
    unit_series = _additive_series(codes, len(labels), t, monday0, n_weeks)
    pool_labels = sorted({label[:2] for label in labels})
    pool_of = np.array([pool_labels.index(label[:2]) for label in labels], dtype=np.int64)
    week_end = monday0 + 6 + 7 * np.arange(n_weeks)
    nu = ~t["urgent"]
    frames = []
    for pool in ([False] if units else []) + ([True] if pooled else []):
        if pool:
            series = {}
            for name, values in unit_series.items():
                summed = np.zeros((len(pool_labels), n_weeks), dtype=np.float64)
                np.add.at(summed, pool_of, values)
                series[name] = summed
            keys: list[tuple[str, str, str | None]] = [(a, g, None) for a, g in pool_labels]
            q = pool_of[codes]
        else:
            series, q = dict(unit_series), codes
            keys = [(a, g, u) for a, g, u in labels]
        size = series["size"]
        with np.errstate(invalid="ignore", divide="ignore"):
            series["mean_wait_days"] = np.where(
                size > 0, week_end[None, :] - series.pop("_sum_arrival") / size, np.nan)
        if quantiles:
            series["median_wait_days"], series["p90_wait_days"] = _quantiles(
                q[nu], t["arrival_day"][nu], t["removal_day"][nu], len(keys), monday0 + 6,
                n_weeks)
        frame = pd.DataFrame({name: values.reshape(-1) for name, values in series.items()})
        rep = np.repeat(np.arange(len(keys)), n_weeks)
        for i, column in enumerate(("service_area", "professional_group", "unit_id")):
            frame[column] = np.array([k[i] for k in keys], dtype=object)[rep]
        frame["week"] = np.tile(np.array([from_day_number(monday0 + 7 * j)
                                          for j in range(n_weeks)], dtype=object), len(keys))
        frame["queue_id"] = np.array([str(QueueId(k[0], k[1], k[2])) for k in keys],
                                     dtype=object)[rep]
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    for c in COUNT_COLUMNS:
        df[c] = np.rint(df[c]).astype(np.int64)
    for c in ("median_wait_days", "p90_wait_days"):
        if c not in df:
            df[c] = np.nan
    return df[list(SERIES_COLUMNS)]


def select_queue(series: pd.DataFrame, queue: QueueId) -> pd.DataFrame:
    """The rows of one queue (raises :class:`QueueError` listing the known ones if none)."""
    rows = series[series["queue_id"] == str(queue)]
    if rows.empty:
        known = sorted(set(series["queue_id"]))
        shown = ", ".join(known[:30]) + (" …" if len(known) > 30 else "")
        raise QueueError(f"no queue {queue} in the data; queues: {shown or 'none'}")
    return rows.reset_index(drop=True)


def known_queues(entries: pa.Table) -> list[QueueId]:
    keys = set(zip(*(entries[c].to_pylist() for c in (
        "service_area", "professional_group", "unit_id")), strict=True))
    pooled = {(a, g, None) for a, g, _ in keys}
    return sorted((QueueId(a, g, u) for a, g, u in keys | pooled), key=str)


def rows_of(frame: pd.DataFrame,
            columns: Iterable[str] = SERIES_COLUMNS) -> list[dict[str, object]]:
    """Plain Python rows (NaN → None, numpy scalars → Python)."""
    cols = list(columns)
    out = []
    for rec in frame[cols].itertuples(index=False, name=None):
        row = {}
        for c, v in zip(cols, rec, strict=True):
            if isinstance(v, float) and np.isnan(v):
                v = None
            elif isinstance(v, np.generic):
                v = v.item()
            row[c] = v
        out.append(row)
    return out
