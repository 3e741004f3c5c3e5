"""`frontdesk serve --workers 2`: /metrics answers for both API processes, whichever of them
a scrape reaches (prometheus-client's multiprocess mode, ADR 0054)."""

from __future__ import annotations

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import PASSWORD
from tests.serving import served

REQUESTS = 60
PROCESSES = 2


def _gauge(text: str, name: str) -> float | None:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


def _all_serving(url: str) -> str:
    """The first scrape at which every API process has finished start-up. /health answers as
    soon as one does; on a slow machine the other may still be starting, and a scrape then
    (rightly) shows it has frozen nothing yet and serves no request."""
    deadline = time.monotonic() + 120
    while True:
        text = httpx.get(f"{url}/metrics").text
        if _gauge(text, "frontdesk_api_processes_serving") == PROCESSES:
            return text
        assert time.monotonic() < deadline, f"not every API process started: {text[:2000]}"
        time.sleep(0.2)


def _count(text: str) -> int:
    found = re.search(r'^frontdesk_http_request_seconds_count\{method="GET",'
                      r'route="/v1/leads",status="2xx"\} ([0-9.e+]+)$', text, re.MULTILINE)
    return int(float(found.group(1))) if found else 0


def test_every_scrape_counts_the_requests_of_both_api_processes(owner_url: str) -> None:
    with served(owner_url, ["--workers", str(PROCESSES)], FRONTDESK_IN_PROCESS_PROJECTIONS="false",
                FRONTDESK_RATE_LIMIT_PER_IP="0", FRONTDESK_RATE_LIMIT_PER_TENANT="0") as api:
        slug = f"metrics-{uuid.uuid4().hex[:6]}"
        assert httpx.post(f"{api.url}/v1/admin/tenants",
                          headers={"Authorization": "Bearer dev-admin-token"},
                          json={"name": "Metrics", "slug": slug,
                                "admin_email": f"a@{slug}.example",
                                "admin_password": PASSWORD}).status_code == 201
        token = httpx.post(f"{api.url}/v1/auth/login", json={
            "tenant": slug, "email": f"a@{slug}.example",
            "password": PASSWORD}).json()["access_token"]
        before = _count(_all_serving(api.url))

        def one(_: int) -> int:  # a new connection each: the kernel spreads them
            return httpx.get(f"{api.url}/v1/leads?limit=1",
                             headers={"Authorization": f"Bearer {token}"}).status_code

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(one, range(REQUESTS))) == [200] * REQUESTS
        scrapes = [httpx.get(f"{api.url}/metrics").text for _ in range(8)]

    assert [_count(text) - before for text in scrapes] == [REQUESTS] * 8
    assert all("frontdesk_projection_pending_events" in text for text in scrapes)
    # Each process froze what its start-up built (ADR 0056); the gauge keeps the lowest.
    assert all((_gauge(text, "frontdesk_process_frozen_objects") or 0) > 50_000
               for text in scrapes)
