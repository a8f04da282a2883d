"""The resident front door under load: N residents at once identifying through the test
identity provider (OpenID Connect, PKCE), viewing their cases and booking and cancelling a
time, against the real server (``sotekeskus serve``) on SQLite and PostgreSQL, over HTTP.

    .venv/bin/python bench/front_door.py                        # SQLite, 50 residents, 60 s
    .venv/bin/python bench/front_door.py --pg postgresql://postgres@127.0.0.1:55432/postgres
    .venv/bin/python bench/front_door.py --clients 50 --duration 60 --skip-sqlite --pg URL

What it does, per database:

1. Builds an operational store: 19 units, ``--residents`` residents (synthetic identity
   codes, individual numbers 900–999), ``--clients`` of whom have a case opened, assessed and
   **routed to the self-bookable digital-nurse service** through the workdesk use cases;
   10 nurses with weekly remote templates and slots from the day after tomorrow for four
   weeks (so every booking can still be cancelled: the change window is 24 h).
2. Starts the app as users do (``sotekeskus serve``) on 127.0.0.1 in a subprocess.
3. Each client is one resident's browser (its own cookie jar). The clients start spread over
   one think time and repeat, for ``--duration`` seconds, with ``--think`` seconds (±50 %)
   between steps: **sign-in** (``start``: the relying party's redirect with state, nonce and
   PKCE; ``idp_page``: the test provider's picker; ``idp_pick``: choosing the resident;
   ``callback``: code exchange at the token endpoint, ID-token signature and claims check,
   session start), **cases** (``GET /asiointi/omat``), **case** (the case page with the free
   times of its service), **book** one of the first ten times offered, **appointments**
   (``GET /asiointi/ajat``), **cancel** it, **sign-out**. A time taken by someone else
   meanwhile is a 409 (counted as a *conflict*, never an error); an *error* is any other
   non-2xx/3xx answer or an exception.
4. Afterwards it checks the store: no slot with two live appointments (**double bookings**).

It prints p50 / p95 / max per step, requests, conflicts, errors and double bookings, and
writes ``bench/data/front_door.json``. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import threading
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import DOUBLE_BOOKINGS, run_databases, serve_and_load, summary  # noqa: E402

HERE = Path(__file__).resolve().parent
UNITS = [f"U{i:03d}" for i in range(1, 20)]
SERVICE = "nurse_remote"


def build_store(url: str, clients: int, residents: int, now: datetime) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from sotekeskus.care.booking.schedules import TemplateInput, add_template, materialise
    from sotekeskus.care.cases.commands import (
        AssessmentInput,
        Contact,
        assess,
        claim,
        open_case,
        route,
    )
    from sotekeskus.care.persons import register_person
    from sotekeskus.care.staff import set_profile, staff
    from sotekeskus.care.unit_of_work import UnitOfWork
    from sotekeskus.domain.access_policy import Actor, Role
    from sotekeskus.domain.workflow.hetu import synthetic_hetu
    from sotekeskus.store.database import make_engine
    from sotekeskus.store.migrate import upgrade
    from sotekeskus.store.models import Unit
    from sotekeskus.store.users import create_user

    t0 = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    operator = Actor("bench:front-door", Role.OPERATOR)
    with Session(engine) as s, s.begin():
        s.add_all(Unit(unit_id=u, name=f"Unit {u}", municipality="K") for u in UNITS)
    nurses = []
    for i in range(10):
        account = create_user(engine, f"nurse{i:02d}", "bench-password-1", "professional",
                              UNITS[:9], check_strength=False)
        set_profile(engine, account.id, "nurse", services=[SERVICE])
        nurses.append(staff(engine, account.id))
    scheduler = create_user(engine, "bench-scheduler", "bench-password-1", "scheduler",
                            UNITS[:9], check_strength=False)
    sched = staff(engine, scheduler.id)
    start = (now + timedelta(days=2)).date()
    for n in nurses:
        with UnitOfWork(engine, sched.actor, "schedules") as uow:
            for weekday in range(5):
                add_template(uow, TemplateInput(n.user_id, "U001", weekday, "08:00", "16:00",
                                                20, "remote", service_id=SERVICE,
                                                valid_from=start), today=now.date())
            materialise(uow, n.user_id, start, start + timedelta(days=28))
    rnd = random.Random(7)
    hetus: list[str] = []
    seen: set[str] = set()
    with Session(engine) as s, s.begin():
        pks = []
        for i in range(residents):
            born = date(1940, 1, 1) + timedelta(days=rnd.randrange(0, 60 * 365))
            code = synthetic_hetu(born, 900 + i % 100)
            person = register_person(s, code, name=f"Asukas {i}", synthetic_only=True, now=now)
            if person.hetu in seen:
                continue
            pks.append(person.id)
            hetus.append(person.hetu)
            seen.add(person.hetu)
    chosen = list(zip(pks, hetus, strict=True))[:clients]
    nurse = nurses[0]
    for pk, _ in chosen:
        with UnitOfWork(engine, operator, "bench") as uow:
            case_id = open_case(uow, Contact(pk, "message", "U001", "Flunssa"), now=now).id
        with UnitOfWork(engine, nurse.actor, "assessment") as uow:
            claim(uow, nurse, case_id, now=now)
        with UnitOfWork(engine, nurse.actor, "assessment") as uow:
            assess(uow, nurse, case_id, AssessmentInput("non_urgent", "flunssa", "medical",
                                                        "nurse"), now=now)
        with UnitOfWork(engine, nurse.actor, "assessment") as uow:
            route(uow, nurse, case_id, SERVICE, now=now)
    engine.dispose()
    return {"residents": len(pks), "with_routed_case": len(chosen),
            "hetus": [h for _, h in chosen], "build_s": round(time.perf_counter() - t0, 1)}


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/asiointi/omat/(\d+)"')
SLOT = re.compile(r'name="slot_id" value="(\d+)"')
CANCEL = re.compile(r'action="/asiointi/ajat/(\d+)/peru"')


class Resident:
    """One resident's browser: a cookie jar and the front-door cycle."""

    def __init__(self, base: str, hetu: str, stats: dict[str, list[float]],
                 outcomes: dict[str, int], lock: threading.Lock, rnd: random.Random) -> None:
        self.base, self.hetu, self.stats, self.outcomes = base, hetu, stats, outcomes
        self.lock, self.rnd = lock, rnd
        self.http = httpx.Client(base_url=base, timeout=60, follow_redirects=False)

    def _timed(self, step: str, method: str, url: str, **kw: Any) -> httpx.Response | None:
        t = time.perf_counter()
        try:
            r = self.http.request(method, url, **kw)
        except httpx.HTTPError:
            with self.lock:
                self.outcomes["errors"] += 1
                self.outcomes[f"errors_{step}"] += 1
            return None
        elapsed = time.perf_counter() - t
        with self.lock:
            self.stats[step].append(elapsed)
            self.outcomes["requests"] += 1
            if r.status_code == 409:
                self.outcomes["conflicts"] += 1
            elif r.status_code >= 400:
                self.outcomes["errors"] += 1
                self.outcomes[f"errors_{step}"] += 1
        return r

    def pause(self, think: float) -> None:
        time.sleep(think * self.rnd.uniform(0.5, 1.5))

    def cycle(self, think: float) -> None:
        r = self._timed("start", "GET", "/asiointi/tunnistaudu/aloita",
                        params={"next": "/asiointi/omat"})
        if r is None or r.status_code != 303:
            return
        target = r.headers["location"]
        q = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        r = self._timed("idp_page", "GET", target.replace(self.base, ""))
        self.pause(think)
        r = self._timed("idp_pick", "POST", "/test-idp/authorize",
                        data={**q, "hetu": self.hetu})
        if r is None or r.status_code != 303:
            return
        r = self._timed("callback", "GET", r.headers["location"].replace(self.base, ""))
        if r is None or r.status_code != 303:
            return
        r = self._timed("cases", "GET", "/asiointi/omat")
        if r is None:
            return
        links = CASE_LINK.findall(r.text)
        self.pause(think)
        if links:
            r = self._timed("case", "GET", f"/asiointi/omat/{links[0]}")
            slots = SLOT.findall(r.text) if r is not None else []
            token = CSRF.search(r.text) if r is not None else None
            self.pause(think)
            if slots and token:
                self._timed("book", "POST", f"/asiointi/omat/{links[0]}/varaa",
                            data={"slot_id": self.rnd.choice(slots[:10]),
                                  "csrf_token": token.group(1)})
        r = self._timed("appointments", "GET", "/asiointi/ajat")
        if r is not None:
            token = CSRF.search(r.text)
            for appointment in CANCEL.findall(r.text)[:1]:
                self.pause(think)
                self._timed("cancel", "POST", f"/asiointi/ajat/{appointment}/peru",
                            data={"csrf_token": token.group(1) if token else ""})
            if token:
                self._timed("sign_out", "POST", "/asiointi/kirjaudu-ulos",
                            data={"csrf_token": token.group(1)})
        self.http.cookies.clear()


