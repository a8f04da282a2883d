"""What staff sessions (``store.sessions``, table ``user_sessions``) and residents' sessions
(``store.resident_sessions``, table ``resident_sessions``) do alike. The two stay apart
(own tables, own cookies, own lifetimes); only the token rules and the lifetime test are
shared:

* a cookie token is a string of 1–:data:`MAX_TOKEN` characters; the store keeps only its
  SHA-256 (hex), so a copy of the database hands out no valid cookie;
* a session ends as :data:`EXPIRED` when ``now - created_at >= absolute`` (however active),
  else as :data:`IDLE` when ``now - last_seen_at >= idle``;
* ``last_seen_at`` is refreshed at most once per :data:`TOUCH_INTERVAL` (60 s), so the idle
  lifetime is exact to within that interval;
* rows older than :data:`RETENTION` (30 days, longer than any absolute lifetime) are
  deleted when a new session starts.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

IDLE = "idle"
EXPIRED = "expired"
#: How often ``last_seen_at`` is refreshed at most.
TOUCH_INTERVAL = timedelta(seconds=60)
#: How long a session row is kept after it started (longer than any absolute lifetime).
RETENTION = timedelta(days=30)
#: Longest token accepted from a cookie (ours are 43 characters).
MAX_TOKEN = 128


def new_token() -> str:
    """A random 256-bit token for a cookie (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def key_of(token: str) -> str:
    """The stored key of ``token``: its SHA-256 as 64 hex digits."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def valid_token(token: object) -> bool:
    """Whether ``token`` (from a cookie or a form) can be a token at all."""
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN


def lifetime_end(created_at: datetime, last_seen_at: datetime, idle: timedelta,
                 absolute: timedelta, now: datetime) -> str | None:
    """Why a session has run out at ``now`` (:data:`EXPIRED` before :data:`IDLE`), or None
    while it is within both lifetimes."""
    if now - created_at >= absolute:
        return EXPIRED
    if now - last_seen_at >= idle:
        return IDLE
    return None


def due_touch(last_seen_at: datetime, now: datetime) -> bool:
    """Whether ``last_seen_at`` is at least :data:`TOUCH_INTERVAL` old (refresh it)."""
    return now - last_seen_at >= TOUCH_INTERVAL
