"""Synthetic operations for the demo: staff, schedules and a live day of workdesk cases.

``seed_operations(engine, now)`` (idempotent; run by ``sotekeskus demo``):

* **staff** of the customer service centre and the services (nurses, physicians, dentists,
  dental hygienists, mental-health nurses, a psychologist, social workers) with their
  groups, units and services from the example catalogue; three **demo accounts** with
  published passwords — a nurse (``hoitaja``), a physician (``laakari``) and a scheduler
  (``ajanvaraaja``); the other staff accounts cannot sign in (no password);
* **weekly templates** (Monday–Friday) and their slots for eight weeks; the diaries start
  part-full: a share of the next weeks' slots is ``booked`` by the region's earlier
  bookings (no workdesk case: booked before the workdesk, in another system);
* **residents** with synthetic identity codes (individual numbers 900–999 only);
* **a live morning**: contacts in every channel over the three hours before ``now``, each
  worked as far as its age allows (new → claimed → assessed → resolved / routed / booked /
  referred), through the same use cases as the web, so deadlines, history, audit and the
  episode projection are exactly as live; plus a few contacts of the previous weekday that
  nobody assessed (past their deadline, flagged in the queue).

Everything is deterministic for a given ``seed`` and ``now``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from sotekeskus.care import contact
from sotekeskus.care.booking.appointments import book
from sotekeskus.care.booking.schedules import TemplateInput, add_template, materialise
from sotekeskus.care.cases import commands
from sotekeskus.care.cases.queue import bookable_slots
from sotekeskus.care.errors import CareError
from sotekeskus.care.persons import register_person
from sotekeskus.care.staff import Staff, set_profile, staff
from sotekeskus.care.unit_of_work import UnitOfWork
from sotekeskus.domain.access_policy import Actor, Role
from sotekeskus.domain.workflow.hetu import synthetic_hetu
from sotekeskus.store.models import CareCase, Meta, ScheduleSlot, User, UserUnit
from sotekeskus.store.users import create_user, known_units

#: The demo accounts (user, password, role, display name) printed by ``sotekeskus demo``.
DEMO_STAFF: tuple[tuple[str, str, str, str], ...] = (
    ("hoitaja", "hoitaja-demo", "professional", "Hanna Hoitaja (sairaanhoitaja)"),
    ("laakari", "laakari-demo", "professional", "Lauri Lääkäri (etälääkäri)"),
    ("ajanvaraaja", "ajanvaraaja-demo", "scheduler", "Aino Ajanvaraaja"),
)
HEALTH = [f"U{i:03d}" for i in range(1, 10)]
ORAL = [f"U{i:03d}" for i in range(10, 15)]
MENTAL = ["U015", "U016"]
SOCIAL = ["U017", "U018", "U019"]
SEEDED = "demo_operations_day"
OPERATOR = Actor("synth:operations", Role.OPERATOR)

FIRST = ["Aino", "Eino", "Helmi", "Onni", "Sofia", "Leo", "Aada", "Elias", "Venla", "Väinö",
         "Ella", "Oliver", "Lilja", "Toivo", "Kerttu", "Matti", "Liisa", "Pekka", "Anna"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
        "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen"]

#: (channel, weight, line/service area, subjects)
CHANNELS: tuple[tuple[str, float, str, tuple[str, ...]], ...] = (
    ("phone", 0.40, "medical", ("Kuume ja yskä", "Selkäkipu", "Korvakipu lapsella",
                                "Virtsatieoireet", "Huimaus", "Ihottuma")),
    ("chat", 0.15, "medical", ("Kurkkukipu", "Flunssa", "Todistus työnantajalle",
                               "Silmän punoitus")),
    ("chat", 0.04, "oral", ("Hammassärky", "Paikka irronnut")),
    ("message", 0.12, "medical", ("Reseptin uusinta", "Laboratoriotulokset",
                                  "Kontrollikäynti")),
    ("e_form", 0.07, "social", ("Kotihoidon tarve", "Toimeentulo", "Omaishoito")),
    ("questionnaire", 0.12, "medical", ("Hengitystieinfektion oirearvio",)),
    ("phone", 0.05, "mental", ("Uupumus", "Unettomuus", "Ahdistus")),
    ("walk_in", 0.05, "medical", ("Haava", "Verenpaineen mittaus")),
)


@dataclass(frozen=True)
class Crew:
    nurses: list[Staff]
    physicians: list[Staff]
    others: list[Staff]
    scheduler: Staff


def _user(engine: Engine, username: str, role: str, units: list[str], display: str,
          password: str | None) -> int:
    with Session(engine) as session:
        existing = session.scalar(select(User.id).where(User.username == username))
    if existing is not None:
        return int(existing)
    if password is not None:
        return create_user(engine, username, password, role, units, display_name=display,
                           check_strength=False).id
    with Session(engine) as session, session.begin():  # cannot sign in: no password hash
        user = User(username=username, display_name=display, password_hash="!",
                    role=role, language="fi", active=True, failed_logins=0)
        user.units = [UserUnit(unit_id=u) for u in units]
        session.add(user)
        session.flush()
        return int(user.id)


def seed_staff(engine: Engine) -> Crew:
    units = set(known_units(engine))
    def own(wanted: list[str]) -> list[str]:
        return [u for u in wanted if u in units]

    passwords = {u: p for u, p, _, _ in DEMO_STAFF}
    plan: list[tuple[str, str, list[str], str, str, list[str]]] = [
        ("hoitaja", "professional", HEALTH + ORAL, DEMO_STAFF[0][3], "nurse", ["nurse_remote"]),
        ("laakari", "professional", HEALTH, DEMO_STAFF[1][3], "physician",
         ["remote_physician", "physician_in_person", "urgent_reception"]),
    ]
    plan += [(f"sh{i:02d}", "professional", HEALTH + ORAL, f"Sairaanhoitaja {i}", "nurse",
              ["nurse_remote"]) for i in range(1, 12)]
    plan += [(f"ll{i:02d}", "professional", HEALTH, f"Lääkäri {i}", "physician",
              ["remote_physician", "physician_in_person", "urgent_reception"])
             for i in range(1, 8)]
    plan += [(f"hl{i:02d}", "professional", ORAL, f"Hammaslääkäri {i}", "dentist",
              ["oral_dentist"]) for i in range(1, 4)]
    plan += [(f"sg{i:02d}", "professional", ORAL, f"Suuhygienisti {i}", "dental_hygienist",
              ["oral_hygienist"]) for i in range(1, 3)]
    plan += [(f"mt{i:02d}", "professional", MENTAL, f"Psykiatrinen sairaanhoitaja {i}",
              "nurse", ["mental_nurse", "substance_clinic"]) for i in range(1, 3)]
    plan += [("ps01", "professional", MENTAL, "Psykologi 1", "psychologist", ["youth_mental"])]
    plan += [(f"so{i:02d}", "professional", SOCIAL, f"Sosiaaliohjaaja {i}", "social_worker",
              ["social_counselling", "older_service_counselling"]) for i in range(1, 3)]
    crew: dict[str, list[Staff]] = {"nurse": [], "physician": [], "other": []}
    for username, role, wanted, display, group, services in plan:
        user_id = _user(engine, username, role, own(wanted), display, passwords.get(username))
        set_profile(engine, user_id, group, title=display, services=services)
        member = staff(engine, user_id)
        key = group if group in ("nurse", "physician") and username[:2] != "mt" else "other"
        crew[key].append(member)
    scheduler_id = _user(engine, "ajanvaraaja", "scheduler", own(HEALTH + ORAL + MENTAL + SOCIAL),
                         DEMO_STAFF[2][3], passwords["ajanvaraaja"])
    return Crew(crew["nurse"], crew["physician"], crew["other"], staff(engine, scheduler_id))


#: group → [(start, end, minutes, mode, kind, service)] on weekdays
TEMPLATES: dict[str, list[tuple[str, str, int, str, str, str]]] = {
    "physician": [("08:00", "12:00", 20, "remote", "non_urgent", "remote_physician"),
                  ("12:00", "15:00", 20, "in_person", "non_urgent", "physician_in_person"),
                  ("15:00", "16:00", 20, "in_person", "urgent", "urgent_reception")],
    "nurse": [("13:00", "15:00", 20, "remote", "non_urgent", "nurse_remote")],
    "dentist": [("08:00", "15:00", 30, "in_person", "non_urgent", "oral_dentist")],
    "dental_hygienist": [("08:00", "15:00", 30, "in_person", "non_urgent", "oral_hygienist")],
    "psychologist": [("09:00", "15:00", 45, "in_person", "non_urgent", "youth_mental")],
    "social_worker": [("09:00", "15:00", 30, "remote", "non_urgent", "social_counselling")],
}


def seed_schedules(engine: Engine, crew: Crew, today: date, rnd: random.Random) -> None:
    members = crew.nurses + crew.physicians + crew.others
    with Session(engine) as session:
        first_time = not session.scalar(select(func.count()).select_from(ScheduleSlot))
    for member in members:
        group = member.professional_group.value if member.professional_group else "nurse"
        rows = TEMPLATES["nurse"] if member.username.startswith("mt") else TEMPLATES[group]
        unit = sorted(member.units)[rnd.randrange(len(member.units))] if member.units else None
        if unit is None:
            continue
        with UnitOfWork(engine, crew.scheduler.actor, "scheduling") as uow:
            if first_time:
                for weekday in range(5):
                    for start, end, minutes, mode, kind, service in rows:
                        add_template(uow, TemplateInput(
                            member.user_id, unit, weekday, start, end, minutes, mode, kind,
                            service, today - timedelta(days=today.weekday())), today=today)
            materialise(uow, member.user_id, today, today + timedelta(weeks=8))
    if not first_time:
        return
    # the diaries start part-full: earlier bookings, fuller near today
    with Session(engine) as session, session.begin():
        slots = session.execute(select(ScheduleSlot.id, ScheduleSlot.start_at,
                                       ScheduleSlot.user_id).where(
            ScheduleSlot.status == "free", ScheduleSlot.kind == "non_urgent",
            ScheduleSlot.start_at >= datetime.combine(today, datetime.min.time()))).all()
        busy = {uid: rnd.uniform(0.8, 1.1) for _, _, uid in slots}
        taken = [sid for sid, start, uid in slots
                 if rnd.random() < busy[uid] * _booked_share((start.date() - today).days)]
        for i in range(0, len(taken), 500):
            session.execute(update(ScheduleSlot).where(ScheduleSlot.id.in_(taken[i:i + 500]))
                            .values(status="booked"))


def _booked_share(days_ahead: int) -> float:
    """Share of a diary already booked, by days ahead (full near today, emptier later)."""
    for limit, share in ((7, 0.97), (14, 0.88), (21, 0.7), (35, 0.45)):
        if days_ahead < limit:
            return share
    return 0.2


def _person(session: Session, rnd: random.Random, used: set[str], now: datetime) -> int:
    while True:
        born = date(rnd.randint(1935, 2022), rnd.randint(1, 12), rnd.randint(1, 28))
        code = synthetic_hetu(born, rnd.randint(900, 999))
        if code not in used:
            used.add(code)
            break
    name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
    return register_person(session, code, name=name, synthetic_only=True, now=now).id


def _unit_for(area: str, rnd: random.Random, units: set[str]) -> str:
    pool = {"medical": HEALTH, "oral": ORAL, "mental": MENTAL, "substance": MENTAL,
            "social": SOCIAL}[area]
    choices = [u for u in pool if u in units] or sorted(units)
    return rnd.choice(choices)


def _assessment(area: str, channel: str, rnd: random.Random) -> commands.AssessmentInput:
    if area == "oral":
        group = "dentist" if rnd.random() < 0.7 else "dental_hygienist"
    elif area == "mental":
        group = "nurse"
    elif area == "social":
        group = "social_worker"
    else:
        group = "physician" if rnd.random() < 0.55 else "nurse"
    urgency = "urgent" if rnd.random() < 0.08 else (
        "no_care_needed" if rnd.random() < 0.06 else "non_urgent")
    reason = rnd.choice(["R05", "R74", "L03", "S18", "U71", "A04", ""])
    if area == "mental":
        reason = rnd.choice(["P76", "P06", "P02"])
    return commands.AssessmentInput(urgency, "Arvioitu puhelimessa / viestillä", area, group,
                                    reason)


def live_day(engine: Engine, crew: Crew, now: datetime, rnd: random.Random,
             contacts_per_hour: int = 60) -> int:
    """Contacts of the three hours before ``now``, each worked as far as its age allows."""
    units = set(known_units(engine))
    used: set[str] = set()
    start = now - timedelta(hours=3)
    minutes = 180
    count = contacts_per_hour * 3
    times = sorted(start + timedelta(minutes=rnd.uniform(0, minutes)) for _ in range(count))
    weights = [w for _, w, _, _ in CHANNELS]
    opened = 0
    previous = now.date() - timedelta(days=1)
    while previous.weekday() >= 5:
        previous -= timedelta(days=1)
    stale = [datetime.combine(previous, datetime.min.time()) + timedelta(hours=14, minutes=13 * i)
             for i in range(6)]
    for at in stale + times:
        channel, _, area, subjects = rnd.choices(CHANNELS, weights)[0]
        with UnitOfWork(engine, OPERATOR, "contact") as uow:
            person = _person(uow.session, rnd, used, at)
            callback = at + timedelta(hours=2) if channel == "phone" else None
            outcome = (rnd.choice(["non_urgent", "non_urgent", "urgent", "self_care"])
                       if channel == "questionnaire" else None)
            case = commands.open_case(uow, commands.Contact(
                person, channel, _unit_for(area, rnd, units), rnd.choice(subjects), area,
                message="", callback_from=at if callback else None, callback_to=callback,
                questionnaire_outcome=outcome), now=at)
            case_id, unit = case.id, case.unit_id
            contact.record_line(uow.session, case)  # a chat / message joins its unit's line
        opened += 1
        if at.date() != now.date():
            continue  # the previous weekday's leftovers: nobody has assessed them
        _work(engine, crew, case_id, unit, area, channel, at, now, rnd)
    with Session(engine) as session, session.begin():
        row = session.get(Meta, SEEDED)
        if row is None:
            session.add(Meta(key=SEEDED, value=now.date().isoformat()))
        else:
            row.value = now.date().isoformat()
    return opened


def _work(engine: Engine, crew: Crew, case_id: int, unit: str, area: str, channel: str,
          at: datetime, now: datetime, rnd: random.Random) -> None:
    age = (now - at).total_seconds() / 60
    first_line = ("nurse", "social_worker")
    pool = [m for m in crew.nurses + crew.others if unit in m.units
            and m.professional_group is not None and m.professional_group.value in first_line]
    if not pool:
        return  # nobody works this unit's line: the case waits
    nurse = rnd.choice(pool)

    def step(fn, *args, when: datetime, **kw) -> object:  # type: ignore[no-untyped-def]
        with UnitOfWork(engine, nurse.actor, "assessment") as uow:
            return fn(uow, nurse, *args, now=min(when, now), **kw)

    try:
        if age < rnd.uniform(4, 14):
            return
        late = channel == "phone" and rnd.random() < 0.2  # some call-backs run late
        claimed = at + timedelta(minutes=rnd.uniform(2, min(age, 150 if late else 12)))
        step(commands.claim, case_id, when=claimed)
        if channel in ("chat", "message"):
            step(commands.reply, case_id, "Hei, katson asiaasi.",
                 when=claimed + timedelta(minutes=rnd.uniform(0.5, 4)))
        if age < rnd.uniform(15, 35):
            return
        assessed = claimed + timedelta(minutes=rnd.uniform(4, 15))
        form = _assessment(area, channel, rnd)
        step(commands.assess, case_id, form, when=assessed)
        if age < rnd.uniform(30, 60):
            return
        done = assessed + timedelta(minutes=rnd.uniform(1, 6))
        roll = rnd.random()
        if form.urgency == "no_care_needed" or roll < 0.35:
            step(commands.resolve, case_id, "Kotihoito-ohjeet annettu", when=done)
        elif roll < 0.40:
            step(commands.refer, case_id, "Lähete erikoissairaanhoitoon", when=done)
        elif roll < 0.72 or form.urgency == "urgent":
            step(commands.route, case_id, when=done)
        elif roll < 0.95:
            with UnitOfWork(engine, nurse.actor, "booking") as uow:
                slots = bookable_slots(uow, nurse, case_id, now=min(done, now), limit=5)
            if slots:
                step(book, case_id, rnd.choice(slots).slot_id, when=done)
            else:
                step(commands.route, case_id, when=done)
    except CareError:
        return  # e.g. no routing rule for an unusual assessment: it stays assessed


def live_moment(day: date | None) -> datetime:
    """The "now" of the live morning: now, when the region ends today (or no day is given);
    10:30 on ``day`` otherwise (a region generated up to another day)."""
    today = date.today()
    if day is None or day == today:
        return datetime.now()
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=10, minutes=30)


def seed_operations(engine: Engine, now: datetime | None = None, seed: int = 12
                    ) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """Staff, schedules and today's live cases (once per day); the demo accounts."""
    at = now or datetime.now()
    rnd = random.Random(f"{seed}:{at.date().isoformat()}")
    crew = seed_staff(engine)
    with Session(engine) as session:
        seeded = session.get(Meta, SEEDED)
        seeded_on = seeded.value if seeded else None
        any_case = session.scalar(select(func.count()).select_from(CareCase)) or 0
    if seeded_on != at.date().isoformat():
        seed_schedules(engine, crew, at.date(), rnd)
        if not any_case or seeded_on is not None:
            live_day(engine, crew, at, rnd)
    accounts = []
    for username, password, role, _ in DEMO_STAFF:
        member = next((m for m in crew.nurses + crew.physicians + [crew.scheduler]
                       if m.username == username), None)
        accounts.append((username, password, role,
                         tuple(sorted(member.units)) if member else ()))
    return accounts
