"""The DuckDB snapshot of the store (the default backend).

The snapshot file (:mod:`sotekeskus.analytics.source`) is rebuilt whenever the store's
``data_version`` or the rule book changes, or when its summary tables are of an older format
(:mod:`sotekeskus.analytics.summaries`). Its version is ``<data_version>:<rule-book
fingerprint>``.

Each generation opens the snapshot **read-only under a name of its own**: a hard link
``<snapshot>.g<pid>-<n>`` made, opened and unlinked at once. DuckDB keeps one database
instance per path in a process, so a new generation under the snapshot's own path would
get the old instance back; under a fresh name it gets the new file while readers of the old
generation finish on the old one (the open file keeps the old data alive until they are
done). Where hard links are impossible the backend falls back to closing the old
generation before opening the new one (readers then wait for the swap).

When only the workdesk changed episodes since the snapshot's version (the store's change
log), the new file is made **incrementally** — a copy of the current file with those
episodes re-projected and their summary groups recomputed — else it is rebuilt in full (an
import; :func:`sotekeskus.analytics.source.refresh_snapshot`).

Freshness: at most once per :attr:`SnapshotBackend.check_interval_s` a reader compares the
store's ``data_version`` with the generation's (one small query); on a change the snapshot
is rebuilt **in a background thread** and swapped in when ready, while readers keep getting
the previous, consistent generation. ``refresh_if_stale(force=True)`` does the same
synchronously (a caller that just imported and wants the new figures).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path
from typing import Any

import duckdb

from sotekeskus.analytics.backends.base import Backend, run_in_thread
from sotekeskus.analytics.backends.duckdb_generation import DuckDBGeneration
from sotekeskus.analytics.derived import rulebook_fingerprint
from sotekeskus.analytics.source import read_snapshot_version, refresh_snapshot, snapshot_path
from sotekeskus.analytics.summaries import summaries_current
from sotekeskus.domain.rules import RuleBook

_numbers = itertools.count(1)


def _snapshot_ready(path: Path, version: str) -> bool:
    return read_snapshot_version(path) == version and summaries_current(path)


class SnapshotBackend(Backend):
    """DuckDB over the snapshot of the store at ``url`` (built or rebuilt as needed)."""

    name = "duckdb"
    check_interval_s = 1.0

    def __init__(self, url: str, store: Any, book: RuleBook, *, owns_store: bool = True) -> None:
        from sotekeskus.store.episodes import data_version

        self.url = url
        self.path = snapshot_path(url)
        self._store = store
        self._owns_store = owns_store  # a shared engine is disposed by whoever made it
        self._book = book
        self._fingerprint = rulebook_fingerprint(book)
        self._data_version = data_version
        self._refresh_lock = threading.Lock()
        self._checked_at = time.monotonic()
        self._refresher: threading.Thread | None = None
        self.last_refresh: tuple[str, float] = ("current", 0.0)
        version = self._wanted_version()
        self._ensure_file(version)
        super().__init__(self._open(version, None))

    # ---- versions and files --------------------------------------------------------------
    def _wanted_version(self) -> str:
        return f"{self._data_version(self._store)}:{self._fingerprint}"

    def _ensure_file(self, version: str) -> None:
        """Bring the file to ``version``: incrementally when only the workdesk changed
        episodes since, else by a full build (:func:`refresh_snapshot`). The kind and the
        seconds it took are kept in :attr:`last_refresh` (for ``bench/snapshot_refresh.py``)."""
        started = time.perf_counter()
        kind = refresh_snapshot(self.url, self._store, self.path, version, self._book)
        self.last_refresh = (kind, time.perf_counter() - started)

    def _open(self, version: str, previous: DuckDBGeneration | None) -> DuckDBGeneration:
        """The snapshot file as a new generation. ``previous``: the current generation, which
        must be closed first when the file cannot be given a name of its own."""
        number = next(_numbers)
        alias = self.path.with_name(f"{self.path.name}.g{os.getpid()}-{number}")
        alias.unlink(missing_ok=True)
        try:
            os.link(self.path, alias)
        except OSError:
            alias = self.path  # no hard links here: open the path itself (see module doc)
            if previous is not None:
                previous.retire()
                deadline = time.monotonic() + self.swap_wait_s
                while not previous.closed and time.monotonic() < deadline:
                    time.sleep(0.005)
        try:
            root = duckdb.connect(str(alias), read_only=True)
        finally:
            if alias != self.path:
                alias.unlink(missing_ok=True)
        return DuckDBGeneration(number, version, root)

    # ---- refresh -------------------------------------------------------------------------
    def refresh_if_stale(self, force: bool = False) -> bool:
        """Swap in a new generation when the store or the rule book changed.

        Without ``force``: checks at most once per ``check_interval_s``, and a rebuild runs
        in the background (this call returns at once; readers keep the current generation
        until the new one is ready). With ``force``: checks now and waits for the rebuild.
        """
        if self._closed:
            return False
        if not force:
            now = time.monotonic()
            if now - self._checked_at < self.check_interval_s:
                return False
            self._checked_at = now
            if self._data_version_unchanged():
                return False
            if self._refresher is None or not self._refresher.is_alive():
                self._refresher = run_in_thread("sotekeskus-snapshot-refresh",
                                                lambda: self._refresh(wait=False))
            return False
        return self._refresh(wait=True)

    def _data_version_unchanged(self) -> bool:
        return self._wanted_version() == self._generation.version

    def _refresh(self, wait: bool) -> bool:
        if not self._refresh_lock.acquire(blocking=wait):
            return False  # another thread is refreshing right now
        try:
            self._checked_at = time.monotonic()
            version = self._wanted_version()
            if version == self._generation.version or self._closed:
                return False
            self._ensure_file(version)
            if self.path.exists() and not _snapshot_ready(self.path, version):
                return False  # changed again meanwhile: the next check rebuilds
            new = self._open(version, self._generation)
            if new.has_table("episodes"):
                self._swap(new)
                return True
            new.retire()
            return False
        finally:
            self._refresh_lock.release()

    def close(self) -> None:
        super().close()
        if self._owns_store:
            self._store.dispose()
