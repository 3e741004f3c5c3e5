"""A shift of a small call center through the API with a controlled clock: 3 queues, 6 agents,
200 tasks from 08:00 to about 11:20, the figures read at 12:00.

The test plays the agents and the callers: it sees the offers the dispatcher makes (the
routing is the system's) and decides, with a seeded random generator, to accept after a few
seconds of ringing, to reject, or to let the offer time out; it talks, wraps up, completes
with a disposition, records CSAT; some callers hang up while waiting. It keeps its own books
of everything it did and saw, computes the expected supervisor view and every agent's figures
from them (ADR 0031's definitions, written out again here), and compares.
"""

from __future__ import annotations

import heapq
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.projections import notify
from tests.e2e.contact_center_support import T0, CallCenter, ManualSide, manual_side

pytestmark = pytest.mark.slow  # started first, while the other worker shares the rest

END = T0.replace(hour=12)
SEED = int(os.environ.get("FRONTDESK_SHIFT_SEED", "20260302"))  # other seeds, other days
TIMEOUT = 20
QUEUES = {  # name: settings
    "Sales": {"required_skills": {"sales": 1}, "strategy": "longest_idle",
              "target_answer_seconds": 60, "max_hold_seconds": 300},
    "Support": {"required_skills": {"support": 1}, "strategy": "round_robin",
                "target_answer_seconds": 120, "max_hold_seconds": 6 * 3600},
    "VIP": {"required_skills": {"vip": 1}, "strategy": "priority",
            "target_answer_seconds": 30, "max_hold_seconds": 6 * 3600},
}
AGENTS = {  # name: (skills, capacity)
    "A1": ({"sales": 3}, {"voice": 1, "webchat": 2}),
    "A2": ({"sales": 2, "support": 1}, {"voice": 1}),
    "A3": ({"support": 3}, {"voice": 1, "webchat": 2}),
    "A4": ({"support": 2, "vip": 2}, {"voice": 1}),
    "A5": ({"vip": 3, "sales": 1}, {"voice": 1}),
    "A6": ({"sales": 1, "support": 1, "vip": 1}, {"voice": 1, "webchat": 1}),
}
DISPOSITIONS = ["SALE", "APPOINTMENT_BOOKED", "INFO_PROVIDED", "RESOLVED", "CALLBACK_REQUESTED"]


@dataclass
class Book:
    """What one task went through, as the test saw and did it."""

    id: str
    created_in: str
    channel: str
    contact: str
    queued_at: datetime
    patience: float | None
    status: str = "queued"
    queue: str = ""
    target: int = 0
    agent: str | None = None
    reservation: str | None = None
    accepted_at: datetime | None = None
    wrap_up_at: datetime | None = None
    completed_at: datetime | None = None
    canceled_at: datetime | None = None
    csat: int | None = None
    offers: list[tuple[str, str]] = field(default_factory=list)  # (agent, outcome)


@pytest.fixture(scope="module")
def side(container: Any, runtime: Any) -> Iterator[ManualSide]:
    yield from manual_side(container)


