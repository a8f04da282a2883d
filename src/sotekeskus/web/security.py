"""CSRF tokens, server-side sessions, sign-in throttling, client address and headers.

* **Client address**: ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed only when the
  request comes from a trusted proxy (``Settings.trusted_proxies``, addresses or networks,
  env ``SOTEKESKUS_TRUSTED_PROXIES``); the client is the right-most forwarded address that
  is not itself a trusted proxy. Uvicorn's own proxy-header handling is off
  (``sotekeskus serve``), so this is the only place that reads those headers.
* **Sessions**: the signed session cookie holds only the token of a server-side session
  (:mod:`sotekeskus.store.sessions`); sign-out, deactivation and the idle / absolute
  lifetimes end it for good, so a copied cookie stops working.
* **Sign-in throttle** (:class:`SignInThrottle`): progressive delay per (account name,
  client address) plus a looser limit per address; no per-account lock that a stranger
  could use to lock someone out.
* **Headers**: CSP and friends on every response, ``Permissions-Policy`` denying device
  features, ``Strict-Transport-Security`` only on responses to HTTPS requests (directly
  or ``X-Forwarded-Proto: https`` from a trusted proxy).
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import HTTPConnection, Request

from sotekeskus.store import sessions as store_sessions
from sotekeskus.store.users import Account

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfError(Exception):
    """A state-changing request without a valid CSRF token."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Raise :class:`CsrfError` unless ``submitted`` (form field or header) matches."""
    expected = request.session.get("csrf")
    candidate = submitted or request.headers.get(CSRF_HEADER)
    if not expected or not candidate or not hmac.compare_digest(str(expected), str(candidate)):
        raise CsrfError()


# ------------------------------------------------------------------ client address, HTTPS

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``"10.0.0.1"``, ``"10.0.0.0/8"``, ``"::1"`` → networks; ValueError names a bad entry."""
    out: list[IPNetwork] = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        try:
            out.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"SOTEKESKUS_TRUSTED_PROXIES: {entry!r} is not an address or "
                             f"network (e.g. 10.0.0.5 or 10.0.0.0/24)") from exc
    return tuple(out)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass
class WebSecurity:
    """Per-app security settings: trusted proxies, session lifetimes and the clock."""

    trusted_proxies: tuple[IPNetwork, ...] = ()
    lifetimes: store_sessions.Lifetimes = field(default_factory=store_sessions.Lifetimes)
    clock: Callable[[], datetime] = datetime.now

    @classmethod
    def from_settings(cls, settings: Any) -> WebSecurity:
        return cls(parse_networks(settings.trusted_proxies),
                   store_sessions.Lifetimes.from_settings(settings.session_idle_minutes,
                                                          settings.session_max_hours))

    def trusts(self, host: str | None) -> bool:
        ip = _ip(host) if host else None
        return ip is not None and any(ip in net for net in self.trusted_proxies)

    def client_address(self, conn: HTTPConnection) -> str:
        """The client's address; forwarded headers only through trusted proxies."""
        peer = conn.client.host if conn.client else ""
        if not peer or not self.trusts(peer):
            return peer or "unknown"
        hops = [h for v in conn.headers.getlist("x-forwarded-for") for h in v.split(",")]
        address = peer
        for hop in reversed(hops):
            ip = _ip(hop)
            if ip is None:
                break  # garbage: believe no further, the last trusted hop is the client
            address = str(ip)
            if not self.trusts(address):
                break
        return address

    def is_https(self, conn: HTTPConnection) -> bool:
        """Whether the client's request came over HTTPS."""
        if conn.url.scheme in ("https", "wss"):
            return True
        peer = conn.client.host if conn.client else None
        if not self.trusts(peer):
            return False
        values = [v.strip().lower() for h in conn.headers.getlist("x-forwarded-proto")
                  for v in h.split(",") if v.strip()]
        return bool(values) and values[-1] == "https"

    def response_headers(self, conn: HTTPConnection) -> dict[str, str]:
        """Security headers for the response to ``conn`` (HSTS only over HTTPS)."""
        headers = dict(SECURITY_HEADERS)
        if conn.url.path.startswith("/static/"):
            headers.pop("Cache-Control")
        if self.is_https(conn):
            headers["Strict-Transport-Security"] = HSTS
        return headers


def web_security(conn: HTTPConnection) -> WebSecurity:
    """The app's :class:`WebSecurity` (``app.state.security``; from the settings if unset)."""
    state = conn.app.state
    found = getattr(state, "security", None)
    if found is None:
        from sotekeskus.config import load_settings

        found = WebSecurity.from_settings(load_settings())
        state.security = found
    return found  # type: ignore[no-any-return]


def client_address(conn: HTTPConnection) -> str:
    return web_security(conn).client_address(conn)


def response_headers(conn: HTTPConnection) -> dict[str, str]:
    return web_security(conn).response_headers(conn)


# ------------------------------------------------------------------ server-side sessions

SESSION_TOKEN = "sid"


