"""The contact center's application layer on the stateful fakes: capacity held by slot claims
(also against a concurrent reservation), dispositions, the dispatcher over a routing snapshot,
clock-driven timers, and the follow-up policy's command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from adapters.clock import ManualClock
from application.bus import CommandBus, Executed
from application.contact_center.agents import ChangeAgentStatusHandler, RegisterAgentHandler
from application.contact_center.catalog import AddDispositionHandler
from application.contact_center.commands import (
    AcceptTask,
    AddDisposition,
    ChangeAgentStatus,
    CompleteTask,
    CreateQueue,
    CreateTask,
    CreateTaskFromSource,
    EnqueueDueTask,
    QueueFields,
    RegisterAgent,
    ReserveTask,
)
from application.contact_center.dispatcher import Dispatcher
from application.contact_center.ports import DueWork, RoutingSnapshot
from application.contact_center.queues import CreateQueueHandler
from application.contact_center.reservations import (
    ReserveTaskHandler,
    TimeOutReservationHandler,
)
from application.contact_center.service_level import (
    EnqueueDueTaskHandler,
    EscalateTaskHandler,
)
from application.contact_center.tasks import CreateTaskFromSourceHandler, CreateTaskHandler
from application.contact_center.timers import ContactCenterTimers
from application.contact_center.work import AcceptTaskHandler, CompleteTaskHandler
from application.ports import CommandContext
from domain.contact_center import Agent, QueueRouting, Task
from domain.contact_center.task_values import slot_claim
from domain.shared import InvalidValue, NotFound, RuleViolated
from tests.fakes import InMemoryEventStore, InMemoryUnitOfWorkFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Users:
    def is_user(self, tenant_id: UUID, user_id: UUID) -> bool:
        return False


class World:
    """The fakes, a manual clock and the handlers, as the container would wire them."""

    def __init__(self) -> None:
        self.store = InMemoryEventStore()
        self.bus = CommandBus(InMemoryUnitOfWorkFactory(self.store), self.store)
        self.clock = ManualClock(T0)
        self.ctx = CommandContext(tenant_id=uuid4(), actor="user:test")

    def run(self, handler: object, command: object) -> object:
        outcome = self.bus.execute(handler, command, self.ctx)  # type: ignore[arg-type]
        assert isinstance(outcome, Executed)
        return outcome.result

    def queue(self, **fields: object) -> UUID:
        values = {"name": "Sales", "required_skills": {}, "strategy": "longest_idle",
                  "target_answer_seconds": 30, "target_percentage": 80,
                  "max_hold_seconds": 60, **fields}
        view = self.run(CreateQueueHandler(self.clock),
                        CreateQueue(QueueFields(**values)))  # type: ignore[arg-type]
        return view.id  # type: ignore[attr-defined, no-any-return]

    def agent(self, capacity: int = 1) -> UUID:
        view = self.run(RegisterAgentHandler(self.clock, Users()),
                        RegisterAgent("Ana", {}, {"voice": capacity}))
        agent_id: UUID = view.id  # type: ignore[attr-defined]
        self.run(ChangeAgentStatusHandler(self.clock),
                 ChangeAgentStatus(agent_id, None, "available"))
        return agent_id

    def task(self, queue_id: UUID, **fields: object) -> UUID:
        view = self.run(CreateTaskHandler(self.clock),
                        CreateTask(queue_id=queue_id, channel="voice", **fields))  # type: ignore[arg-type]
        return view.id  # type: ignore[attr-defined, no-any-return]

    def reserve(self, task_id: UUID, agent_id: UUID) -> object:
        return self.run(ReserveTaskHandler(self.clock), ReserveTask(task_id, agent_id))

    def load(self, cls: type, aggregate_id: UUID) -> object:
        return self.store.load(self.ctx.tenant_id, aggregate_id)


@pytest.fixture
def world() -> World:
    return World()


def test_capacity_is_held_by_slot_claims_and_freed_on_completion(world: World) -> None:
    queue = world.queue()
    agent = world.agent(capacity=2)
    tasks = [world.task(queue) for _ in range(3)]
    world.reserve(tasks[0], agent)
    world.reserve(tasks[1], agent)
    with pytest.raises(RuleViolated, match="no free voice capacity"):
        world.reserve(tasks[2], agent)
    held = {claim for (tenant, claim) in world.store.claims if claim.scope == "agent_slot"}
    assert held == {slot_claim(agent, "voice", 0), slot_claim(agent, "voice", 1)}

    world.run(AcceptTaskHandler(world.clock), AcceptTask(tasks[0], None, None))
    world.run(CompleteTaskHandler(world.clock), CompleteTask(tasks[0], None, None, "SALE"))
    world.reserve(tasks[2], agent)  # takes the freed slot 0
    reserved = world.load(Task, tasks[2])
    assert reserved.reservation.slot == 0  # type: ignore[attr-defined]


def test_two_concurrent_reservations_cannot_both_take_the_last_slot(world: World) -> None:
    queue = world.queue()
    agent = world.agent(capacity=1)
    first, second = world.task(queue), world.task(queue)
    handler = ReserveTaskHandler(world.clock)
    attempts: list[int] = []

    class RivalCommitsFirst:
        """Our reservation of ``second`` decides; a rival reserves ``first`` and commits
        before our commit."""

        def __call__(self, command: ReserveTask, uow: object, ctx: CommandContext) -> object:
            attempts.append(1)
            result = handler(command, uow, ctx)  # type: ignore[arg-type]
            if len(attempts) == 1:
                world.reserve(first, agent)
            return result

    with pytest.raises(RuleViolated, match="no free voice capacity"):
        world.bus.execute(RivalCommitsFirst(), ReserveTask(second, agent), world.ctx)
    assert len(attempts) == 2  # the commit found the slot taken; the retry refused
    assert world.load(Task, second).status.value == "queued"  # type: ignore[attr-defined]
    assert world.load(Task, first).status.value == "reserved"  # type: ignore[attr-defined]


def test_a_task_whose_offer_loses_the_agent_to_concurrent_ones_is_created_and_waits(
        world: World) -> None:
    """Tasks created together route to the same best agent from the same read model. When the
    offer of a new task loses the agent's slot at the commit, the task is still created (it
    waits for the dispatcher) instead of the creation being refused after the last retry."""
    queue = world.queue()
    agent = world.agent(capacity=4)

    class Routing:
        def snapshot(self, tenant_id: UUID, *, per_queue: int) -> RoutingSnapshot:
            state = world.load(Agent, agent).routing_state(  # type: ignore[attr-defined]
                {"voice": 0}, T0 - timedelta(minutes=5))
            return RoutingSnapshot([state], [], {queue: QueueRouting(queue, "longest_idle")})

    creating = CreateTaskHandler(world.clock, Routing(), route_on_arrival=True)  # type: ignore[arg-type]
    attempts: list[bool] = []

    class RivalsReserveFirst:
        """After each attempt has staged its offer, a rival task takes the same slot."""

        def __call__(self, command: CreateTask, uow: object, ctx: CommandContext) -> object:
            attempts.append(uow.speculative)  # type: ignore[attr-defined]
            result = creating(command, uow, ctx)  # type: ignore[arg-type]
            world.reserve(world.task(queue), agent)
            return result

    outcome = world.bus.execute(RivalsReserveFirst(),
                                CreateTask(queue_id=queue, channel="voice"), world.ctx)
    assert isinstance(outcome, Executed)
    assert attempts == [True, False]  # the offer lost once; the retry made none
    task = world.load(Task, outcome.result.id)  # type: ignore[attr-defined]
    assert task.status.value == "queued"  # type: ignore[attr-defined]


def test_an_unavailable_or_unskilled_agent_is_refused_by_the_write_model(world: World) -> None:
    queue = world.queue(required_skills={"sales": 2})
    agent = world.agent()
    task = world.task(queue)
    with pytest.raises(RuleViolated, match="lacks a required skill"):
        world.reserve(task, agent)
    other = world.task(world.queue(name="Other"))
    world.run(ChangeAgentStatusHandler(world.clock), ChangeAgentStatus(agent, None, "break"))
    with pytest.raises(RuleViolated, match="the agent is break"):
        world.reserve(other, agent)
    assert isinstance(world.load(Agent, agent), Agent)


def test_completion_requires_a_known_disposition(world: World) -> None:
    queue = world.queue()
    agent = world.agent()
    task = world.task(queue)
    world.reserve(task, agent)
    world.run(AcceptTaskHandler(world.clock), AcceptTask(task, None, None))
    with pytest.raises(InvalidValue, match="unknown disposition"):
        world.run(CompleteTaskHandler(world.clock), CompleteTask(task, None, None, "PAID"))
    world.run(AddDispositionHandler(world.clock), AddDisposition("PAID", "Paid"))
    view = world.run(CompleteTaskHandler(world.clock), CompleteTask(task, None, None, "paid"))
    assert view.disposition == "PAID"  # type: ignore[attr-defined]


class Snapshots:
    """A routing snapshot built from the fake store (what the read model would hold)."""

    def __init__(self, world: World, agents: list[UUID], queue: UUID) -> None:
        self.world, self.agents, self.queue = world, agents, queue
        self.due: list[DueWork] = []

    def snapshot(self, tenant_id: UUID, *, per_queue: int) -> RoutingSnapshot:
        tasks = [e for e in self.world.store.events.values()
                 if isinstance(e[0], Task.TaskCreated)]
        waiting = []
        for events in tasks:
            task = self.world.load(Task, events[0].originator_id)
            if task.status.value == "queued":  # type: ignore[attr-defined]
                waiting.append(task.as_waiting())  # type: ignore[attr-defined]
        states = []
        for agent_id in self.agents:
            agent = self.world.load(Agent, agent_id)
            held = sum(1 for (_, c) in self.world.store.claims
                       if c.scope == "agent_slot" and c.value.startswith(str(agent_id)))
            states.append(agent.routing_state({"voice": held}, T0))  # type: ignore[attr-defined]
        return RoutingSnapshot(states, waiting,
                               {self.queue: QueueRouting(self.queue, "longest_idle")})

    def tenants_to_route(self) -> list[UUID]:
        return [self.world.ctx.tenant_id]

    def expired_reservations(self, now: datetime, tenant_id: UUID | None,
                             limit: int) -> list[DueWork]:
        return self.due

    def hold_breaches(self, now: datetime, tenant_id: UUID | None,
                      limit: int) -> list[DueWork]:
        return []

    def due_tasks(self, now: datetime, tenant_id: UUID | None, limit: int) -> list[DueWork]:
        return []


def test_the_dispatcher_reserves_what_routing_assigns_and_skips_stale_decisions(
        world: World) -> None:
    queue = world.queue()
    agents = [world.agent(), world.agent()]
    tasks = []
    for priority in (0, 5, 0):
        world.clock.advance(timedelta(seconds=1))
        tasks.append(world.task(queue, priority=priority))
    snapshots = Snapshots(world, agents, queue)
    dispatcher = Dispatcher(world.bus, snapshots, world.clock, ReserveTaskHandler(world.clock))
    assert dispatcher.run_once() == 2
    statuses = [world.load(Task, t).status.value for t in tasks]  # type: ignore[attr-defined]
    assert statuses == ["reserved", "reserved", "queued"]  # priority first, then FIFO

    stale = snapshots.snapshot(world.ctx.tenant_id, per_queue=10)
    free_looking = RoutingSnapshot(
        [a.__class__(a.id, a.presence, a.skills, a.capacity, {}, a.idle_since, a.rank)
         for a in stale.agents], stale.tasks, stale.queues)
    snapshots.snapshot = lambda tenant_id, per_queue: free_looking  # type: ignore[method-assign]
    assert dispatcher.run_once() == 0  # the write model says the agents are full


def test_timers_time_out_reservations_once(world: World) -> None:
    queue = world.queue(reservation_timeout_seconds=10)
    agent = world.agent()
    task = world.task(queue)
    view = world.reserve(task, agent)
    snapshots = Snapshots(world, [agent], queue)
    snapshots.due = [DueWork(world.ctx.tenant_id, task,
                             view.reservation_id)]  # type: ignore[attr-defined]
    timers = ContactCenterTimers(world.bus, snapshots, world.clock,
                                 TimeOutReservationHandler(world.clock),
                                 EscalateTaskHandler(world.clock),
                                 EnqueueDueTaskHandler(world.clock))
    world.clock.advance(timedelta(seconds=9))
    assert timers.run_once().timed_out == 0
    world.clock.advance(timedelta(seconds=1))
    assert timers.run_once().timed_out == 1
    assert timers.run_once().timed_out == 0
    task_now = world.load(Task, task)
    assert task_now.declined_by == {agent}  # type: ignore[attr-defined]


class DefaultQueues:
    def __init__(self, queue: UUID | None) -> None:
        self.queue = queue

    def default_queue(self, tenant_id: UUID, kind: str) -> UUID | None:
        return self.queue


def test_a_task_from_a_source_goes_to_the_default_queue_once(world: World) -> None:
    follow_ups = world.queue(name="Follow-ups", default_for=["lead_follow_up"])
    handler = CreateTaskFromSourceHandler(world.clock, DefaultQueues(follow_ups))
    command = CreateTaskFromSource("lead_follow_up", "f-1", "voice",
                                   not_before=T0 + timedelta(hours=1))
    view = world.run(handler, command)
    assert view.status == "created" and view.queue_id == follow_ups  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="exists already"):
        world.run(handler, command)
    nowhere = CreateTaskFromSourceHandler(world.clock, DefaultQueues(None))
    with pytest.raises(NotFound, match="no queue receives"):
        world.run(nowhere, CreateTaskFromSource("conversation_handoff", "c-1", "webchat"))
    not_default = CreateTaskFromSourceHandler(world.clock, DefaultQueues(world.queue(
        name="Plain")))
    with pytest.raises(NotFound):
        world.run(not_default, CreateTaskFromSource("conversation_handoff", "c-2", "sms"))


def test_a_scheduled_task_joins_its_queue_when_due(world: World) -> None:
    queue = world.queue()
    task = world.task(queue, not_before=T0 + timedelta(minutes=30))
    enqueue = EnqueueDueTaskHandler(world.clock)
    assert world.run(enqueue, EnqueueDueTask(task)) is False
    world.clock.advance(timedelta(minutes=30))
    assert world.run(enqueue, EnqueueDueTask(task)) is True
    joined = world.load(Task, task)
    assert joined.queued_at == T0 + timedelta(minutes=30)  # type: ignore[attr-defined]
