"""``frontdesk demo`` on the test database: the seeded tenant, read through the API as its
admin (the read models), has every part of the product in use; a second run appends nothing;
another slug seeds another tenant (ADR 0074)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.postgres.database import fetch_value
from entrypoints.cli.demo import admin_email, demo_password

pytestmark = pytest.mark.slow  # started first, while the other worker shares the rest

STRIPE_SECRET = "whsec_demo_test_0123456789"


@pytest.fixture
def cli(owner_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from entrypoints.cli.main import app

    monkeypatch.setenv("DATABASE_URL", owner_url)
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)  # the configured-secret path
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return run


def _log(container: Any, slug: str) -> tuple[int, str]:
    """How many events the tenant has and the newest one's position."""
    tenant = container.identity.tenants().by_slug(slug)
    with container.worker_pool().connection() as conn:
        count = int(fetch_value(conn, "SELECT count(*) FROM events WHERE tenant_id = %s",
                                (tenant.id,)))
        newest = str(fetch_value(conn, "SELECT max(tx_id)::text FROM events "
                                       "WHERE tenant_id = %s", (tenant.id,)))
    return count, newest


def _session(client: Any, slug: str) -> dict[str, str]:
    login = client.post("/v1/auth/login", json={"tenant": slug, "email": admin_email(slug),
                                                 "password": demo_password(slug)})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _all(client: Any, headers: dict[str, str], path: str, **params: Any) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        query = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, headers=headers, params=query)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json().get("next_cursor")
        if not cursor:
            return items


def test_demo_seeds_a_whole_tenant_once(cli: Any, client: Any, container: Any) -> None:
    output = cli("demo", "--tenant", "demo-clinic")
    assert "0 steps refused" in output, output
    print(output)  # the counts and the run time, for the record (-s)
    assert ("log in at http://127.0.0.1:8000/console with tenant=demo-clinic "
            f"email={admin_email('demo-clinic')} password={demo_password('demo-clinic')}"
            ) in output.replace("\n", " ")
    headers = _session(client, "demo-clinic")

    leads = _all(client, headers, "/v1/leads")
    statuses = Counter(lead["status"] for lead in leads)
    assert {"new", "contacted", "qualified", "converted", "lost"} <= set(statuses), statuses
    assert len({lead["source"] for lead in leads}) >= 5
    assert len({lead["campaign"] for lead in leads if lead["campaign"]}) >= 5

    cases = _all(client, headers, "/v1/cases")
    payments = [p for case in cases for p in case["payments"]]
    assert any(p["method"] == "stripe" for p in payments), payments[:3]
    assert any(p["refunded"] > 0 for p in payments), payments[:3]
    assert any(case["status"] == "completed" for case in cases)

    conversations = _all(client, headers, "/v1/conversations")
    assert {c["channel"] for c in conversations} == {"sms", "whatsapp", "voice", "webchat",
                                                    "email"}
    assert any(c["status"] == "resolved" and c.get("agent_id") for c in conversations)

    ltv = client.get("/v1/analytics/ltv", headers=headers, params={"group_by": "source"})
    assert ltv.status_code == 200 and ltv.json()["items"], ltv.text

    today = datetime.now(UTC).date()
    agents = client.get("/v1/analytics/agents", headers=headers,
                        params={"from": str(today - timedelta(days=22)), "to": str(today)})
    assert agents.status_code == 200, agents.text
    rows = agents.json()["items"]
    assert rows and any(row["tasks_handled"] > 0 for row in rows), rows[:2]

    types = Counter(line.split('"type": "')[1].split('"')[0]
                    for line in cli("events", "dump", "--tenant", "demo-clinic").splitlines()
                    if '"type": "' in line)
    assert types["SlaBreached"] >= 1 and types["AiReplyGenerated"] >= 10, types
    assert types["HandedOff"] >= 1 and types["TaskCompleted"] >= 20, types

    knowledge = client.get("/v1/knowledge", headers=headers)
    assert knowledge.status_code == 200 and len(knowledge.json()) == 5, knowledge.text

    before = _log(container, "demo-clinic")
    again = cli("demo", "--tenant", "demo-clinic")
    assert "seeded already: nothing changed" in again
    assert _log(container, "demo-clinic") == before


def test_a_second_tenant_gets_its_own_seed(cli: Any, client: Any, container: Any) -> None:
    cli("demo", "--tenant", "demo-other", "--scale", "0.4")
    headers = _session(client, "demo-other")
    assert _all(client, headers, "/v1/leads")
    count, _ = _log(container, "demo-other")
    assert count > 100
