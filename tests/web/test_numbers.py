"""The numbers a page shows are the numbers the CLI report and the analytics give."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from sotekeskus.analytics.engine import Analytics
from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.suppression import public, suppress_rows
from sotekeskus.cli import app as cli
from sotekeskus.domain.indicators import ACCESS_FIELDS, TARGET_FIELDS
from sotekeskus.web import i18n, labels
from tests.web.conftest import TODAY
from tests.web.helpers import number, table_rows

FIELDS = list(ACCESS_FIELDS) + list(TARGET_FIELDS)


def labelled(mapping: dict, code: str, lang: str) -> str:
    token = i18n.current_language.set(lang)
    try:
        return labels.label(mapping, code)
    finally:
        i18n.current_language.reset(token)


def cli_access(store_url: str, *args: str) -> list[dict]:
    path = store_url.removeprefix("sqlite:///")
    result = CliRunner().invoke(cli, ["report", "access", "--db", path, "--format", "json",
                                      "--with-targets", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["rows"]


def same(page_value: str, cli_value: object) -> bool:
    got = number(page_value)
    if cli_value is None:
        return got is None
    if cli_value == "<5":
        return got == "<5"
    return isinstance(got, float) and abs(got - float(cli_value)) < 1e-9  # type: ignore[arg-type]


@pytest.mark.parametrize("role,cli_args", [("leadership", ["--no-suppress"]),
                                           ("analyst", [])])
def test_dashboard_by_group_equals_cli(client_for, store_url: str, role: str,
                                       cli_args: list[str]) -> None:
    month = "2025-03"
    page = client_for(role).get(f"/access?month_from={month}&month_to={month}")
    assert page.status_code == 200
    shown = table_rows(page.text, "access-by-group")
    expected = cli_access(store_url, "--month", month, *cli_args)
    assert len(shown) == len(expected) > 3
    # labels in the page's own language (the account's stored preference, which other
    # tests, e.g. the malformed-input sweep posting /language, may have changed)
    declared = re.search(r'<html lang="(fi|sv|en)">', page.text)
    assert declared, "the page declares its language"
    lang = declared.group(1)
    for got, exp in zip(shown, expected, strict=True):
        assert got["service_area"] == labelled(labels.SERVICE_AREAS, exp["service_area"], lang)
        assert got["professional_group"] == labelled(labels.PROFESSIONAL_GROUPS,
                                                     exp["professional_group"], lang)
        for field in FIELDS:
            assert same(got[field], exp[field]), (field, got[field], exp[field])


def test_drill_down_to_one_unit_and_group_equals_cli(client_for, store_url: str) -> None:
    """Physician visits within 7 days by month, down to one unit (manager of U1)."""
    page = client_for("manager").get(
        "/access?month_from=2025-04&month_to=2025-04&unit=U1&professional_group=physician")
    shown = table_rows(page.text, "access-by-unit")
    expected = cli_access(store_url, "--month", "2025-04", "--unit", "U1",
                          "--professional-group", "physician", "--by-unit", "--no-suppress")
    assert len(shown) == len(expected) == 1
    for field in FIELDS:
        assert same(shown[0][field], expected[0][field]), field


def test_summary_table_and_csv_equal_analytics(client_for, store_url: str) -> None:
    an = Analytics.open(store_url)
    flt = AccessFilter(month_from="2024-10", month_to="2025-05", service_areas=("medical",),
                       age_group="23-64")
    expected = [public(r) for r in an.access_summary(flt)]
    c = client_for("leadership")
    q = "month_from=2024-10&month_to=2025-05&service_area=medical&age_group=23-64"
    shown = table_rows(c.get(f"/access?{q}").text, "access-summary")
    assert len(shown) == len(expected) == 8
    for got, exp in zip(shown, expected, strict=True):
        for field in FIELDS:
            assert same(got[field], exp[field]), field
    import csv
    import io

    exported = list(csv.DictReader(io.StringIO(
        c.get(f"/access/export/access_summary.csv?{q}").text)))
    for got, exp in zip(exported, expected, strict=True):
        assert got["month"] == exp["month"]
        for field in FIELDS:
            v = exp[field]
            assert got[field] == ("" if v is None else str(v)), field


def test_situation_equals_cli_waiting_report(client_for, store_url: str) -> None:
    path = store_url.removeprefix("sqlite:///")
    result = CliRunner().invoke(cli, ["report", "waiting", "--db", path, "--on",
                                      TODAY.isoformat(), "--unit", "U1", "--format", "json",
                                      "--no-suppress"])  # a manager has unit-level detail
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    page = client_for("manager").get(f"/situation?on={TODAY.isoformat()}")
    assert f'data-total="waiting">{body["waiting"]}<' in page.text
    assert f'data-total="past_deadline">{body["past_deadline"]}<' in page.text
    assert f'data-total="due_within_7d">{body["due_within_7d"]}<' in page.text
    shown = table_rows(page.text, "waiting-summary")
    assert len(shown) == len(body["summary"])
    for got, exp in zip(shown, body["summary"], strict=True):
        for field in ("waiting", "past_deadline", "due_today", "due_within_7d"):
            assert same(got[field], exp[field]), field


def test_situation_channels_and_late_assessments_equal_analytics(client_for,
                                                                 store_url: str) -> None:
    an = Analytics.open(store_url)
    flt = AccessFilter(unit_ids=("U1", "U2", "U3"))
    channels = an.contacts_by_channel(TODAY, None)
    late = an.assessments_not_same_day(TODAY, None)
    page = client_for("leadership").get(f"/situation?on={TODAY.isoformat()}").text
    assert sum(r["contacts"] for r in channels) == 12
    assert f'data-total="contacts">{sum(r["contacts"] for r in channels)}<' in page
    assert (f'data-total="not_assessed_same_day">'
            f'{sum(r["not_assessed_same_day"] for r in late)}<') in page
    shown = table_rows(page, "channels")
    assert [number(r["contacts"]) for r in shown] == [float(r["contacts"]) for r in channels]
    analyst = client_for("analyst").get(f"/situation?on={TODAY.isoformat()}").text
    expected = suppress_rows([dict(r) for r in an.contacts_by_channel(TODAY, flt)])
    assert [r["contacts"] for r in table_rows(analyst, "channels")] == [
        str(r["contacts"]) for r in expected]
