"""/metrics: request latency per route, commands by type and outcome, projection lag."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import TenantSession


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.rsplit(" ", 1)[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_route_commands_by_outcome_and_projection_lag(
        tenant: TenantSession, client: Any) -> None:
    before = client.get("/metrics").text
    lead = tenant.post("/v1/leads", json={"name": "Met Rics", "email": "met@rics.example",
                                          "source": "web"})
    assert lead.status_code == 201
    duplicate = tenant.post("/v1/leads", json={"email": "met@rics.example", "source": "web"})
    assert duplicate.status_code == 409
    tenant.read(f"/v1/leads/{lead.json()['id']}", lead.headers["x-frontdesk-position"])
    after = client.get("/metrics").text

    route = {"method": "POST", "route": "/v1/leads"}
    assert sample(after, "frontdesk_http_request_seconds_count", status="2xx", **route) \
        == sample(before, "frontdesk_http_request_seconds_count", status="2xx", **route) + 1
    assert sample(after, "frontdesk_http_request_seconds_count", status="4xx", **route) \
        == sample(before, "frontdesk_http_request_seconds_count", status="4xx", **route) + 1
    routes = set(re.findall(r'route="([^"]*)"', after))
    assert not [r for r in routes if re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", r)], routes
    assert "/v1/leads/{lead_id}" in routes  # the template, not one series per lead id
    assert sample(after, "frontdesk_http_request_seconds_count", method="GET",
                  route="/v1/leads/{lead_id}", status="2xx") >= 1
    assert lead.json()["id"] not in after
    for outcome in ("executed", "conflict"):
        assert sample(after, "frontdesk_commands_total", command="CaptureLead",
                      outcome=outcome) == sample(before, "frontdesk_commands_total",
                                                 command="CaptureLead", outcome=outcome) + 1
    for projection in ("lead_pipeline", "contacts", "memories", "audit_log"):
        assert f'frontdesk_projection_pending_events{{projection="{projection}"}}' in after
    assert sample(after, "frontdesk_projection_needs_rebuild", projection="lead_pipeline") == 0
    assert sample(after, "frontdesk_projection_failing", projection="lead_pipeline") == 0
