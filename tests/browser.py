"""A real browser for the console's tests: Playwright (PyPI) driving Debian's chromium, which
`make test` installs when it is missing (browser downloads fail on these machines)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD, ROOT

SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Chromium started as the probe of these machines starts it: no sandbox as root, no GPU, and
# none of its own traffic to Google's hosts (refused here, many at a time).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def chromium_path() -> str:
    found = os.environ.get("FRONTDESK_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("the console's browser tests need Debian's chromium: "
                           "`apt-get install chromium` (make test does it when it can)")
    return found


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                             args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    """Writes docs/screenshots/<name>.png (the README shows the committed ones)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def console_login(page: Any, base_url: str, tenant: str, email: str,
                  password: str = PASSWORD) -> None:
    """Log in on the console's login page as a person does (the caller waits for the page
    the login leads to)."""
    page.goto(f"{base_url}/console/login")
    page.fill("input[name=tenant]", tenant)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
