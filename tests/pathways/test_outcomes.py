"""Outcome instruments, baseline/follow-up change and NPS against hand-computed cases."""

from __future__ import annotations

from datetime import date

import pytest

from sotekeskus.pathways.errors import RuleTableError
from sotekeskus.pathways.instruments import (
    AnswerError,
    load_instrument,
    parse_instrument,
    shipped_instruments,
)
from sotekeskus.pathways.outcomes import (
    DataFileError,
    nps,
    outcome_change,
    read_experience,
    read_measurements,
    suppress_nps,
    suppress_outcomes,
)
from tests.pathways.helpers import DATA

H1 = (date(2025, 1, 1), date(2025, 6, 30))


@pytest.mark.parametrize(("instrument", "answers", "score", "band"), [
    ("phq9", [0] * 9, 0, "minimal"), ("phq9", [1] * 4 + [0] * 5, 4, "minimal"),
    ("phq9", [1] * 5 + [0] * 4, 5, "mild"), ("phq9", [2] * 7 + [0] * 2, 14, "moderate"),
    ("phq9", [2] * 9 + [1], None, None), ("phq9", [3] * 9, 27, "severe"),
    ("gad7", [3] * 5 + [0] * 2, 15, "severe"), ("gad7", [2] * 5, None, None),
    ("who5", [2, 2, 2, 2, 2], 40, "poor_wellbeing"), ("who5", [1, 1, 1, 2, 2], 28,
                                                        "likely_depression"),
    ("who5", [5] * 5, 100, "adequate_wellbeing"),
])
def test_shipped_instruments_score_and_band(instrument, answers, score, band):
    inst = shipped_instruments()[instrument]
    if score is None:
        with pytest.raises(AnswerError, match="items"):
            inst.score(answers)
        return
    assert inst.score(answers) == score and inst.band(score) == band


def test_answers_outside_the_range_or_missing_are_refused():
    phq9 = shipped_instruments()["phq9"]
    with pytest.raises(AnswerError, match="item 3: 4 is outside 0–3"):
        phq9.score([0, 0, 4, 0, 0, 0, 0, 0, 0])
    with pytest.raises(AnswerError, match="1 unanswered item"):
        phq9.score([0, 0, None, 0, 0, 0, 0, 0, 0])


def test_a_licensed_instrument_loaded_from_the_regions_file(tmp_path):
    path = tmp_path / "promis_pf.yaml"
    lookup = "\n".join(f"  {raw}: {20 + raw * 2.5}" for raw in range(4, 21))
    path.write_text("id: promis29_physical_function\nitems: 4\nitem_min: 1\nitem_max: 5\n"
                    "score: lookup\nmax_missing: 1\nminimal_important_change: 3\n"
                    f"lookup:\n{lookup}\nbands:\n  - {{max: 100, label: any}}\n")
    inst = load_instrument(path)
    assert inst.score([5, 5, 5, 5]) == 70.0
    assert inst.score([4, 4, None, 5]) == 20 + 17 * 2.5  # 13 × 4/3 = 17.33 → 17 (half up)
    with pytest.raises(RuleTableError, match="lacks raw score"):
        parse_instrument({"id": "x", "items": 2, "item_min": 0, "item_max": 1,
                          "score": "lookup", "lookup": {0: 1}, "bands": [
                              {"max": 1, "label": "a"}]}, "x.yaml")


def test_hand_computed_change_per_service():
    rows = outcome_change(read_measurements(DATA / "outcomes_hand.csv"), *H1)
    assert rows == [
        {"unit_id": "U1", "service_area": "mental", "instrument": "phq9", "baseline": 6,
         "measured_both": 5, "mean_baseline": 14.4, "mean_follow_up": 9.0,
         "mean_change": -5.4, "improved": 2, "improved_pct": 40.0, "worsened": 1,
         "worsened_pct": 20.0},
        {"unit_id": "U2", "service_area": "social", "instrument": "who5", "baseline": 2,
         "measured_both": 2, "mean_baseline": 60.0, "mean_follow_up": 58.0,
         "mean_change": -2.0, "improved": 1, "improved_pct": 50.0, "worsened": 1,
         "worsened_pct": 50.0},
    ]
    suppressed = suppress_outcomes(rows)
    assert suppressed[0]["measured_both"] == 5 and suppressed[0]["improved"] == "<5"
    assert suppressed[0]["improved_pct"] is None and suppressed[0]["mean_change"] == -5.4
    assert suppressed[1]["mean_change"] is None


def test_hand_computed_nps():
    rows = nps(read_experience(DATA / "experience_hand.csv"))
    assert [(r["unit_id"], r["channel"], r["responses"], r["nps"]) for r in rows] == [
        ("U1", "in_person", 6, 16.7), ("U1", "phone", 2, 50.0), ("U1", "all", 8, 25.0),
        ("U2", "chat", 5, -20.0), ("U2", "all", 5, -20.0)]
    assert rows[0]["promoters"] == 3 and rows[0]["passives"] == 1 and rows[0]["detractors"] == 2
    assert suppress_nps(rows)[1] == {"unit_id": "U1", "channel": "phone", "responses": "<5",
                                     "promoters": None, "passives": None, "detractors": None,
                                     "nps": None}
    assert nps(read_experience(DATA / "experience_hand.csv"), date(2025, 3, 5),
               date(2025, 3, 5))[0]["responses"] == 1


def test_bad_measurement_rows_name_line_column_value(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("person_id,instrument,measured_on,unit_id,service_area,answers\n"
                    "A,phq8,2025-01-01,U1,mental,0|0\n"
                    "B,phq9,2025-02-30,U1,dental,0|0|0|0|0|0|0|0|0\n"
                    "C,who5,2025-01-01,U1,social,1|2|x|0|0\n"
                    "D,who5,2025-01-01,U1,social,1|2|6|0|0\n")
    with pytest.raises(DataFileError) as info:
        read_measurements(path)
    text = str(info.value)
    for fragment in ("line 2, column instrument, value 'phq8': unknown instrument; allowed: "
                     "gad7, phq9, who5",
                     "line 3, column measured_on, value '2025-02-30'",
                     "line 3, column service_area, value 'dental': unknown code",
                     "line 4, column answers, value '1|2|x|0|0': answers must be whole",
                     "line 5, column answers, value '1|2|6|0|0': who5 item 3: 6 is outside"):
        assert fragment in text, text


def test_bad_experience_rows(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("unit_id,channel,responded_on,score\nU1,fax,2025-01-01,11\n")
    with pytest.raises(DataFileError) as info:
        read_experience(path)
    assert "column channel, value 'fax': unknown code; allowed: in_person" in str(info.value)
    assert "column score, value '11': a whole number 0–10" in str(info.value)
    path.write_text("unit_id,channel,score\nU1,chat,3\n")
    with pytest.raises(DataFileError, match="responded_on: required column is missing"):
        read_experience(path)
