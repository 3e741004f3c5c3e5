"""The API viewer at /schema (Swagger UI) loads only Frontdesk's own files: installed from the
npm registry by `make install`, served under /schema/assets/, allowed by a 'self' CSP; in
chromium it shows the operations without a request to any other host (ADR 0076)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar.testing import TestClient

from tests.browser import DESKTOP, SCREENSHOTS, chromium
from tests.serving import Served, served

KINDS = {"script": "javascript", "stylesheet": "text/css", "icon": "image/png"}


def _references(page: str) -> list[tuple[str, str]]:
    scripts = [("script", src) for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)]
    links = re.findall(r'<link[^>]*\brel="([^"]+)"[^>]*\bhref="([^"]+)"', page)
    return scripts + links


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
def test_the_viewer_loads_only_its_own_files(client: TestClient[Any], path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    page = answer.text
    assert "<script>" not in page and "<style" not in page  # nothing inline
    references = _references(page)
    assert {kind for kind, _ in references} == set(KINDS)
    for kind, url in references:
        assert url.startswith("/schema/assets/") and not urlsplit(url).netloc, url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert KINDS[kind] in asset.headers["content-type"], (url, asset.headers)
        assert asset.content
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe" not in policy and "http" not in policy


@pytest.fixture(scope="module")
def service(owner_url: str) -> Iterator[Served]:
    with served(owner_url) as running:
        yield running


def test_the_viewer_shows_the_operations_with_no_other_host(service: Served) -> None:
    hosts: set[str] = set()
    problems: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{service.url}/schema", wait_until="networkidle")
        page.get_by_text("Frontdesk API").first.wait_for(timeout=30_000)
        # Swagger UI draws a long list lazily (only what is near the window), so the viewer is
        # read by scrolling it from top to bottom: every tag of the document must come by.
        document = httpx.get(f"{service.url}/schema/openapi.json", timeout=30).json()
        tags = {tag for item in document["paths"].values() for op in item.values()
                if isinstance(op, dict) for tag in op.get("tags", [])}
        operations = sum(1 for item in document["paths"].values() for op in item.values()
                         if isinstance(op, dict) and "responses" in op)
        assert page.evaluate("window.ui.specSelectors.taggedOperations().toList()"
                             ".map(t => t.get('operations').size).reduce((a, b) => a + b, 0)"
                             ) == operations
        shown: set[str] = set()
        for _ in range(200):
            headings = page.locator(".opblock-tag").all_inner_texts()
            shown |= {text.split("\n")[0] for text in headings}
            if shown >= tags:
                break
            page.mouse.wheel(0, 1200)
            page.wait_for_timeout(100)
        assert shown >= tags, tags - shown
        # A deep link opens one operation (a new page: a change of the hash alone reloads nothing).
        page.close()
        page = browser.new_page(viewport=DESKTOP)
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" else None)
        page.goto(f"{service.url}/schema#/leads/V1LeadsCapture", wait_until="networkidle")
        page.get_by_text("Capture a lead").first.wait_for(timeout=30_000)
        page.get_by_text("Idempotency-Key").first.wait_for(timeout=30_000)
        page.get_by_text("Capture a lead").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "api-viewer.png"))  # the window, not the page
    assert hosts == {urlsplit(service.url).netloc}, hosts
    assert problems == [], problems  # a CSP refusal is logged as an error
