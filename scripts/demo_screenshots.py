"""Screenshots of the running demo (`make demo` in another terminal) for the README.

    .venv/bin/python scripts/demo_screenshots.py [http://127.0.0.1:8000]

Uses Debian's Chromium (/usr/bin/chromium) through Playwright; signs in as the demo
leadership account and saves docs/screenshots/demo_*.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
PAGES = [("situation", "/situation"), ("care_guarantee", "/access"),
         ("monitoring", "/monitoring")]


def main(base: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "johtaja")
        page.fill("input[name=password]", "demo-johtaja")
        page.press("input[name=password]", "Enter")
        page.wait_for_load_state("networkidle")
        for name, path in PAGES:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"demo_{name}.png"))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
