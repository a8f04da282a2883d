"""The workdesk under load: 50 professionals at once working the queue (claim, assess,
book) against a region-sized store, on SQLite and PostgreSQL, over HTTP.

    .venv/bin/python bench/workdesk.py                         # SQLite, 50 clients, 60 s
    .venv/bin/python bench/workdesk.py --pg postgresql://postgres@127.0.0.1:55432/postgres
    .venv/bin/python bench/workdesk.py --clients 50 --duration 60 --skip-sqlite --pg URL

What it does, per database:

1. Builds a region-sized operational store: 19 units, 40 000 residents (synthetic identity
   codes), 30 days of closed cases (1 500 a day, written directly with their episode rows),
   and **today's 1 500 contacts opened through the workdesk use cases** (deadlines,
   history, audit, projection); 20 physicians with weekly templates and 8 weeks of slots;
   ``--clients`` professional accounts (nurses of every health station).
2. Starts the app as users do (``sotekeskus serve``) on 127.0.0.1 in a subprocess and
   signs every client in over HTTP.
3. The clients start spread over one think time; each repeats for ``--duration`` seconds,
   waiting ``--think`` seconds (uniform ±50 %) between cycles: the **queue page**
   (``GET /workdesk``), **claim** an unowned case among the first 20 it shows, **assess**
   it (non-urgent, physician needed), open the **case page** (audited read) and **book** a
   random one of the free times it offers. A lost claim or slot is a 409 (counted as a
   *conflict*, never an error); an *error* is any other non-2xx/3xx answer or an exception.
4. Afterwards it checks the store: no slot with two live appointments (**double
   bookings**), every booked case has exactly one live appointment, every live appointment
   holds a booked slot.

It prints p50 / p95 / max per request kind, requests, conflicts, errors and double
bookings, and writes ``bench/data/workdesk.json``. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import DOUBLE_BOOKINGS, HERE, run_databases, serve_and_load, summary  # noqa: E402

PASSWORD = "bench-password-1"
UNITS = [f"U{i:03d}" for i in range(1, 20)]
HEALTH = UNITS[:9]


# ---------------------------------------------------------------------------------------
# the store
# ---------------------------------------------------------------------------------------
def build_store(url: str, clients: int, now: datetime, seed: int = 7) -> dict[str, Any]:
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from sotekeskus.care.booking.schedules import TemplateInput, add_template, materialise
    from sotekeskus.care.cases.commands import Contact, open_case
    from sotekeskus.care.staff import set_profile, staff
    from sotekeskus.care.unit_of_work import UnitOfWork
    from sotekeskus.domain.access_policy import Actor, Role
    from sotekeskus.domain.workflow.hetu import synthetic_hetu
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.models import CareCase, Episode, Meta, Person, Unit
    from sotekeskus.store.users import create_user

    rnd = random.Random(seed)
    t0 = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add_all(Unit(unit_id=u, name=f"Asema {u}", municipality="Koskimaa")
                        for u in UNITS)
        session.add(Meta(key="data_version", value="bench"))
    # residents: 40 000 synthetic codes (individual numbers 900–999)
    people = []
    seen: set[str] = set()
    while len(people) < 40_000:
        born = date(rnd.randint(1935, 2023), rnd.randint(1, 12), rnd.randint(1, 28))
        code = synthetic_hetu(born, rnd.randint(900, 999))
        if code in seen:
            continue
        seen.add(code)
        people.append({"person_id": "P" + uuid.uuid4().hex[:16], "hetu": code,
                       "birth_date": born, "name": "", "language": "fi",
                       "municipality": "", "created_at": now})
    with engine.begin() as conn:
        for i in range(0, len(people), 5000):
            conn.execute(insert(Person), people[i:i + 5000])
    # 30 days of closed cases with their episode rows (history: no transitions)
    history, episodes = [], []
    case_id = 0
    for day in range(30, 0, -1):
        base = datetime.combine(now.date() - timedelta(days=day), datetime.min.time())
        for _ in range(1500):
            case_id += 1
            person = rnd.randrange(len(people))
            contact = base + timedelta(hours=7, minutes=rnd.uniform(0, 600))
            assessed = contact + timedelta(minutes=rnd.uniform(5, 90))
            visit = assessed + timedelta(days=rnd.choice([0, 0, 1, 2, 3, 7, 10, 14]))
            unit = rnd.choice(HEALTH)
            history.append({
                "id": case_id, "person_pk": person + 1, "channel": rnd.choice(
                    ["phone", "chat", "message", "e_form", "questionnaire", "walk_in"]),
                "state": "closed", "unit_id": unit, "service_area": "medical",
                "professional_group": "physician", "urgency": "non_urgent",
                "subject": "Vaiva", "contact_at": contact, "assessed_at": assessed,
                "visit_at": visit, "contact_mode": "phone", "closed_at": visit,
                "close_reason": "visited", "episode_id": f"W-{case_id}", "version": 5,
                "updated_at": visit})
            episodes.append({
                "episode_id": f"W-{case_id}", "person_id": people[person]["person_id"],
                "birth_date": people[person]["birth_date"], "unit_id": unit,
                "service_area": "medical", "professional_group": "physician",
                "urgency": "non_urgent", "contact_at": contact, "assessed_at": assessed,
                "visit_at": visit, "contact_mode": "phone", "status": "done",
                "plan_based": False})
    with engine.begin() as conn:
        for i in range(0, len(history), 5000):
            conn.execute(insert(CareCase), history[i:i + 5000])
            conn.execute(insert(Episode), episodes[i:i + 5000])
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('cases', 'id'), "
                                 f"{case_id})")
    t_history = time.perf_counter() - t0
    # staff: physicians with slots, the bench nurses
    scheduler = create_user(engine, "bench-scheduler", PASSWORD, "scheduler", HEALTH)
    sched = staff(engine, scheduler.id)
    for i in range(1, 21):
        unit = HEALTH[i % len(HEALTH)]
        doc = create_user(engine, f"doc{i:02d}", PASSWORD, "professional", [unit])
        set_profile(engine, doc.id, "physician", services=["remote_physician"])
        with UnitOfWork(engine, sched.actor, "scheduling") as uow:
            for weekday in range(5):
                add_template(uow, TemplateInput(doc.id, unit, weekday, "08:00", "16:00", 20,
                                                "remote", service_id="remote_physician",
                                                valid_from=now.date()), today=now.date())
            materialise(uow, doc.id, now.date(), now.date() + timedelta(weeks=8))
    for i in range(1, clients + 1):
        nurse = create_user(engine, f"bench{i:02d}", PASSWORD, "professional", HEALTH)
        set_profile(engine, nurse.id, "nurse", services=["nurse_remote"])
    # today's contacts through the workdesk use cases
    operator = Actor("bench:contacts", Role.OPERATOR)
    t1 = time.perf_counter()
    start = datetime.combine(now.date(), datetime.min.time()) + timedelta(hours=7)
    for n in range(1500):
        at = start + timedelta(seconds=n * (now - start).total_seconds() / 1500)
        with UnitOfWork(engine, operator, "contact") as uow:
            open_case(uow, Contact(rnd.randrange(len(people)) + 1,
                                   rnd.choice(["phone", "chat", "message", "e_form",
                                               "questionnaire", "walk_in"]),
                                   rnd.choice(HEALTH), "Vaiva"), now=at)
    t_open = time.perf_counter() - t1
    engine.dispose()
    return {"history_cases": len(history), "open_cases": 1500, "residents": len(people),
            "build_history_s": round(t_history, 1), "open_1500_contacts_s": round(t_open, 1)}


# ---------------------------------------------------------------------------------------
# clients
# ---------------------------------------------------------------------------------------
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CLAIMABLE = re.compile(r'action="/workdesk/cases/(\d+)/claim"[^>]*>\s*'
                       r'<input[^>]*name="csrf_token"[^>]*><input type="hidden" '
                       r'name="version" value="(\d+)">')
SLOT = re.compile(r'name="slot" value="(\d+)"')


class Client:
    def __init__(self, base: str, username: str, stats: dict[str, list[float]],
                 outcomes: dict[str, int], lock: threading.Lock, rnd: random.Random) -> None:
        # keep idle connections for less than the server's keep-alive (uvicorn: 5 s), or a
        # request after a think pause races the server closing the connection (a reset)
        self.http = httpx.Client(base_url=base, timeout=60, follow_redirects=False,
                                 limits=httpx.Limits(keepalive_expiry=2.0))
        self.username, self.stats, self.outcomes, self.lock = username, stats, outcomes, lock
        self.rnd = rnd
        self.token = ""

    def sign_in(self) -> None:
        page = self.http.get("/login")
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        r = self.http.post("/login", data={"username": self.username, "password": PASSWORD,
                                           "csrf_token": token})
        if r.status_code != 303:
            raise RuntimeError(f"{self.username}: sign-in {r.status_code}")

    def timed(self, kind: str, method: str, url: str, **kw: Any) -> httpx.Response | None:
        t = time.perf_counter()
        try:
            r = self.http.request(method, url, **kw)
        except httpx.HTTPError as exc:
            with self.lock:
                self.outcomes[f"{kind}:exception"] += 1
                self.outcomes["errors"] += 1
            print(f"{self.username} {kind}: {exc!r}", file=sys.stderr)
            return None
        elapsed = time.perf_counter() - t
        with self.lock:
            self.stats[kind].append(elapsed)
            if r.status_code == 409:
                self.outcomes[f"{kind}:conflict"] += 1
            elif r.status_code >= 400:
                self.outcomes[f"{kind}:{r.status_code}"] += 1
                self.outcomes["errors"] += 1
                why = re.search(r'<code lang="en">([^<]*)<', r.text)
                print(f"{self.username} {kind} {r.status_code}: "
                      f"{why.group(1) if why else r.text[:200]!r}", file=sys.stderr)
            else:
                self.outcomes[f"{kind}:ok"] += 1
        if "csrf_token" in r.text:
            m = CSRF.search(r.text)
            if m:
                self.token = m.group(1)
        return r

    def cycle(self) -> None:
        queue = self.timed("queue", "GET", "/workdesk")
        if queue is None or queue.status_code != 200:
            return
        ids = CLAIMABLE.findall(queue.text)[:20]
        if not ids:
            return
        case, version = self.rnd.choice(ids)
        r = self.timed("claim", "POST", f"/workdesk/cases/{case}/claim",
                       data={"csrf_token": self.token, "version": version})
        if r is None or r.status_code != 303:
            return
        r = self.timed("assess", "POST", f"/workdesk/cases/{case}/assess", data={
            "csrf_token": self.token, "urgency": "non_urgent", "need": "Vaiva",
            "service_area": "medical", "professional_group": "physician"})
        if r is None or r.status_code != 303:
            return
        for _attempt in range(3):
            page = self.timed("case", "GET", f"/workdesk/cases/{case}?purpose=booking")
            if page is None or page.status_code != 200:
                return
            slots = SLOT.findall(page.text)
            if not slots:
                return
            r = self.timed("book", "POST", f"/workdesk/cases/{case}/book",
                           data={"csrf_token": self.token, "slot": self.rnd.choice(slots)})
            if r is None or r.status_code != 409:
                return


def run_load(base: str, clients: int, duration: float, think: float) -> dict[str, Any]:
    stats: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    workers = [Client(base, f"bench{i:02d}", stats, outcomes, lock, random.Random(i))
               for i in range(1, clients + 1)]
    for w in workers:
        w.sign_in()
    stop = time.monotonic() + duration
    barrier = threading.Barrier(clients)

    def work(w: Client) -> None:
        barrier.wait()
        time.sleep(w.rnd.uniform(0, think))  # professionals do not all click at one instant
        while time.monotonic() < stop:
            w.cycle()
            time.sleep(think * w.rnd.uniform(0.5, 1.5))

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + 300)
    for w in workers:
        w.http.close()
    return {"latency": {k: summary(v) for k, v in sorted(stats.items())},
            "outcomes": dict(sorted(outcomes.items()))}


def integrity(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from sotekeskus.store.database import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        double = conn.execute(text(DOUBLE_BOOKINGS)).scalar_one()
        orphan = conn.execute(text(
            "SELECT count(*) FROM appointments a JOIN slots s ON s.id = a.slot_id "
            "WHERE a.status = 'booked' AND s.status <> 'booked'")).scalar_one()
        cases_without = conn.execute(text(
            "SELECT count(*) FROM cases c WHERE c.state = 'booked' AND (SELECT count(*) FROM "
            "appointments a WHERE a.case_id = c.id AND a.status = 'booked') <> 1"))\
            .scalar_one()
        booked = conn.execute(text(
            "SELECT count(*) FROM appointments WHERE status = 'booked'")).scalar_one()
        claims = conn.execute(text(
            "SELECT count(*) FROM case_transitions WHERE transition = 'claim'")).scalar_one()
    engine.dispose()
    return {"double_bookings": int(double), "booked_appointment_on_unbooked_slot": int(orphan),
            "booked_cases_without_one_appointment": int(cases_without),
            "appointments_booked": int(booked), "claims": int(claims)}


def one_database(name: str, url: str, db_arg: str, args: argparse.Namespace) -> dict[str, Any]:
    now = datetime.now().replace(microsecond=0)
    if now.hour < 9:
        now = now.replace(hour=9, minute=0)
    print(f"[{name}] building the store …", flush=True)
    built = build_store(url, args.clients, now)
    print(f"[{name}] {built}", flush=True)

    def load(base: str) -> dict[str, Any]:
        print(f"[{name}] {args.clients} clients for {args.duration:.0f} s …", flush=True)
        return run_load(base, args.clients, args.duration, args.think)

    result = serve_and_load(db_arg, HERE / "data" / f"workdesk-{name}.log", load)
    result["store"] = built
    result["integrity"] = integrity(url)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=0.5, help="seconds between requests")
    parser.add_argument("--pg", help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--skip-sqlite", action="store_true")
    run_databases(parser.parse_args(), "workdesk", one_database)


if __name__ == "__main__":
    main()