def test_a_shift_of_a_small_call_center(side: ManualSide, owner_url: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # The shift waits for the read models after each of its ~500 commits. The catalog's runner
    # reads none of a task's topics, so it moves past a commit within LAGGING (notify.py: the
    # runners a commit does not concern are woken together, later): 0.1 s a wait, most of the
    # test's time. Here they are woken at once.
    monkeypatch.setattr(notify, "LAGGING", 0.002)
    rng = random.Random(SEED)
    cc = CallCenter.open(side)
    queues = {name: cc.queue(name, reservation_timeout_seconds=TIMEOUT, **settings)
              for name, settings in QUEUES.items()}
    response = cc.request("PATCH", f"/v1/queues/{queues['Sales']['id']}",
                          {"escalation_queue_id": queues["VIP"]["id"]})
    assert response.status_code == 200, response.text
    queue_name = {q["id"]: name for name, q in queues.items()}
    agents = {name: cc.agent(name, skills, capacity)
              for name, (skills, capacity) in AGENTS.items()}
    agent_name = {a["id"]: name for name, a in agents.items()}
    cc.request("PUT", f"/v1/agents/{agents['A6']['id']}/shifts",
               {"timezone": "Europe/London", "shifts": [{"day": "mon", "start": "08:00",
                                                         "end": "10:00"}]})
    contacts = [cc.post("/v1/contacts", {"email": f"caller{n}@example.com"}, status=201)["id"]
                for n in range(40)]

    events: list[tuple[datetime, int, str, Any]] = []
    sequence = 0

    def plan(at: datetime, kind: str, data: Any) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(events, (at, sequence, kind, data))

    moment = T0
    for _ in range(200):
        moment += timedelta(seconds=rng.randint(20, 100))
        plan(moment, "arrive", {
            "queue": rng.choices(["Sales", "Support", "VIP"], [45, 40, 15])[0],
            "channel": "voice" if rng.random() < 0.75 else "webchat",
            "priority": 5 if rng.random() < 0.1 else 0, "contact": rng.choice(contacts),
            "patience": rng.randint(45, 240) if rng.random() < 0.08 else None})
    presence = [(T0, name, "available") for name in AGENTS]
    presence += [(T0.replace(hour=9, minute=30), "A3", "break"),
                 (T0.replace(hour=9, minute=45), "A3", "available"),
                 (T0.replace(hour=10, minute=30), "A2", "offline")]
    for at, name, status in presence:
        plan(at, "presence", (name, status))
    presence_log: dict[str, list[tuple[datetime, str]]] = {n: [] for n in AGENTS}
    work_log: dict[str, list[tuple[datetime, str, str | None]]] = {n: [] for n in AGENTS}

    books: dict[str, Book] = {}
    seen_reservations: set[str] = set()
    load: dict[str, Counter[str]] = {n: Counter() for n in AGENTS}

    def act(path: str, body: Any = None) -> None:
        cc.post(path, body)  # 200, or the books and the system disagree

    def handle(kind: str, data: Any) -> None:
        now = cc.now
        if kind == "arrive":
            task = cc.task(queues[data["queue"]]["id"], channel=data["channel"],
                           priority=data["priority"], contact_id=data["contact"])
            books[task["id"]] = Book(task["id"], data["queue"], data["channel"],
                                     data["contact"], now, data["patience"])
            if data["patience"] is not None:
                plan(now + timedelta(seconds=data["patience"]), "patience", task["id"])
        elif kind == "presence":
            name, status = data
            cc.status(agents[name]["id"], status)
            presence_log[name].append((now, status))
        elif kind == "patience":
            book = books[data]
            if book.status in ("queued", "reserved"):
                act(f"/v1/tasks/{book.id}/cancel", {"reason": "caller hung up"})
                if book.status == "reserved":
                    assert book.agent is not None
                    load[book.agent][book.channel] -= 1
                    book.offers[-1] = (book.offers[-1][0], "canceled")
                book.status, book.canceled_at = "canceled", now
        elif kind in ("accept", "reject"):
            book = books[data[0]]
            if book.status != "reserved" or book.reservation != data[1]:
                return  # the caller hung up first
            name = book.agent
            assert name is not None
            if kind == "reject":
                act(f"/v1/tasks/{book.id}/reject", {"reason": "on another call"})
                book.status, book.agent, book.reservation = "queued", None, None
                book.offers[-1] = (name, "rejected")
                load[name][book.channel] -= 1
                return
            act(f"/v1/tasks/{book.id}/accept")
            book.status, book.accepted_at = "accepted", now
            book.offers[-1] = (name, "accepted")
            work_log[name].append((now, book.id, "talk"))
            talk = rng.randint(60, 400)
            wrap = 0 if rng.random() < 0.3 else rng.randint(10, 90)
            if wrap:
                plan(now + timedelta(seconds=talk), "wrap", book.id)
            plan(now + timedelta(seconds=talk + wrap), "complete", book.id)
        elif kind == "wrap":
            book = books[data]
            act(f"/v1/tasks/{book.id}/wrap-up")
            book.status, book.wrap_up_at = "wrap_up", now
            assert book.agent is not None
            work_log[book.agent].append((now, book.id, "wrap"))
        elif kind == "complete":
            book = books[data]
            act(f"/v1/tasks/{book.id}/complete", {"disposition": rng.choice(DISPOSITIONS)})
            book.status, book.completed_at = "completed", now
            assert book.agent is not None
            work_log[book.agent].append((now, book.id, None))
            load[book.agent][book.channel] -= 1
            if rng.random() < 0.5:
                book.csat = rng.randint(1, 5)
                act(f"/v1/tasks/{book.id}/csat", {"score": book.csat})

    def observe_offers() -> None:
        page = cc.get("/v1/tasks", status="reserved", limit=200)["items"]
        order = {task_id: n for n, task_id in enumerate(books)}  # arrival order
        for task in sorted(page, key=lambda t: order[t["id"]]):
            if task["reservation_id"] in seen_reservations:
                continue
            seen_reservations.add(task["reservation_id"])
            book = books[task["id"]]
            name = agent_name[task["reserved_for"]]
            # Routing kept its promises: skills, shift, capacity.
            assert AGENTS[name][0].keys() >= task["required_skills"].keys()
            assert all(AGENTS[name][0][s] >= lvl for s, lvl in task["required_skills"].items())
            assert name != "A6" or cc.now < T0.replace(hour=10)
            load[name][book.channel] += 1
            assert load[name][book.channel] <= AGENTS[name][1][book.channel], (name, task)
            book.status, book.agent, book.reservation = "reserved", name, task["reservation_id"]
            book.queue = queue_name[task["queue_id"]]
            book.target = QUEUES[book.queue]["target_answer_seconds"]  # type: ignore[assignment]
            book.offers.append((name, "pending"))
            roll = rng.random()
            if roll < 0.06:
                plan(cc.now + timedelta(seconds=5), "reject", (task["id"],
                                                              task["reservation_id"]))
            elif roll < 0.12:
                plan(cc.now + timedelta(seconds=TIMEOUT), "expire", task["id"])
            else:
                plan(cc.now + timedelta(seconds=rng.randint(3, 15)), "accept",
                     (task["id"], task["reservation_id"]))

    tick = T0
    while events or tick <= END:
        next_event = events[0][0] if events else END + timedelta(days=1)
        moment = min(next_event, tick)
        if moment > END:
            break
        cc.at(moment)
        while events and events[0][0] == moment:
            _, _, kind, data = heapq.heappop(events)
            if kind == "expire":
                book = books[data]
                if book.status == "reserved" and book.offers[-1][1] == "pending":
                    report = cc.timers()
                    assert report.timed_out >= 1
                    assert book.agent is not None
                    load[book.agent][book.channel] -= 1
                    book.offers[-1] = (book.agent, "timed_out")
                    book.status, book.agent, book.reservation = "queued", None, None
            else:
                handle(kind, data)
        if moment == tick:
            tick += timedelta(seconds=30)
        cc.dispatch()
        cc.timers()
        observe_offers()

    # -- what the supervisor sees at 12:00 ----------------------------------------------------
    cc.at(END)
    final = {t["id"]: t for t in _all_tasks(cc)}
    for book in books.values():
        assert final[book.id]["status"] == book.status, (book, final[book.id])
        if book.status in ("queued", "reserved") or (book.status == "canceled"
                                                     and book.accepted_at is None):
            book.queue = queue_name[final[book.id]["queue_id"]]
            book.target = QUEUES[book.queue]["target_answer_seconds"]  # type: ignore[assignment]
    overview = {q["name"]: q for q in cc.get("/v1/supervisor/overview")["queues"]}
    for name in QUEUES:
        mine = [b for b in books.values() if b.queue == name]
        answered = [b for b in mine if b.accepted_at is not None]
        met = [b for b in answered if _wait(b) <= b.target]
        abandoned = [b for b in mine if b.canceled_at is not None and b.accepted_at is None]
        waiting = [b for b in mine if b.status in ("queued", "reserved")]
        missed = (len(answered) - len(met)
                  + sum(1 for b in abandoned if _abandon_wait(b) > b.target)
                  + sum(1 for b in waiting if (END - b.queued_at).total_seconds() > b.target))
        view = overview[name]
        assert view["waiting"] == sum(1 for b in mine if b.status == "queued"), name
        assert view["reserved"] == sum(1 for b in mine if b.status == "reserved"), name
        assert view["in_progress"] == sum(1 for b in mine
                                          if b.status in ("accepted", "wrap_up")), name
        assert (view["answered_today"], view["met_today"], view["missed_today"],
                view["abandoned_today"]) == (len(answered), len(met), missed, len(abandoned))
        expected = len(met) / (len(met) + missed) if met or missed else None
        assert view["sla_attainment_today"] == pytest.approx(expected), name
        oldest = min((b.queued_at for b in mine if b.status == "queued"), default=None)
        assert view["oldest_wait_seconds"] == (
            (END - oldest).total_seconds() if oldest else None)
    escalated = sum(1 for b in books.values() if b.created_in == "Sales" and b.queue == "VIP")
    assert overview["Sales"]["breaches_today"] == escalated > 0
    assert overview["Support"]["breaches_today"] == overview["VIP"]["breaches_today"] == 0

    # -- each agent's figures -----------------------------------------------------------------
    days = {agent_name[d["agent_id"]]: d for d in cc.get(
        "/v1/analytics/agents", **{"from": "2026-03-02"})["items"]}
    assert set(days) == set(AGENTS)
    created_by_contact: dict[str, list[datetime]] = defaultdict(list)
    for book in books.values():
        created_by_contact[book.contact].append(book.queued_at)
    for name in AGENTS:
        handled = [b for b in books.values() if b.agent == name and b.completed_at]
        got = days[name]
        assert got["tasks_handled"] == len(handled), name
        assert got["tasks_handled"] > 0, name
        handle_times = [(b.completed_at - b.accepted_at).total_seconds()  # type: ignore[operator]
                        for b in handled]
        assert got["average_handle_seconds"] == pytest.approx(_mean(handle_times)), name
        assert got["average_speed_of_answer_seconds"] == pytest.approx(
            _mean([_wait(b) for b in handled])), name
        assert got["sla_attainment"] == pytest.approx(
            sum(1 for b in handled if _wait(b) <= b.target) / len(handled)), name
        resolved = [b for b in handled if not any(
            b.completed_at < t <= b.completed_at + timedelta(days=7)  # type: ignore[operator]
            for t in created_by_contact[b.contact])]
        assert got["first_contact_resolution"] == pytest.approx(len(resolved) / len(handled))
        rated = [b.csat for b in handled if b.csat is not None]
        assert got["csat_responses"] == len(rated)
        assert got["csat_average"] == pytest.approx(_mean(rated) if rated else None)
        offers = [o for b in books.values() for o in b.offers if o[0] == name]
        outcomes = Counter(outcome for _, outcome in offers)
        assert (got["reservations_offered"], got["reservations_accepted"],
                got["reservations_rejected"], got["reservations_timed_out"]) == (
            len(offers), outcomes["accepted"], outcomes["rejected"], outcomes["timed_out"])
        busy, logged_in = _occupancy(presence_log[name], work_log[name], END)
        assert got["busy_seconds"] == pytest.approx(busy), name
        assert got["logged_in_seconds"] == pytest.approx(logged_in), name
        assert got["occupancy"] == pytest.approx(busy / logged_in), name
    assert sum(d["tasks_handled"] for d in days.values()) == sum(
        1 for b in books.values() if b.status == "completed") > 150

    # -- what if: the same arrivals, another strategy and staffing --------------------------
    from entrypoints.cli.main import app

    monkeypatch.setenv("DATABASE_URL", owner_url)
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, [
        "simulate", "routing", "--tenant", cc.tenant.slug, "--from", "2026-03-02T08:00Z",
        "--to", "2026-03-02T12:00Z", "--strategy", "round_robin", "--agents", "9"],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    print(result.output)
    assert "200 tasks arrived" in result.output and "6 agents were logged in" in result.output
    met = sum(q["met_today"] for q in overview.values())
    missed = sum(q["missed_today"] for q in overview.values())
    answered = [b for b in books.values() if b.accepted_at is not None]
    happened = f"{met / (met + missed):.1%} / {_mean([_wait(b) for b in answered]):.1f} s"
    [total] = [line for line in result.output.splitlines() if "all queues" in line]
    assert happened in total, (happened, total)
    assert total.count("%") == 3  # what happened, the replay, the what-if
    refused = CliRunner().invoke(app, ["simulate", "routing", "--tenant", cc.tenant.slug,
                                       "--from", "2026-03-02", "--to", "2026-03-03",
                                       "--strategy", "random"])
    assert refused.exit_code == 2


def _all_tasks(cc: CallCenter) -> list[Any]:
    items, cursor = [], None
    while True:
        page = cc.get("/v1/tasks", limit=200, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def _wait(book: Book) -> float:
    assert book.accepted_at is not None
    return (book.accepted_at - book.queued_at).total_seconds()


def _abandon_wait(book: Book) -> float:
    assert book.canceled_at is not None
    return (book.canceled_at - book.queued_at).total_seconds()


def _mean(values: list[float] | list[int]) -> float:
    return sum(values) / len(values)


def _occupancy(presence: list[tuple[datetime, str]],
               work: list[tuple[datetime, str, str | None]], end: datetime
               ) -> tuple[float, float]:
    """Replay the agent's declared presence and work: busy while a task is in talk or wrap-up,
    logged in unless offline with nothing in hand."""
    changes = sorted([(at, 0, "presence", status) for at, status in presence]
                     + [(at, 1, task, phase) for at, task, phase in work],
                     key=lambda c: (c[0], c[1]))
    declared, tasks = "offline", {}
    busy = logged = 0.0
    last = changes[0][0] if changes else end
    for at, _, key, value in [*changes, (end, 2, "end", None)]:
        seconds = (at - last).total_seconds()
        status = "busy" if tasks else declared
        if status != "offline":
            logged += seconds
        if status == "busy":
            busy += seconds
        last = at
        if key == "presence":
            declared = value
        elif key != "end":
            if value is None:
                tasks.pop(key, None)
            else:
                tasks[key] = value
    return busy, logged
