"""Support for contact-center e2e tests: a second composition root on the same database whose
clock is a ManualClock (so reservation timeouts, SLA clocks and escalations are deterministic),
its own HTTP client, and a tenant driver that knows how to wait for the read models and run
the dispatcher and the clock-driven processes the way the runtime does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from adapters.clock import ManualClock
from adapters.eventstore.tenancy import execute_as_tenant
from tests.conftest import PASSWORD, TenantSession, provision

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
READ_MODELS = ("supervisor_overview", "agent_performance", "contact_center_catalog")


@dataclass
class ManualSide:
    container: Any
    clock: ManualClock
    client: TestClient[Any]


def manual_side(container: Any) -> Iterator[ManualSide]:
    from dependency_injector import providers

    from entrypoints.container import Container
    from entrypoints.http.app import create_app

    clock = ManualClock(T0)
    manual = Container()
    # Routing only when a test runs the dispatcher: deterministic offers.
    settings = container.settings().model_copy(update={"route_on_arrival": False})
    manual.settings.override(providers.Object(settings))
    manual.clock.override(providers.Object(clock))
    manual.notifier().start()  # wakes the session's projection runners (NOTIFY)
    with TestClient(app=create_app(manual), raise_server_exceptions=False) as client:
        yield ManualSide(manual, clock, client)
    manual.notifier().stop()
    manual.datastore().close()
    manual.worker_pool().close()


@dataclass
class CallCenter:
    """One tenant driven through the API of the manual-clock side."""

    side: ManualSide
    tenant: TenantSession
    users: dict[str, str] = field(default_factory=dict)
    settled: str = "0"
    """The last position every read model was seen to include."""

    @classmethod
    def open(cls, side: ManualSide, start: datetime = T0) -> CallCenter:
        side.clock.set(start)
        return cls(side, provision(side.client))

    # -- time and background work -----------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.side.clock.now()

    def at(self, moment: datetime) -> None:
        assert moment >= self.now, "time only moves forward"
        self.side.clock.set(moment)

    def advance(self, **delta: float) -> None:
        self.side.clock.advance(timedelta(**delta))

    def settle(self) -> None:
        """Wait until every contact-center read model includes every commit so far (at once
        when nothing was committed since the last wait: most ticks of a shift)."""
        with self.side.container.worker_pool().connection() as conn:
            row = conn.execute("SELECT coalesce(max(tx_id)::text, '0') AS p FROM events"
                               ).fetchone()
        if row["p"] == self.settled:
            return
        assert self.side.container.consistency().wait_for(row["p"], READ_MODELS, 20.0)
        self.settled = row["p"]

    def dispatch(self) -> int:
        self.settle()
        made = self.side.container.contact_center.dispatcher().run_once(self.tenant_uuid)
        self.settle()
        return int(made)

    def timers(self) -> Any:
        self.settle()
        report = self.side.container.contact_center.timers().run_once(self.tenant_uuid)
        self.settle()
        return report

    @property
    def tenant_uuid(self) -> uuid.UUID:
        return uuid.UUID(self.tenant.id)

    # -- HTTP -------------------------------------------------------------------------------

    def _headers(self, token: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.tenant.token}", **(extra or {})}

    def post(self, path: str, body: Any = None, *, status: int = 200, as_user: str | None = None,
             **headers: str) -> Any:
        response = self.side.client.post(path, json=body, headers=self._headers(
            self.users.get(as_user or "", None), headers))
        assert response.status_code == status, (path, response.status_code, response.text)
        return response.json()

    def request(self, method: str, path: str, body: Any = None, *,
                as_user: str | None = None, **headers: str) -> Any:
        return self.side.client.request(method, path, json=body, headers=self._headers(
            self.users.get(as_user or "", None), headers))

    def get(self, path: str, *, as_user: str | None = None, **params: Any) -> Any:
        self.settle()
        response = self.side.client.get(path, params=params, headers=self._headers(
            self.users.get(as_user or "", None), None))
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    # -- people -----------------------------------------------------------------------------

    def add_user(self, name: str, roles: tuple[str, ...] = ("agent",)) -> str:
        """A login with the given roles (users are provisioned by the identity context)."""
        container = self.side.container
        user_id = uuid.uuid4()
        email = f"{name.lower()}@{self.tenant.slug}.example"
        with container.app_pool().connection() as conn:
            execute_as_tenant(conn, self.tenant_uuid, [(
                "INSERT INTO users (tenant_id, id, email, password_hash, roles) "
                "VALUES (%s, %s, %s, %s, %s)",
                (self.tenant_uuid, user_id, email, container.identity.passwords().hash(PASSWORD),
                 list(roles)))])
        login = self.side.client.post("/v1/auth/login", json={
            "tenant": self.tenant.slug, "email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        self.users[name] = login.json()["access_token"]
        return str(user_id)

    def agent(self, name: str, skills: dict[str, int], capacity: dict[str, int] | None = None,
              *, login: bool = False, **extra: Any) -> dict[str, Any]:
        body = {"name": name, "skills": skills, "capacity": capacity or {"voice": 1}, **extra}
        if login:
            body["user_id"] = self.add_user(name)
        agent = self.post("/v1/agents", body, status=201)
        assert isinstance(agent, dict)
        return agent

    def queue(self, name: str, **settings: Any) -> dict[str, Any]:
        body = {"name": name, "target_answer_seconds": 30, "target_percentage": 80,
                "max_hold_seconds": 600, **settings}
        queue = self.post("/v1/queues", body, status=201)
        assert isinstance(queue, dict)
        return queue

    def status(self, agent_id: str, status: str) -> Any:
        return self.post(f"/v1/agents/{agent_id}/status", {"status": status})

    def task(self, queue_id: str, **body: Any) -> dict[str, Any]:
        created = self.post(f"/v1/queues/{queue_id}/tasks", {"channel": "voice", **body},
                            status=201)
        assert isinstance(created, dict)
        return created
