"""Monitoring indicators bound to a leg of the rule book (issue 14 §5): Soite's "child and
family assessments within 90 days: 90 → 94 → 97 → 100 %" from the case events."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from sotekeskus.analytics import deadline_service as ds
from sotekeskus.analytics.monitoring import indicator_progress, indicator_value
from sotekeskus.analytics.service import AnalyticsHolder
from sotekeskus.domain.calendar import add_months
from sotekeskus.domain.indicators import pct
from sotekeskus.domain.rules import LegKey, RuleKind
from sotekeskus.domain.vocabulary import CaseEvent, CaseType
from sotekeskus.indicators.catalogue import CATALOGUE, COMPUTATION_LIST, COMPUTATIONS
from sotekeskus.rules import default_rulebook
from sotekeskus.store.database import make_engine
from sotekeskus.store.monitoring import list_indicators, save_indicator
from tests.web.manage.case_events import generate

LEG = ("child_family_assessment", "case_opened", "assessed")


def hand_share(start: date, end: date, within: str) -> float | None:
    """From the generated rows themselves: assessments completed in [start, end], within 90
    calendar days (the target) or 3 calendar months (the law) of the case opening."""
    cases: dict[str, dict[str, date]] = defaultdict(dict)
    for r in generate():
        if r["case_type"] == LEG[0]:
            cases[r["case_id"]][r["event"]] = datetime.fromisoformat(r["at"]).date()
    done = [c for c in cases.values() if "assessed" in c and start <= c["assessed"] <= end]
    if within == "target":
        ok = [c for c in done if (c["assessed"] - c["case_opened"]).days <= 90]
    else:
        ok = [c for c in done if c["assessed"] <= add_months(c["case_opened"], 3)]
    return pct(len(ok), len(done))


def test_every_leg_binding_names_a_judged_leg() -> None:
    book = default_rulebook()
    legs = [c for c in COMPUTATION_LIST if c.leg]
    assert {c.code for c in legs} >= {"child_family_90d_target", "child_family_3mo_law"}
    for comp in legs:
        assert comp.leg is not None
        key = LegKey(CaseType(comp.leg[0]), CaseEvent(comp.leg[1]), CaseEvent(comp.leg[2]))
        kind = RuleKind.TARGET if comp.targets else RuleKind.LEGAL
        assert book.rules_for_leg(key, kind), comp.code
        assert CATALOGUE[comp.indicator or ""].report == "deadlines"


@pytest.mark.parametrize("period,start,end", [("2025-Q1", date(2025, 1, 1), date(2025, 3, 31)),
                                              ("2024", date(2024, 1, 1), date(2024, 12, 31))])
def test_leg_values_are_the_hand_counted_shares(manage_store_url: str, period: str,
                                                start: date, end: date) -> None:
    holder = AnalyticsHolder(manage_store_url)
    inds = {c: _indicator(manage_store_url, c) for c in ("child_family_90d_target",
                                                        "child_family_3mo_law")}
    target = indicator_value(holder, inds["child_family_90d_target"], period)
    law = indicator_value(holder, inds["child_family_3mo_law"], period)
    assert target == hand_share(start, end, "target") and target is not None
    assert law == hand_share(start, end, "law")
    assert law is not None and law >= target  # 3 calendar months are at least 89 days…
    holder.close()


def _indicator(url: str, computation: str):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    code = computation.replace("_", "-")
    existing = {i.code: i for i in list_indicators(engine)}
    if code not in existing:
        goals = ds.leg_goals(default_rulebook(), LEG) if COMPUTATIONS[computation].targets \
            else []
        save_indicator(engine, code=code, name_fi=COMPUTATIONS[computation].label.fi,
                       name_sv=COMPUTATIONS[computation].label.sv,
                       name_en=COMPUTATIONS[computation].label.en,
                       computation=computation, period_kind="year",
                       targets={str(g["goal_by"].year): g["goal_pct"] for g in goals})
    ind = {i.code: i for i in list_indicators(engine)}[code]
    engine.dispose()
    return ind


def test_soite_goals_come_from_the_rule_book(manage_store_url: str) -> None:
    ind = _indicator(manage_store_url, "child_family_90d_target")
    assert ind.targets == {"2022": 90.0, "2023": 94.0, "2024": 97.0, "2025": 100.0}
    holder = AnalyticsHolder(manage_store_url)
    progress = indicator_progress(holder, ind, today=date(2025, 6, 16))
    assert progress.values["2024"] == hand_share(date(2024, 1, 1), date(2024, 12, 31), "target")
    assert progress.values["2022"] is None  # no case events then
    assert progress.next_target_period == "2025" and progress.next_target == 100.0
    holder.close()


def test_the_registry_page_shows_the_leg_indicator(client, manage_store_url: str) -> None:  # type: ignore[no-untyped-def]
    ind = _indicator(manage_store_url, "child_family_90d_target")
    page = client("leadership").get("/monitoring")
    assert page.status_code == 200
    assert ind.name_fi in page.text
    csv_text = client("leadership").get("/monitoring/export/monitoring.csv").text
    line = next(r for r in csv_text.splitlines() if r.startswith(f"{ind.code},")
                and ",2024," in r)
    assert float(line.split(",")[-2]) == hand_share(date(2024, 1, 1), date(2024, 12, 31),
                                                    "target")


def test_medians_do_not_add_up_over_months(manage_store_url: str) -> None:
    holder = AnalyticsHolder(manage_store_url)
    with pytest.raises(ValueError, match="median_days"):
        ds.leg_value(holder, LEG, "median_days", date(2025, 1, 1), date(2025, 3, 31))
    assert ds.leg_value(holder, LEG, "completed", date(2019, 1, 1), date(2019, 12, 31)) is None
    holder.close()


def test_an_import_of_case_events_changes_the_value(tmp_path: Path) -> None:
    """Values are kept per case-events version: a new import is seen at once."""
    from tests.web.conftest import build_store
    from tests.web.manage.case_events import add_case_events

    url = build_store(tmp_path / "r.db")
    add_case_events(url, tmp_path)
    holder = AnalyticsHolder(url)
    ind = _indicator(url, "child_family_90d_target")
    before = indicator_value(holder, ind, "2025-Q1")
    assert indicator_value(holder, ind, "2025-Q1") == before
    late = tmp_path / "late.csv"
    late.write_text(
        "case_id,person_id,birth_date,unit_id,case_type,event,at\n"
        + "".join(f"X{i},PX{i},2015-01-01,U1,child_family_assessment,case_opened,2024-10-01\n"
                  f"X{i},PX{i},2015-01-01,U1,child_family_assessment,assessed,2025-03-20\n"
                  for i in range(20)), encoding="utf-8")
    from sotekeskus.store.case_events import import_case_event_file

    engine = make_engine(url)
    import_case_event_file(engine, late, default_rulebook().legs())
    engine.dispose()
    after = indicator_value(holder, ind, "2025-Q1")
    assert before is not None and after is not None and after < before
    holder.close()
