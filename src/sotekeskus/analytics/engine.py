"""The analytics facade used by the CLI, the web and the exports alike.

``Analytics.open(db_url)`` reads a DuckDB snapshot of the store (rebuilt when the store
changed); ``Analytics.from_parquet(path)`` queries an episode Parquet file in place;
``Analytics.on_postgres(db_url)`` runs the same definitions inside PostgreSQL.
Every method returns plain Python rows (dicts), exact and unsuppressed; suppression is the
presentation layer's job (:mod:`sotekeskus.analytics.suppression`).

**Many callers at once.** One ``Analytics`` serves every thread of a process: each thread
queries through a connection of its own (:mod:`sotekeskus.analytics.backends`), so there is
no lock around queries and one slow query does not hold up the others. A change of the
store is picked up within a second; the new snapshot is built in the background and
swapped in, and readers never wait for it. Answers are kept per data version
(:class:`~sotekeskus.analytics.result_cache.ResultCache`): asking again for the same figures
of the same data costs a copy, and an import makes every older answer unreachable. Over a
snapshot, access reports and summaries are computed from pre-aggregated tables
(:mod:`sotekeskus.analytics.summaries`) instead of the episodes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sotekeskus.analytics import access, channels, situation, summaries, waiting_list
from sotekeskus.analytics.backends.base import Backend, Generation
from sotekeskus.analytics.filters import AccessFilter
from sotekeskus.analytics.result_cache import ResultCache
from sotekeskus.domain.indicators import pct
from sotekeskus.domain.rules import RuleBook
from sotekeskus.domain.vocabulary import DEFAULT_REMOTE_MODES
from sotekeskus.rules import default_rulebook
from sotekeskus.store.database import make_engine, resolve_url
from sotekeskus.store.migrate import require_current

if TYPE_CHECKING:
    import ibis.expr.types as ir

Rows = list[dict[str, Any]]


class WaitingList:
    """The waiting list on ``on``: ``summary`` per unit × professional group, and the
    person-level ``rows``, computed on first use (most pages show only the summary)."""

    def __init__(self, on: date, rows: Rows | Callable[[], Rows], summary: Rows) -> None:
        self.on = on
        self._rows = rows
        self.summary = summary

    @property
    def rows(self) -> Rows:
        if callable(self._rows):
            self._rows = self._rows()
        return self._rows

    @property
    def past_deadline(self) -> int:
        return sum(int(r["past_deadline"]) for r in self.summary)

    @property
    def due_within_7d(self) -> int:
        return sum(int(r["due_within_7d"]) for r in self.summary)


class Analytics:
    """Indicator engine over one episode source; safe to share between threads."""

    def __init__(self, backend: Backend, rulebook: RuleBook | None = None,
                 cache: ResultCache | None = None) -> None:
        self._backend = backend
        self.rulebook = rulebook or default_rulebook()
        self.engine_name = backend.name
        self.cache = cache if cache is not None else ResultCache()
        self._cache_version = backend.generation.version

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def open(cls, db: str | None = None, rulebook: RuleBook | None = None, *,
             store: Any = None) -> Analytics:
        """DuckDB snapshot of the store named by ``db`` (path or URL), refreshed on change.

        ``store``: the process's SQLAlchemy engine of that store, when the caller (the web
        app) already has one — one engine per process; it is not disposed on close."""
        from sotekeskus.analytics.backends.snapshot import SnapshotBackend

        url = resolve_url(db)
        owns = store is None
        store = make_engine(url) if owns else store
        require_current(store)  # a read path never migrates: `sotekeskus migrate` does
        book = rulebook or default_rulebook()
        return cls(SnapshotBackend(url, store, book, owns_store=owns), book)

    @classmethod
    def from_parquet(cls, path: str | Path, rulebook: RuleBook | None = None) -> Analytics:
        """Query an episode Parquet file in place (no import)."""
        from sotekeskus.analytics.backends.parquet import ParquetBackend

        return cls(ParquetBackend(path), rulebook)

    @classmethod
    def on_postgres(cls, db: str, rulebook: RuleBook | None = None) -> Analytics:
        """Run the definitions inside the PostgreSQL store itself (through Ibis)."""
        from sqlalchemy.engine import make_url

        from sotekeskus.analytics.backends.postgres import PostgresBackend

        url = make_url(resolve_url(db))
        if url.get_backend_name() != "postgresql":
            raise ValueError(f"not a PostgreSQL URL: {db}")
        store = make_engine(url.render_as_string(hide_password=False))
        require_current(store)
        return cls(PostgresBackend(url, store), rulebook)

    @classmethod
    def on_spark(cls, db: str | None = None, *, parquet: str | Path | None = None,
                 master: str | None = None, conf: dict[str, str] | None = None,
                 rulebook: RuleBook | None = None) -> Analytics:
        """The same definitions on Apache Spark (``analytics/backends/spark.py``): an episode
        Parquet file in place, or a Parquet export of the store; ``master`` defaults to
        ``Settings.spark_master`` (local mode)."""
        from sotekeskus.analytics.backends import spark

        if parquet is not None:
            return cls(spark.SparkParquetBackend(parquet, master, conf), rulebook)
        url = resolve_url(db)
        store = make_engine(url)
        require_current(store)
        return cls(spark.SparkStoreBackend(url, store, master, conf), rulebook)

    # ---- plumbing -----------------------------------------------------------------------
    def refresh_if_stale(self, force: bool = False) -> None:
        """Follow a change of the store: at most one check per second, rebuilding in the
        background; ``force``: check now and wait until the new data is in use."""
        self._backend.refresh_if_stale(force=force)

    def close(self) -> None:
        """Close every connection (the object cannot be used afterwards)."""
        self._backend.close()
        self.cache.clear()

    @property
    def data_version(self) -> str:
        """The version of the data the next answer comes from (changes with every import)."""
        self._backend.refresh_if_stale()
        return self._backend.generation.version

    def _answer(self, key: tuple[Hashable, ...], compute: Callable[[Generation], Rows]) -> Rows:
        """``compute(generation)``, kept per data version under ``key``."""
        self._backend.refresh_if_stale()
        with self._backend.reading() as gen:
            version = gen.version
            if version != self._cache_version:
                self._cache_version = version
                self.cache.keep_only(version)
            return self.cache.get((version, *key), lambda: compute(gen))

    def _run(self, gen: Generation, build: Callable[[ir.Table], ir.Table]) -> Rows:
        return gen.execute(build(gen.table("episodes")))

    def _counts(self, gen: Generation, flt: AccessFilter | None, **options: Any) -> Rows:
        """The access counts, from the summary tables when the generation has them."""
        if gen.has_table(summaries.CUBE) and summaries.can_answer(flt):
            return summaries.access_counts(gen.fetch_arrow, flt, **options)
        return self._run(gen, lambda e: access.access_counts(e, self.rulebook, flt,
                                                             **options))

    # ---- indicators ---------------------------------------------------------------------
    def access_report(self, flt: AccessFilter | None = None, *, by_unit: bool = False) -> Rows:
        """One row per month × service area × professional group (× unit); exact numbers."""
        return self._answer(
            ("access_report", flt, by_unit),
            lambda gen: access.finish_rows(self._counts(gen, flt, by_unit=by_unit),
                                           self.rulebook))

    def access_summary(self, flt: AccessFilter | None = None, by: str = "month") -> Rows:
        """The access indicators per period over everything the filter selects."""
        return self._answer(
            ("access_summary", flt, by),
            lambda gen: access.finish_rows(self._counts(gen, flt, period=by, keys=()),
                                           self.rulebook,
                                           flt.service_areas if flt else None))

    def waiting_list(self, on: date, flt: AccessFilter | None = None) -> WaitingList:
        def rows() -> Rows:
            return self._answer(("waiting_rows", on, flt), lambda gen: self._run(
                gen, lambda e: waiting_list.waiting_rows(e, self.rulebook, on, flt)))

        summary = self._answer(("waiting_summary", on, flt), lambda gen: self._run(
            gen, lambda e: waiting_list.waiting_summary(
                waiting_list.waiting_rows(e, self.rulebook, on, flt))))
        return WaitingList(on, rows, summary)

    def contacts_by_channel(self, day: date, flt: AccessFilter | None = None) -> Rows:
        return self._answer(("contacts_by_channel", day, flt), lambda gen: self._run(
            gen, lambda e: situation.contacts_by_channel(e, day, flt)))

    def assessments_not_same_day(self, day: date, flt: AccessFilter | None = None) -> Rows:
        def compute(gen: Generation) -> Rows:
            rows = self._run(gen, lambda e: situation.assessments_not_same_day(e, day, flt))
            for r in rows:
                r["not_assessed_same_day_pct"] = pct(r["not_assessed_same_day"], r["contacts"])
            return rows

        return self._answer(("assessments_not_same_day", day, flt), compute)

    def channel_share(self, flt: AccessFilter | None = None, *,
                      remote_modes: Iterable[str] = tuple(m.value for m in DEFAULT_REMOTE_MODES),
                      min_age: int | None = None, by: str = "quarter") -> Rows:
        modes = tuple(sorted(set(remote_modes)))

        def compute(gen: Generation) -> Rows:
            rows = self._run(gen, lambda e: channels.channel_share(
                e, flt, remote_modes=modes, min_age=min_age, by=by))
            for r in rows:
                r["remote_share_pct"] = pct(r["remote"], r["done"])
            return rows

        return self._answer(("channel_share", flt, modes, min_age, by), compute)

    def units(self) -> Rows:
        return self._answer(("units",), lambda gen: gen.execute(
            gen.table("units").order_by("unit_id")))

    def date_range(self) -> tuple[date | None, date | None]:
        """First contact date and last event date in the data (for defaults such as "today")."""
        def compute(gen: Generation) -> Rows:
            import ibis

            return self._run(gen, lambda e: e.aggregate(
                first=e.contact_at.min().date(),
                last=ibis.greatest(e.contact_at.max(), e.visit_at.max(),
                                   e.assessed_at.max()).date()))

        rows = self._answer(("date_range",), compute)
        return rows[0]["first"], rows[0]["last"]
