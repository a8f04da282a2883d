"""Headless Chromium (Debian's /usr/bin/chromium) against a live server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("SOTEKESKUS_CHROMIUM", "/usr/bin/chromium"))
REQUIRE = os.environ.get("SOTEKESKUS_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
AXE = Path(__file__).parent / "axe.min.js"
# Screenshots refresh the README's pictures only when asked (SOTEKESKUS_SCREENSHOTS=1), so
# that `make test` leaves the tracked files alone; otherwise they go to a scratch folder.
SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots"
               if os.environ.get("SOTEKESKUS_SCREENSHOTS") == "1"
               else Path(os.environ.get("TMPDIR", "/tmp")) / "sotekeskus-screenshots")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    if REQUIRE:
        return  # the browser fixture fails with the reason
    skip = pytest.mark.skip(reason=f"no headless Chromium at {CHROMIUM} "
                                   "(apt-get install chromium; .ci/run does)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_app(app: object) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yields its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the form and wait for the situation picture (the landing page)."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/situation**")


def check_axe(page, where: str) -> None:  # type: ignore[no-untyped-def]
    """No serious or critical axe-core violation on the page."""
    bad = axe_violations(page)
    assert not bad, f"{where}: {bad}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from sotekeskus.web.app import create_app
    from tests.web.conftest import build_store

    url = build_store(tmp_path_factory.mktemp("browser") / "region.db")
    # Secure cookies as in production: Chromium accepts them on http://127.0.0.1.
    app = create_app(url, secret_key="browser-test-secret", secure_cookies=True)
    with serve_app(app) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"SOTEKESKUS_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server, accept_downloads=True,
                                  viewport={"width": 1280, "height": 900}, locale="fi-FI")
    pg = context.new_page()
    yield pg
    context.close()


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """Serious and critical axe-core violations of the current page (WCAG 2.x A/AA)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]
