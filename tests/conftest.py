"""Shared fixtures: a real PostgreSQL for the whole session (embedded by default; DATABASE_URL
when set; testcontainers with FRONTDESK_TEST_DB=docker), the composition root on it, projection
runners in background threads, and a fresh tenant per test (tenants isolate tests from each
other, the same way they isolate customers)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

# Fixtures of the conversation tests (fake vendors, a container wired to them).
pytest_plugins = ["tests.conversation_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
# The CLI's output (rich) is as wide as COLUMNS says, read once when its console is made: one
# width for every test process (pytest-xdist's workers have none of a terminal's), so tables
# and sentences the tests read are not wrapped in one run and whole in the next.
os.environ["COLUMNS"] = "200"
ADMIN_TOKEN = "test-admin-token-0123456789"
PASSWORD = "correct horse battery staple"
# The whole suite comes from one address ("testclient"): request limits are off (0, which also
# leaves the shared counters alone) except in the tests of the limits themselves.
NO_RATE_LIMITS: dict[str, int] = {"FRONTDESK_RATE_LIMIT_PER_IP": 0,
                                  "FRONTDESK_RATE_LIMIT_PER_TENANT": 0}


@pytest.fixture(scope="session")
def owner_url() -> Iterator[str]:
    """The owner (DDL) URL of a database that belongs to this test session."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    if os.environ.get("FRONTDESK_TEST_DB") == "docker":
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("pgvector/pgvector:pg18", driver=None) as container:
            yield container.get_connection_url()
        return
    from adapters.postgres.embedded import EmbeddedPostgres

    # Each pytest-xdist worker on an embedded server of its own: a reader of the log sees only
    # below the oldest transaction running in the whole cluster, so workers sharing one would
    # hold back each other's projections (ADR 0093).
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    server = EmbeddedPostgres(ROOT / ".data" if worker is None
                              else ROOT / ".data" / "test-workers" / worker)
    name = f"frontdesk_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    yield server.url(name)
    server.drop(name)


@contextmanager
def built_container(owner_url: str, *, tracing: Any = None) -> Iterator[Any]:
    """The composition root on the database at ``owner_url``, migrated, its projections'
    tables and tracking rows created; its pools closed at the end. ``tracing``: the
    process's traces (an instrumented ``Tracing``), before any connection is opened."""
    from dependency_injector import providers

    from adapters.postgres.migrate import migrate
    from entrypoints.container import Container
    from entrypoints.logging import configure_logging
    from entrypoints.settings import Settings

    settings = Settings(DATABASE_URL=owner_url, ADMIN_API_TOKEN=ADMIN_TOKEN,
                        FRONTDESK_STALE_POLICY_INTERVAL=3600.0,
                        FRONTDESK_LOG_LEVEL="WARNING",
                        **NO_RATE_LIMITS,  # type: ignore[arg-type]
                        FRONTDESK_LOGIN_THROTTLE_PER_IP=10_000,
                        # GET /v1/stream ends soon: the TestClient reads whole bodies (the
                        # stream's tests use a served process)
                        FRONTDESK_STREAMS_MAX_SECONDS=0.5)
    configure_logging("WARNING")
    built = Container()
    built.settings.override(providers.Object(settings))
    if tracing is not None:
        built.tracing.override(providers.Object(tracing))
    migrate(built.database())
    built.projection_manager().ensure()
    try:
        yield built
    finally:
        built.datastore().close()
        built.worker_pool().close()


@pytest.fixture(scope="session")
def container(owner_url: str) -> Iterator[Any]:
    with built_container(owner_url) as built:
        yield built


@pytest.fixture(scope="session")
def runtime(container: Any) -> Iterator[Any]:
    """Projection runners following the log in background threads, as in `frontdesk serve`."""
    from entrypoints.runtime import Runtime

    running = Runtime(container, policies=False, claim_retry=0.2)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(container: Any, runtime: Any) -> Iterator[TestClient[Any]]:
    from entrypoints.http.app import create_app

    with TestClient(app=create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class TenantSession:
    """A freshly provisioned tenant and its admin's bearer token."""

    id: str
    slug: str
    token: str
    client: TestClient[Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.get(path, headers=headers, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.post(path, headers=headers, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.patch(path, headers=headers, **kwargs)

    def read(self, path: str, position: str, **kwargs: Any) -> Any:
        """GET that waits until the read models include the write at ``position``."""
        headers = {**kwargs.pop("headers", {}), "X-Frontdesk-Min-Position": position}
        response = self.get(path, headers=headers, **kwargs)
        assert response.headers.get("x-frontdesk-consistency") == "consistent"
        return response


def provision(client: TestClient[Any], slug: str | None = None) -> TenantSession:
    slug = slug or f"t-{uuid.uuid4().hex[:10]}"
    email = f"owner@{slug}.example"
    created = client.post("/v1/admin/tenants", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                          json={"name": f"Tenant {slug}", "slug": slug, "admin_email": email,
                                "admin_password": PASSWORD})
    assert created.status_code == 201, created.text
    login = client.post("/v1/auth/login", json={"tenant": slug, "email": email,
                                                 "password": PASSWORD})
    assert login.status_code == 200, login.text
    return TenantSession(created.json()["id"], slug, login.json()["access_token"], client)


@pytest.fixture
def tenant(client: TestClient[Any]) -> TenantSession:
    return provision(client)


@pytest.fixture
def other_tenant(client: TestClient[Any]) -> TenantSession:
    return provision(client)


@contextmanager
def stripe_api(owner_url: str, *, api_key: str, api_base: str, webhook_secret: str,
               **gateway: Any) -> Iterator[TestClient[Any]]:
    """The API of a second composition root on the test database with Stripe configured; its
    gateway takes ``gateway`` options (timeouts, retries, breaker) and registers its breaker
    in this root's registry, so readiness and the gauge see it."""
    from dependency_injector import providers

    from adapters.payments.stripe_gateway import StripeGateway
    from entrypoints.container import Container
    from entrypoints.http.app import create_app
    from entrypoints.settings import Settings

    settings = Settings(DATABASE_URL=owner_url, ADMIN_API_TOKEN=ADMIN_TOKEN,
                        FRONTDESK_STALE_POLICY_INTERVAL=3600.0, FRONTDESK_LOG_LEVEL="WARNING",
                        STRIPE_API_KEY=api_key, STRIPE_WEBHOOK_SECRET=webhook_secret,
                        STRIPE_API_BASE=api_base, **NO_RATE_LIMITS)  # type: ignore[arg-type]
    built = Container()
    built.settings.override(providers.Object(settings))
    built.cases.payment_gateway.override(providers.Object(StripeGateway(
        api_key, api_base=api_base, success_url="http://127.0.0.1/paid",
        circuits=built.circuits(), **gateway)))
    built.database()
    try:
        with TestClient(app=create_app(built), raise_server_exceptions=False) as client:
            yield client
    finally:
        built.datastore().close()
        built.worker_pool().close()


def status_when(manager: Any, done: Any, timeout: float = 30) -> Any:
    """The first reader status of ``manager`` once ``done(status)`` holds (polled)."""
    import time

    deadline = time.monotonic() + timeout
    while not done(status := manager.status()[0]):
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
    return status


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (marked ``slow``; the sort keeps every file's order): with the
    suite spread over workers, one of them then does not finish a minute-long file alone at
    the end while the others idle (ADR 0093)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
