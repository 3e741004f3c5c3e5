"""Helpers for the cases, payments and LTV tests: a converted lead with its case opened by the
real process manager, and a quoted, accepted case ready to take money."""

from __future__ import annotations

import time
import uuid
from typing import Any

from adapters.projections.policies import PolicyRunner
from application.cases.opening import OpenCaseOnConversion
from tests.conftest import TenantSession

QUOTE = {"currency": "EUR", "valid_until": "2099-12-31",
         "line_items": [{"description": "Whitening session", "quantity": 2,
                         "unit_amount": 25000},
                        {"description": "Check-up", "quantity": 1, "unit_amount": 7550}]}
QUOTE_TOTAL = 57550


def run_policies(container: Any, tenant_id: str, *kinds: type[Any],
                 until: str | None = None) -> int:
    """Run the container's process managers (those of ``kinds``, or all) over one tenant's
    events until caught up, and at least past the write at position ``until`` (the reader only
    sees transactions below the oldest one still running, so a just-committed event may need
    another pass). Scoped to the tenant: the session's log holds every other test's events."""
    runners = []
    for policy in container.policies():
        if kinds and not isinstance(policy, kinds):
            continue
        runner = PolicyRunner(policy, container.worker_pool(), container.worker_mapper(),
                              container.bus(), tenant_id=uuid.UUID(str(tenant_id)))
        runner.ensure_tracking()
        runners.append(runner)
    seen = sum(runner.catch_up() for runner in runners)
    deadline = time.monotonic() + 30
    while until is not None and any(r.position is None or r.position.tx < int(until)
                                    for r in runners):
        assert time.monotonic() < deadline, "the process managers did not reach the write"
        time.sleep(0.05)
        seen += sum(runner.catch_up() for runner in runners)
    return seen


def run_case_opener(container: Any, tenant_id: str, until: str | None = None) -> int:
    """The LeadConverted -> open Case process manager, over one tenant's events."""
    return run_policies(container, tenant_id, OpenCaseOnConversion, until=until)


def converted_lead(tenant: TenantSession, *, email: str | None = None,
                   source: str = "web_form", campaign: str | None = "spring") -> dict[str, Any]:
    body = {"name": "Ana Ruiz", "email": email or f"{uuid.uuid4().hex[:10]}@example.com",
            "source": source}
    if campaign:
        body["campaign"] = campaign
    lead = tenant.post("/v1/leads", json=body)
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["id"]
    assert tenant.post(f"/v1/leads/{lead_id}/qualify", json={}).status_code == 200
    converted = tenant.post(f"/v1/leads/{lead_id}/convert")
    assert converted.status_code == 200, converted.text
    return {**converted.json(), "position": converted.headers["x-frontdesk-position"]}


def opened_case(tenant: TenantSession, container: Any, **lead: Any) -> dict[str, Any]:
    """A converted lead whose case the process manager opened; returns the lead view."""
    view = converted_lead(tenant, **lead)
    run_case_opener(container, tenant.id, until=view["position"])
    return view


def accepted_case_at(tenant: TenantSession, container: Any, **lead: Any) -> tuple[str, str]:
    """A case quoted (QUOTE) and accepted: its id and the position of the acceptance."""
    case_id = str(opened_case(tenant, container, **lead)["case_id"])
    quoted = tenant.post(f"/v1/cases/{case_id}/quote", json=QUOTE)
    assert quoted.status_code == 200, quoted.text
    accepted = tenant.post(f"/v1/cases/{case_id}/accept")
    assert accepted.status_code == 200, accepted.text
    return case_id, accepted.headers["x-frontdesk-position"]


def accepted_case(tenant: TenantSession, container: Any, **lead: Any) -> str:
    """A case quoted (QUOTE) and accepted; returns its id."""
    return accepted_case_at(tenant, container, **lead)[0]


def events_of(tenant: TenantSession, case_id: str) -> list[dict[str, Any]]:
    response = tenant.get(f"/v1/cases/{case_id}/events")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])
