"""The contact center over HTTP with a controlled clock: agents, queues, routing, reservations
and their time-outs, SLA breaches and escalation, dispositions, scripts, the follow-up
policy, and the 4xx answers for bad input, roles and other tenants."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import TenantSession
from tests.e2e.contact_center_support import T0, CallCenter, ManualSide, manual_side
from tests.support_cases import run_policies as run_tenant_policies


@pytest.fixture(scope="module")
def side(container: Any, runtime: Any) -> Iterator[ManualSide]:
    yield from manual_side(container)


@pytest.fixture
def cc(side: ManualSide) -> CallCenter:
    return CallCenter.open(side)


def _events(cc: CallCenter, path: str) -> list[str]:
    return [e["type"] for e in cc.get(f"{path}/events")["items"]]


def test_a_task_is_routed_accepted_wrapped_up_and_completed(cc: CallCenter) -> None:
    sales = cc.queue("Sales", required_skills={"sales": 2}, strategy="longest_idle")
    junior = cc.agent("Junior", {"sales": 1})
    senior = cc.agent("Senior", {"sales": 3, "spanish": 2})
    assert senior["presence"] == "offline"
    for agent in (junior, senior):
        cc.status(agent["id"], "available")
    task = cc.task(sales["id"], title="Asks about whitening", priority=5)
    assert task["status"] == "queued" and task["priority"] == 5
    assert task["queued_at"].startswith("2026-03-02T08:00:00")

    cc.advance(seconds=4)
    assert cc.dispatch() == 1
    reserved = cc.get(f"/v1/tasks/{task['id']}")
    assert reserved["status"] == "reserved"
    assert reserved["reserved_for"] == senior["id"]  # the junior lacks sales level 2
    assert cc.get(f"/v1/agents/{senior['id']}")["load"] == {"voice": 1}

    cc.advance(seconds=6)
    cc.post(f"/v1/tasks/{task['id']}/accept")
    assert cc.get(f"/v1/agents/{senior['id']}")["status"] == "busy"
    cc.advance(seconds=120)
    cc.post(f"/v1/tasks/{task['id']}/wrap-up")
    assert cc.get(f"/v1/agents/{senior['id']}")["status"] == "wrap_up"
    cc.advance(seconds=30)
    done = cc.post(f"/v1/tasks/{task['id']}/complete", {"disposition": "appointment_booked",
                                                       "note": "Tuesday 10:00"})
    assert done["status"] == "completed" and done["disposition"] == "APPOINTMENT_BOOKED"
    agent = cc.get(f"/v1/agents/{senior['id']}")
    assert (agent["status"], agent["load"]) == ("available", {})

    assert _events(cc, f"/v1/tasks/{task['id']}") == [
        "TaskCreated", "TaskQueued", "TaskReserved", "TaskAccepted", "TaskWrapUpStarted",
        "TaskCompleted"]
    overview = cc.get("/v1/supervisor/overview")
    [queue] = overview["queues"]
    assert (queue["answered_today"], queue["met_today"], queue["missed_today"]) == (1, 1, 0)
    assert queue["sla_attainment_today"] == 1.0
    assert queue["agents_by_status"]["available"] == 1  # only the senior has sales 2
    assert overview["agents_by_status"]["available"] == 2

    [day] = cc.get("/v1/analytics/agents", **{"from": "2026-03-02",
                                               "agent_id": senior["id"]})["items"]
    assert day["tasks_handled"] == 1
    assert day["average_speed_of_answer_seconds"] == 10.0
    assert day["average_handle_seconds"] == 150.0
    assert (day["average_talk_seconds"], day["average_wrap_up_seconds"]) == (120.0, 30.0)
    assert day["sla_attainment"] == 1.0


def test_bad_input_is_a_clear_4xx_and_changes_nothing(cc: CallCenter,
                                                      other_tenant: TenantSession) -> None:
    queue = cc.queue("Support")
    agent = cc.agent("Ana", {"support": 1})
    task = cc.task(queue["id"])
    # `validation`: refused by the published schema; `invalid-value`: a rule beyond it (ADR 0077)
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", "/v1/agents", {"name": "X", "skills": {"sales": 11}}, 422, "validation"),
        ("POST", "/v1/agents", {"name": "X", "capacity": {"fax": 1}}, 422, "validation"),
        ("POST", "/v1/agents", {"name": "X", "timezone": "Mars/Olympus"}, 422, "invalid-value"),
        ("POST", "/v1/agents", {"name": "X", "user_id": "8a6e0804-2bd0-4672-b79d-d97027f9071a"},
         422, "invalid-value"),
        ("POST", "/v1/queues", {"name": "Q", "target_answer_seconds": 60,
                                "target_percentage": 80, "max_hold_seconds": 30}, 422,
         "invalid-value"),
        ("POST", "/v1/queues", {"name": "Q", "target_answer_seconds": 60,
                                "target_percentage": 80, "max_hold_seconds": 90,
                                "strategy": "random"}, 422, "validation"),
        ("POST", "/v1/queues", {"name": "support", "target_answer_seconds": 60,
                                "target_percentage": 80, "max_hold_seconds": 90}, 409,
         "conflict"),
        ("POST", f"/v1/queues/{queue['id']}/tasks", {"channel": "voice", "priority": 101},
         422, "validation"),
        ("PATCH", f"/v1/queues/{queue['id']}", {"default_for": None}, 422, "validation"),
        ("PATCH", f"/v1/queues/{queue['id']}", {"name": None}, 422, "validation"),
        ("POST", f"/v1/queues/{queue['id']}/tasks", {"channel": "voice",
                                                     "contact_id": agent["id"]}, 422,
         "invalid-value"),
        ("POST", f"/v1/agents/{agent['id']}/status", {"status": "busy"}, 422, "validation"),
        ("POST", f"/v1/tasks/{task['id']}/complete", {"disposition": "SALE"}, 409,
         "rule-violated"),
        ("POST", f"/v1/tasks/{task['id']}/accept", None, 409, "rule-violated"),
        ("POST", "/v1/dispositions", {"code": "SALE", "label": "again"}, 409, "conflict"),
        ("POST", "/v1/scripts", {"title": "t", "steps": ["s"]}, 422, "invalid-value"),
        ("PUT", f"/v1/agents/{agent['id']}/shifts", {"shifts": [{"day": "mon", "start": "25:00",
                                                                 "end": "26:00"}]}, 422, ""),
    ]
    before = cc.get(f"/v1/tasks/{task['id']}")
    for method, path, body, status, kind in cases:
        response = cc.request(method, path, body)
        assert response.status_code == status, (path, body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        if kind:
            assert response.json()["type"].endswith("/" + kind), (path, response.json())
    assert cc.get(f"/v1/tasks/{task['id']}")["version"] == before["version"]
    assert [q["name"] for q in cc.get("/v1/queues")["items"]] == ["Support"]
    assert [a["name"] for a in cc.get("/v1/agents")["items"]] == ["Ana"]

    # Another tenant's agent, queue and task are 404, exactly like missing ones.
    foreign = {"Authorization": f"Bearer {other_tenant.token}"}
    for path in (f"/v1/agents/{agent['id']}", f"/v1/queues/{queue['id']}",
                 f"/v1/tasks/{task['id']}", f"/v1/tasks/{task['id']}/events"):
        assert cc.side.client.get(path, headers=foreign).status_code == 404, path
    for path, body in ((f"/v1/agents/{agent['id']}/status", {"status": "available"}),
                       (f"/v1/queues/{queue['id']}/tasks", {"channel": "voice"}),
                       (f"/v1/tasks/{task['id']}/cancel", {})):
        response = cc.side.client.post(path, json=body, headers=foreign)
        assert response.status_code == 404, (path, response.text)
    assert cc.get(f"/v1/tasks/{task['id']}")["status"] == "queued"


def test_roles_and_agents_acting_on_their_own_work(cc: CallCenter) -> None:
    queue = cc.queue("Sales", required_skills={"sales": 1}, reservation_timeout_seconds=60)
    marta = cc.agent("Marta", {"sales": 1}, login=True)
    luis = cc.agent("Luis", {"sales": 1}, login=True)
    cc.add_user("Olga", ("analyst",))
    assert cc.request("POST", "/v1/queues", {"name": "X"}, as_user="Olga").status_code == 403
    assert cc.request("POST", "/v1/agents", {"name": "X"}, as_user="Marta").status_code == 403
    assert cc.request("POST", f"/v1/agents/{luis['id']}/status", {"status": "available"},
                      as_user="Marta").status_code == 403
    cc.post(f"/v1/agents/{marta['id']}/status", {"status": "available"}, as_user="Marta")
    assert cc.get("/v1/supervisor/overview", as_user="Olga")["agents_by_status"][
        "available"] == 1
    assert cc.request("GET", "/v1/supervisor/overview",
                      as_user="Marta").status_code == 403

    task = cc.task(queue["id"])
    assert cc.dispatch() == 1
    inbox = cc.get("/v1/tasks", as_user="Marta", agent_id=marta["id"], status="reserved")
    assert [t["id"] for t in inbox["items"]] == [task["id"]]
    wrong = cc.request("POST", f"/v1/tasks/{task['id']}/accept", as_user="Luis")
    assert wrong.status_code == 409 and "another agent" in wrong.json()["detail"]
    accepted = cc.post(f"/v1/tasks/{task['id']}/accept", as_user="Marta")
    assert accepted["agent_id"] == marta["id"]
    history = cc.get(f"/v1/tasks/{task['id']}/events")["items"]
    assert history[-1]["actor"] == f"user:{marta['id']}"
    # Agents see only their own figures.
    cc.post(f"/v1/tasks/{task['id']}/complete", {"disposition": "SALE"}, as_user="Marta")
    mine = cc.get("/v1/analytics/agents", as_user="Luis", **{"from": "2026-03-02"})["items"]
    assert all(d["agent_id"] == luis["id"] for d in mine)


def test_a_reservation_not_accepted_in_time_goes_back_and_counts_as_timed_out(
        cc: CallCenter) -> None:
    queue = cc.queue("Support", reservation_timeout_seconds=20)
    first = cc.agent("First", {})
    second = cc.agent("Second", {})
    cc.status(first["id"], "available")
    cc.advance(seconds=1)
    cc.status(second["id"], "available")  # the first has been idle longer
    task = cc.task(queue["id"])
    cc.dispatch()
    assert cc.get(f"/v1/tasks/{task['id']}")["reserved_for"] == first["id"]

    cc.advance(seconds=19)
    assert cc.timers().timed_out == 0  # not yet
    cc.advance(seconds=1)
    late = cc.request("POST", f"/v1/tasks/{task['id']}/accept")
    assert late.status_code == 409 and "expired" in late.json()["detail"]
    assert cc.timers().timed_out == 1
    assert cc.timers().timed_out == 0  # idempotent
    back = cc.get(f"/v1/tasks/{task['id']}")
    assert back["status"] == "queued" and back["declined_by"] == [first["id"]]
    assert back["queued_at"] == task["queued_at"]  # it keeps its place in the line
    assert cc.get(f"/v1/agents/{first['id']}")["load"] == {}

    cc.dispatch()
    assert cc.get(f"/v1/tasks/{task['id']}")["reserved_for"] == second["id"]
    assert _events(cc, f"/v1/tasks/{task['id']}")[-2:] == ["ReservationTimedOut",
                                                            "TaskReserved"]
    days = {d["agent_id"]: d for d in cc.get("/v1/analytics/agents",
                                             **{"from": "2026-03-02"})["items"]}
    assert days[first["id"]]["reservations_timed_out"] == 1
    assert days[second["id"]]["reservations_offered"] == 1


def test_a_task_held_past_the_maximum_breaches_and_is_escalated(cc: CallCenter) -> None:
    vip = cc.queue("VIP", required_skills={"vip": 1}, target_answer_seconds=20,
                   max_hold_seconds=120)
    sales = cc.queue("Sales", required_skills={"sales": 1}, target_answer_seconds=30,
                     max_hold_seconds=60, escalation_queue_id=vip["id"])
    boss = cc.agent("Boss", {"vip": 1})
    cc.status(boss["id"], "available")
    task = cc.task(sales["id"])
    assert cc.dispatch() == 0  # nobody has the sales skill

    cc.advance(seconds=59)
    assert cc.timers().breached == 0
    cc.advance(seconds=1)
    assert cc.timers().breached == 1
    assert cc.timers().breached == 0  # once per queue stay
    escalated = cc.get(f"/v1/tasks/{task['id']}")
    assert escalated["queue_id"] == vip["id"] and escalated["escalations"] == 1
    assert escalated["required_skills"] == {"vip": 1}
    events = cc.get(f"/v1/tasks/{task['id']}/events")["items"]
    assert [e["type"] for e in events][-2:] == ["SlaBreached", "TaskEscalated"]
    assert events[-2]["data"]["queue_id"] == sales["id"]
    assert events[-1]["actor"] == "system:contact-center-clock"
    overview = {q["name"]: q for q in cc.get("/v1/supervisor/overview")["queues"]}
    assert overview["Sales"]["breaches_today"] == 1 and overview["Sales"]["waiting"] == 0
    assert overview["VIP"]["waiting"] == 1
    assert overview["VIP"]["oldest_wait_seconds"] == 60.0  # the wait clock kept running

    assert cc.dispatch() == 1
    cc.advance(seconds=5)
    cc.post(f"/v1/tasks/{task['id']}/accept")
    vip_today = {q["name"]: q for q in cc.get("/v1/supervisor/overview")["queues"]}["VIP"]
    assert (vip_today["met_today"], vip_today["missed_today"]) == (0, 1)  # 65 s > 20 s


def test_scripts_are_versioned_and_a_task_shows_the_revision_current_when_reserved(
        cc: CallCenter) -> None:
    queue = cc.queue("Sales", reservation_timeout_seconds=30)
    script = cc.post("/v1/scripts", {"title": "Sales call", "steps": ["Greet", "Qualify"],
                                     "queue_id": queue["id"]}, status=201)
    taken = cc.request("POST", "/v1/scripts", {"title": "Another", "steps": ["x"],
                                                "queue_id": queue["id"]})
    assert taken.status_code == 409 and taken.json()["existing_id"] == script["id"]
    agent = cc.agent("Ana", {})
    cc.status(agent["id"], "available")
    first = cc.task(queue["id"])
    cc.dispatch()
    revised = cc.request("PUT", f"/v1/scripts/{script['id']}",
                         {"title": "Sales call v2", "steps": ["Greet", "Qualify", "Close"]},
                         **{"If-Match": f'"{script["version"]}"'})
    assert revised.status_code == 200 and revised.json()["revision"] == 2
    cc.post(f"/v1/tasks/{first['id']}/accept")
    cc.post(f"/v1/tasks/{first['id']}/complete", {"disposition": "INFO_PROVIDED"})
    second = cc.task(queue["id"])
    cc.dispatch()

    shown_first = cc.get(f"/v1/tasks/{first['id']}/script")
    shown_second = cc.get(f"/v1/tasks/{second['id']}/script")
    assert (shown_first["revision"], shown_first["steps"]) == (1, ["Greet", "Qualify"])
    assert (shown_second["revision"], shown_second["title"]) == (2, "Sales call v2")
    assert cc.get(f"/v1/scripts/{script['id']}")["revisions"] == [1, 2]
    assert cc.get(f"/v1/scripts/{script['id']}", revision=1)["title"] == "Sales call"

    retired = cc.request("DELETE", f"/v1/scripts/{script['id']}")
    assert retired.status_code == 200 and retired.json()["retired"] is True
    assert cc.get("/v1/scripts")["items"] == []
    assert len(cc.get("/v1/scripts", include_retired="true")["items"]) == 1
    cc.post(f"/v1/tasks/{second['id']}/accept")
    cc.post(f"/v1/tasks/{second['id']}/complete", {"disposition": "INFO_PROVIDED"})
    third = cc.task(queue["id"])
    cc.dispatch()
    assert cc.request("GET", f"/v1/tasks/{third['id']}/script").status_code == 404
    # A lead-stage script is preferred to the queue's.
    cc.post("/v1/scripts", {"title": "New leads", "steps": ["Introduce us"],
                            "lead_stage": "new"}, status=201)
    lead = cc.post("/v1/leads", {"email": "stage@example.com", "source": "web"}, status=201)
    cc.post(f"/v1/tasks/{third['id']}/accept")
    cc.post(f"/v1/tasks/{third['id']}/complete", {"disposition": "INFO_PROVIDED"})
    fourth = cc.task(queue["id"], lead_id=lead["id"])
    assert fourth["lead_stage"] == "new" and fourth["contact_id"] == lead["contact_id"]
    cc.dispatch()
    assert cc.get(f"/v1/tasks/{fourth['id']}/script")["title"] == "New leads"


def test_dispositions_are_standard_plus_tenant_codes_and_completion_requires_one(
        cc: CallCenter) -> None:
    codes = cc.get("/v1/dispositions")["items"]
    standard = [d["code"] for d in codes if d["standard"]]
    assert len(standard) >= 15 and {"SALE", "NO_ANSWER", "DO_NOT_CONTACT"} <= set(standard)
    added = cc.post("/v1/dispositions", {"code": "treatment_plan_sent",
                                         "label": "Treatment plan sent"}, status=201)
    assert added == {"code": "TREATMENT_PLAN_SENT", "label": "Treatment plan sent",
                     "description": None, "standard": False}
    assert cc.get("/v1/dispositions")["items"][-1]["code"] == "TREATMENT_PLAN_SENT"

    queue = cc.queue("Clinic")
    agent = cc.agent("Ana", {})
    cc.status(agent["id"], "available")
    task = cc.task(queue["id"])
    cc.dispatch()
    cc.post(f"/v1/tasks/{task['id']}/accept")
    for missing in ({}, {"disposition": "MAYBE"}):
        response = cc.request("POST", f"/v1/tasks/{task['id']}/complete", missing)
        assert response.status_code == 422, response.text
    assert cc.get(f"/v1/tasks/{task['id']}")["status"] == "accepted"
    done = cc.post(f"/v1/tasks/{task['id']}/complete", {"disposition": "TREATMENT_PLAN_SENT"})
    assert done["disposition"] == "TREATMENT_PLAN_SENT"
    assert cc.post(f"/v1/tasks/{task['id']}/csat", {"score": 4})["csat"] == 4
    again = cc.request("POST", f"/v1/tasks/{task['id']}/csat", {"score": 5})
    assert again.status_code == 409


def test_a_lead_follow_up_becomes_a_task_whose_completion_completes_the_follow_up(
        cc: CallCenter) -> None:
    follow_ups = cc.queue("Follow-ups", default_for=["lead_follow_up"])
    agent = cc.agent("Ana", {})
    cc.status(agent["id"], "available")
    lead = cc.post("/v1/leads", {"email": "fu@example.com", "source": "web"}, status=201)
    due = (T0.replace(hour=10)).isoformat()
    cc.post(f"/v1/leads/{lead['id']}/follow-ups", {"due_at": due, "note": "call back"})

    def run_policies() -> None:
        cc.settle()
        run_tenant_policies(cc.side.container, cc.tenant.id)
        cc.settle()

    run_policies()
    run_policies()  # a replay creates nothing more
    [task] = cc.get("/v1/tasks", queue_id=follow_ups["id"])["items"]
    assert task["source_kind"] == "lead_follow_up" and task["status"] == "created"
    assert task["lead_id"] == lead["id"] and task["contact_id"] == lead["contact_id"]
    assert cc.dispatch() == 0  # not due yet
    overview = cc.get("/v1/supervisor/overview")["queues"][0]
    assert (overview["scheduled"], overview["waiting"]) == (1, 0)

    cc.at(T0.replace(hour=10))
    assert cc.timers().enqueued == 1
    assert cc.dispatch() == 1
    cc.post(f"/v1/tasks/{task['id']}/accept")
    cc.post(f"/v1/tasks/{task['id']}/complete", {"disposition": "CALLBACK_REQUESTED"})
    run_policies()
    view = cc.get(f"/v1/leads/{lead['id']}")
    [follow_up] = view["follow_ups"]
    assert follow_up["completed_at"] is not None
    history = cc.get(f"/v1/leads/{lead['id']}/events")["items"]
    assert history[-1]["type"] == "FollowUpCompleted"
    assert history[-1]["actor"] == "system:follow-up-outcomes"
    assert "CALLBACK_REQUESTED" in history[-1]["data"]["outcome"]

    # A follow-up done on the lead itself (a call made outside the queue) withdraws its task.
    again = cc.post(f"/v1/leads/{lead['id']}/follow-ups", {"due_at": due})
    run_policies()
    [second] = [t for t in cc.get("/v1/tasks", queue_id=follow_ups["id"])["items"]
                if t["id"] != task["id"]]
    assert second["status"] == "queued"  # due already
    pending = next(f for f in again["follow_ups"] if f["completed_at"] is None)
    cc.post(f"/v1/leads/{lead['id']}/follow-ups/{pending['id']}/complete",
            {"outcome": "called from the lead page"})
    run_policies()
    assert cc.get(f"/v1/tasks/{second['id']}")["status"] == "canceled"
    assert cc.get(f"/v1/tasks/{task['id']}")["status"] == "completed"  # left alone


def test_a_source_makes_one_task_and_idempotency_keys_replay(cc: CallCenter) -> None:
    queue = cc.queue("Inbound")
    source = {"kind": "inbound_call", "id": "CA-0001"}
    first = cc.task(queue["id"], source=source)
    again = cc.request("POST", f"/v1/queues/{queue['id']}/tasks",
                       {"channel": "voice", "source": source})
    assert again.status_code == 409 and again.json()["existing_id"] == first["id"]
    keyed = cc.request("POST", f"/v1/queues/{queue['id']}/tasks", {"channel": "sms"},
                       **{"Idempotency-Key": "task-1"})
    replay = cc.request("POST", f"/v1/queues/{queue['id']}/tasks", {"channel": "sms"},
                        **{"Idempotency-Key": "task-1"})
    assert keyed.status_code == replay.status_code == 201
    assert replay.content == keyed.content
    assert len(cc.get("/v1/tasks", queue_id=queue["id"])["items"]) == 2


def test_a_new_task_is_routed_on_arrival(tenant: TenantSession) -> None:
    """The service as configured by default offers a task in the very commit that creates it
    when an agent is free, without waiting for the read model to show it to the dispatcher."""
    queue = tenant.post("/v1/queues", json={"name": "Inbound", "target_answer_seconds": 20,
                                            "target_percentage": 80, "max_hold_seconds": 60})
    agent = tenant.post("/v1/agents", json={"name": "Ana"}).json()
    ready = tenant.post(f"/v1/agents/{agent['id']}/status", json={"status": "available"})
    tenant.read(f"/v1/agents/{agent['id']}", ready.headers["x-frontdesk-position"])
    task = tenant.post(f"/v1/queues/{queue.json()['id']}/tasks", json={"channel": "voice"})
    assert task.status_code == 201 and task.json()["status"] == "reserved"
    assert task.json()["reserved_for"] == agent["id"]
    events = tenant.get(f"/v1/tasks/{task.json()['id']}/events").json()["items"]
    assert [e["type"] for e in events] == ["TaskCreated", "TaskQueued", "TaskReserved"]
    assert events[-1]["actor"] == "system:dispatcher"
    assert events[-1]["data"]["agent_id"] == agent["id"]


def test_every_contact_center_route_is_described_with_roles_and_examples(
        client: Any) -> None:
    spec = client.get("/schema/openapi.json").json()
    prefixes = ("/v1/agents", "/v1/queues", "/v1/tasks", "/v1/dispositions", "/v1/scripts",
                "/v1/supervisor", "/v1/analytics/agents")
    operations = [(method, path, op) for path, ops in spec["paths"].items()
                  if path.startswith(prefixes) for method, op in ops.items()]
    assert len(operations) >= 25
    schemas = spec["components"]["schemas"]
    for method, path, op in operations:
        assert op.get("summary") and "Roles:" in op.get("description", ""), (method, path)
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            name = body["schema"]["$ref"].rsplit("/", 1)[-1]
            described = [p for p in schemas[name]["properties"].values()
                         if any(word in json.dumps(p) for word in ("examples", "description",
                                                                   "$ref"))]
            assert described, (method, path, name)
    ready = client.get("/health/ready").json()["checks"]
    assert {"supervisor_overview", "agent_performance", "contact_center_catalog"} <= set(
        ready["projections"]["lag"])
    assert ready["row_level_security"]["unprotected_tables"] == []


def test_a_handed_off_conversation_becomes_one_task_and_resolves_with_a_catalog_code(
        cc: CallCenter) -> None:
    inbox = cc.queue("Chat hand-offs", default_for=["conversation_handoff"])
    contact = cc.post("/v1/contacts", {"name": "Hana", "email": "hana@example.com",
                                        "phone": "+34611222333"}, status=201)
    conversation = cc.post("/v1/conversations", {"contact_id": contact["id"],
                                                 "channel": "whatsapp"}, status=201)
    cc.post(f"/v1/conversations/{conversation['id']}/handoff", {"reason": "wants a person"})

    def run_policies() -> None:
        cc.settle()
        run_tenant_policies(cc.side.container, cc.tenant.id)
        cc.settle()

    run_policies()
    run_policies()  # a replay creates nothing more
    [task] = cc.get("/v1/tasks", queue_id=inbox["id"])["items"]
    assert task["source_kind"] == "conversation_handoff"
    assert task["source_ref"].startswith(conversation["id"])
    assert (task["channel"], task["contact_id"]) == ("whatsapp", contact["id"])

    # One catalog of dispositions for calls and conversations: a tenant code added with
    # POST /v1/dispositions resolves a conversation too; an unknown one is still refused.
    cc.post("/v1/dispositions", {"code": "PLAN_SENT", "label": "Plan sent"}, status=201)
    cc.post(f"/v1/conversations/{conversation['id']}/join")
    refused = cc.request("POST", f"/v1/conversations/{conversation['id']}/resolve",
                         {"disposition": "NOT_A_CODE"})
    assert refused.status_code == 422, refused.text
    done = cc.post(f"/v1/conversations/{conversation['id']}/resolve",
                   {"disposition": "PLAN_SENT"})
    assert (done["status"], done["disposition"]) == ("resolved", "PLAN_SENT")


def test_erasing_a_contact_blanks_its_task_titles_and_keeps_the_queue_figures(
        cc: CallCenter) -> None:
    queue = cc.queue("Erasable")
    erased = cc.post("/v1/contacts", {"name": "Ines Gone", "email": "ines@gone.example"},
                     status=201)
    kept = cc.post("/v1/contacts", {"name": "Kai Kept", "email": "kai@kept.example"}, status=201)
    gone_task = cc.task(queue["id"], title="Call Ines Gone about her crown",
                        contact_id=erased["id"])
    kept_task = cc.task(queue["id"], title="Call Kai", contact_id=kept["id"])
    # The title is remembered about the contact (the memory index learns tasks)...
    memories = cc.get(f"/v1/contacts/{erased['id']}/memories", query="crown")["items"]
    assert [(m["kind"], m["text"]) for m in memories] == [
        ("task", "Call Ines Gone about her crown")]
    receipt = cc.request("DELETE", f"/v1/contacts/{erased['id']}")
    assert receipt.status_code == 202, receipt.text
    assert "supervisor_overview" in receipt.json()["read_models_purged"]

    task = cc.get(f"/v1/tasks/{gone_task['id']}")
    assert task["title"] is None and task["status"] == "queued"  # still waiting, still counted
    assert cc.get(f"/v1/tasks/{kept_task['id']}")["title"] == "Call Kai"
    # ...and forgotten with them; the other contact's task is still remembered.
    gone = cc.request("GET", f"/v1/contacts/{erased['id']}/memories?query=crown")
    assert gone.status_code == 404 or gone.json()["items"] == [], gone.text
    assert cc.get(f"/v1/contacts/{kept['id']}/memories", query="Kai")["items"][0]["kind"] \
        == "task"
    [row] = [q for q in cc.get("/v1/supervisor/overview")["queues"] if q["id"] == queue["id"]]
    assert row["waiting"] == 2
