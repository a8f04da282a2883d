"""Workdesk figures on a hand-built day, and T3 from the store's schedules."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from sotekeskus.care.booking.appointments import book
from sotekeskus.care.booking.t3_store import t3_from_store
from sotekeskus.care.cases.commands import (
    AssessmentInput,
    Contact,
    assess,
    claim,
    open_case,
    reply,
    resolve,
    route,
)
from sotekeskus.care.figures import compute, percentile
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.cli import app
from tests.care.conftest import OPERATOR, Region, add_slots

D = date(2025, 6, 16)


def at(h: int, m: int = 0, day: date = D) -> datetime:
    return datetime(day.year, day.month, day.day, h, m)


def opened(region: Region, channel: str, when: datetime, *, person: int = 0,
           callback_to: datetime | None = None) -> int:
    with UnitOfWork(region.engine, OPERATOR, "contact") as uow:
        return open_case(uow, Contact(region.persons[person], channel, "U001", "Asia",
                                      callback_from=when if callback_to else None,
                                      callback_to=callback_to), now=when).id


def step(region: Region, fn, *args, **kw):  # type: ignore[no-untyped-def]
    with UnitOfWork(region.engine, region.nurse.actor, "care") as uow:
        return fn(uow, region.nurse, *args, **kw)


PHYSICIAN = AssessmentInput("non_urgent", "Vaiva", "medical", "physician")


def build_day(region: Region) -> None:
    chat1 = opened(region, "chat", at(8))
    step(region, claim, chat1, now=at(8, 1))
    step(region, reply, chat1, "Hei", now=at(8, 5))
    step(region, assess, chat1, AssessmentInput("non_urgent", "Neuvonta", "medical", "nurse"),
         now=at(8, 10))
    step(region, resolve, chat1, "Kotihoito-ohjeet", now=at(8, 12))
    for start, answer in ((at(8, 30), at(8, 50)), (at(9), at(9, 2))):
        case_id = opened(region, "chat", start)
        step(region, claim, case_id, now=start)
        step(region, reply, case_id, "Hei", now=answer)
    opened(region, "chat", at(10))
    phone1 = opened(region, "phone", at(8), callback_to=at(9))
    step(region, claim, phone1, now=at(8, 30))
    step(region, assess, phone1, PHYSICIAN, now=at(8, 40))
    step(region, route, phone1, now=at(8, 41))
    phone2 = opened(region, "phone", at(8), callback_to=at(9))
    step(region, claim, phone2, now=at(9, 20))
    step(region, assess, phone2, PHYSICIAN, now=at(9, 30))
    step(region, route, phone2, "remote_physician", now=at(9, 31))
    opened(region, "phone", at(10, 30), callback_to=at(11))
    opened(region, "message", at(15, day=date(2025, 6, 13)))  # Friday: past its deadline


def test_the_figures_of_a_hand_built_day(region: Region) -> None:
    build_day(region)
    with Session(region.engine) as session:
        f = compute(session, D, at(12))
    assert {r["channel"]: r["contacts"] for r in f.contacts_by_channel} == {
        "phone": 3, "chat": 4, "message": 0, "e_form": 0, "questionnaire": 0, "walk_in": 0}
    assert f.contacts_by_hour[:2] == [{"channel": "chat", "hour": 8, "contacts": 2},
                                      {"channel": "chat", "hour": 9, "contacts": 1}]
    # chat waits 5, 20, 2 min: mean 9.0; p90 = 5 + 0.8 × (20 − 5) = 17.0
    assert f.chat == {"chats": 4, "answered": 3, "waiting": 1, "mean_min": 9.0,
                      "p90_min": 17.0}
    assert f.callback == {"requests": 3, "called_back": 2, "within_window": 1, "late": 1,
                          "pending": 1, "within_pct": 50.0, "mean_delay_min": 30.0}
    assert f.same_day == {"contacts": 7, "assessed_same_day": 3, "pct": 42.9}
    assert f.first_contact_resolution == {"assessed": 3, "resolved": 1, "pct": 33.3}
    assert f.routing == [
        {"service_id": "physician_in_person", "cases": 1, "by_rule": 1, "manual": 0},
        {"service_id": "remote_physician", "cases": 1, "by_rule": 0, "manual": 1}]
    # unassessed now: chats of 08:30, 09:00, 10:00 (oldest 210 min), the 10:30 call-back
    # (90 min) and Friday's message (2025-06-13 15:00 → 69 h)
    assert f.queue == [{"channel": "chat", "waiting": 3, "oldest_wait_min": 210},
                       {"channel": "message", "waiting": 1, "oldest_wait_min": 69 * 60},
                       {"channel": "phone", "waiting": 1, "oldest_wait_min": 90}]
    assert f.past_deadline == [{"leg": "contact_to_assessment", "cases": 1}]


def test_percentile_is_linear() -> None:
    assert percentile([2, 5, 20], 0.9) == 17.0
    assert percentile([7], 0.9) == 7 and percentile([], 0.5) is None


def test_report_workdesk_suppresses_small_counts_unless_asked(region: Region, runner) -> None:
    build_day(region)
    args = ["report", "workdesk", "--db", region.url, "--on", "2025-06-16", "-f", "json"]
    exact = json.loads(runner.invoke(app, [*args, "--no-suppress"]).stdout)
    assert exact["chat"]["mean_min"] == 9.0 and exact["same_day"]["pct"] == 42.9
    public = json.loads(runner.invoke(app, args).stdout)
    assert public["chat"]["answered"] == "<5" and public["chat"]["mean_min"] is None
    assert public["same_day"] == {"contacts": 7, "assessed_same_day": "<5", "pct": 42.9}
    table = runner.invoke(app, ["report", "workdesk", "--db", region.url, "--on",
                                "2025-06-16"])
    assert table.exit_code == 0 and "assessed_same_day_pct" in table.stdout
    bad = runner.invoke(app, ["report", "workdesk", "--db", region.url, "--unit", "U9"])
    assert bad.exit_code == 1 and "--unit 'U9': unknown unit; allowed: U001, U002" in bad.stderr


def test_t3_from_the_schedules_as_they_were_on_the_day(region: Region, runner) -> None:
    # physician: Tuesdays 09:00-10:00 (3 slots of 20 min) from 2025-06-17 to 2025-07-01
    add_slots(region, region.physician, "remote_physician",
              days=(date(2025, 6, 16), date(2025, 7, 1)))
    with Session(region.engine) as session:
        (p,) = t3_from_store(session, D).professionals
    assert (p.professional_id, p.t3_days) == ("physician", 1)  # third slot Tue 06-17
    case_id = opened(region, "phone", at(8))
    step(region, claim, case_id, now=at(8))
    step(region, assess, case_id, PHYSICIAN, now=at(8, 5))
    with UnitOfWork(region.engine, region.nurse.actor, "booking") as uow:
        book(uow, region.nurse, case_id, 1, now=at(8, 6))  # 06-17 09:00 taken on D
    with Session(region.engine) as session:
        on_d = t3_from_store(session, D).professionals[0].t3_days
        next_day = t3_from_store(session, D + timedelta(days=1)).professionals[0].t3_days
    assert on_d == 1  # booked during D: on D's morning it was still free
    assert next_day == 7  # from Tuesday: 09:20, 09:40, next Tuesday 09:00
    result = runner.invoke(app, ["report", "t3", "--db", region.url, "--on", "2025-06-17",
                                 "-f", "json"])
    assert json.loads(result.stdout)["units"] == [
        {"unit_id": "U001", "professional_group": "physician", "t3_days": 7,
         "professionals": 1}]
