"""Contact-center routing through the command bus, on the fake store and on PostgreSQL:
capacity held by slot claims (also against a concurrent reservation), routing on arrival and by
the dispatcher over a routing snapshot, reservations that time out, SLA breaches and
escalation, and the clock-driven timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.bus import Executed
from application.contact_center.commands import (
    AcceptTask,
    ChangeAgentStatus,
    CompleteTask,
    CreateTask,
    EnqueueDueTask,
    ReserveTask,
    StartWrapUp,
)
from application.contact_center.ports import DueWork, RoutingSnapshot
from application.contact_center.tasks import CreateTaskHandler
from application.ports import CommandContext, UnitOfWork
from domain.contact_center import Agent, QueueRouting, Task
from domain.contact_center.task_values import slot_claim
from domain.shared import RuleViolated
from tests.application.backends import App
from tests.application.center import Center

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_capacity_is_held_by_slot_claims_and_freed_on_completion(app: App,
                                                                  center: Center) -> None:
    queue = center.queue()
    agent = center.agent(capacity=2)
    tasks = [center.task(queue) for _ in range(3)]
    center.reserve(tasks[0], agent)
    center.reserve(tasks[1], agent)
    with pytest.raises(RuleViolated, match="no free voice capacity"):
        center.reserve(tasks[2], agent)
    held = app.owners(slot_claim(agent, "voice", n) for n in range(3))
    assert held == {slot_claim(agent, "voice", 0): tasks[0],
                    slot_claim(agent, "voice", 1): tasks[1]}

    app.run(AcceptTask(tasks[0], None, None))
    app.run(CompleteTask(tasks[0], None, None, "SALE"))
    center.reserve(tasks[2], agent)  # takes the freed slot 0
    reserved = app.load(Task, tasks[2])
    assert reserved.reservation is not None and reserved.reservation.slot == 0


def test_two_concurrent_reservations_cannot_both_take_the_last_slot(app: App,
                                                                    center: Center) -> None:
    queue = center.queue()
    agent = center.agent(capacity=1)
    first, second = center.task(queue), center.task(queue)
    reserve = app.handlers[ReserveTask]
    attempts: list[int] = []

    def rival_commits_first(command: ReserveTask, uow: UnitOfWork, ctx: CommandContext) -> Any:
        """Our reservation of ``second`` decides; a rival reserves ``first`` and commits
        before our commit."""
        attempts.append(1)
        result = reserve(command, uow, ctx)
        if len(attempts) == 1:
            center.reserve(first, agent)
        return result

    with pytest.raises(RuleViolated, match="no free voice capacity"):
        app.run(ReserveTask(second, agent), bus=app.bus_with({ReserveTask: rival_commits_first}))
    assert len(attempts) == 2  # the commit found the slot taken; the retry refused
    assert app.load(Task, second).status.value == "queued"
    assert app.load(Task, first).status.value == "reserved"


def test_a_task_whose_offer_loses_the_agent_to_concurrent_ones_is_created_and_waits(
        app: App, center: Center) -> None:
    """Tasks created together route to the same best agent from the same read model. When the
    offer of a new task loses the agent's slot at the commit, the task is still created (it
    waits for the dispatcher) instead of the creation being refused after the last retry."""
    queue = center.queue()
    agent = center.agent(capacity=4)

    def routing(tenant_id: UUID, per_queue: int) -> RoutingSnapshot:
        state = app.load(Agent, agent).routing_state({"voice": 0}, T0 - timedelta(minutes=5))
        return RoutingSnapshot([state], [], {queue: QueueRouting(queue, "longest_idle")})

    app.read_model.snapshots = routing
    creating = app.handlers[CreateTask]
    unrouted = app.bus_with({CreateTask: CreateTaskHandler()})  # rivals offered elsewhere
    attempts: list[bool] = []

    def rivals_reserve_first(command: CreateTask, uow: UnitOfWork, ctx: CommandContext) -> Any:
        """After each attempt has staged its offer, a rival task takes the same slot."""
        attempts.append(uow.speculative)
        result = creating(command, uow, ctx)
        center.reserve(center.task(queue, bus=unrouted), agent)
        return result

    outcome = app.bus_with({CreateTask: rivals_reserve_first}).execute(
        CreateTask(queue_id=queue, channel="voice"), app.ctx)
    assert isinstance(outcome, Executed)
    assert attempts == [True, False]  # the offer lost once; the retry made none
    assert app.load(Task, outcome.result.id).status.value == "queued"


def test_a_new_task_is_routed_on_arrival(app: App, center: Center) -> None:
    """Offered in the very commit that creates it when routing sees a free agent."""
    queue = center.queue(name="Inbound", target_answer_seconds=20)
    agent = center.agent()
    center.routed_by_the_read_model()
    task = app.run(CreateTask(queue_id=queue, channel="voice"))
    assert task.status == "reserved" and task.reserved_for == agent
    events = app.events(task.id)
    assert [type(e).__name__ for e in events] == ["TaskCreated", "TaskQueued", "TaskReserved"]
    assert events[-1].actor == "system:dispatcher"
    assert events[-1].agent_id == agent


def test_an_unavailable_or_unskilled_agent_is_refused_by_the_write_model(
        app: App, center: Center) -> None:
    queue = center.queue(required_skills={"sales": 2})
    agent = center.agent()
    task = center.task(queue)
    with pytest.raises(RuleViolated, match="lacks a required skill"):
        center.reserve(task, agent)
    other = center.task(center.queue(name="Other"))
    app.run(ChangeAgentStatus(agent, None, "break"))
    with pytest.raises(RuleViolated, match="the agent is break"):
        center.reserve(other, agent)
    assert isinstance(app.load(Agent, agent), Agent)


def test_the_skilled_agent_takes_the_task_and_works_it_to_completion(
        app: App, center: Center) -> None:
    sales = center.queue(required_skills={"sales": 2})
    junior = center.agent(skills={"sales": 1})
    senior = center.agent(skills={"sales": 3, "spanish": 2})
    task = center.task(sales, title="Asks about whitening", priority=5)
    assert (center.view(task).status, center.view(task).priority) == ("queued", 5)
    center.routed_by_the_read_model()
    app.clock.advance(timedelta(seconds=4))
    assert center.dispatcher().run_once() == 1
    assert center.view(task).reserved_for == senior  # the junior lacks sales level 2
    assert center.held(senior) == {task} and center.held(junior) == set()
    app.clock.advance(timedelta(seconds=6))
    app.run(AcceptTask(task, None, None))
    app.clock.advance(timedelta(seconds=120))
    app.run(StartWrapUp(task, None, None))
    app.clock.advance(timedelta(seconds=30))
    done = app.run(CompleteTask(task, None, None, "appointment_booked", "Tuesday 10:00"))
    assert done.status == "completed" and done.disposition == "APPOINTMENT_BOOKED"
    assert center.held(senior) == set()
    assert app.types(task) == ["TaskCreated", "TaskQueued", "TaskReserved", "TaskAccepted",
                               "TaskWrapUpStarted", "TaskCompleted"]


def test_the_dispatcher_reserves_what_routing_assigns_and_skips_stale_decisions(
        app: App, center: Center) -> None:
    queue = center.queue()
    center.agent(), center.agent()
    tasks = []
    for priority in (0, 5, 0):
        app.clock.advance(timedelta(seconds=1))
        tasks.append(center.task(queue, priority=priority))
    center.routed_by_the_read_model()
    dispatcher = center.dispatcher()
    assert dispatcher.run_once() == 2
    statuses = [app.load(Task, t).status.value for t in tasks]
    assert statuses == ["reserved", "reserved", "queued"]  # priority first, then FIFO

    stale = center.snapshot(app.tenant_id, 10)
    free_looking = RoutingSnapshot(
        [a.__class__(a.id, a.presence, a.skills, a.capacity, {}, a.idle_since, a.rank)
         for a in stale.agents], stale.tasks, stale.queues)
    app.read_model.snapshots = lambda tenant_id, per_queue: free_looking
    assert dispatcher.run_once() == 0  # the write model says the agents are full


def test_a_reservation_not_accepted_in_time_goes_back_and_the_next_agent_gets_it(
        app: App, center: Center) -> None:
    queue = center.queue(name="Support", reservation_timeout_seconds=20)
    first = center.agent()
    app.clock.advance(timedelta(seconds=1))
    second = center.agent()  # the first has been idle longer
    task = center.task(queue)
    queued_at = center.view(task).queued_at
    center.routed_by_the_read_model()
    center.dispatcher().run_once()
    offered = center.view(task)
    assert offered.reserved_for == first
    assert offered.reservation_id is not None
    app.read_model.expired = [DueWork(app.tenant_id, task, offered.reservation_id)]

    app.clock.advance(timedelta(seconds=19))
    assert center.timers().run_once().timed_out == 0  # not yet
    app.clock.advance(timedelta(seconds=1))
    with pytest.raises(RuleViolated, match="expired"):
        app.run(AcceptTask(task, None, first))
    assert center.timers().run_once().timed_out == 1
    assert center.timers().run_once().timed_out == 0  # idempotent
    back = center.view(task)
    assert back.status == "queued" and back.declined_by == [first]
    assert back.queued_at == queued_at  # it keeps its place in the line
    assert center.held(first) == set()

    center.dispatcher().run_once()
    assert center.view(task).reserved_for == second
    assert app.types(task)[-2:] == ["ReservationTimedOut", "TaskReserved"]


def test_timers_time_out_reservations_once(app: App, center: Center) -> None:
    queue = center.queue(reservation_timeout_seconds=10)
    agent = center.agent()
    task = center.task(queue)
    view = center.reserve(task, agent)
    app.read_model.expired = [DueWork(app.tenant_id, task, view.reservation_id)]
    timers = center.timers()
    app.clock.advance(timedelta(seconds=9))
    assert timers.run_once().timed_out == 0
    app.clock.advance(timedelta(seconds=1))
    assert timers.run_once().timed_out == 1
    assert timers.run_once().timed_out == 0
    assert app.load(Task, task).declined_by == {agent}


def test_a_task_held_past_the_maximum_breaches_and_is_escalated_once(
        app: App, center: Center) -> None:
    vip = center.queue(name="VIP", required_skills={"vip": 1}, target_answer_seconds=20,
                       max_hold_seconds=120)
    sales = center.queue(name="Sales", required_skills={"sales": 1}, target_answer_seconds=30,
                         max_hold_seconds=60, escalation_queue_id=vip)
    boss = center.agent(skills={"vip": 1})
    task = center.task(sales)
    center.routed_by_the_read_model()
    assert center.dispatcher().run_once() == 0  # nobody has the sales skill
    app.read_model.breaches = [DueWork(app.tenant_id, task)]

    app.clock.advance(timedelta(seconds=59))
    assert center.timers().run_once().breached == 0
    app.clock.advance(timedelta(seconds=1))
    assert center.timers().run_once().breached == 1
    assert center.timers().run_once().breached == 0  # once per queue stay
    escalated = center.view(task)
    assert escalated.queue_id == vip and escalated.escalations == 1
    assert escalated.required_skills == {"vip": 1}
    events = app.events(task)
    assert [type(e).__name__ for e in events][-2:] == ["SlaBreached", "TaskEscalated"]
    assert events[-2].queue_id == sales
    assert events[-1].actor == "system:contact-center-clock"
    assert center.dispatcher().run_once() == 1
    assert center.view(task).reserved_for == boss


def test_a_scheduled_task_joins_its_queue_when_due(app: App, center: Center) -> None:
    queue = center.queue()
    task = center.task(queue, not_before=T0 + timedelta(minutes=30))
    assert app.run(EnqueueDueTask(task)) is False
    app.clock.advance(timedelta(minutes=30))
    assert app.run(EnqueueDueTask(task)) is True
    assert app.load(Task, task).queued_at == T0 + timedelta(minutes=30)
