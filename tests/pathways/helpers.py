"""Load hand-built contract-v2 episode CSVs as the snapshot's Arrow types."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from sotekeskus.pathways.source import EpisodeSource

DATA = Path(__file__).parent.parent / "data"

TYPES = {
    "birth_date": pa.date32(), "contact_at": pa.timestamp("s"),
    "assessed_at": pa.timestamp("s"), "visit_at": pa.timestamp("s"),
    "plan_based": pa.bool_(), "care_plan": pa.bool_(),
}


def load_episodes(name: str) -> pa.Table:
    """``tests/data/<name>`` read with empty values as null, typed like the snapshot."""
    path = DATA / name
    header = path.read_text().split("\n", 1)[0].split(",")
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={c: TYPES.get(c, pa.string()) for c in header},
        strings_can_be_null=True, true_values=["true"], false_values=["false"],
        timestamp_parsers=["%Y-%m-%dT%H:%M:%S"]))


def source(name: str) -> EpisodeSource:
    return EpisodeSource.from_arrow(load_episodes(name), label=name)
