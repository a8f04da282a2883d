"""The case-events import (planning.md §1): precise errors, all-or-nothing, idempotent."""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sotekeskus.domain.vocabulary import EVENT_CASE_TYPES, CaseEvent
from sotekeskus.ingest.case_events import CaseEventFileError, read_case_event_file
from sotekeskus.rules import load_rulebook
from sotekeskus.store.case_events import all_events, count_events, import_case_event_file
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.migrate import upgrade

HEADER = "case_id,person_id,birth_date,unit_id,case_type,event,at,urgency,professional_group"
GOOD = textwrap.dedent(f"""\
    {HEADER}
    N1,P1,2015-05-05,U1,child_welfare_notification,notification,2025-04-17T10:00,,
    N1,P1,2015-05-05,U1,child_welfare_notification,decision,2025-04-30 16:00,,social_worker
    O1,P2,1950-06-18,U2,older_person_assessment,contact,2025-06-18,non_urgent,
    O1,P2,1950-06-18,U2,older_person_assessment,assessment_started,2025-06-30T09:00:00+03:00,,
    """)


@pytest.fixture(autouse=True)
def _no_region_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOTEKESKUS_RULES_DIR", raising=False)


@pytest.fixture
def legs():
    return load_rulebook().legs()


@pytest.fixture
def engine(any_db):
    eng = make_engine(resolve_url(any_db))
    upgrade(eng)
    return eng


def write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> str:
    with pytest.raises(CaseEventFileError) as caught:
        read_case_event_file(path)
    return str(caught.value)


def test_a_good_file_is_typed(tmp_path: Path) -> None:
    batch = read_case_event_file(write(tmp_path, GOOD))
    rows = batch.events().to_pylist()
    assert len(rows) == 4
    assert rows[0]["at"] == datetime(2025, 4, 17, 10, 0)
    assert rows[1]["professional_group"] == "social_worker" and rows[0]["urgency"] is None
    assert rows[2]["birth_date"] == date(1950, 6, 18) and rows[2]["at"] == datetime(2025, 6, 18)
    assert rows[3]["at"] == datetime(2025, 6, 30, 9, 0)  # +03:00 is Finnish summer time


def test_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    text = "case_id,person_id,birth_date,unit_id,case_type,event,at\n" \
           "A1,P1,1960-01-01,U1,disability_application,application,2025-01-02\n"
    batch = read_case_event_file(write(tmp_path, text))
    assert batch.events().column("urgency").to_pylist() == [None]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("X1,P1,2015-05-05,U1,dental,notification,2025-04-17,,",
         "line 2, case X1, column case_type, value 'dental': unknown case type; allowed: "
         + ", ".join(EVENT_CASE_TYPES)),
        ("X1,P1,2015-05-05,U1,primary_access,visit,2025-04-17,,",
         "line 2, case X1, column case_type, value 'primary_access': this case type comes "
         "from the episode file"),
        ("X1,P1,2015-05-05,U1,elderly_service,arrived,2025-04-17,,",
         "line 2, case X1, column event, value 'arrived': unknown event; allowed: "
         + ", ".join(CaseEvent)),
        ("X1,P1,2015-05-05,U1,elderly_service,decision,2025-04-17,soon,",
         "line 2, case X1, column urgency, value 'soon': unknown urgency; allowed: urgent, "
         "non_urgent"),
        ("X1,P1,2015-05-05,U1,elderly_service,decision,2025-04-17,,wizard",
         "line 2, case X1, column professional_group, value 'wizard': unknown professional "
         "group; allowed: physician"),
        ("X1,P1,5.5.2015,U1,elderly_service,decision,2025-04-17,,",
         "line 2, case X1, column birth_date, value '5.5.2015': not a valid date"),
        ("X1,P1,2015-05-05,U1,elderly_service,decision,17.4.2025,,",
         "line 2, case X1, column at, value '17.4.2025': not a valid ISO 8601 date-time"),
        ("X1,P1,2015-05-05,U1,elderly_service,decision,2025-02-30,,",
         "line 2, case X1, column at, value '2025-02-30': not a valid ISO 8601"),
        ("X1,P1,2026-05-05,U1,elderly_service,decision,2025-04-17,,",
         "line 2, case X1, column birth_date, value '2026-05-05': birth_date is after"),
        (",P1,2015-05-05,U1,elderly_service,decision,2025-04-17,,",
         "line 2, column case_id, value '': a value is required"),
        ("X1,P1,2015-05-05,U1,elderly_service,,2025-04-17,,",
         "line 2, case X1, column event, value '': a value is required"),
    ],
)
def test_errors_name_line_case_column_and_value(tmp_path: Path, line: str, expected: str) -> None:
    message = errors_of(write(tmp_path, f"{HEADER}\n{line}\n"))
    assert "nothing was imported" in message
    assert expected in message, message


