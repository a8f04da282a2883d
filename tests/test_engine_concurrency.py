"""One ``Analytics`` shared by many threads gives the same answers as asked one at a time,
also while the store changes underneath and a refresh swaps the snapshot (not timed).

Twenty threads call every indicator method in different orders, three rounds. After the
first round a second file is imported and ``refresh_if_stale(force=True)`` swaps in the
rebuilt snapshot while the threads go on with the second round; every answer must be exactly
the sequential answer over the data before the import or the one over the data after it
(never a mix, never an error), and every answer after the refresh (the whole third round)
must be the new one. Run with the answer cache off (every call a query on the thread's own
connection) and on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from sotekeskus.analytics.engine import Analytics
from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.result_cache import ResultCache

from .region_store import import_file, region_files

THREADS = 20
ROUNDS = 3
DAY = date(2025, 5, 5)  # in the second file's weeks: its import changes the day


def calls() -> list[tuple[str, Callable[[Analytics], Any]]]:
    """(name, call) for every public indicator method, with a few filters."""
    u1 = AccessFilter(unit_ids=("U001",))
    oral = AccessFilter(service_areas=("oral",), age_group="23-64")
    window = AccessFilter(month_from="2024-10", month_to="2025-06")
    out: list[tuple[str, Callable[[Analytics], Any]]] = [
        ("access_report", lambda an: an.access_report()),
        ("access_report U1 by unit", lambda an: an.access_report(u1, by_unit=True)),
        ("access_summary oral", lambda an: an.access_summary(oral)),
        ("access_summary window quarter", lambda an: an.access_summary(window, by="quarter")),
        ("waiting_list summary", lambda an: an.waiting_list(DAY).summary),
        ("waiting_list rows U1", lambda an: an.waiting_list(DAY, u1).rows),
        ("contacts_by_channel", lambda an: an.contacts_by_channel(DAY)),
        ("assessments_not_same_day", lambda an: an.assessments_not_same_day(DAY, u1)),
        ("channel_share", lambda an: an.channel_share(by="month")),
        ("units", lambda an: an.units()),
        ("date_range", lambda an: an.date_range()),
    ]
    return out


def sequential(db: str) -> dict[str, Any]:
    an = Analytics.open(db)
    try:
        return {name: call(an) for name, call in calls()}
    finally:
        an.close()


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """Two stores: the first file only, and both files (the sequential answers of each)."""
    workdir = tmp_path_factory.mktemp("concurrency")
    first, second = region_files(workdir)
    before, after = str(workdir / "before.db"), str(workdir / "after.db")
    import_file(first, before)
    import_file(first, after)
    import_file(second, after)
    return first, second, sequential(before), sequential(after)


@pytest.mark.parametrize("cached", [False, True], ids=["no-cache", "cache"])
def test_twenty_threads_and_a_refresh_give_the_sequential_answers(tmp_path, stores, cached):
    first, second, old, new = stores
    assert all(old[name] != new[name] for name in old if name != "units"), \
        "the second import must change every figure"
    db = str(tmp_path / "live.db")
    import_file(first, db)
    an = Analytics.open(db)
    if not cached:
        an.cache = ResultCache(max_rows=0)  # keeps nothing: every call queries
    named = calls()
    answers: list[tuple[int, str, Any, bool]] = []  # (thread, call, answer, after refresh)
    errors: list[BaseException] = []
    lock = threading.Lock()
    refreshed = threading.Event()
    halfway = threading.Barrier(THREADS + 1)

    def worker(index: int) -> None:
        try:
            for round_ in range(ROUNDS):
                if round_ == 1:
                    halfway.wait(timeout=120)
                if round_ == ROUNDS - 1:  # the last round only once the refresh is done
                    assert refreshed.wait(timeout=300)
                order = named[index % len(named):] + named[:index % len(named)]
                for name, call in order:
                    after = refreshed.is_set()
                    answer = call(an)
                    with lock:
                        answers.append((index, name, answer, after))
        except BaseException as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(exc)
            halfway.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    halfway.wait(timeout=120)  # every thread has done one round on the first data
    import_file(second, db)  # the store changes while the threads go on
    an.refresh_if_stale(force=True)
    refreshed.set()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[0]
    assert len(answers) == THREADS * ROUNDS * len(named)
    for index, name, answer, after in answers:
        if after:
            assert answer == new[name], (index, name, "after the refresh")
        else:
            assert answer in (old[name], new[name]), (index, name)
    assert {name for _, name, answer, _ in answers if answer == new[name]} == set(old)
    an.close()


def test_answers_are_copies(tmp_path, stores):
    first, _, old, _ = stores
    db = str(tmp_path / "copies.db")
    import_file(first, db)
    an = Analytics.open(db)
    rows = an.access_report()
    rows[0]["visits"] = -1
    rows.clear()
    assert an.access_report() == old["access_report"]
    an.close()


def test_a_change_is_picked_up_without_waiting_for_the_rebuild(tmp_path, stores):
    """Without ``force`` a reader never waits for the rebuild: it gets the old answer until
    the new snapshot is swapped in (in the background, within seconds)."""
    import time

    first, second, old, new = stores
    db = str(tmp_path / "background.db")
    import_file(first, db)
    an = Analytics.open(db)
    assert an.access_report() == old["access_report"]
    import_file(second, db)
    deadline = time.monotonic() + 120
    seen = []
    while time.monotonic() < deadline:
        rows = an.access_report()
        assert rows in (old["access_report"], new["access_report"])
        seen.append(rows == new["access_report"])
        if seen[-1]:
            break
        time.sleep(0.05)
    assert seen[-1], "the new data never arrived"
    an.close()
