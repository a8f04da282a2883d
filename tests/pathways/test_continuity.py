"""Continuity of care (Bice–Boxerman COC) against hand-computed cases."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest

from sotekeskus.pathways.continuity import COLUMNS, continuity, suppress
from sotekeskus.pathways.errors import MissingDataError, PathwaysError
from sotekeskus.pathways.source import EpisodeSource
from tests.pathways.helpers import DATA, load_episodes, source

Q1 = (date(2025, 1, 1), date(2025, 3, 31))


def test_hand_computed_units():
    result = continuity(source("continuity_hand.csv"), *Q1)
    expected = json.loads((DATA / "continuity_hand_expected.json").read_text())
    assert {"units": [{c: r[c] for c in COLUMNS} for r in result.rows]} == expected
    detail = {(r["unit_id"], r["professional_group"]): r for r in result.rows}
    assert detail[("U1", "physician")]["median_coc"] == 0.333
    assert detail[("U1", "physician")]["visits"] == 17
    assert detail[("U2", "physician")]["median_coc"] == 0.75
    assert detail[("U2", "physician")]["visits"] == 18
    assert result.visits_without_professional == 1


def test_small_cells_are_suppressed():
    rows = suppress(continuity(source("continuity_hand.csv"), *Q1).rows)
    nurse = next(r for r in rows if r["professional_group"] == "nurse")
    assert nurse["persons"] == "<5" and nurse["mean_coc"] is None
    physician = next(r for r in rows if r["unit_id"] == "U1" and
                     r["professional_group"] == "physician")
    assert physician["persons"] == 5 and physician["mean_coc"] == 0.407


def test_period_edges_are_inclusive():
    # Moving the start to 2024-12-31 brings P7's first visit in: P7 has D1 D1 → COC 1.
    result = continuity(source("continuity_hand.csv"), date(2024, 12, 31), date(2025, 3, 31))
    row = next(r for r in result.rows if r["unit_id"] == "U1" and
               r["professional_group"] == "physician")
    assert row["persons"] == 6
    assert row["mean_coc"] == pytest.approx(round((2.0333333 + 1) / 6, 3))
    # Ending on 2025-03-30 drops P3's last visit (and so P3).
    result = continuity(source("continuity_hand.csv"), date(2025, 1, 1), date(2025, 3, 30))
    row = next(r for r in result.rows if r["unit_id"] == "U1" and
               r["professional_group"] == "physician")
    assert row["persons"] == 4 and row["mean_coc"] == 0.508  # (0.5+1+0.2+1/3)/4 = 0.50833


def test_without_professional_id_column_the_error_says_so():
    table = load_episodes("continuity_hand.csv").drop_columns(["professional_id"])
    with pytest.raises(MissingDataError, match="professional_id.*contract version 2"):
        continuity(EpisodeSource.from_arrow(table), *Q1)


def test_with_professional_id_never_filled_the_error_says_so():
    table = load_episodes("continuity_hand.csv")
    table = table.set_column(table.schema.get_field_index("professional_id"),
                             "professional_id", pa.nulls(table.num_rows, pa.string()))
    with pytest.raises(PathwaysError, match="none of the .* done visits .* has one"):
        continuity(EpisodeSource.from_arrow(table), *Q1)


def test_reversed_period_is_an_error():
    with pytest.raises(PathwaysError, match="ends"):
        continuity(source("continuity_hand.csv"), date(2025, 3, 1), date(2025, 1, 1))


def test_an_empty_period_gives_no_rows():
    result = continuity(source("continuity_hand.csv"), date(2030, 1, 1), date(2030, 12, 31))
    assert result.rows == []
