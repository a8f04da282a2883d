"""Start-up warm-up: the monitoring values are computed before the first visitor asks."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from sotekeskus.web.app import create_app


def test_warm_up_fills_the_indicator_cache(store_url):
    app = create_app(store_url, secure_cookies=False, warm_up=True)
    with TestClient(app):
        holder = app.state.analytics
        deadline = time.monotonic() + 60
        while not holder.cache and time.monotonic() < deadline:
            time.sleep(0.1)
        assert holder.cache, "warm-up computed no indicator value"
        for thread in threading.enumerate():  # let it finish before the app closes
            if thread.name == "sotekeskus-warm-up":
                thread.join(timeout=60)


def test_no_warm_up_by_default(store_url):
    app = create_app(store_url, secure_cookies=False)
    with TestClient(app):
        time.sleep(0.3)
        assert app.state.analytics.cache == {}