def run_load(base: str, hetus: list[str], duration: float, think: float) -> dict[str, Any]:
    stats: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    residents = [Resident(base, h, stats, outcomes, lock, random.Random(i))
                 for i, h in enumerate(hetus)]
    stop = time.monotonic() + duration
    barrier = threading.Barrier(len(residents))
    cycles = [0]

    def work(r: Resident) -> None:
        barrier.wait()
        time.sleep(r.rnd.uniform(0, think))
        while time.monotonic() < stop:
            r.cycle(think)
            with lock:
                cycles[0] += 1
            r.pause(think)

    threads = [threading.Thread(target=work, args=(r,)) for r in residents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + 600)
    for r in residents:
        r.http.close()
    order = ["start", "idp_page", "idp_pick", "callback", "cases", "case", "book",
             "appointments", "cancel", "sign_out"]
    return {"latency": {k: summary(stats[k]) for k in order if stats.get(k)},
            "outcomes": dict(sorted(outcomes.items())), "cycles": cycles[0]}


def integrity(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from sotekeskus.store.database import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        double = conn.execute(text(DOUBLE_BOOKINGS)).scalar_one()
        made = conn.execute(text("SELECT count(*) FROM appointments")).scalar_one()
        sessions = conn.execute(text("SELECT count(*) FROM resident_sessions")).scalar_one()
    engine.dispose()
    return {"double_bookings": int(double), "appointments_made": int(made),
            "resident_sessions": int(sessions)}


def one_database(name: str, url: str, db_arg: str, args: argparse.Namespace) -> dict[str, Any]:
    now = datetime.now().replace(microsecond=0)
    print(f"[{name}] building the store …", flush=True)
    built = build_store(url, args.clients, args.residents, now)
    hetus = built.pop("hetus")
    print(f"[{name}] {built}", flush=True)

    def load(base: str) -> dict[str, Any]:
        print(f"[{name}] {args.clients} residents for {args.duration:.0f} s …", flush=True)
        return run_load(base, hetus, args.duration, args.think)

    result = serve_and_load(db_arg, HERE / "data" / f"front_door-{name}.log", load)
    result["store"] = built
    result["integrity"] = integrity(url)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=0.5, help="seconds between steps")
    parser.add_argument("--pg", help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--skip-sqlite", action="store_true")
    run_databases(parser.parse_args(), "front_door", one_database)


if __name__ == "__main__":
    main()
