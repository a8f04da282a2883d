"""Hand-computed cases: the justified share of hand-made marks, cost per visit and per person
served, statutory leg breaches on the flow, the risk score of stored parameters, and the
outcome / experience imports (all-or-nothing, idempotent)."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from sotekeskus.cli import app
from sotekeskus.pathways.costs import EXAMPLE, cost_report, load_costs, suppress
from sotekeskus.pathways.errors import MissingDataError, PathwaysError, RuleTableError
from sotekeskus.pathways.leg_breaches import leg_breaches
from sotekeskus.pathways.models.scoring import score
from sotekeskus.pathways.models.stored import (
    justified_share,
    record_mark,
    suppress_share,
)
from sotekeskus.pathways.outcome_store import (
    import_experience,
    import_measurements,
    stored_experience,
    stored_measurements,
)
from sotekeskus.pathways.outcomes import DataFileError
from sotekeskus.pathways.source import EpisodeSource
from sotekeskus.rules import default_rulebook
from sotekeskus.store.database import make_engine
from sotekeskus.store.migrate import upgrade
from sotekeskus.store.models import RiskModelRun


@pytest.fixture
def engine(any_db: str):  # type: ignore[no-untyped-def]
    """A migrated store on SQLite and on PostgreSQL (migration 0011 on both)."""
    from sotekeskus.store.database import resolve_url

    e = make_engine(resolve_url(any_db))
    upgrade(e)
    from sqlalchemy.orm import Session

    with Session(e) as s, s.begin():
        s.add(RiskModelRun(id=1, model="readmission", created_at=datetime(2025, 1, 1),
                           created_by="t", parameters="{}", evaluation="{}", card=""))
    yield e
    e.dispose()


# ------------------------------------------------------------------------ marks

def test_justified_share_of_hand_made_marks(engine) -> None:  # type: ignore[no-untyped-def]
    day, later = date(2025, 3, 1), date(2025, 4, 1)

    def mark(person: str, yes: bool, on: date = day, model: str = "readmission") -> None:
        record_mark(engine, model=model, run_id=1, person_id=person, unit_id="U1",
                    list_day=on, justified=yes, note=None, marked_by="nurse")

    mark("A", True)
    mark("A", False)  # A re-marked: the latest (not justified) counts
    mark("B", True)
    mark("C", False)
    mark("B", True, later)  # B again on a later list: a second current mark
    mark("D", True, model="home_care")
    rows = {r["model"]: r for r in justified_share(engine)}
    # readmission current marks: A/day no, B/day yes, C/day no, B/later yes → 2 of 4
    assert rows["readmission"] == {"model": "readmission", "marked": 4, "justified": 2,
                                   "not_justified": 2, "justified_pct": 50.0}
    assert rows["home_care"]["justified_pct"] == 100.0
    march = justified_share(engine, "readmission", date_from=day, date_to=day)[0]
    assert (march["marked"], march["justified"], march["justified_pct"]) == (3, 1, 33.3)
    assert justified_share(engine, unit_ids=("U9",))[0]["marked"] == 0
    hidden = suppress_share([march])[0]
    assert hidden["marked"] == "<5" and hidden["justified_pct"] is None
    with pytest.raises(PathwaysError, match="allowed: readmission, home_care"):
        justified_share(engine, "fortune")
    with pytest.raises(PathwaysError, match="at most 1000"):
        record_mark(engine, model="readmission", run_id=1, person_id="A", unit_id="U1",
                    list_day=day, justified=True, note="x" * 1001, marked_by="nurse")


# ------------------------------------------------------------------------ risk score

def test_score_applies_the_stored_parameters() -> None:
    table = pa.table({"person_id": ["P1", "P2"], "unit_id": ["U1", "U2"],
                      "index_date": [date(2025, 1, 1)] * 2, "age": [80, 90],
                      "visits_12m": [0, 3], "urgent_12m": [0, 0], "social_12m": [0, 1],
                      "home_visits_6m": [0, 0], "conditions": [0, 0]})
    names = ["age", "log1p_visits_12m", "log1p_urgent_12m", "log1p_social_12m",
             "log1p_home_visits_6m", "log1p_conditions"]
    params = {"features": names, "mean": [85, 0, 0, 0, 0, 0], "scale": [5, 1, 1, 1, 1, 1],
              "coef": [1.0, 0.5, 0, 2.0, 0, 0], "intercept": -1.0, "threshold": 0.5}
    rows = score(table, "home_care", params)
    # P2: z_age = 1, log1p 3 = 1.386, log1p 1 = 0.693 → logit = 1 + 0.693 + 1.386 − 1
    logit = 1 + 0.5 * math.log1p(3) + 2 * math.log1p(1) - 1
    assert rows[0]["person_id"] == "P2"
    assert rows[0]["risk"] == round(1 / (1 + math.exp(-logit)), 3) and rows[0]["listed"]
    assert [f[0] for f in rows[0]["factors"]] == ["log1p_social_12m", "age",
                                                  "log1p_visits_12m"]
    assert rows[0]["factors"][0][1] == 1  # the raw count shown beside the factor
    assert rows[1]["risk"] == round(1 / (1 + math.exp(2)), 3) and not rows[1]["listed"]
    assert rows[1]["factors"] == []
    with pytest.raises(PathwaysError, match="models evaluate --db"):
        score(table, "home_care", {**params, "features": names[:2]})


# ------------------------------------------------------------------------ cost

def _episodes(rows: list[tuple[str, str, str, str, str, str]]) -> pa.Table:
    """(person, unit, group, mode, status, visit day) rows as a minimal episode table."""
    return pa.table({
        "episode_id": [f"E{i}" for i in range(len(rows))],
        "person_id": [r[0] for r in rows], "unit_id": [r[1] for r in rows],
        "professional_group": [r[2] for r in rows], "contact_mode": [r[3] for r in rows],
        "status": [r[4] for r in rows],
        "visit_at": [datetime.fromisoformat(r[5] + "T10:00") for r in rows],
    })


def test_cost_per_visit_and_person_hand_computed(tmp_path: Path) -> None:
    prices = tmp_path / "costs.csv"
    prices.write_text("contact_mode,professional_group,cost_eur,unit_id\n"
                      "in_person,physician,100,\nphone,nurse,20,\nin_person,nurse,50,\n"
                      "in_person,physician,130,U2\n", encoding="utf-8")
    table = load_costs(prices)
    src = EpisodeSource.from_arrow(_episodes([
        ("A", "U1", "physician", "in_person", "done", "2025-01-10"),
        ("A", "U1", "nurse", "phone", "done", "2025-01-11"),
        ("B", "U1", "nurse", "phone", "done", "2025-02-01"),
        ("B", "U1", "nurse", "in_person", "done", "2025-02-02"),
        ("C", "U2", "physician", "in_person", "done", "2025-03-01"),
        ("C", "U2", "physician", "in_person", "cancelled", "2025-03-02"),
        ("D", "U2", "physician", "in_person", "done", "2026-01-01"),  # outside
    ]))
    rows = {(r["unit_id"], r["professional_group"]): r
            for r in cost_report(src, table, date(2025, 1, 1), date(2025, 12, 31), 1000)}
    # U1 physician: 1 visit 100 €; U1 nurse: 20 + 20 + 50 = 90 € over 3 visits, 2 persons
    assert rows[("U1", "physician")]["cost_eur"] == 100.0
    assert rows[("U1", "nurse")] == {"unit_id": "U1", "professional_group": "nurse",
                                     "visits": 3, "persons": 2, "cost_eur": 90.0,
                                     "cost_per_visit": 30.0, "cost_per_person": 45.0}
    assert rows[("U1", "all")]["cost_per_person"] == 95.0  # 190 € / 2 persons
    assert rows[("U2", "physician")]["cost_eur"] == 130.0  # the unit's own price
    region = rows[("all", "all")]
    assert (region["visits"], region["persons"], region["cost_eur"]) == (5, 3, 320.0)
    assert region["cost_per_visit"] == 64.0 and region["cost_per_person"] == 106.67
    assert region["cost_per_resident"] == 0.32
    assert suppress([region])[0]["persons"] == "<5"
    with pytest.raises(MissingDataError, match="no price for unit U1, phone, nurse"):
        cost_report(src, load_costs(EXAMPLE).__class__(
            {k: v for k, v in table.prices.items() if k[1] != "phone"}, "t"),
            date(2025, 1, 1), date(2025, 12, 31))
    bad = tmp_path / "bad.csv"
    bad.write_text("contact_mode,professional_group,cost_eur\npigeon,nurse,-3\n",
                   encoding="utf-8")
    with pytest.raises(RuleTableError) as info:
        load_costs(bad)
    assert "line 2, column contact_mode, value 'pigeon'" in str(info.value)
    assert "allowed: in_person" in str(info.value) and "column cost_eur" in str(info.value)
    assert len(load_costs(EXAMPLE).prices) == 48


def test_report_cost_cli(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "cost", "--from", "2025-01-01", "--to",
                                      "2025-01-31", "--costs", str(tmp_path / "none.csv"),
                                      "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1


# ------------------------------------------------------------------------ leg breaches

def test_leg_breaches_hand_computed() -> None:
    """Primary care, non-urgent, 2025: contact → assessed the same weekday (since
    2023-09-01), assessed → visit within 3 months from age 23, 14 days under 23 (2025)."""
    book = default_rulebook()
    base = {"person_id": "P", "birth_date": date(1980, 1, 1), "unit_id": "U1",
            "service_area": "medical", "professional_group": "physician",
            "urgency": "non_urgent", "contact_mode": "in_person", "status": "done"}
    cases = [  # contact (Mon 2025-03-03), assessed, visit
        ("2025-03-03T09:00", "2025-03-06T09:00", "2025-03-10T09:00"),  # assessed late
        ("2025-03-03T09:00", "2025-03-07T09:00", "2025-03-21T09:00"),  # late; visit day 14
        ("2025-03-03T09:00", "2025-03-03T10:00", "2025-06-04T09:00"),  # visit late (3 mo)
        ("2025-03-03T09:00", "2025-03-03T10:00", "2025-03-18T09:00"),  # under 23: late
    ]
    rows = [{**base, "episode_id": f"E{i}", "contact_at": datetime.fromisoformat(c),
             "assessed_at": datetime.fromisoformat(a), "visit_at": datetime.fromisoformat(v)}
            for i, (c, a, v) in enumerate(cases)]
    rows[3]["birth_date"] = date(2005, 1, 1)
    src = EpisodeSource.from_arrow(pa.Table.from_pylist(rows))
    got = {(r["from"], r["to"]): r for r in leg_breaches(src, book, "primary_access")}
    assert got[("contact", "assessed")]["judged"] == 4
    assert got[("contact", "assessed")]["breached"] == 2
    assert got[("contact", "assessed")]["breached_pct"] == 50.0
    late = got[("assessed", "visit")]
    assert (late["judged"], late["breached"], late["breached_pct"]) == (4, 2, 50.0)
    with pytest.raises(PathwaysError, match="allowed"):
        leg_breaches(src, book, "teleportation")


# ------------------------------------------------------------------------ imports

def test_measurement_and_experience_imports_are_idempotent(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    m = tmp_path / "m.csv"
    m.write_text("person_id,instrument,measured_on,unit_id,service_area,answers\n"
                 "P1,phq9,2025-01-10,U1,mental,1|1|1|1|1|1|1|1|1\n"
                 "P1,phq9,2025-03-10,U1,mental,0|0|0|1|0|0|0|0|0\n", encoding="utf-8")
    first = import_measurements(engine, m)
    assert (first.rows, first.written) == (2, 2)
    assert import_measurements(engine, m).written == 0
    assert sorted(x.score for x in stored_measurements(engine)) == [1.0, 9.0]
    bad = tmp_path / "bad.csv"
    bad.write_text(m.read_text(encoding="utf-8") + "P2,phq9,2025-13-01,U1,mental,1\n",
                   encoding="utf-8")
    with pytest.raises(DataFileError, match="line 4, column measured_on"):
        import_measurements(engine, bad)
    assert len(stored_measurements(engine)) == 2  # nothing written
    s = tmp_path / "s.csv"
    s.write_text("unit_id,channel,responded_on,score,comment\n"
                 "U1,phone,2025-01-02,9,kind\nU1,phone,2025-01-02,9,\n", encoding="utf-8")
    assert import_experience(engine, s).written == 2
    again = import_experience(engine, s)
    assert again.already and again.written == 0
    assert stored_experience(engine) == [("U1", "phone", date(2025, 1, 2), 9)] * 2
