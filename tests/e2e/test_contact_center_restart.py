"""The supervisor view is a projection: mid-day, kill the API and the worker (SIGKILL), start
them again, and the overview and the agents' figures are what they were; a rebuild from the
log gives them again. The worker's dispatcher routes the tasks in production mode."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT

ADMIN = "restart-admin-token-0123456789"
NOW_DEPENDENT = {"at", "oldest_wait_seconds"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """`frontdesk serve` (API only) and `frontdesk worker` as real processes."""

    def __init__(self, owner_url: str, logs: Path) -> None:
        self.port = _free_port()
        self.logs = logs
        self.env = {**os.environ, "DATABASE_URL": owner_url, "ADMIN_API_TOKEN": ADMIN,
                    "FRONTDESK_PORT": str(self.port), "FRONTDESK_LOG_LEVEL": "WARNING",
                    "FRONTDESK_IN_PROCESS_PROJECTIONS": "false",
                    "FRONTDESK_STALE_POLICY_INTERVAL": "3600",
                    "FRONTDESK_CONTACT_CENTER_INTERVAL": "0.2"}
        self.processes: list[subprocess.Popen[bytes]] = []
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = str(ROOT / ".venv/bin/frontdesk")
        for name, args in (("worker", [binary, "worker"]), ("serve", [binary, "serve"])):
            log = (self.logs / f"{name}-{len(self.processes)}.log").open("wb")
            self.processes.append(subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log,
                                                   stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the service did not start"
            assert all(p.poll() is None for p in self.processes), self.logs_text()
            time.sleep(0.2)

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=20)
        self.processes = []

    def logs_text(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.logs.iterdir())


@pytest.fixture
def service(owner_url: str, container: Any, tmp_path: Path) -> Iterator[Service]:
    running = Service(owner_url, tmp_path)
    running.start()
    yield running
    running.kill()


def _stable(view: Any) -> Any:
    if isinstance(view, dict):
        return {k: _stable(v) for k, v in view.items() if k not in NOW_DEPENDENT}
    if isinstance(view, list):
        return [_stable(v) for v in view]
    return view


def test_the_overview_is_the_same_after_killing_and_restarting_every_process(
        service: Service, owner_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    api = httpx.Client(base_url=service.url, timeout=30)
    slug = f"restart-{os.getpid()}"
    created = api.post("/v1/admin/tenants", headers={"Authorization": f"Bearer {ADMIN}"}, json={
        "name": "Restart Clinic", "slug": slug, "admin_email": f"owner@{slug}.example",
        "admin_password": "correct horse battery"})
    assert created.status_code == 201, created.text
    token = api.post("/v1/auth/login", json={"tenant": slug, "email": f"owner@{slug}.example",
                                             "password": "correct horse battery"}
                     ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    last = {"position": "0"}

    def post(path: str, body: Any = None, status: int = 200) -> Any:
        response = api.post(path, json=body, headers=auth)
        assert response.status_code == status, (path, response.text)
        last["position"] = response.headers["x-frontdesk-position"]
        return response.json()

    def read(path: str, **params: Any) -> Any:
        response = api.get(path, params=params, headers={
            **auth, "X-Frontdesk-Min-Position": last["position"]})
        assert response.status_code == 200, response.text
        assert response.headers["x-frontdesk-consistency"] == "consistent"
        return response.json()

    slow = {"target_answer_seconds": 3600, "target_percentage": 80, "max_hold_seconds": 7200,
            "reservation_timeout_seconds": 3600}
    sales = post("/v1/queues", {"name": "Sales", "required_skills": {"sales": 1}, **slow}, 201)
    support = post("/v1/queues", {"name": "Support", "required_skills": {"support": 1},
                                  "strategy": "round_robin", **slow}, 201)
    agents = [post("/v1/agents", {"name": n, "skills": s}, 201) for n, s in (
        ("Ana", {"sales": 2}), ("Bo", {"support": 1}), ("Cy", {"sales": 1, "support": 1}))]
    for agent in agents:
        post(f"/v1/agents/{agent['id']}/status", {"status": "available"})
    for queue in (sales, support, sales, support, sales, sales):
        post(f"/v1/queues/{queue['id']}/tasks", {"channel": "voice"}, 201)

    deadline = time.monotonic() + 30  # the worker's dispatcher reserves one task per agent
    while True:
        reserved = read("/v1/tasks", status="reserved")["items"]
        if len(reserved) == 3:
            break
        assert time.monotonic() < deadline, service.logs_text()
        time.sleep(0.1)
    # Which agent got which task depends on timing (offers on arrival read a read model that
    # may lag), so pick by agent: Ana (sales) finishes hers and can take any of the sales
    # tasks still waiting (four sales tasks, at most two offered); another agent accepts his.
    [ana_task] = [t for t in reserved if t["reserved_for"] == agents[0]["id"]]
    other = next(t for t in reserved if t["id"] != ana_task["id"])
    waiting = read("/v1/tasks", status="queued")["items"]
    assert len(waiting) == 3
    post(f"/v1/tasks/{other['id']}/accept")
    post(f"/v1/tasks/{ana_task['id']}/accept")
    post(f"/v1/tasks/{ana_task['id']}/complete", {"disposition": "RESOLVED"})
    post(f"/v1/tasks/{waiting[0]['id']}/cancel", {"reason": "caller hung up"})
    # The dispatcher offers the freed agent a task. Its reservation is not a write of ours, so
    # no position of ours covers it: wait until each read model used below shows it (the task
    # list, the overview and the agents' figures are three projections, each at its own pace).
    day = time.strftime("%Y-%m-%d", time.gmtime())
    deadline = time.monotonic() + 30
    while True:
        reserved = read("/v1/tasks", status="reserved")["items"]
        before = _stable(read("/v1/supervisor/overview"))
        figures = read("/v1/analytics/agents", **{"from": day})["items"]
        if (len(reserved) == 2 and sum(q["reserved"] for q in before["queues"]) == 2
                and sum(d["reservations_offered"] for d in figures) == 4):
            break
        assert time.monotonic() < deadline, service.logs_text()
        time.sleep(0.1)
    queued = {t["id"]: t["status"] for t in read("/v1/tasks")["items"]}
    assert before["waiting"] == 1 and sum(q["reserved"] for q in before["queues"]) == 2
    assert sum(q["in_progress"] for q in before["queues"]) == 1

    service.kill()  # mid-day, without warning
    service.start()
    after = _stable(read("/v1/supervisor/overview"))
    assert after == before
    again = read("/v1/analytics/agents", **{"from": day})["items"]
    stable = ("agent_id", "tasks_handled", "average_handle_seconds", "sla_attainment",
              "reservations_offered", "reservations_accepted")
    assert [{k: d[k] for k in stable} for d in again] == \
        [{k: d[k] for k in stable} for d in figures]
    assert {t["id"]: t["status"] for t in read("/v1/tasks")["items"]} == queued

    # Rebuilt from the log beside the live view and swapped in: the same again.
    from entrypoints.cli.main import app

    monkeypatch.setenv("DATABASE_URL", owner_url)
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    rebuilt = CliRunner().invoke(app, ["projections", "rebuild", "supervisor_overview"],
                                 catch_exceptions=False)
    assert rebuilt.exit_code == 0 and "swapped in" in rebuilt.output, rebuilt.output
    assert _stable(read("/v1/supervisor/overview")) == before

    # And work goes on after the restart.
    [offer, *_] = read("/v1/tasks", status="reserved")["items"]
    post(f"/v1/tasks/{offer['id']}/accept")
    now = read("/v1/supervisor/overview")
    assert sum(q["in_progress"] for q in now["queues"]) == 2
