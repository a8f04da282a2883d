"""Computed answers kept per data version: a bounded LRU with one computation per key.

Keys start with the data version of the generation that computed them, so an import (a new
version) makes every older answer unreachable; :meth:`ResultCache.keep_only` drops them.
When several threads ask for the same missing key at once, one computes and the others
wait for its answer (no stampede of identical queries after a refresh); different keys never
wait for each other. Answers are lists of rows; callers get a copy of each row, so nothing a
caller does to its rows can change what the next caller gets.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

Rows = list[dict[str, Any]]


class ResultCache:
    """At most ``max_rows`` rows in all (an answer's weight is its number of rows, at least
    one); the least recently used answers go first."""

    def __init__(self, max_rows: int = 2_000_000) -> None:
        self.max_rows = max_rows
        self._entries: OrderedDict[Hashable, tuple[Rows, int]] = OrderedDict()
        self._pending: dict[Hashable, Future[Rows]] = {}
        self._weight = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], Rows]) -> Rows:
        """The answer for ``key`` (computed once by ``compute`` when missing), copied."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return _copy(entry[0])
            future = self._pending.get(key)
            owner = future is None
            if owner:
                future = Future()
                self._pending[key] = future
                self.misses += 1
        assert future is not None
        if not owner:
            return _copy(future.result())
        try:
            rows = compute()
        except BaseException as exc:
            with self._lock:
                self._pending.pop(key, None)
            future.set_exception(exc)
            raise
        with self._lock:
            self._pending.pop(key, None)
            self._put(key, rows)
        future.set_result(rows)
        return _copy(rows)

    def _put(self, key: Hashable, rows: Rows) -> None:
        weight = max(1, len(rows))
        if weight > self.max_rows:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._weight -= old[1]
        self._entries[key] = (rows, weight)
        self._weight += weight
        while self._weight > self.max_rows and self._entries:
            _, (_, w) = self._entries.popitem(last=False)
            self._weight -= w

    def keep_only(self, version: str) -> None:
        """Drop every answer of another data version (keys are ``(version, …)``)."""
        with self._lock:
            for key in [k for k in self._entries
                        if not (isinstance(k, tuple) and k and k[0] == version)]:
                _, w = self._entries.pop(key)
                self._weight -= w

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0

    def __len__(self) -> int:
        return len(self._entries)


def _copy(rows: Rows) -> Rows:
    return [dict(r) for r in rows]
