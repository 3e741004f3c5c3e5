"""What ADR 0063 trims from every request: constants resolved in line instead of in a task
group, and answer models encoded by pydantic straight to JSON."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get
from litestar.di import NamedDependency
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from tests.conftest import TenantSession


def _batches(app: Litestar, path: str, method: str) -> list[set[str]]:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path == path:
            _, model = route.route_handler_map[method]
            return [{d.key for d in batch} for batch in model.dependency_batches]
    raise AssertionError(f"no route {method} {path}")


def test_constants_are_resolved_one_by_one_and_still_reach_the_handler() -> None:
    from entrypoints.http.deps import Constant, resolve_constants_in_line

    @get("/both", sync_to_thread=False)
    def both(first: NamedDependency[str], second: NamedDependency[str]) -> dict[str, str]:
        return {"first": first, "second": second}

    app = Litestar([both], dependencies={"first": Constant("one"), "second": Constant("two")})
    assert _batches(app, "/both", "GET") == [{"first", "second"}]  # Litestar's own: concurrent
    assert resolve_constants_in_line(app) == 1
    assert sorted(map(sorted, _batches(app, "/both", "GET"))) == [["first"], ["second"]]
    assert resolve_constants_in_line(app) == 0
    with TestClient(app) as client:
        assert client.get("/both").json() == {"first": "one", "second": "two"}


def test_the_service_resolves_its_constants_in_line(client: TestClient[Any]) -> None:
    for path, method in (("/v1/leads", "POST"), ("/v1/leads", "GET"),
                         ("/v1/leads/{lead_id:uuid}/assign", "POST")):
        batches = _batches(client.app, path, method)  # type: ignore[arg-type]
        assert batches and all(len(batch) == 1 for batch in batches), (path, batches)


def test_answers_are_pydantic_json(tenant: TenantSession) -> None:
    from entrypoints.http.leads.schemas import LeadPage

    created = tenant.post("/v1/leads", json={"name": "Zoë Ñúñez", "email": "zoe@json.example",
                                             "source": "web_form", "notes": "«quoted»"})
    assert created.status_code == 201, created.text
    page = tenant.read("/v1/leads", created.headers["x-frontdesk-position"],
                       params={"limit": 5})
    assert page.status_code == 200 and page.headers["content-type"] == "application/json"
    parsed = LeadPage.model_validate_json(page.content)
    assert page.content == parsed.model_dump_json().encode()  # byte for byte, UTF-8 as is
    assert any(item.name == "Zoë Ñúñez" for item in parsed.items)
