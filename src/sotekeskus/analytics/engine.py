"""The analytics facade used by the CLI, the web and the exports alike.

``Analytics.open(db_url)`` reads a DuckDB snapshot of the store (rebuilt when the store
changed); ``Analytics.from_parquet(path)`` queries an episode Parquet file in place;
``Analytics.on_postgres(db_url)`` runs the same definitions inside PostgreSQL.
Every method returns plain Python rows (dicts), exact and unsuppressed; suppression is the
presentation layer's job (:mod:`sotekeskus.analytics.suppression`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
from sqlalchemy.engine import make_url

from sotekeskus.analytics import access, channels, situation, waiting_list
from sotekeskus.analytics.derived import rulebook_fingerprint
from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.source import (
    EPISODE_SELECT,
    build_snapshot,
    read_snapshot_version,
    snapshot_path,
)
from sotekeskus.domain.indicators import pct
from sotekeskus.domain.rules import RuleBook
from sotekeskus.domain.vocabulary import DEFAULT_REMOTE_MODES
from sotekeskus.rules import default_rulebook
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.episodes import data_version
from sotekeskus.store.migrate import require_current

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class WaitingList:
    on: date
    rows: Rows
    summary: Rows

    @property
    def past_deadline(self) -> int:
        return sum(int(r["past_deadline"]) for r in self.summary)

    @property
    def due_within_7d(self) -> int:
        return sum(int(r["due_within_7d"]) for r in self.summary)


class Analytics:
    """Indicator engine over one episode source."""

    CHECK_INTERVAL_S = 1.0

    def __init__(self, connect: Callable[[], Any], rulebook: RuleBook | None = None,
                 version_check: Callable[[], bool] | None = None, engine_name: str = "duckdb"):
        self._connect = connect
        self._con = connect()
        self.rulebook = rulebook or default_rulebook()
        self._version_check = version_check
        self._checked_at = 0.0
        self._lock = threading.RLock()
        self.engine_name = engine_name

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def open(cls, db: str | None = None, rulebook: RuleBook | None = None) -> Analytics:
        """DuckDB snapshot of the store named by ``db`` (path or URL), refreshed on change."""
        url = resolve_url(db)
        store = make_engine(url)
        require_current(store)  # a read path never migrates: `sotekeskus migrate` does
        path = snapshot_path(url)
        book = rulebook or default_rulebook()
        fingerprint = rulebook_fingerprint(book)

        def ensure_fresh() -> bool:
            version = f"{data_version(store)}:{fingerprint}"
            if read_snapshot_version(path) != version:
                build_snapshot(url, path, version, book)
                return True
            return False

        ensure_fresh()

        def connect() -> Any:
            return ibis.duckdb.connect(str(path), read_only=True)

        return cls(connect, book, ensure_fresh)

    @classmethod
    def from_parquet(cls, path: str | Path, rulebook: RuleBook | None = None) -> Analytics:
        """Query an episode Parquet file in place (no import)."""
        source = str(Path(path).resolve()).replace("'", "''")

        def connect() -> Any:
            con = ibis.duckdb.connect()
            con.raw_sql("CREATE VIEW episodes AS " + EPISODE_SELECT.format(
                plan_based="coalesce(CAST(plan_based AS BOOLEAN), false)",
                source=f"read_parquet('{source}')"))
            con.raw_sql("CREATE VIEW units AS SELECT DISTINCT unit_id, unit_id AS name, "
                        "'' AS municipality FROM episodes")
            return con

        return cls(connect, rulebook)

    @classmethod
    def on_postgres(cls, db: str, rulebook: RuleBook | None = None) -> Analytics:
        """Run the definitions inside the PostgreSQL store itself (through Ibis)."""
        url = make_url(resolve_url(db))
        if url.get_backend_name() != "postgresql":
            raise ValueError(f"not a PostgreSQL URL: {db}")
        require_current(make_engine(url.render_as_string(hide_password=False)))

        def connect() -> Any:
            return ibis.postgres.connect(
                host=url.host, port=url.port or 5432, user=url.username,
                password=url.password, database=url.database)

        return cls(connect, rulebook, engine_name="postgres")

    # ---- plumbing -----------------------------------------------------------------------
    def refresh_if_stale(self, force: bool = False) -> None:
        if self._version_check is None:
            return
        now = time.monotonic()
        if not force and now - self._checked_at < self.CHECK_INTERVAL_S:
            return
        with self._lock:
            self._checked_at = now
            if self._version_check():
                # DuckDB caches open databases by path: close before reopening the new file.
                self._con.disconnect()
                self._con = self._connect()

    def _run(self, build: Callable[[ir.Table], ir.Table]) -> Rows:
        self.refresh_if_stale()
        with self._lock:
            expr = build(self._con.table("episodes"))
            result: Rows = expr.to_pyarrow().to_pylist()
            return result

    # ---- indicators ---------------------------------------------------------------------
    def access_report(self, flt: AccessFilter | None = None, *, by_unit: bool = False) -> Rows:
        """One row per month × service area × professional group (× unit); exact numbers."""
        records = self._run(lambda e: access.access_counts(e, self.rulebook, flt,
                                                           by_unit=by_unit))
        return access.finish_rows(records, self.rulebook)

    def access_summary(self, flt: AccessFilter | None = None, by: str = "month") -> Rows:
        """The access indicators per period over everything the filter selects."""
        records = self._run(lambda e: access.access_counts(
            e, self.rulebook, flt, period=by, keys=()))
        return access.finish_rows(records, self.rulebook, flt.service_areas if flt else None)

    def waiting_list(self, on: date, flt: AccessFilter | None = None) -> WaitingList:
        rows = self._run(lambda e: waiting_list.waiting_rows(e, self.rulebook, on, flt))
        summary = self._run(lambda e: waiting_list.waiting_summary(
            waiting_list.waiting_rows(e, self.rulebook, on, flt)))
        return WaitingList(on, rows, summary)

    def contacts_by_channel(self, day: date, flt: AccessFilter | None = None) -> Rows:
        return self._run(lambda e: situation.contacts_by_channel(e, day, flt))

    def assessments_not_same_day(self, day: date, flt: AccessFilter | None = None) -> Rows:
        rows = self._run(lambda e: situation.assessments_not_same_day(e, day, flt))
        for r in rows:
            r["not_assessed_same_day_pct"] = pct(r["not_assessed_same_day"], r["contacts"])
        return rows

    def channel_share(self, flt: AccessFilter | None = None, *,
                      remote_modes: Iterable[str] = tuple(m.value for m in DEFAULT_REMOTE_MODES),
                      min_age: int | None = None, by: str = "quarter") -> Rows:
        rows = self._run(lambda e: channels.channel_share(
            e, flt, remote_modes=remote_modes, min_age=min_age, by=by))
        for r in rows:
            r["remote_share_pct"] = pct(r["remote"], r["done"])
        return rows

    def units(self) -> Rows:
        self.refresh_if_stale()
        with self._lock:
            result: Rows = self._con.table("units").order_by("unit_id").to_pyarrow().to_pylist()
            return result

    def date_range(self) -> tuple[date | None, date | None]:
        """First contact date and last event date in the data (for defaults such as "today")."""
        rows = self._run(lambda e: e.aggregate(
            first=e.contact_at.min().date(),
            last=ibis.greatest(e.contact_at.max(), e.visit_at.max(),
                               e.assessed_at.max()).date()))
        return rows[0]["first"], rows[0]["last"]