def test_duplicate_event_and_inconsistent_case(tmp_path: Path) -> None:
    text = textwrap.dedent(f"""\
        {HEADER}
        C1,P1,2015-05-05,U1,child_welfare_notification,notification,2025-04-17,,

        C1,P1,2015-05-05,U1,child_welfare_notification,notification,2025-04-18,,
        C1,P9,2015-05-05,U1,child_welfare_investigation,decision,2025-04-18,,
        """)
    message = errors_of(write(tmp_path, text))
    assert ("line 2, case C1, column event, value 'notification': the event appears twice "
            "for this case (also on line 4)") in message
    assert "line 4, case C1, column event" in message  # the blank line 3 is counted
    assert ("line 5, case C1, column case_type, value 'child_welfare_investigation': differs "
            "from the first row of this case (line 2: child_welfare_notification)") in message
    assert "line 5, case C1, column person_id, value 'P9'" in message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("case_id,person_id,birth_date,unit_id,case_type,event",
         "line 1, column at: required column is missing"),
        (HEADER + ",status", "line 1, column status: unknown column; the case-events file "
                             "has only: case_id, person_id"),
        ("case_id,case_id,person_id,birth_date,unit_id,case_type,event,at",
         "line 1, column case_id: column appears twice"),
    ],
)
def test_header_errors(tmp_path: Path, header: str, expected: str) -> None:
    assert expected in errors_of(write(tmp_path, header + "\n"))


def test_not_utf8_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\nÄ1,P1,2015-05-05,U1,elderly_service,decision,2025-01-01,,\n"
                      ).encode("latin-1"))
    assert "line 2" in errors_of(path) and "not UTF-8" in errors_of(path)
    assert "the file is empty" in errors_of(write(tmp_path, ""))


def test_parquet_with_typed_columns(tmp_path: Path) -> None:
    table = pa.table({
        "case_id": ["P1", "P1"], "person_id": ["X", "X"],
        "birth_date": pa.array([date(1980, 1, 1)] * 2, pa.date32()),
        "unit_id": ["U1", "U1"], "case_type": ["specialist_referral"] * 2,
        "event": ["referral", "assessment_started"],
        "at": pa.array([datetime(2025, 3, 10, 8), datetime(2025, 3, 31, 15)], pa.timestamp("s")),
    })
    path = tmp_path / "e.parquet"
    pq.write_table(table, path)
    batch = read_case_event_file(path)
    assert batch.events().column("at").to_pylist()[1] == datetime(2025, 3, 31, 15)
    bad = table.set_column(4, "case_type", pa.array(["x", "x"]))
    pq.write_table(bad, path)
    assert "row 1, case P1, column case_type, value 'x': unknown case type" in errors_of(path)


def test_import_is_idempotent_by_case_and_event(tmp_path: Path, engine, legs) -> None:
    path = write(tmp_path, GOOD)
    first = import_case_event_file(engine, path, legs)
    assert (first.rows, first.inserted, first.updated, first.cases) == (4, 4, 0, 2)
    again = import_case_event_file(engine, path, legs)
    assert (again.inserted, again.updated) == (0, 4)
    assert count_events(engine) == 4
    # a correction replaces the event's values and the case's attributes everywhere
    fix = write(tmp_path, f"{HEADER}\nO1,P2,1950-06-17,U2,older_person_assessment,"
                          "assessment_started,2025-06-27T09:00,,nurse\n", "fix.csv")
    result = import_case_event_file(engine, fix, legs)
    assert (result.inserted, result.updated) == (0, 1)
    rows = {(r["case_id"], r["event"]): r for r in all_events(engine).to_pylist()}
    assert rows[("O1", "assessment_started")]["at"] == datetime(2025, 6, 27, 9)
    assert rows[("O1", "assessment_started")]["professional_group"] == "nurse"
    assert rows[("O1", "contact")]["birth_date"] == date(1950, 6, 17)
    assert len(rows) == 4


def test_a_bad_file_imports_nothing(tmp_path: Path, engine, legs) -> None:
    import_case_event_file(engine, write(tmp_path, GOOD), legs)
    bad = write(tmp_path, GOOD + "Z1,P1,2015-05-05,U1,elderly_service,decision,2025-13-01,,\n",
                "bad.csv")
    with pytest.raises(CaseEventFileError):
        import_case_event_file(engine, bad, legs)
    assert count_events(engine) == 4


def test_a_leg_may_not_end_before_it_starts(tmp_path: Path, engine, legs) -> None:
    text = (f"{HEADER}\nS1,P1,1980-01-01,U1,elderly_service,decision,2025-03-01,,\n"
            "S1,P1,1980-01-01,U1,elderly_service,service_started,2025-02-01,,\n")
    with pytest.raises(CaseEventFileError) as caught:
        import_case_event_file(engine, write(tmp_path, text), legs)
    assert ("line 3, case S1, column at, value '2025-02-01 00:00:00': service_started "
            "(2025-02-01 00:00) is before decision (2025-03-01 00:00)") in str(caught.value)
    assert count_events(engine) == 0
    # also against the events already in the store
    import_case_event_file(engine, write(tmp_path, text.rsplit("S1", 1)[0], "one.csv"), legs)
    late = write(tmp_path, f"{HEADER}\nS1,P1,1980-01-01,U1,elderly_service,service_started,"
                           "2025-02-01,,\n", "late.csv")
    with pytest.raises(CaseEventFileError, match="line 2, case S1"):
        import_case_event_file(engine, late, legs)
    assert count_events(engine) == 1
