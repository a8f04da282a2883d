"""Per-resident limit on posting: chat messages, replies to a message case and new contacts.

At most ``Settings.resident_posts_per_minute`` (N, default 10) posts per resident in any
sliding 60-second window; the (N+1)-th is answered **429** with a translated page (htmx:
the text) and ``Retry-After``, and nothing is written. A post counts when it passes this
check (a post refused for bad input still counts).

The window is kept **in this process** (a dict of timestamps per person under a lock): with
several server processes each counts its own, so a resident may post up to N per minute per
process. The limit is against a stuck script or a flood, not a security boundary.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from sotekeskus.web import i18n
from sotekeskus.web.resident.deps import ResidentPrincipal, resident_language, resident_render

WINDOW_SECONDS = 60.0
TOO_QUICKLY = i18n.N_("You are sending messages too quickly. Wait a moment and try again.")


class PostLimit:
    """A sliding window of at most ``per_window`` posts per key in ``window`` seconds."""

    def __init__(self, per_window: int, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_window = max(1, per_window)
        self.window = window
        self.clock = clock
        self._posts: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: int) -> int:
        """0 and the post is counted, else the whole seconds until one is allowed."""
        now = self.clock()
        with self._lock:
            posts = self._posts.setdefault(key, deque())
            while posts and posts[0] <= now - self.window:
                posts.popleft()
            if len(posts) >= self.per_window:
                return max(1, math.ceil(posts[0] + self.window - now))
            posts.append(now)
            if len(self._posts) > 10_000:  # forget residents who have gone quiet
                for k in [k for k, v in self._posts.items() if not v or v[-1] <= now - self.window]:
                    del self._posts[k]
            return 0


def post_limit(request: Request) -> PostLimit:
    """The app's limit (made on first use from the settings)."""
    limit: PostLimit | None = getattr(request.app.state, "resident_post_limit", None)
    if limit is None:
        per_minute = int(request.app.state.settings.resident_posts_per_minute)
        limit = PostLimit(per_minute)
        request.app.state.resident_post_limit = limit
    return limit


def too_many_posts(request: Request, principal: ResidentPrincipal) -> Response | None:
    """None when ``principal`` may post now (the post is counted), else the 429 answer."""
    wait = post_limit(request).retry_after(principal.person_pk)
    if not wait:
        return None
    headers = {"Retry-After": str(wait)}
    if request.headers.get("hx-request"):
        token = i18n.current_language.set(resident_language(request, principal))
        try:
            text = i18n.gettext_(TOO_QUICKLY)
        finally:
            i18n.current_language.reset(token)
        return Response(text, status_code=429, headers=headers,
                        media_type="text/plain; charset=utf-8")
    response = resident_render(request, "resident_error.html", status_code=429,
                               resident=principal, title=i18n.N_("Too many messages"),
                               message=TOO_QUICKLY,
                               detail=f"{wait} s")
    response.headers.update(headers)
    return response
