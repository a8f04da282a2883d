"""One analytics service per process: the :class:`~sotekeskus.analytics.engine.Analytics`
facade opened on first use, plus a cache of computed values keyed by the store's data
version (an import or a projected case invalidates it)."""

from __future__ import annotations

import threading
from typing import Any


class AnalyticsHolder:
    """One :class:`Analytics` per app, opened on first use. The analytics are safe to share
    between threads (each thread queries through its own connection), so callers use them
    without a lock; ``lock`` only guards opening and closing."""

    def __init__(self, db_url: str, store: Any = None) -> None:
        """``store``: the process's engine of the store (the web app's); without one the
        holder makes its own and disposes it on :meth:`close`."""
        self.db_url = db_url
        self._an: Any = None
        self._store: Any = store
        self._owns_store = store is None
        self.cache: dict[tuple[str, str, str], float | None] = {}
        self.lock = threading.RLock()

    def get(self) -> Any:
        an = self._an
        if an is not None:
            return an
        with self.lock:
            if self._an is None:
                from sotekeskus.analytics.engine import Analytics

                self._an = Analytics.open(self.db_url, store=self._store)
            return self._an

    def store(self) -> Any:
        """The store's SQLAlchemy engine (for the data version)."""
        with self.lock:
            if self._store is None:
                from sotekeskus.store.database import make_engine

                self._store = make_engine(self.db_url)
            return self._store

    def close(self) -> None:
        with self.lock:
            if self._an is not None and hasattr(self._an, "close"):
                self._an.close()
            self._an = None
            if self._store is not None and self._owns_store:
                self._store.dispose()
                self._store = None

    def unit_names(self) -> dict[str, str]:
        """Unit id → display name, for every unit the data knows."""
        return {u["unit_id"]: (u.get("name") or u["unit_id"]) for u in self.get().units()}
