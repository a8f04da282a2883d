"""T3 from a slot export: hand-computed cases (tests/data/t3_*), the rule's edges, bad files."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sotekeskus.care.booking.slot_export import SlotFileError, parse_slots
from sotekeskus.cli import app
from sotekeskus.domain.vocabulary import ProfessionalGroup
from sotekeskus.domain.workflow.codes import SlotKind, SlotStatus
from sotekeskus.domain.workflow.t3 import T3_CAP_DAYS, Slot, compute_t3, median, t3_days

DATA = Path(__file__).parents[1] / "data"
D = date(2025, 3, 10)
HEADER = "professional_id,unit_id,professional_group,start,end,kind,status\n"


@pytest.mark.parametrize(("on", "expected"), [
    ("2025-03-10", "t3_hand_expected.json"),
    ("2025-03-12", "t3_hand_on_2025-03-12_expected.json"),
])
def test_report_t3_reproduces_the_hand_computed_cases(runner, on: str, expected: str) -> None:
    result = runner.invoke(app, ["report", "t3", "--slots", str(DATA / "t3_hand.csv"),
                                 "--on", on, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads((DATA / expected).read_text())


def test_csv_and_table_formats(runner) -> None:
    args = ["report", "t3", "--slots", str(DATA / "t3_hand.csv"), "--on", "2025-03-10"]
    csv_out = runner.invoke(app, [*args, "--format", "csv"]).stdout.splitlines()
    assert csv_out[0] == "level,unit_id,professional_group,professional_id,t3_days,professionals"
    assert "unit,U1,physician,,181.5,6" in csv_out
    assert "professional,U1,physician,D5,181," in csv_out
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "181.5" in table.stdout


def _slot(pid: str, start: datetime, *, kind: SlotKind = SlotKind.NON_URGENT,
          status: SlotStatus = SlotStatus.FREE, unit: str = "U1",
          group: ProfessionalGroup = ProfessionalGroup.NURSE) -> Slot:
    return Slot(pid, unit, group, start, start + timedelta(minutes=20), kind, status)


def test_third_slot_on_the_day_is_zero_and_cap_is_182() -> None:
    at = datetime(2025, 3, 10, 8)
    assert t3_days([at, at, at], D) == 0
    assert t3_days([at, at], D) == T3_CAP_DAYS == 182
    assert t3_days([D + timedelta(days=n) for n in (1, 2, 181)], D) == 181
    assert t3_days([D + timedelta(days=n) for n in (1, 2, 182)], D) == 182
    assert t3_days([D + timedelta(days=n) for n in (1, 2, 400)], D) == 182
    assert t3_days([D - timedelta(days=1), D, D, D + timedelta(days=5)], D) == 5


def test_only_free_non_urgent_slots_from_the_day_count() -> None:
    base = datetime(2025, 3, 10, 8)
    slots = [_slot("N", base + timedelta(days=1), kind=k) for k in SlotKind]
    slots += [_slot("N", base + timedelta(days=2), status=s) for s in SlotStatus]
    slots += [_slot("N", base + timedelta(days=9))]
    slots += [_slot("N", base - timedelta(days=1))]  # before D
    (prof,) = compute_t3(slots, D).professionals
    assert prof.t3_days == 9  # day 1 non_urgent free, day 2 free, day 9


def test_a_professional_with_a_full_diary_is_measured_as_182() -> None:
    slots = [_slot("A", datetime(2025, 3, 11, 8), status=SlotStatus.BOOKED)]
    slots += [_slot("B", datetime(2025, 3, 10 + d, 8)) for d in (0, 1, 2)]
    result = compute_t3(slots, D)
    assert [(p.professional_id, p.t3_days) for p in result.professionals] == [("A", 182),
                                                                              ("B", 2)]
    (unit,) = result.units
    assert unit.t3_days == 92 and unit.professionals == 2


def test_median_odd_and_even() -> None:
    assert median([5, 1, 3]) == 3
    assert median([1, 2, 4, 10]) == 3
    assert median([181, 182]) == 181.5
    with pytest.raises(ValueError):
        median([])


def test_a_bad_file_names_line_column_value_and_allowed_codes() -> None:
    text = HEADER + ("D1,U1,physician,2025-03-10T08:00,2025-03-10T08:20,non_urgent,free\n"
                     "\n"
                     "D1,U1,doctor,2025-03-10T08:00,2025-03-10T08:20,routine,open\n"
                     "D1,,nurse,2025-03-31,2025-03-10T08:20,urgent,free\n"
                     "D1,U1,nurse,2025-03-10T09:00,2025-03-10T08:20,urgent,free\n")
    with pytest.raises(SlotFileError) as info:
        parse_slots(text, "slots.csv")
    message = str(info.value)
    assert message.startswith("slots.csv: 6 error(s); no T3 computed.")
    assert ("line 4, column professional_group, value 'doctor': unknown code; allowed: "
            "physician, nurse, dentist") in message
    assert "line 4, column kind, value 'routine': unknown code; allowed: non_urgent, urgent, " \
           "other" in message
    assert "line 4, column status, value 'open': unknown code; allowed: free, booked, " \
           "blocked" in message
    assert "line 5, column unit_id, value '': required value is empty" in message
    assert "line 5, column start, value '2025-03-31': not an ISO 8601 date-time" in message
    assert "line 6, column end, value '2025-03-10T08:20': must be after start" in message


@pytest.mark.parametrize(("header", "expected"), [
    ("professional_id,unit_id,professional_group,start,end,kind\n",
     "line 1, column status: required column is missing"),
    (HEADER.strip() + ",room\n", "line 1, column room: unknown column"),
    ("", "empty file: no header row"),
])
def test_a_bad_header_is_refused(header: str, expected: str) -> None:
    with pytest.raises(SlotFileError, match=expected):
        parse_slots(header, "s.csv")


def test_cli_exits_1_on_a_bad_file_and_2_on_a_bad_date(runner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "D1,U1,physician,2025-03-10T08:00,2025-03-10T08:20,soon,free\n")
    result = runner.invoke(app, ["report", "t3", "--slots", str(bad), "--on", "2025-03-10"])
    assert result.exit_code == 1
    assert "column kind, value 'soon'" in result.stderr
    result = runner.invoke(app, ["report", "t3", "--slots", str(bad), "--on", "2025-13-01"])
    assert result.exit_code == 2
    missing = runner.invoke(app, ["report", "t3", "--slots", str(tmp_path / "none.csv"),
                                  "--on", "2025-03-10"])
    assert missing.exit_code == 1 and "cannot read" in missing.stderr


def test_header_only_file_gives_empty_lists(runner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER, encoding="utf-8-sig")
    result = runner.invoke(app, ["report", "t3", "--slots", str(empty), "--on", "2025-03-10",
                                 "-f", "json"])
    assert json.loads(result.stdout) == {"on": "2025-03-10", "professionals": [], "units": []}