def begin_session(request: Request, account: Account) -> None:
    """A fresh session for ``account`` (no fixation: the old cookie content is dropped)."""
    sec = web_security(request)
    engine = request.app.state.engine
    old = request.session.get(SESSION_TOKEN)
    if old:
        store_sessions.end_session(engine, old, store_sessions.SIGNED_OUT, sec.clock())
    request.session.clear()
    request.session[SESSION_TOKEN] = store_sessions.start_session(
        engine, account.id, sec.client_address(request), sec.clock())


def session_account(conn: HTTPConnection) -> Account | None:
    """The signed-in account of a valid server-side session, else None (cookie cleared)."""
    if "session" not in conn.scope:
        return None
    token = conn.session.get(SESSION_TOKEN)
    if token is None:
        if "uid" in conn.session:  # a cookie from before server-side sessions
            conn.session.pop("uid")
        return None
    sec = web_security(conn)
    account = store_sessions.resolve(conn.app.state.engine, token, sec.lifetimes, sec.clock())
    if account is None:
        conn.session.pop(SESSION_TOKEN, None)
    return account


def end_current_session(request: Request) -> None:
    """Sign out: end the server-side session; the cookie keeps only the language."""
    token = request.session.get(SESSION_TOKEN)
    if token is not None:
        store_sessions.end_session(request.app.state.engine, token,
                                   store_sessions.SIGNED_OUT, web_security(request).clock())
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang


# ------------------------------------------------------------------ sign-in throttle


class SignInThrottle:
    """Slows password guessing without letting a stranger lock anyone out.

    * Per (account name, client address): the first ``free_failures`` failures cost
      nothing; after the n-th failure beyond those the pair waits
      ``base_delay · 2^(n-1)`` seconds (capped at ``max_delay``) before its next try.
      Success resets the pair; so does ``forget_after`` without failures. Someone guessing
      an administrator's password from one address slows down only that address: the
      administrator signs in from theirs as usual.
    * Per client address: at most ``address_failures`` failures within
      ``address_window`` seconds, whatever the account names (stops one client from
      trying many accounts). Looser than the pair limit, since many people may share an
      address (NAT).

    Keys are the *typed* account name, so an unknown name is throttled exactly like a real
    one. State is per process and bounded (``max_entries``, oldest forgotten first).
    """

    def __init__(self, *, free_failures: int = 3, base_delay: float = 1.0,
                 max_delay: float = 900.0, forget_after: float = 86400.0,
                 address_failures: int = 50, address_window: float = 900.0,
                 max_entries: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free_failures = free_failures
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.address_failures = address_failures
        self.address_window = address_window
        self.max_entries = max_entries
        self.clock = clock
        # (account, address) → (failures, time of the last failure)
        self._pairs: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()
        self._addresses: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _account(name: str) -> str:
        return name.strip().lower()[:200]

    def delay_after(self, failures: int) -> float:
        """Seconds a pair waits after its ``failures``-th failure in a row."""
        beyond = failures - self.free_failures
        if beyond <= 0:
            return 0.0
        return float(min(self.max_delay, self.base_delay * 2 ** min(beyond - 1, 40)))

    def _pair(self, key: tuple[str, str], now: float) -> tuple[int, float]:
        entry = self._pairs.get(key)
        if entry is None:
            return 0, now
        if now - entry[1] >= self.forget_after:
            del self._pairs[key]
            return 0, now
        return entry

    def _address(self, address: str, now: float) -> deque[float]:
        q = self._addresses.get(address)
        if q is None:
            return deque()
        while q and q[0] <= now - self.address_window:
            q.popleft()
        if not q:
            del self._addresses[address]
        return q

    def retry_after(self, account: str, address: str) -> int:
        """Whole seconds to wait before this pair may try again; 0 when it may now."""
        now = self.clock()
        with self._lock:
            failures, last = self._pair((self._account(account), address), now)
            wait = last + self.delay_after(failures) - now if failures else 0.0
            q = self._address(address, now)
            if len(q) >= self.address_failures:
                wait = max(wait, q[0] + self.address_window - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, account: str, address: str) -> None:
        now = self.clock()
        key = (self._account(account), address)
        with self._lock:
            failures, _ = self._pair(key, now)
            self._pairs[key] = (failures + 1, now)
            self._pairs.move_to_end(key)
            q = self._address(address, now)
            q.append(now)
            self._addresses[address] = q
            self._addresses.move_to_end(address)
            while len(self._pairs) > self.max_entries:
                self._pairs.popitem(last=False)
            while len(self._addresses) > self.max_entries:
                self._addresses.popitem(last=False)

    def succeeded(self, account: str, address: str) -> None:
        """A correct password: the pair starts afresh (the address budget is kept)."""
        with self._lock:
            self._pairs.pop((self._account(account), address), None)


HSTS = "max-age=31536000"
"""One year; no ``includeSubDomains``: the app usually lives under a region's domain whose
other hosts it does not speak for."""

PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), fullscreen=(), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()"
)
"""The pages use no device feature: every one is denied to the page and any frame."""

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cache-Control": "no-store",
}
