"""The Ibis/DuckDB indicator engine agrees with the plain-Python reference (domain.md).

Hypothesis generates episode sets that hit the edges (rule change dates, ages 22/23,
month ends, plan-based, urgent, missing assessments, every mode and status); the engine's
report and waiting list must equal the reference exactly.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sotekeskus.analytics.engine import Analytics
from sotekeskus.analytics.suppression import public
from sotekeskus.domain.episode import Episode
from sotekeskus.domain.vocabulary import (
    EPISODE_COLUMNS,
    ContactMode,
    ProfessionalGroup,
    ServiceArea,
    Status,
    Urgency,
)
from sotekeskus.rules import default_rulebook

from . import reference_access as ref

EDGE_DAYS = [date(2023, 8, 31), date(2023, 9, 1), date(2024, 10, 31), date(2024, 11, 1),
             date(2024, 12, 31), date(2025, 1, 1), date(2022, 1, 31), date(2024, 2, 29)]


@st.composite
def episodes(draw: st.DrawFn, index: int) -> Episode:
    assessed_day = draw(st.one_of(st.sampled_from(EDGE_DAYS),
                                  st.dates(date(2022, 1, 1), date(2025, 12, 31))))
    age_day = assessed_day - timedelta(days=draw(st.integers(-2, 2)))
    years = draw(st.sampled_from([5, 22, 23, 24, 40, 70]))
    try:
        birth = age_day.replace(year=age_day.year - years)
    except ValueError:  # 29 February
        birth = age_day.replace(year=age_day.year - years, day=28)
    contact = datetime.combine(assessed_day, datetime.min.time()) + timedelta(hours=8)
    has_assessment = draw(st.booleans()) or draw(st.booleans())
    assessed = contact + timedelta(minutes=draw(st.integers(0, 600))) if has_assessment else None
    status = draw(st.sampled_from(list(Status)))
    wait = draw(st.one_of(st.integers(0, 200), st.sampled_from([7, 8, 14, 15, 90, 91, 92])))
    visit = None
    if status is Status.DONE or draw(st.booleans()):
        visit = contact + timedelta(days=wait, hours=draw(st.integers(0, 10)))
    return Episode(
        episode_id=f"E{index}", person_id=f"P{index % 7}", birth_date=birth,
        unit_id=draw(st.sampled_from(["U1", "U2"])),
        service_area=draw(st.sampled_from(list(ServiceArea))),
        professional_group=draw(st.sampled_from(list(ProfessionalGroup)[:3])),
        urgency=draw(st.sampled_from(list(Urgency))),
        contact_at=contact, status=status, assessed_at=assessed,
        visit_at=visit if (status is Status.DONE or visit) else None,
        contact_mode=draw(st.one_of(st.none(), st.sampled_from(list(ContactMode)))),
        plan_based=draw(st.booleans()),
    )


@st.composite
def episode_sets(draw: st.DrawFn) -> list[Episode]:
    n = draw(st.integers(1, 40))
    return [draw(episodes(i)) for i in range(n)]


def to_parquet(eps: list[Episode], path) -> None:
    cols = {c: [getattr(e, c) for e in eps] for c in EPISODE_COLUMNS}
    for c in ("service_area", "professional_group", "urgency", "status", "contact_mode"):
        cols[c] = [v.value if v is not None else None for v in cols[c]]
    pq.write_table(pa.table(cols), path)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(eps=episode_sets())
def test_duckdb_engine_equals_reference(tmp_path, eps):
    path = tmp_path / "eps.parquet"
    to_parquet(eps, path)
    an = Analytics.from_parquet(path)
    book = default_rulebook()
    for by_unit in (False, True):
        got = [{k: v for k, v in public(r).items()
                if k not in ("target_misses", "within_target_pct")}
               for r in an.access_report(by_unit=by_unit)]
        assert got == ref.access_report(eps, book, by_unit=by_unit)
    on = date(2024, 11, 1)
    got_wait = sorted(({k: r[k] for k in ("episode_id", "unit_id", "professional_group",
                                          "days_waited", "legal_deadline",
                                          "days_to_deadline")}
                       for r in an.waiting_list(on).rows), key=lambda r: r["episode_id"])
    assert got_wait == ref.waiting_list(eps, book, on)


@pytest.mark.slow
def test_engine_equals_reference_on_synthetic_region(tmp_path):
    synth = pytest.importorskip("sotekeskus.synth")
    region = synth.generate_region(residents=3000, start=date(2022, 1, 1),
                                   end=date(2025, 6, 30), seed=7)
    path = tmp_path / "region.parquet"
    pq.write_table(region.episodes, path)
    eps = [Episode(
        episode_id=r["episode_id"], person_id=r["person_id"], birth_date=r["birth_date"],
        unit_id=r["unit_id"], service_area=ServiceArea(r["service_area"]),
        professional_group=ProfessionalGroup(r["professional_group"]),
        urgency=Urgency(r["urgency"]), contact_at=r["contact_at"], status=Status(r["status"]),
        assessed_at=r["assessed_at"], visit_at=r["visit_at"],
        contact_mode=ContactMode(r["contact_mode"]) if r["contact_mode"] else None,
        plan_based=bool(r["plan_based"])) for r in region.episodes.to_pylist()]
    assert len(eps) > 10_000
    an = Analytics.from_parquet(path)
    got = [{k: v for k, v in public(r).items() if k not in ("target_misses",
                                                            "within_target_pct")}
           for r in an.access_report(by_unit=True)]
    expected = ref.access_report(eps, default_rulebook(), by_unit=True)
    assert len(got) > 100
    assert got == expected
    on = date(2025, 3, 1)
    got_wait = sorted(({k: r[k] for k in ("episode_id", "unit_id", "professional_group",
                                          "days_waited", "legal_deadline",
                                          "days_to_deadline")}
                       for r in an.waiting_list(on).rows), key=lambda r: r["episode_id"])
    assert got_wait == ref.waiting_list(eps, default_rulebook(), on)
