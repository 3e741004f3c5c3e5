"""The contact-center read models are pure projections: rebuilt from the log beside the live
tables and swapped in, every row is the same; computed as of a moment, they hold only what had
happened by then."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.projections.as_of import compute_as_of
from tests.e2e.contact_center_support import T0, CallCenter, ManualSide, manual_side

PROJECTIONS = {"supervisor_overview": ("cc_queues", "cc_agents", "cc_tasks"),
               "agent_performance": ("ap_tasks", "ap_agents", "ap_status_intervals",
                                     "ap_agent_days", "ap_conversions"),
               "contact_center_catalog": ("cc_dispositions", "cc_scripts",
                                          "cc_script_revisions")}


@pytest.fixture(scope="module")
def side(container: Any, runtime: Any) -> Iterator[ManualSide]:
    yield from manual_side(container)


def _rows(container: Any, table: str) -> list[Any]:
    with container.worker_pool().connection() as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()


def test_rebuilds_equal_the_live_views_and_as_of_goes_back(side: ManualSide,
                                                           container: Any) -> None:
    cc = CallCenter.open(side)
    queue = cc.queue("Sales", reservation_timeout_seconds=20)
    agents = [cc.agent(f"A{n}", {}) for n in range(2)]
    for agent in agents:
        cc.status(agent["id"], "available")
    cc.post("/v1/dispositions", {"code": "QUOTED", "label": "Quoted"}, status=201)
    script = cc.post("/v1/scripts", {"title": "Hello", "steps": ["Greet"],
                                     "queue_id": queue["id"]}, status=201)
    tasks = []
    for _ in range(3):
        cc.advance(seconds=1)  # first in, first served
        tasks.append(cc.task(queue["id"]))
    cc.advance(seconds=5)
    cc.dispatch()
    cc.request("PUT", f"/v1/scripts/{script['id']}", {"title": "Hello 2", "steps": ["Hi"]})
    for task in tasks[:2]:
        cc.post(f"/v1/tasks/{task['id']}/accept")
    cc.advance(minutes=3)
    cc.post(f"/v1/tasks/{tasks[0]['id']}/complete", {"disposition": "QUOTED"})
    cc.post(f"/v1/tasks/{tasks[0]['id']}/csat", {"score": 4})
    cc.status(agents[1]["id"], "break")
    cc.settle()

    manager = container.projection_manager()
    for name, tables in PROJECTIONS.items():
        live = {table: _rows(container, table) for table in tables}
        assert any(live.values()), name
        manager.rebuild(name)
        assert {table: _rows(container, table) for table in tables} == live, name

    early = compute_as_of(manager.get("supervisor_overview"), T0 + timedelta(seconds=4),
                          container.worker_pool(), container.worker_mapper(),
                          tenant_id=cc.tenant_uuid)
    statuses = sorted(row["status"] for row in early.rows("cc_tasks"))
    assert statuses == ["queued", "queued", "queued"]  # before the dispatcher ran
    later = compute_as_of(manager.get("agent_performance"), T0 + timedelta(hours=1),
                          container.worker_pool(), container.worker_mapper(),
                          tenant_id=cc.tenant_uuid)
    assert [row["csat"] for row in later.rows("ap_tasks") if row["csat"]] == [4]
