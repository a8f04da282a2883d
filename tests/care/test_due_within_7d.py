"""One definition of ``due_within_7d`` (chosen in docs/workdesk.md, "Deadlines within 7
days"): the deadline is on D … D + 7 — 0 to 7 days to it, the ones due today included — in
the waiting list on D (episodes) and in the open deadline legs on D (case events) alike;
``due_today`` (waiting list) is a part of it. The workdesk queue's filter "due within 7 days
or overdue" is another thing (its deadline is D + 7 or earlier, past ones included) and has
its own name (``week``) and label."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis

from sotekeskus.analytics.deadline_report import open_legs
from sotekeskus.analytics.waiting_list import waiting_summary
from sotekeskus.care.cases.queue import DueFilter
from sotekeskus.indicators.catalogue import CATALOGUE
from sotekeskus.ingest.case_events import read_case_event_file
from sotekeskus.rules import load_rulebook
from sotekeskus.web.workdesk.labels import DUE

DATA = Path(__file__).resolve().parents[1] / "data"


def test_the_waiting_list_counts_deadlines_on_d_to_d_plus_7() -> None:
    rows = ibis.memtable({"unit_id": ["U1"] * 5, "professional_group": ["nurse"] * 5,
                          "days_waited": [1, 2, 3, 4, 5],
                          "days_to_deadline": [-1, 0, 1, 7, 8]})
    (got,) = waiting_summary(rows).to_pyarrow().to_pylist()
    assert (got["past_deadline"], got["due_today"], got["due_within_7d"]) == (1, 1, 3)


def test_open_deadline_legs_count_the_same_days() -> None:
    events = read_case_event_file(DATA / "deadlines_hand.csv").events()
    book = load_rulebook()
    # O3 and O4 are open on 2025-06-30, their limit day (E1 and O1 end that day;
    # tests/data/README.md)
    on_the_day = open_legs(events, book, date(2025, 6, 30))
    due_today = [r for r in on_the_day.rows if r["days_to_limit"] == 0]
    assert {r["case_id"] for r in due_today} == {"O3", "O4"}
    assert {r["status"] for r in due_today} == {"due_within_7d"}
    seven_before = open_legs(events, book, date(2025, 6, 23))
    assert {r["status"] for r in seven_before.rows if r["days_to_limit"] == 7} == {
        "due_within_7d"}
    eight_before = open_legs(events, book, date(2025, 6, 22))
    assert {r["status"] for r in eight_before.rows if r["days_to_limit"] == 8} <= {
        "within_limit"}


def test_the_catalogue_states_the_definition_and_the_queue_filter_has_its_own_name() -> None:
    indicator = CATALOGUE["due_within_7d"]
    assert "D … D+7" in indicator.definition and "today included" in indicator.definition
    assert DUE[DueFilter.WEEK.value] == "Due within 7 days or overdue"
