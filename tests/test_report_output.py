"""CLI CSV output cannot carry spreadsheet formulas (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

from sotekeskus.report_output import to_csv


def test_text_that_a_spreadsheet_would_run_is_quoted_numbers_stay_numbers() -> None:
    rows = [{"unit_id": "=HYPERLINK(\"http://x\")", "name": "+SUM(A1)", "code": "@cmd",
             "note": "\tx", "neg": -3, "pct": -12.5, "plain": "U1"}]
    cols = list(rows[0])
    out = list(csv.reader(io.StringIO(to_csv(rows, cols))))
    assert out[0] == cols
    assert out[1] == ["'=HYPERLINK(\"http://x\")", "'+SUM(A1)", "'@cmd", "'\tx", "-3", "-12.5",
                      "U1"]


def test_a_negative_number_written_as_text_is_neutralised() -> None:
    out = to_csv([{"v": "-3"}], ["v"])
    assert out.splitlines()[1] == "'-3"
