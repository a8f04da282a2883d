"""Assemble the episode file (the import contract of domain.md) as an Arrow table."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sotekeskus.domain.vocabulary import EPISODE_COLUMNS
from sotekeskus.synth.calibration import AREAS, GROUPS, MODES, STATUSES
from sotekeskus.synth.strings import decimal_ids, take_codes
from sotekeskus.synth.units import UNIT_IDS

#: The episode-file schema, columns in contract order.
EPISODE_SCHEMA = pa.schema(
    [
        ("episode_id", pa.string()),
        ("person_id", pa.string()),
        ("birth_date", pa.date32()),
        ("unit_id", pa.string()),
        ("service_area", pa.string()),
        ("professional_group", pa.string()),
        ("urgency", pa.string()),
        ("contact_at", pa.timestamp("s")),
        ("assessed_at", pa.timestamp("s")),
        ("visit_at", pa.timestamp("s")),
        ("contact_mode", pa.string()),
        ("status", pa.string()),
        ("plan_based", pa.bool_()),
    ]
)
if tuple(EPISODE_SCHEMA.names) != tuple(EPISODE_COLUMNS):  # pragma: no cover
    raise RuntimeError("synthetic episode schema drifted from the episode-file contract")

URGENCIES = ("urgent", "non_urgent")


def _timestamps(epoch0: int, minutes: np.ndarray, null: np.ndarray | None) -> pa.Array:
    seconds = (np.int64(epoch0) * 1440 + minutes.astype(np.int64)) * 60
    return pa.array(seconds, type=pa.timestamp("s"), mask=null)


def build_episode_table(
    *,
    epoch0: int,
    person_ids: pa.Array | pa.ChunkedArray,
    birth_epoch: np.ndarray,
    person: np.ndarray,
    unit: np.ndarray,
    area: np.ndarray,
    group: np.ndarray,
    urgent: np.ndarray,
    contact_t: np.ndarray,
    assessed_t: np.ndarray,
    assessed_recorded: np.ndarray,
    visit_t: np.ndarray,
    mode: np.ndarray,
    status: np.ndarray,
    plan: np.ndarray,
) -> pa.Table:
    """Rows sorted by contact time; ids numbered in that order (E00000001, ...).

    ``visit_t`` and ``mode`` are used only where ``status`` is done; times are absolute
    minutes from the start date, days of birth are epoch days.
    """
    order = np.argsort(contact_t, kind="stable")
    n = order.size
    done = status[order] == STATUSES.index("done")
    if isinstance(person_ids, pa.ChunkedArray):
        person_ids = person_ids.combine_chunks()
    columns = [
        decimal_ids("E", np.arange(1, n + 1), 8),
        person_ids.take(pa.array(person[order])),
        pa.array(birth_epoch[person[order]].astype(np.int32), type=pa.date32()),
        take_codes(UNIT_IDS, unit[order]),
        take_codes(AREAS, area[order]),
        take_codes(GROUPS, group[order]),
        take_codes(URGENCIES, np.where(urgent[order], 0, 1)),
        _timestamps(epoch0, contact_t[order], None),
        _timestamps(epoch0, assessed_t[order], ~assessed_recorded[order]),
        _timestamps(epoch0, np.where(done, visit_t[order], 0), ~done),
        take_codes(MODES, np.where(done, mode[order], 0), ~done),
        take_codes(STATUSES, status[order]),
        pa.array(plan[order], type=pa.bool_()),
    ]
    return pa.Table.from_arrays(columns, schema=EPISODE_SCHEMA)
