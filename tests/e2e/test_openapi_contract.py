"""The OpenAPI document is the contract (ADR 0077): it publishes what the validators enforce,
the API refuses what it refuses, public operations need no credentials, and OPTIONS agrees
with it. The fuzzing run (tests/fuzz) checks the same over every operation; these are the
cases it first found, kept as named regressions."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.conftest import TenantSession


def _schema(client: TestClient[Any]) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/schema/openapi.json").json()
    return document


def test_request_bodies_publish_what_their_validators_enforce(client: TestClient[Any]) -> None:
    schemas = _schema(client)["components"]["schemas"]
    lead = schemas["LeadCreate"]
    assert lead["additionalProperties"] is False  # unknown fields are a 422
    assert lead["properties"]["source"]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9_\\-]*$"
    roles = schemas["UserIn"]["properties"]["roles"]
    assert roles["minItems"] == 1
    capacity = schemas["AgentCreate"]["properties"]["capacity"]
    assert capacity["propertyNames"]["enum"] == ["voice", "sms", "whatsapp", "webchat", "email"]
    skills = schemas["AgentCreate"]["properties"]["skills"]
    assert skills["additionalProperties"] is False and skills["patternProperties"]
    # A PATCH field that cannot be cleared does not admit null, nor advertise null as default.
    name = schemas["QueuePatch"]["properties"]["name"]
    assert name["type"] == "string" and "default" not in name and "anyOf" not in name
    assert {"type": "null"} in schemas["QueuePatch"]["properties"]["description"]["anyOf"]


def test_public_operations_declare_that_they_need_no_credentials(
        client: TestClient[Any]) -> None:
    paths = _schema(client)["paths"]
    for path, method in [("/health", "get"), ("/health/ready", "get"), ("/metrics", "get"),
                         ("/v1/auth/login", "post"), ("/v1/webhooks/stripe", "post")]:
        assert paths[path][method]["security"] == [], (path, method)
    assert "security" not in paths["/v1/leads"]["post"]  # the global bearer requirement
    assert paths["/v1/admin/tenants"]["post"]["security"] == [{"AdminToken": []}]


def test_options_lists_every_method_of_the_path(client: TestClient[Any]) -> None:
    answer = client.options("/v1/dispositions")
    assert answer.status_code == 204
    assert answer.headers["allow"] == "GET, OPTIONS, POST"
    documented = {m.upper() for m in _schema(client)["paths"]["/v1/dispositions"]}
    assert documented | {"OPTIONS"} == set(answer.headers["allow"].split(", "))


def test_values_of_the_wrong_json_type_are_refused_not_coerced(tenant: TenantSession) -> None:
    lead = tenant.post("/v1/leads", json={"name": "Ana", "email": "ana@example.com",
                                          "source": "web_form"})
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["id"]
    for body in ({"score": True}, {"score": "50"}, {"score": 50.5}):
        refused = tenant.post(f"/v1/leads/{lead_id}/score", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["type"].endswith("/validation")
    # JSON Schema's integer is a number without a fraction: 50.0 is one.
    assert tenant.post(f"/v1/leads/{lead_id}/score", json={"score": 50.0}).status_code == 200
    for due_at in (0, "0.5", "2026-12-01", "2026-12-01T09:00:00", "0000-01-01T00:00:00Z"):
        refused = tenant.post(f"/v1/leads/{lead_id}/follow-ups", json={"due_at": due_at})
        assert refused.status_code == 422, (due_at, refused.text)
        assert refused.json()["type"].endswith("/validation")
    history = tenant.get(f"/v1/leads/{lead_id}/events").json()["items"]
    assert [e["type"] for e in history].count("LeadScored") == 1  # nothing else written


def test_query_date_times_are_rfc_3339_only(tenant: TenantSession) -> None:
    for path in ("/v1/analytics/ltv?as_of=0.5", "/v1/audit?until=0.5",
                 "/v1/audit?since=2026-11-01", "/v1/analytics/ltv?as_of=2026-03-31T00:00:00"):
        refused = tenant.get(path)
        assert refused.status_code == 422, (path, refused.text)
        assert refused.json()["type"].endswith("/validation"), refused.json()
    # The pattern lets a day through that the calendar does not have: a documented rule.
    no_such_day = tenant.get("/v1/analytics/ltv?as_of=2026-02-30T00:00:00Z")
    assert no_such_day.status_code == 422
    assert no_such_day.json()["type"].endswith("/invalid-value")
    live = tenant.get("/v1/analytics/ltv?as_of=2026-03-31T23:59:59Z")
    assert live.status_code == 200 and live.json()["as_of"].startswith("2026-03-31T23:59:59")


def test_a_rule_beyond_the_schema_is_named_by_its_own_problem_type(
        tenant: TenantSession) -> None:
    """Valid by the document, refused by the domain: `invalid-value`, never `validation`."""
    answer = tenant.post("/v1/leads", json={"name": "Nobody", "source": "web_form"})
    assert answer.status_code == 422
    assert answer.json()["type"].endswith("/invalid-value")  # needs an email or a phone


def test_a_payment_link_for_a_case_without_invoices_is_a_404(tenant: TenantSession) -> None:
    contact = tenant.post("/v1/contacts", json={"name": "Eva", "email": "eva@example.com"})
    case = tenant.post("/v1/cases", json={"contact_id": contact.json()["id"],
                                          "kind": "treatment_plan", "title": "Whitening"})
    assert case.status_code == 201, case.text
    link = tenant.post(f"/v1/cases/{case.json()['id']}/invoices/"
                       f"{contact.json()['id']}/payment-link")
    assert link.status_code == 404, link.text  # was a 500: the case had no currency yet


def test_rules_no_schema_can_state_are_documented_with_their_problem_type(
        client: TestClient[Any], tenant: TenantSession) -> None:
    operation = _schema(client)["paths"]["/v1/analytics/agents"]["get"]
    to = next(p for p in operation["parameters"] if p["name"] == "to")
    assert "366 days" in to["description"] and "bad-range" in to["description"]
    assert {"400", "422"} <= set(operation["responses"])
    types = _schema(client)["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]
    for query in ("from=2026-03-10&to=2026-03-01", "from=2025-01-01&to=2026-06-01"):
        refused = tenant.get(f"/v1/analytics/agents?{query}")
        assert refused.status_code == 400, refused.text
        assert refused.json()["type"].endswith("/bad-range")
        assert refused.json()["type"] in types
    cursor = next(p for p in _schema(client)["paths"]["/v1/leads"]["get"]["parameters"]
                  if p["name"] == "cursor")
    assert "bad-cursor" in cursor["description"]
    refused = tenant.get("/v1/leads?cursor=forged")
    assert refused.status_code == 400 and refused.json()["type"].endswith("/bad-cursor")
