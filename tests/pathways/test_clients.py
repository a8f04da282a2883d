"""Multi-service clients and high users against a hand-computed case."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sotekeskus.pathways.clients import COLUMNS, clients, suppress
from sotekeskus.pathways.periods import add_months, window
from tests.pathways.helpers import DATA, source


def test_hand_computed_rows():
    result = clients(source("clients_hand.csv"), date(2025, 12, 31))
    expected = json.loads((DATA / "clients_hand_expected.json").read_text())
    assert result.date_from.isoformat() == expected["from"]
    assert result.high_user_threshold == expected["high_user_threshold"]
    assert [{c: r[c] for c in COLUMNS} for r in result.rows] == expected["rows"]
    assert result.region["high_user_contacts_pct"] == 48.3


def test_suppression_hides_small_counts_and_revealing_percentages():
    rows = suppress(clients(source("clients_hand.csv"), date(2025, 12, 31)).rows)
    region = rows[-1]
    assert region["clients"] == 12 and region["multi_service_2"] == "<5"
    assert region["multi_service_2_pct"] is None and region["high_users_pct"] is None
    assert region["contacts"] == 29 and region["high_user_contacts"] == 14
    assert region["high_user_contacts_pct"] == 48.3


def test_the_window_moves_with_the_end_date():
    # To 2025-06-30: 2024-07-01 – 2025-06-30 brings Q10's 2024 visits in.
    result = clients(source("clients_hand.csv"), date(2025, 6, 30))
    assert (result.date_from, result.date_to) == (date(2024, 7, 1), date(2025, 6, 30))
    region = result.region
    # In: Q10's mental visits of 2024-12-30 and -31 (2 areas now); out: Q1's social and oral
    # (Jul–Sep), Q5's substance (Nov), Q11's August visit, both of Q12's visits (no client).
    # Multi-service: Q3, Q10. Contacts 6+2+2+1+4+3+1+3+2 = 24; k = ⌈1.1⌉ = 2; in descending
    # order 6, 4, 3, … → threshold 4: Q1 and Q5 with 10 contacts = 41.7 %.
    assert (region["clients"], region["multi_service_2"], region["multi_service_3"]) == (
        11, 2, 0)
    assert (result.high_user_threshold, region["high_users"], region["contacts"],
            region["high_user_contacts"], region["high_user_contacts_pct"]) == (
        4, 2, 24, 10, 41.7)


def test_no_clients_gives_one_empty_region_row():
    result = clients(source("clients_hand.csv"), date(2030, 12, 31))
    assert result.high_user_threshold is None
    assert result.rows == [{**{c: 0 for c in COLUMNS}, "unit_id": "all", "age_group": "all",
                            **{c: None for c in COLUMNS if c.endswith("_pct")}}]


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2025, 1, 31), 1, date(2025, 2, 28)), (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 3, 31), -1, date(2025, 2, 28)), (date(2025, 1, 1), -12, date(2024, 1, 1)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_window_of_twelve_months():
    assert window(date(2025, 12, 31)) == (date(2025, 1, 1), date(2025, 12, 31))
    assert window(date(2024, 2, 29)) == (date(2023, 3, 1), date(2024, 2, 29))
