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


def admin_of_a_new_tenant(service: Served) -> dict[str, str]:
    """The bearer header of the admin of a tenant made for one pass: a pass may log its token
    out, require TOTP of admins or disable its admin, which must not blind the next pass."""
    slug = f"fuzz-{uuid.uuid4().hex[:8]}"
    created = httpx.post(f"{service.url}/v1/admin/tenants",
                         headers={"Authorization": "Bearer dev-admin-token"},
                         json={"name": "Fuzz", "slug": slug, "admin_email": f"a@{slug}.example",
                               "admin_password": PASSWORD})
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {service.login(slug, f'a@{slug}.example')}"}


def blind(report: str) -> set[str]:
    """The operations that answered nothing but 401/403 (so were tested for auth only)."""
    block = re.search(r"Authentication failed:.*?\n(.*?)💡", report, re.S)
    return set(re.findall(r"^\s+- (\w+ \S+)$", block.group(1), re.M)) if block else set()


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


# Operations that may answer the fuzzing admin only 401/403 by design: signed webhooks (403
# without the vendor's signature), login and refresh (401 for made-up credentials or tokens).
# Any other means the admin's token died during the pass and was not really tested after it.
AUTH_ONLY = {"POST /v1/auth/login", "POST /v1/auth/refresh",
             "POST /v1/webhooks/email/{tenant_slug}",
             "POST /v1/webhooks/twilio/{tenant_slug}/messages",
             "POST /v1/webhooks/twilio/{tenant_slug}/voice-status",
             "POST /v1/webhooks/stripe"}


@pytest.mark.timeout(3300)  # `make test-fuzz` runs ~100 examples of 130 operations: beyond 300 s
def test_no_operation_answers_5xx_or_breaks_its_schema(service: Served) -> None:
    # Each pass has a tenant of its own: logging out ends the pass's token, the TOTP policy
    # can require TOTP of its admin, a user's PATCH can disable or demote the admin itself.
    tenant_api = fuzz("tenant-api", service, admin_of_a_new_tenant(service),
                      "--exclude-path-regex",
                      "^/v1/admin/|^/v1/users/[^/]+$|^/v1/auth/logout$|^/v1/totp-policy$")
    session_api = fuzz("session-api", service, admin_of_a_new_tenant(service),
                       "--include-path-regex", "^/v1/auth/logout$|^/v1/totp-policy$")
    users_api = fuzz("users-api", service, admin_of_a_new_tenant(service),
                     "--include-path-regex", "^/v1/users/[^/]+$")
    admin_api = fuzz("admin-api", service, {"Authorization": "Bearer dev-admin-token"},
                     "--include-path-regex", "^/v1/admin/")
    tested = re.search(r"Tested: (\d+)", tenant_api)
    assert tested is not None and int(tested.group(1)) >= 60, tenant_api[-2000:]
    assert blind(tenant_api) <= AUTH_ONLY, blind(tenant_api) - AUTH_ONLY
    assert re.search(r"Tested: 1\b", admin_api), admin_api[-2000:]
    assert re.search(r"Tested: 3\b", session_api), session_api[-2000:]  # logout, GET, PUT
    assert re.search(r"Tested: 2\b", users_api), users_api[-2000:]  # GET and PATCH
    assert blind(users_api) == set(), blind(users_api)
    cases = re.search(r"(\d+) generated", tenant_api)
    print(f"fuzzed {tested.group(1)} operations with {cases.group(1) if cases else '?'} cases, "
          f"{len(blind(tenant_api))} answering the admin only 401/403, by design "
          f"({', '.join(sorted(blind(tenant_api)))})")
