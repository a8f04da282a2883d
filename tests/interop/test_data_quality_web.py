"""The data-quality page of the management web: quarantine counts per unit, professional
group, category and month and the top reasons, against a hand-built quarantine; the access
policy (a manager sees own units only, analysts and administrators get small cells
suppressed); CSV / Excel exports; fi/sv/en.

Hand-built quarantine (file a.csv; a row breaking two rules has two entries):

| line | unit | group | month | category (column) |
|---|---|---|---|---|
| 2 | U1 | nurse | 2025-03 | invalid_code (contact_mode) + missing_value (assessed_at) |
| 3 | U1 | nurse | 2025-03 | bad_date (contact_at) |
| 4 | U1 | – | 2025-04 | missing_value (professional_group) |
| 5–10 | U2 | physician | 2025-03 | invalid_code (contact_mode), the same reason as line 2's |
| 11 | – | – | – | malformed |

So over the region: invalid_code 7 rows, missing_value 2, bad_date 1, malformed 1; per month
2025-03 8, 2025-04 1, unknown 1; the top reason is the contact-mode code (7 rows). For the
manager of U1: invalid_code 1, missing_value 2, bad_date 1; 2025-03 2, 2025-04 1.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotekeskus.store.database import make_engine
from sotekeskus.store.models import QuarantinedRow
from tests.web.conftest import PASSWORDS, ROLE_USERS, build_store, sign_in

CODE_REASON = "contact_mode: unknown code 'R99'; allowed: in_person, phone"


def quarantine_rows() -> list[QuarantinedRow]:
    at = datetime(2025, 5, 2, 12, 0)

    def row(line: int, unit: str | None, group: str | None, month: str | None,
            category: str, column: str | None, reason: str) -> QuarantinedRow:
        return QuarantinedRow(source="episodes", file_name="a.csv", line=line,
                              episode_id=f"A{line}", unit_id=unit, professional_group=group,
                              month=month, column_name=column, value="x", category=category,
                              reason=reason, quarantined_at=at)

    rows = [row(2, "U1", "nurse", "2025-03", "invalid_code", "contact_mode", CODE_REASON),
            row(2, "U1", "nurse", "2025-03", "missing_value", "assessed_at",
                "assessed_at: a value is required"),
            row(3, "U1", "nurse", "2025-03", "bad_date", "contact_at",
                "contact_at: '2025-02-30' is not a date"),
            row(4, "U1", None, "2025-04", "missing_value", "professional_group",
                "professional_group: a value is required"),
            row(11, None, None, None, "malformed", None, "the CSV reader cannot split it")]
    rows += [row(line, "U2", "physician", "2025-03", "invalid_code", "contact_mode",
                 CODE_REASON) for line in range(5, 11)]
    return rows


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dq") / "region.db"
    url = build_store(path)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        session.add_all(quarantine_rows())
    engine.dispose()
    return path


@pytest.fixture
def app(template: Path, tmp_path: Path) -> Iterator:
    from sotekeskus.web.app import create_app

    copy = tmp_path / "region.db"
    shutil.copy(template, copy)
    application = create_app(f"sqlite:///{copy}", secret_key="test-secret")
    yield application
    application.state.engine.dispose()


def as_role(app, role: str) -> TestClient:  # noqa: ANN001
    client = TestClient(app, base_url="https://testserver")
    return sign_in(client, ROLE_USERS[role], PASSWORDS[role])


def exported(client: TestClient, name: str, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/data-quality/export/{name}.csv{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].endswith(
        f'filename="data_quality_{name}.csv"')
    return list(csv.DictReader(io.StringIO(response.text)))


def by(rows: list[dict[str, str]], key: str, value: str = "rejected_rows") -> dict[str, str]:
    return {r[key]: r[value] for r in rows}


def test_leadership_sees_exact_counts_of_the_whole_region(app) -> None:  # noqa: ANN001
    client = as_role(app, "leadership")
    assert by(exported(client, "by_category"), "category") == {
        "invalid_code": "7", "missing_value": "2", "bad_date": "1", "order": "0",
        "duplicate": "0", "malformed": "1", "other": "0"}
    assert by(exported(client, "by_month"), "month") == {
        "2025-03": "8", "2025-04": "1", "(unknown)": "1"}
    top = exported(client, "top_reasons")
    assert (top[0]["category"], top[0]["column"], top[0]["reason"], top[0]["rejected_rows"]
            ) == ("invalid_code", "contact_mode", CODE_REASON, "7")
    assert [r["rejected_rows"] for r in top] == ["7", "1", "1", "1", "1"]
    groups = {(r["unit_id"], r["professional_group"]): r for r in exported(client,
                                                                           "by_group")}
    assert groups[("U1", "nurse")]["rejected_rows"] == "2"
    assert groups[("U1", "nurse")]["invalid_codes"] == "1"
    assert groups[("U1", "(unknown)")]["missing_values"] == "1"
    assert groups[("U2", "physician")]["invalid_codes"] == "6"
    assert groups[("(unknown)", "(unknown)")]["malformed"] == "1"
    months = {(r["unit_id"], r["month"]): r for r in exported(client, "by_unit_month")}
    march = months[("U1", "2025-03")]
    assert (march["rejected_rows"], march["invalid_codes"], march["missing_values"],
            march["bad_dates"]) == ("2", "1", "1", "1")
    assert months[("U1", "2025-04")]["missing_professional_group"] == "1"
    # one month
    assert by(exported(client, "by_category", "?month=2025-04"), "category")[
        "missing_value"] == "1"
    page = client.get("/data-quality")
    assert page.status_code == 200
    assert "Rejected rows per reason category" in page.text or "Hylätyt" in page.text
    assert 'href="/data-quality"' in page.text  # in the management menu
    xlsx = client.get("/data-quality/export/by_group.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_manager_sees_own_units_only(app) -> None:  # noqa: ANN001
    client = as_role(app, "manager")  # manager of U1
    assert by(exported(client, "by_category"), "category") == {
        "invalid_code": "1", "missing_value": "2", "bad_date": "1", "order": "0",
        "duplicate": "0", "malformed": "0", "other": "0"}
    assert by(exported(client, "by_month"), "month") == {"2025-03": "2", "2025-04": "1"}
    assert {r["unit_id"] for r in exported(client, "by_group")} == {"U1"}
    top = exported(client, "top_reasons")
    assert top[0]["rejected_rows"] == "1" and len(top) == 4
    assert client.get("/data-quality", params={"unit": "U2"}).status_code == 403
    assert client.get("/data-quality/export/by_group.csv",
                      params={"unit": "U2"}).status_code == 403


def test_analyst_and_admin_get_small_cells_suppressed(app) -> None:  # noqa: ANN001
    for role in ("analyst", "admin"):
        client = as_role(app, role)
        assert by(exported(client, "by_category"), "category") == {
            "invalid_code": "7", "missing_value": "<5", "bad_date": "<5", "order": "<5",
            "duplicate": "<5", "malformed": "<5", "other": "<5"}
        groups = {(r["unit_id"], r["professional_group"]): r["rejected_rows"]
                  for r in exported(client, "by_group")}
        assert groups[("U2", "physician")] == "6" and groups[("U1", "nurse")] == "<5"
        page = client.get("/data-quality")
        assert "&lt;5" in page.text


def test_bad_input_and_roles(app) -> None:  # noqa: ANN001
    client = as_role(app, "leadership")
    bad = client.get("/data-quality", params={"month": "2025-13"})
    assert bad.status_code == 400 and "2025-13" in bad.text
    assert client.get("/data-quality/export/nope.csv").status_code == 404
    assert client.get("/data-quality/export/by_group.pdf").status_code == 404
    anonymous = TestClient(app, base_url="https://testserver")
    response = anonymous.get("/data-quality", follow_redirects=False)
    assert response.status_code in (302, 303, 401)


@pytest.mark.parametrize(("lang", "title"), [("fi", "Tiedon laatu"), ("sv", "Datakvalitet"),
                                             ("en", "Data quality")])
def test_page_in_three_languages(app, lang: str, title: str) -> None:  # noqa: ANN001
    client = as_role(app, "leadership")
    from tests.web.conftest import csrf_from

    page = client.get("/data-quality")
    client.post("/language", data={"language": lang, "next": "/data-quality",
                                   "csrf_token": csrf_from(page.text)})
    text = client.get("/data-quality").text
    assert f"<h1>{title}</h1>" in text
