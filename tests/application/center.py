"""A tenant's contact center for the application tests: set up through commands, with a
routing snapshot built from the write model (what the supervisor read model would hold), and
the policy runner's way of reacting to events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from application.bus import CommandBus
from application.contact_center.commands import (
    ChangeAgentStatus,
    CreateQueue,
    CreateTask,
    QueueFields,
    RegisterAgent,
    ReserveTask,
)
from application.contact_center.dispatcher import Dispatcher
from application.contact_center.ports import RoutingSnapshot
from application.contact_center.timers import ContactCenterTimers
from application.contact_center.views import TaskView
from application.policies import Policy
from domain.contact_center import Agent, QueueRouting, Task
from domain.contact_center.task_values import slot_claim
from domain.shared import DomainError
from tests.application.backends import App


class Center:
    """A tenant's contact center set up through commands; remembers the agents and tasks it
    made (what the read model would list)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.agents: list[UUID] = []
        self.tasks: list[UUID] = []

    def queue(self, **fields: Any) -> UUID:
        values = {"name": "Sales", "required_skills": {}, "strategy": "longest_idle",
                  "target_answer_seconds": 30, "target_percentage": 80,
                  "max_hold_seconds": 60, **fields}
        return self.app.run(CreateQueue(QueueFields(**values))).id  # type: ignore[no-any-return]

    def agent(self, capacity: int = 1, skills: dict[str, int] | None = None) -> UUID:
        agent_id: UUID = self.app.run(RegisterAgent("Ana", skills or {},
                                                    {"voice": capacity})).id
        self.app.run(ChangeAgentStatus(agent_id, None, "available"))
        self.agents.append(agent_id)
        return agent_id

    def task(self, queue_id: UUID, bus: CommandBus | None = None, **fields: Any) -> UUID:
        task_id: UUID = self.app.run(CreateTask(queue_id=queue_id, channel="voice", **fields),
                                     bus=bus).id
        self.tasks.append(task_id)
        return task_id

    def reserve(self, task_id: UUID, agent_id: UUID) -> Any:
        return self.app.run(ReserveTask(task_id, agent_id))

    def view(self, task_id: UUID) -> TaskView:
        return TaskView.of(self.app.load(Task, task_id))

    def held(self, agent_id: UUID) -> set[UUID]:
        """The tasks holding the agent's voice slots now."""
        capacity = self.app.load(Agent, agent_id).capacity.get("voice", 0)
        return set(self.app.owners(slot_claim(agent_id, "voice", n)
                                   for n in range(capacity)).values())

    def snapshot(self, tenant_id: UUID, per_queue: int) -> RoutingSnapshot:
        """A routing snapshot as the read model would hold it, built from the write model."""
        waiting = []
        for task_id in self.tasks:
            task = self.app.load(Task, task_id)
            if task.status.value == "queued":
                waiting.append(task.as_waiting())
        states = []
        for agent_id in self.agents:
            agent = self.app.load(Agent, agent_id)
            states.append(agent.routing_state({"voice": len(self.held(agent_id))},
                                              agent.presence_since))
        queues = {t.queue_id: QueueRouting(t.queue_id, "longest_idle") for t in waiting}
        return RoutingSnapshot(states, waiting, queues)

    def routed_by_the_read_model(self) -> None:
        self.app.read_model.snapshots = self.snapshot
        self.app.read_model.tenants = [self.app.tenant_id]

    def dispatcher(self) -> Dispatcher:
        return Dispatcher(self.app.bus, self.app.read_model, self.app.clock)

    def timers(self) -> ContactCenterTimers:
        return ContactCenterTimers(self.app.bus, self.app.read_model, self.app.clock)


def run_policy(app: App, policy: Policy, events: Iterable[Any]) -> list[Any]:
    """React to events as the policy runner does: each reaction through the bus, a refusal
    (an idempotent replay) returned rather than raised."""
    outcomes: list[Any] = []
    for event in events:
        if not isinstance(event, policy.event_classes):
            continue
        for reaction in policy.react(event):
            try:
                outcomes.append(app.run(reaction.command,
                                        app.context(reaction.actor, reaction.tenant_id)))
            except DomainError as refused:
                outcomes.append(refused)
    return outcomes
