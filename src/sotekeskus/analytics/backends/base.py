"""What every backend provides: generations of data that many threads read at once.

A **generation** is one consistent view of the episodes (one snapshot file, one Parquet
file, one database), identified by a ``version`` string that changes whenever the data or
anything computed from it changes (caches key on it). Every thread queries a generation
through a connection of its own, made on the thread's first query and reused after that
(DuckDB cursors and psycopg connections are safe to use from one thread at a time), so
queries never wait for each other in Python.

A **refresh** opens the next generation beside the current one and swaps a reference:
readers that started on the old generation finish on it, new readers take the new one, and
the old generation closes its connections when its last reader is done. Readers never wait
for a refresh (the slow part, rebuilding a snapshot, happens before the swap).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa

Rows = list[dict[str, Any]]


class BackendClosed(RuntimeError):
    """The analytics were closed; open them again."""


class Generation:
    """One version of the data, shared by every thread; one connection per thread.

    Subclasses implement :meth:`_connect` (a new connection for the calling thread),
    :meth:`table` and :meth:`execute`; :meth:`_close_root` releases what the generation
    holds besides the per-thread connections.
    """

    def __init__(self, number: int, version: str) -> None:
        self.number = number
        self.version = version
        self._local = threading.local()
        self._lock = threading.Lock()  # guards the counters and the connection list only
        self._connections: list[Any] = []
        self._readers = 0
        self._retired = False
        self._closed = False

    # ---- per-thread connections ----------------------------------------------------------
    def connection(self) -> Any:
        """The calling thread's connection to this generation (made on first use)."""
        con = getattr(self._local, "con", None)
        if con is None:
            with self._lock:
                if self._closed:
                    raise BackendClosed("this generation of the data was closed")
                con = self._connect()
                self._connections.append(con)
            self._local.con = con
        return con

    def _connect(self) -> Any:
        raise NotImplementedError

    def _close_connection(self, con: Any) -> None:
        con.close()

    def _close_root(self) -> None:
        """Release what the generation holds besides the per-thread connections."""

    # ---- queries -------------------------------------------------------------------------
    def table(self, name: str) -> ir.Table:
        """An Ibis table of this generation (to build an expression on)."""
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def execute(self, expr: ir.Table) -> Rows:
        """Run ``expr`` on the calling thread's connection; rows as dicts."""
        raise NotImplementedError

    def fetch_arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Run SQL in the backend's own dialect (only backends with summary tables)."""
        raise NotImplementedError

    # ---- life cycle ----------------------------------------------------------------------
    def acquire(self) -> bool:
        """Count a reader in; False when the generation is retired (a newer one is current,
        or is about to be) or closed."""
        with self._lock:
            if self._retired or self._closed:
                return False
            self._readers += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._readers -= 1
            close = self._retired and self._readers == 0 and not self._closed
            if close:
                self._closed = True
        if close:
            self._close_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def retire(self) -> None:
        """No new readers; close as soon as the last current reader is done."""
        with self._lock:
            self._retired = True
            close = self._readers == 0 and not self._closed
            if close:
                self._closed = True
        if close:
            self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for con in connections:
            try:
                self._close_connection(con)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        self._close_root()


class Backend:
    """Where the indicator expressions run: hands out the current :class:`Generation`.

    ``name`` is the engine's name (``duckdb``, ``postgres``); :meth:`refresh_if_stale` is a
    no-op for sources that cannot change (a Parquet file is read as it was when opened).
    """

    name = "duckdb"

    def __init__(self, first: Generation) -> None:
        self._generation = first
        self._closed = False

    @property
    def generation(self) -> Generation:
        return self._generation

    #: How long a reader waits for a generation while one is being swapped without a
    #: second name for the file (see ``backends/snapshot.py``); normally it never waits.
    swap_wait_s = 60.0

    @contextmanager
    def reading(self) -> Iterator[Generation]:
        """The current generation, held open for the duration of the block."""
        deadline = time.monotonic() + self.swap_wait_s
        while True:
            if self._closed:
                raise BackendClosed("the analytics were closed")
            gen = self._generation
            if gen.acquire():
                break
            if time.monotonic() > deadline:
                raise BackendClosed("no generation of the data could be opened")
            time.sleep(0.002)
        try:
            yield gen
        finally:
            gen.release()

    def _swap(self, new: Generation) -> None:
        old, self._generation = self._generation, new
        old.retire()

    def refresh_if_stale(self, force: bool = False) -> bool:
        """Open a new generation when the source changed; True when one was swapped in."""
        return False

    def close(self) -> None:
        self._closed = True
        self._generation.retire()


def run_in_thread(name: str, target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
