"""Random event logs of a referral pathway, for tests and benchmarks (not patient data).

Cases walk a Markov chain over the activities of :data:`ACTIVITIES` from ``referral`` until
``closed`` (or a length cap); the time between two events is log-normal with a median per
transition. Timestamps are whole minutes, so some events of a case share a timestamp, and a
share of pairs is given the same timestamp on purpose (ties test the stable ordering). Rows
are in global time order, as an export from an information system usually is, so the events
of a case are interleaved with other cases.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ACTIVITIES = ("referral", "assessed", "queued", "visit", "lab", "consultation",
              "follow_up", "closed")
_A = {a: i for i, a in enumerate(ACTIVITIES)}
# Transition probabilities (rows: from, columns: to); "closed" is absorbing.
_P = np.zeros((len(ACTIVITIES), len(ACTIVITIES)))
for src, row in {
    "referral": {"assessed": 0.85, "queued": 0.10, "closed": 0.05},
    "assessed": {"queued": 0.55, "visit": 0.30, "lab": 0.10, "closed": 0.05},
    "queued": {"visit": 0.85, "assessed": 0.05, "closed": 0.10},
    "visit": {"lab": 0.25, "follow_up": 0.30, "consultation": 0.10, "closed": 0.35},
    "lab": {"visit": 0.55, "follow_up": 0.30, "closed": 0.15},
    "consultation": {"visit": 0.5, "follow_up": 0.3, "closed": 0.2},
    "follow_up": {"visit": 0.35, "lab": 0.15, "closed": 0.5},
    "closed": {"closed": 1.0},
}.items():
    for dst, p in row.items():
        _P[_A[src], _A[dst]] = p
_CUM = np.cumsum(_P, axis=1)
_MEDIAN_H = np.full(len(ACTIVITIES), 24.0)
_MEDIAN_H[[_A["queued"], _A["consultation"]]] = [21 * 24.0, 7 * 24.0]
_MEDIAN_H[_A["closed"]] = 2.0


def random_event_log(cases: int, seed: int = 0, max_length: int = 12,
                     tie_share: float = 0.03) -> pa.Table:
    """An event log ``case_id, activity, timestamp, resource, seq`` (the schema of
    :func:`sotekeskus.pathways.eventlog.read_event_log`) with about 5 events per case."""
    rng = np.random.default_rng(seed)
    case_start = (rng.random(cases) * 3 * 365 * 1440).astype(np.int64)  # minutes over 3 years
    current = np.full(cases, _A["referral"], dtype=np.int64)
    time = case_start.copy()
    active = np.ones(cases, dtype=bool)
    case_parts, act_parts, time_parts = [np.arange(cases)], [current.copy()], [time.copy()]
    for _ in range(max_length - 1):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        u = rng.random(idx.size)
        nxt = (u[:, None] > _CUM[current[idx]]).sum(axis=1)
        nxt = np.minimum(nxt, len(ACTIVITIES) - 1)
        minutes = np.round(rng.lognormal(np.log(_MEDIAN_H[nxt] * 60), 0.9)).astype(np.int64)
        minutes[rng.random(idx.size) < tie_share] = 0
        time[idx] += minutes
        current[idx] = nxt
        case_parts.append(idx)
        act_parts.append(nxt)
        time_parts.append(time[idx].copy())
        active[idx[nxt == _A["closed"]]] = False
    case = np.concatenate(case_parts)
    act = np.concatenate(act_parts)
    minute = np.concatenate(time_parts)
    order = np.argsort(minute, kind="stable")  # global time order; ties keep step order
    case, act, minute = case[order], act[order], minute[order]
    epoch = np.datetime64("2022-01-01T00:00", "m")
    resources = np.array(["nurse", "physician", "psychologist", "social_worker"])
    return pa.table({
        "case_id": pc.binary_join_element_wise("K", pa.array(case).cast(pa.string()), ""),
        "activity": pa.DictionaryArray.from_arrays(
            pa.array(act.astype(np.int32)), pa.array(ACTIVITIES)).cast(pa.string()),
        "timestamp": pa.array((epoch + minute).astype("datetime64[us]")),
        "resource": pa.DictionaryArray.from_arrays(
            pa.array(rng.integers(0, resources.size, size=case.size).astype(np.int32)),
            pa.array(resources)).cast(pa.string()),
        "seq": pa.array(np.arange(case.size, dtype=np.int64)),
    })


def write_event_log_csv(log: pa.Table, path: str) -> None:
    """Write ``log`` as an event-log CSV (``case_id,activity,timestamp,resource``)."""
    import pyarrow.csv as pacsv

    out = pa.table({
        "case_id": log["case_id"], "activity": log["activity"],
        "timestamp": pc.strftime(log["timestamp"].cast(pa.timestamp("s")),
                                 format="%Y-%m-%dT%H:%M:%S"),
        "resource": log["resource"],
    })
    pacsv.write_csv(out, path, pacsv.WriteOptions(quoting_style="none"))
