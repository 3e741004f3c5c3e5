"""Agent performance against a scenario computed by hand (ADR 0031's definitions).

2026-03-02, one queue "Sales" (answer within 60 s), agents A and B, contacts c1 and c2:

08:00:00 A available              08:00:10 B available
08:01:00 t1 (c1) queued -> offered to A (idle longest); A accepts 08:01:20 (waited 20 s)
08:02:00 t2 (c2) queued -> offered to B; B lets it time out (30 s) at 08:02:30
08:05:20 A wraps t1 up (talk 240 s); 08:06:00 completes it SALE (wrap 40 s), CSAT 5
08:06:00 t2 offered to A; A accepts 08:06:10 (waited 250 s: SLA missed)
08:10:10 A completes t2 CALLBACK_REQUESTED straight from talk (240 s), CSAT 3
08:12:00 t3 (c1 again: t1 was not a first-contact resolution) -> offered to B (idle since
         08:02:30, longer than A); B accepts 08:12:25 (25 s), wraps up 08:14:30 (talk
         125 s), completes 08:15:30 RESOLVED (wrap 60 s)
08:20:00 B on break; 08:30:00 B offline; 08:35 A converts a lead assigned to A;
08:40:00 A offline. Figures asked at 09:00.

A: 2 handled, AHT (280 + 240) / 2 = 260, talk 240, wrap 20, ASA (20 + 250) / 2 = 135,
   FCR 1/2, CSAT 4.0, SLA 1/2, occupancy (280 + 240) / 2400, 1 lead converted, offered 2.
B: 1 handled, AHT 185, talk 125, wrap 60, ASA 25, FCR 1, no CSAT, SLA 1,
   occupancy 185 / 1790 (logged in 08:00:10-08:30:00, the break included), offered 2,
   timed out 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.contact_center_support import T0, CallCenter, ManualSide, manual_side


@pytest.fixture(scope="module")
def side(container: Any, runtime: Any) -> Iterator[ManualSide]:
    yield from manual_side(container)


def at(cc: CallCenter, clock: str) -> None:
    hours, minutes, seconds = (int(x) for x in clock.split(":"))
    cc.at(T0.replace(hour=hours, minute=minutes, second=seconds))


def test_figures_match_the_hand_computed_day(side: ManualSide) -> None:
    cc = CallCenter.open(side)
    sales = cc.queue("Sales", required_skills={"sales": 1}, target_answer_seconds=60,
                     max_hold_seconds=3600, reservation_timeout_seconds=30)
    a = cc.agent("A", {"sales": 1})
    b = cc.agent("B", {"sales": 1})
    c1 = cc.post("/v1/contacts", {"email": "c1@example.com"}, status=201)["id"]
    c2 = cc.post("/v1/contacts", {"email": "c2@example.com"}, status=201)["id"]
    lead = cc.post("/v1/leads", {"email": "lead@example.com", "source": "web"}, status=201)
    cc.post(f"/v1/leads/{lead['id']}/assign", {"agent_id": a["id"]})

    def reserved_for(task: dict[str, Any]) -> str:
        return str(cc.get(f"/v1/tasks/{task['id']}")["reserved_for"])

    cc.status(a["id"], "available")
    at(cc, "08:00:10")
    cc.status(b["id"], "available")
    at(cc, "08:01:00")
    t1 = cc.task(sales["id"], contact_id=c1)
    cc.dispatch()
    assert reserved_for(t1) == a["id"]
    at(cc, "08:01:20")
    cc.post(f"/v1/tasks/{t1['id']}/accept")
    at(cc, "08:02:00")
    t2 = cc.task(sales["id"], contact_id=c2)
    cc.dispatch()
    assert reserved_for(t2) == b["id"]
    at(cc, "08:02:30")
    assert cc.timers().timed_out == 1
    assert cc.dispatch() == 0  # A is busy, B declined it
    at(cc, "08:05:20")
    cc.post(f"/v1/tasks/{t1['id']}/wrap-up")
    at(cc, "08:06:00")
    cc.post(f"/v1/tasks/{t1['id']}/complete", {"disposition": "SALE"})
    cc.post(f"/v1/tasks/{t1['id']}/csat", {"score": 5})
    cc.dispatch()
    assert reserved_for(t2) == a["id"]
    at(cc, "08:06:10")
    cc.post(f"/v1/tasks/{t2['id']}/accept")
    at(cc, "08:10:10")
    cc.post(f"/v1/tasks/{t2['id']}/complete", {"disposition": "CALLBACK_REQUESTED"})
    cc.post(f"/v1/tasks/{t2['id']}/csat", {"score": 3})
    at(cc, "08:12:00")
    t3 = cc.task(sales["id"], contact_id=c1)
    cc.dispatch()
    assert reserved_for(t3) == b["id"]
    at(cc, "08:12:25")
    cc.post(f"/v1/tasks/{t3['id']}/accept")
    at(cc, "08:14:30")
    cc.post(f"/v1/tasks/{t3['id']}/wrap-up")
    at(cc, "08:15:30")
    cc.post(f"/v1/tasks/{t3['id']}/complete", {"disposition": "RESOLVED"})
    at(cc, "08:20:00")
    cc.status(b["id"], "break")
    at(cc, "08:30:00")
    cc.status(b["id"], "offline")
    at(cc, "08:35:00")
    cc.post(f"/v1/leads/{lead['id']}/qualify", {})
    cc.post(f"/v1/leads/{lead['id']}/convert")
    at(cc, "08:40:00")
    cc.status(a["id"], "offline")
    at(cc, "09:00:00")

    days = {d["agent_id"]: d for d in cc.get("/v1/analytics/agents",
                                             **{"from": "2026-03-02"})["items"]}
    assert days[a["id"]] == {
        "agent_id": a["id"], "day": "2026-03-02", "tasks_handled": 2,
        "average_handle_seconds": 260.0, "average_talk_seconds": 240.0,
        "average_wrap_up_seconds": 20.0, "average_speed_of_answer_seconds": 135.0,
        "first_contact_resolution": 0.5, "fcr_tasks": 2, "csat_average": 4.0,
        "csat_responses": 2, "occupancy": pytest.approx(520 / 2400), "busy_seconds": 520.0,
        "logged_in_seconds": 2400.0, "sla_attainment": 0.5, "leads_converted": 1,
        "reservations_offered": 2, "reservations_accepted": 2, "reservations_rejected": 0,
        "reservations_timed_out": 0}
    assert days[b["id"]] == {
        "agent_id": b["id"], "day": "2026-03-02", "tasks_handled": 1,
        "average_handle_seconds": 185.0, "average_talk_seconds": 125.0,
        "average_wrap_up_seconds": 60.0, "average_speed_of_answer_seconds": 25.0,
        "first_contact_resolution": 1.0, "fcr_tasks": 1, "csat_average": None,
        "csat_responses": 0, "occupancy": pytest.approx(185 / 1790), "busy_seconds": 185.0,
        "logged_in_seconds": 1790.0, "sla_attainment": 1.0, "leads_converted": 0,
        "reservations_offered": 2, "reservations_accepted": 1, "reservations_rejected": 0,
        "reservations_timed_out": 1}

    [queue] = cc.get("/v1/supervisor/overview")["queues"]
    assert (queue["answered_today"], queue["met_today"], queue["missed_today"],
            queue["abandoned_today"]) == (3, 2, 1, 0)
    assert queue["sla_attainment_today"] == pytest.approx(2 / 3)

    # The next day starts afresh; a range covers both days.
    cc.at(T0 + timedelta(days=1))
    assert cc.get("/v1/supervisor/overview")["queues"][0]["answered_today"] == 0
    both = cc.get("/v1/analytics/agents", **{"from": "2026-03-02", "to": "2026-03-03"})
    assert {d["day"] for d in both["items"]} == {"2026-03-02"}


def test_the_report_as_of_a_moment_is_the_report_as_it_stood(side: ManualSide) -> None:
    """ADR 0091: a report asked for ``as_of`` a moment is recomputed from the events recorded
    up to it; later CSATs, tasks and status changes are not in it, nor another tenant's."""
    monday = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    cc = CallCenter.open(side, monday)
    other = CallCenter.open(side, monday)  # another tenant on the same clock and database
    sales = cc.queue("Sales", required_skills={"sales": 1}, target_answer_seconds=60,
                     max_hold_seconds=3600)
    a = cc.agent("A", {"sales": 1})
    b = cc.agent("B", {"sales": 1})
    c1 = cc.post("/v1/contacts", {"email": "asof1@example.com"}, status=201)["id"]
    c2 = cc.post("/v1/contacts", {"email": "asof2@example.com"}, status=201)["id"]
    elsewhere = other.queue("Support", required_skills={"support": 1})
    stranger = other.agent("Stranger", {"support": 1})
    other.status(stranger["id"], "available")

    def handle(task: dict[str, Any], agent: dict[str, Any], talk: float) -> None:
        cc.dispatch()
        assert cc.get(f"/v1/tasks/{task['id']}")["reserved_for"] == agent["id"]
        cc.advance(seconds=10)
        cc.post(f"/v1/tasks/{task['id']}/accept")
        cc.advance(seconds=talk)
        cc.post(f"/v1/tasks/{task['id']}/complete", {"disposition": "RESOLVED"})

    cc.status(a["id"], "available")  # B stays offline until after the moment
    cc.at(monday.replace(minute=1))
    t1 = cc.task(sales["id"], contact_id=c1)
    handle(t1, a, 120)
    other.task(elsewhere["id"])
    other.dispatch()
    cc.at(monday.replace(minute=30))
    day = {"from": "2026-03-09"}
    recorded = cc.get("/v1/analytics/agents", **day)
    moment = cc.now.isoformat().replace("+00:00", "Z")
    assert {d["agent_id"] for d in recorded["items"]} == {a["id"]}
    assert recorded["as_of"] is None

    # After the moment: B logs in; t2 (a contact's second task: t1 is no longer a
    # first-contact resolution), a task accepted by B, B logs off; the next day, t1's CSAT.
    cc.advance(minutes=5)
    cc.status(b["id"], "available")
    cc.advance(minutes=1)
    t2 = cc.task(sales["id"], contact_id=c1)
    handle(t2, a, 60)
    cc.advance(minutes=1)
    t3 = cc.task(sales["id"], contact_id=c2)
    handle(t3, b, 30)
    cc.status(b["id"], "offline")
    cc.at(monday + timedelta(days=1, hours=2))
    cc.post(f"/v1/tasks/{t1['id']}/csat", {"score": 2})

    live = cc.get("/v1/analytics/agents", **day)
    assert live != recorded
    mine = {d["agent_id"]: d for d in live["items"]}
    assert (mine[a["id"]]["tasks_handled"], mine[a["id"]]["csat_responses"],
            mine[a["id"]]["first_contact_resolution"]) == (2, 1, 0.5)
    assert mine[b["id"]]["tasks_handled"] == 1

    as_of = cc.get("/v1/analytics/agents", **day, as_of=moment)
    assert as_of["as_of"].startswith("2026-03-09T08:30:00")
    assert as_of["items"] == recorded["items"]  # exactly the report as it stood
    then = {d["agent_id"]: d for d in as_of["items"]}
    assert (then[a["id"]]["tasks_handled"], then[a["id"]]["csat_responses"],
            then[a["id"]]["first_contact_resolution"]) == (1, 0, 1.0)
    # The end of the day: the later tasks, not the next day's CSAT.
    evening = {d["agent_id"]: d for d in cc.get(
        "/v1/analytics/agents", **day, as_of="2026-03-09T23:59:59Z")["items"]}
    assert (evening[a["id"]]["tasks_handled"], evening[a["id"]]["csat_responses"]) == (2, 0)
    assert evening[b["id"]]["tasks_handled"] == 1
    # A moment still to come recomputes everything recorded: the live report.
    assert cc.get("/v1/analytics/agents", **day,
                  as_of="2999-01-01T00:00:00Z")["items"] == live["items"]
    # Only one's own events are replayed; the other tenant sees only its own agent.
    assert stranger["id"] not in {d["agent_id"] for d in as_of["items"]}
    assert {d["agent_id"] for d in other.get("/v1/analytics/agents", **day,
                                             as_of=moment)["items"]} == {stranger["id"]}

    for bad in ("2026-03-09T08:30:00", "yesterday", "2026-02-30T00:00:00Z"):
        refused = cc.request("GET", f"/v1/analytics/agents?from=2026-03-09&as_of={bad}")
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
