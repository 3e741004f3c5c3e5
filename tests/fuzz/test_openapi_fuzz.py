"""Schemathesis against the OpenAPI document of the running service: every operation, with
an admin's token (every route allowed), generated valid and invalid inputs. No answer may be
a 5xx, and no answer may break the schema the document gives for it.

`make test` runs a short bounded pass (FRONTDESK_FUZZ_EXAMPLES, default 3 per operation);
`make test-fuzz` runs many more.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import PASSWORD, ROOT
from tests.serving import Served, served

EXAMPLES = int(os.environ.get("FRONTDESK_FUZZ_EXAMPLES", "3"))
PHASES = os.environ.get("FRONTDESK_FUZZ_PHASES", "examples,fuzzing")
CHECKS = os.environ.get("FRONTDESK_FUZZ_CHECKS", "all")


@pytest.fixture(scope="module")
def service(owner_url: str) -> Iterator[Served]:
    # a fully configured service: webhooks check signatures instead of answering 503
    with served(owner_url, FRONTDESK_RATE_LIMIT_PER_IP="0", FRONTDESK_RATE_LIMIT_PER_TENANT="0",
                FRONTDESK_LOGIN_THROTTLE_PER_ACCOUNT="1000000",
                FRONTDESK_LOGIN_THROTTLE_PER_IP="1000000",
                TWILIO_AUTH_TOKEN="fuzz-twilio-token", STRIPE_WEBHOOK_SECRET="whsec_fuzz",
                FRONTDESK_EMAIL_WEBHOOK_SECRET="fuzz-email-secret",
                FRONTDESK_STREAMS_MAX_SECONDS="1") as running:  # GET /v1/stream ends
        yield running


@pytest.fixture(scope="module")
def admin_headers(service: Served) -> dict[str, str]:
    slug = f"fuzz-{uuid.uuid4().hex[:8]}"
    created = httpx.post(f"{service.url}/v1/admin/tenants",
                         headers={"Authorization": "Bearer dev-admin-token"},
                         json={"name": "Fuzz", "slug": slug, "admin_email": f"a@{slug}.example",
                               "admin_password": PASSWORD})
    assert created.status_code == 201, created.text
    token = httpx.post(f"{service.url}/v1/auth/login", json={
        "tenant": slug, "email": f"a@{slug}.example", "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def fuzz(name: str, service: Served, headers: dict[str, str], *operations: str) -> str:
    """Run the schemathesis CLI; returns its report. Raises with it when a check failed."""
    command = [str(ROOT / ".venv/bin/schemathesis"),
               "--config-file", str(ROOT / "tests/fuzz/schemathesis.toml"),
               "run", f"{service.url}/schema/openapi.json",
               "--checks", CHECKS, "--max-examples", str(EXAMPLES), "--phases", PHASES,
               "--request-timeout", "30", "--seed", "20261122", "--no-color",
               "--suppress-health-check", "all", *operations]
    for header, value in headers.items():
        command += ["--header", f"{header}: {value}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3000, cwd=ROOT,
                          env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
                               "PYTHONPATH": str(ROOT)})
    report = done.stdout + done.stderr
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    (ROOT / ".pytest_cache" / f"fuzz-{name}.txt").write_text(report)  # the whole story
    assert done.returncode == 0, report[:8000]
    return report


@pytest.mark.timeout(3300)  # `make test-fuzz` runs ~100 examples of 100 operations: beyond 300 s
def test_no_operation_answers_5xx_or_breaks_its_schema(service: Served,
                                                       admin_headers: dict[str, str]) -> None:
    # A user's PATCH can disable or demote the fuzzing admin itself, after which every
    # operation answers 401/403 and is not really tested: it runs last, on its own.
    tenant_api = fuzz("tenant-api", service, admin_headers,
                      "--exclude-path-regex", "^/v1/admin/|^/v1/users/[^/]+$")
    users_api = fuzz("users-api", service, admin_headers,
                     "--include-path-regex", "^/v1/users/[^/]+$")
    admin_api = fuzz("admin-api", service, {"Authorization": "Bearer dev-admin-token"},
                     "--include-path-regex", "^/v1/admin/")
    tested = re.search(r"Tested: (\d+)", tenant_api)
    assert tested is not None and int(tested.group(1)) >= 60, tenant_api[-2000:]
    assert re.search(r"Tested: 1\b", admin_api), admin_api[-2000:]
    assert re.search(r"Tested: 2\b", users_api), users_api[-2000:]  # GET and PATCH
    cases = re.search(r"(\d+) generated", tenant_api)
    print(f"fuzzed {tested.group(1)} operations with {cases.group(1) if cases else '?'} cases")
