"""The operator's side: the `frontdesk` CLI on the same database, readiness (vendor circuits
included), the stale-lead policy against the real read model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from typer.testing import CliRunner

from adapters.clock import ManualClock
from application.bus import CommandBus
from application.leads.stale_policy import StaleLeadPolicy
from tests.conftest import TenantSession, stripe_api
from tests.fake_stripe import sign
from tests.vendors import free_port

STRIPE_SECRET = "whsec_test_health_0123456789"


@pytest.fixture
def cli(owner_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from entrypoints.cli.main import app

    monkeypatch.setenv("DATABASE_URL", owner_url)
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return run


def test_tenants_create_prints_a_working_login(cli: Any, client: Any) -> None:
    output = cli("tenants", "create", "--name", "CLI Clinic", "--slug", "cli-clinic",
                 "--admin-email", "owner@cli.example").output
    assert "tenant cli-clinic" in output
    password = output.split("password=")[1].split()[0]
    login = client.post("/v1/auth/login", json={"tenant": "cli-clinic",
                                                 "email": "owner@cli.example",
                                                 "password": password})
    assert login.status_code == 200


def test_projections_status_rebuild_and_as_of(cli: Any, tenant: TenantSession) -> None:
    created = tenant.post("/v1/leads", json={"email": "asof@example.com", "source": "cli"})
    tenant.read(f"/v1/leads/{created.json()['id']}", created.headers["x-frontdesk-position"])
    status = cli("projections", "status").output
    assert "lead_pipeline" in status and "contacts" in status
    assert "policy:open-case-on-conversion" in status and "consumer:outbox-" in status
    rebuilt = cli("projections", "rebuild", "lead_pipeline").output
    assert "swapped in" in rebuilt
    tenant.read(f"/v1/leads/{created.json()['id']}", created.headers["x-frontdesk-position"])
    past = cli("projections", "as-of", "lead_pipeline", "--at", "2000-01-01T00:00Z",
               "--tenant", tenant.slug).output
    assert "lead_pipeline: 0 rows" in past
    now = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%MZ")
    present = cli("projections", "as-of", "lead_pipeline", "--at", now, "--tenant",
                  tenant.slug, "--rows").output
    assert "lead_pipeline: 1 rows" in present and "(new=1)" in present
    assert created.json()["id"] in present


def test_events_dump_decodes_a_tenants_events(cli: Any, tenant: TenantSession) -> None:
    tenant.post("/v1/leads", json={"name": "Dump Me", "email": "dump@example.com",
                                   "source": "cli", "notes": "secret note"})
    lines = [json.loads(line) for line in
             cli("events", "dump", "--tenant", tenant.slug).output.splitlines()
             if line.startswith("{")]
    assert [line["type"] for line in lines] == ["ContactRegistered", "LeadCaptured"]
    assert lines[0]["data"]["name"] == "Dump Me"
    assert lines[1]["data"]["notes"] == "secret note"
    assert all(line["tenant_id"] == tenant.id for line in lines)
    after = [json.loads(line) for line in cli(
        "events", "dump", "--tenant", tenant.slug, "--after", lines[0]["position"]
    ).output.splitlines() if line.startswith("{")]
    assert after == lines[1:]
    from entrypoints.cli.main import app

    refused = CliRunner().invoke(app, ["events", "dump", "--after", "yesterday"])
    assert refused.exit_code == 2 and "TX:ID" in refused.output


def test_privacy_prune_deletes_stored_answers_past_their_period(
        cli: Any, tenant: TenantSession, owner_url: str) -> None:
    import psycopg

    tenant.post("/v1/leads", json={"email": "prune@example.com", "source": "cli"},
                headers={"Idempotency-Key": "prune-me"})
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("UPDATE idempotency_keys SET created_at = now() - interval '2 days' "
                     "WHERE tenant_id = %s", (tenant.id,))
        output = cli("privacy", "prune").output
        left = conn.execute("SELECT count(*) FROM idempotency_keys WHERE tenant_id = %s",
                            (tenant.id,)).fetchone()
    assert left == (0,)
    removed = int(output.split("removed ")[1].split()[0])
    assert removed >= 1 and "login entries" in output


def test_leads_import_from_the_cli(cli: Any, tenant: TenantSession, tmp_path: Path) -> None:
    file = tmp_path / "leads.csv"
    file.write_text("name,email,source\nAna,ana@cli.example,fair\nBad,not-an-email,fair\n")
    output = cli("leads", "import", str(file), "--tenant", tenant.slug).output
    assert "accepted 1, duplicates 0, rejected 1" in output


def test_readiness_reports_the_rls_protected_tables(client: Any) -> None:
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["row_level_security"]["protected_tables"] >= 7
    assert checks["row_level_security"]["unprotected_tables"] == []
    assert {"contacts", "lead_pipeline", "memories", "audit_log", "cases", "ltv"} <= set(
        checks["projections"]["lag"])
    assert checks["projections"]["failing"] == []
    assert all(lag["failing"] is None for lag in checks["projections"]["lag"].values())


def test_readiness_stays_ready_when_the_lag_cannot_be_counted_within_the_probe_bound(
        container: Any, owner_url: str) -> None:
    """The database answers, but the lag query is held up (here by a lock on the tracking
    rows; in production by counting a huge backlog): it is cancelled at the probe's bound
    and reported unknown. Lag never fails readiness, so neither does its absence."""
    import psycopg

    from adapters.postgres.health import PROBE_TIMEOUT, HealthChecks

    def probe(timeout: float) -> HealthChecks:
        return HealthChecks(container.app_pool(), container.projection_manager(),
                            container.vendor_circuits(), timeout=timeout)

    # Counted when nothing holds it up, at the production bound: the count now covers the
    # policies and consumers too (19 queries, the followers' whole topics pending here, as no
    # runtime of this process runs them); at 0.5 s this failed once in seven runs.
    assert probe(PROBE_TIMEOUT).readiness().checks["projections"]["lag"]
    health = probe(0.5)  # the held-up case need not wait the full bound
    with psycopg.connect(owner_url) as locker:
        locker.execute("LOCK TABLE projection_tracking IN ACCESS EXCLUSIVE MODE")
        readiness = health.readiness()
    assert readiness.ready
    assert readiness.checks["database"] == {"ok": True}
    assert readiness.checks["row_level_security"]["ok"] is True
    assert readiness.checks["projections"] == {"ok": True, "lag": None,
                                               "error": "QueryCanceled"}


def test_readiness_lists_each_vendor_configured_or_not(client: Any, vendor_client: Any) -> None:
    unconfigured = client.get("/health/ready").json()
    assert unconfigured["checks"]["vendors"] == {
        "llm:local": {"configured": True, "circuit": "closed"},
        "smtp": {"configured": False, "circuit": "closed"},
        "stripe": {"configured": False, "circuit": "closed"},
        "twilio": {"configured": False, "circuit": "closed"}}
    assert unconfigured["degraded"] is False
    vendors = vendor_client.get("/health/ready").json()["checks"]["vendors"]
    assert {name: v["configured"] for name, v in vendors.items()} == {
        "llm:openai": True, "smtp": True, "stripe": False, "twilio": True}


@pytest.fixture(scope="module")
def stripe_down(owner_url: str, runtime: Any) -> Iterator[TestClient[Any]]:
    """The API of a composition root whose Stripe is a closed port on this machine."""
    with stripe_api(owner_url, api_key="sk_test_health", webhook_secret=STRIPE_SECRET,
                    api_base=f"http://127.0.0.1:{free_port()}", timeout=2, attempts=1,
                    fail_max=2, reset_timeout=3600) as client:
        yield client


def test_an_open_vendor_circuit_degrades_readiness_without_failing_it(
        stripe_down: TestClient[Any]) -> None:
    ready = stripe_down.get("/health/ready").json()
    assert (ready["degraded"], ready["checks"]["vendors"]["stripe"]) == (
        False, {"configured": True, "circuit": "closed"})
    # A refund made in the dashboard: Frontdesk asks Stripe whose payment it was.
    payload = json.dumps({"id": "evt_test_health", "type": "charge.refunded", "data": {
        "object": {"id": "ch_test_health", "object": "charge", "payment_intent": "pi_test_1",
                   "amount": 100, "amount_refunded": 100, "metadata": {}}}}).encode()
    answers = [stripe_down.post("/v1/webhooks/stripe", content=payload,
                                headers={"Stripe-Signature": sign(payload, STRIPE_SECRET)})
               for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 503]
    assert all(a.headers["content-type"].startswith("application/problem+json")
               for a in answers)
    assert "circuit open" in answers[-1].json()["detail"]
    assert int(answers[-1].headers["retry-after"]) > 3000  # until the trial, not "shortly"
    ready = stripe_down.get("/health/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert (body["status"], body["degraded"]) == ("ready", True)
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["vendors"]["stripe"] == {"configured": True, "circuit": "open"}
    metrics = stripe_down.get("/metrics").text
    assert 'frontdesk_vendor_circuit_state{vendor="stripe"} 2.0' in metrics


def test_stale_lead_policy_on_the_real_read_model(container: Any, tenant: TenantSession) -> None:
    created = tenant.post("/v1/leads", json={"email": "stale@example.com", "source": "web"})
    lead = created.json()
    tenant.read(f"/v1/leads/{lead['id']}", created.headers["x-frontdesk-position"])
    captured_at = datetime.fromisoformat(lead["created_at"])
    clock = ManualClock(captured_at + timedelta(hours=23))

    class OneTenant:
        def stale_after_by_tenant(self) -> dict[Any, timedelta]:
            from uuid import UUID

            return {UUID(tenant.id): timedelta(hours=24)}

    bus = CommandBus(container.unit_of_work(), container.event_store(), clock,
                     handlers=container.bus().handlers)
    policy = StaleLeadPolicy(bus, container.leads.lead_queries(), OneTenant(), clock)
    assert policy.run_once() == 0
    clock.advance(timedelta(hours=2))
    assert policy.run_once() == 1
    history = tenant.get(f"/v1/leads/{lead['id']}/events").json()["items"]
    assert history[-1]["type"] == "FollowUpScheduled"
    assert history[-1]["actor"] == "system:stale-lead-policy"
    assert history[-1]["data"]["automatic"] is True


def test_serve_with_several_processes_gives_each_time_to_start(
        cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each API process is spawned and imports the application before it answers uvicorn's
    health check; with uvicorn's 5 s default a busy machine killed and respawned them in a loop
    (seen by the concurrent-writers test under load)."""
    import uvicorn

    started: dict[str, Any] = {}
    monkeypatch.setattr("entrypoints.runtime.tune_interpreter", lambda: None)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(app=app, **options))
    cli("serve", "--workers", "2", "--port", str(free_port()))
    assert started["app"] == "entrypoints.http.factory:create" and started["workers"] == 2
    assert started["timeout_worker_healthcheck"] >= 30
