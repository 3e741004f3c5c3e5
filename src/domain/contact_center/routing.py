"""Routing: which waiting task goes to which agent. A pure domain service (no I/O, no clock).

Rules, for every strategy:
- Tasks are served highest priority first, then first-in-first-out by the moment their wait
  began (``waiting_since``), then by id.
- A task goes only to an agent who is ``available``, on shift at ``now``, holds every required
  skill at the required level, has a free slot of the task's channel, and has not declined the
  task before (rejected it, or let its reservation time out).

The queue's strategy picks among the agents who qualify:
- ``longest_idle``: the agent with the least work in hand, then idle the longest
  (``idle_since``: the later of becoming available, the last offer, the last task ended).
- ``round_robin``: the next agent after the one the queue last offered a task to, in a fixed
  order of agents (registration time, then id), wrapping around.
- ``priority``: the most proficient agent (highest sum of levels in the task's required
  skills), then as ``longest_idle``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.contact_center.values import Presence, RoutingStrategy, Schedule, meets


@dataclass(frozen=True, slots=True)
class AgentState:
    """What routing needs to know about an agent at one moment."""

    id: UUID
    presence: str
    skills: Mapping[str, int]
    capacity: Mapping[str, int]
    load: Mapping[str, int]
    idle_since: datetime
    rank: tuple[str, str]
    """The fixed order of round robin: (registration time, id)."""
    schedule: Schedule = field(default_factory=Schedule)

    def free(self, channel: str) -> int:
        return self.capacity.get(channel, 0) - self.load.get(channel, 0)


@dataclass(frozen=True, slots=True)
class WaitingTask:
    id: UUID
    queue_id: UUID
    channel: str
    priority: int
    waiting_since: datetime
    required_skills: Mapping[str, int]
    declined_by: frozenset[UUID] = frozenset()

    def sort_key(self) -> tuple[int, datetime, UUID]:
        return (-self.priority, self.waiting_since, self.id)


@dataclass(frozen=True, slots=True)
class QueueRouting:
    id: UUID
    strategy: str
    last_agent_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    task_id: UUID
    agent_id: UUID
    queue_id: UUID
    channel: str


def refusal(agent: AgentState, task: WaitingTask, now: datetime) -> str | None:
    """Why ``agent`` may not take ``task`` now, or None if it may. The reservation command
    asks the same question of the write model before it reserves."""
    if agent.presence != Presence.AVAILABLE:
        return f"the agent is {agent.presence}"
    if not agent.schedule.covers(now):
        return "the agent is off shift"
    if not meets(agent.skills, task.required_skills):
        return "the agent lacks a required skill"
    if agent.id in task.declined_by:
        return "the agent declined this task before"
    if agent.free(task.channel) <= 0:
        return f"the agent has no free {task.channel} capacity"
    return None


def route(tasks: Iterable[WaitingTask], agents: Sequence[AgentState],
          queues: Mapping[UUID, QueueRouting], now: datetime) -> list[Assignment]:
    """Assign as many waiting tasks as the agents can take now, in service order.

    Cost: the agents who qualify for each distinct requirement (channel and skills) are found
    once per pass; a requirement nobody can take any more is skipped for the rest of the pass
    (capacity only shrinks within a pass); the pass ends when no agent has a free slot.
    """
    order = {agent.id: position for position, agent in
             enumerate(sorted(agents, key=lambda a: a.rank))}
    ready = [a for a in agents if a.presence == Presence.AVAILABLE and a.schedule.covers(now)]
    free: dict[UUID, dict[str, int]] = {
        a.id: {ch: a.free(ch) for ch in a.capacity if a.free(ch) > 0} for a in ready}
    total_free = sum(sum(slots.values()) for slots in free.values())
    if total_free == 0:
        return []
    by_channel: dict[str, list[AgentState]] = {}
    for agent in ready:
        for channel in free[agent.id]:
            by_channel.setdefault(channel, []).append(agent)
    work = {a.id: sum(a.load.values()) for a in ready}
    idle = {a.id: a.idle_since for a in ready}
    pointers = {q.id: q.last_agent_id for q in queues.values()}
    size = len(order)
    qualified_for: dict[tuple[str, tuple[tuple[str, int], ...]], list[AgentState]] = {}
    exhausted: set[tuple[str, tuple[tuple[str, int], ...]]] = set()
    assignments: list[Assignment] = []

    for task in sorted(tasks, key=WaitingTask.sort_key):
        if total_free == 0:
            break
        channel, required = task.channel, task.required_skills
        signature = (channel, tuple(sorted(required.items())))
        if signature in exhausted:
            continue
        pool = qualified_for.get(signature)
        if pool is None:
            pool = qualified_for[signature] = [a for a in by_channel.get(channel, ())
                                               if meets(a.skills, required)]
        qualified = [a for a in pool if free[a.id][channel] > 0]
        if not qualified:
            exhausted.add(signature)
            continue
        declined = task.declined_by
        candidates = [a for a in qualified if a.id not in declined] if declined else qualified
        if not candidates:
            continue
        queue = queues.get(task.queue_id)
        strategy = queue.strategy if queue else RoutingStrategy.LONGEST_IDLE
        if strategy == RoutingStrategy.ROUND_ROBIN:
            last = pointers.get(task.queue_id)
            start = order.get(last, -1) if last is not None else -1
            chosen = min(candidates, key=lambda a: (order[a.id] - start - 1) % size)
        elif strategy == RoutingStrategy.PRIORITY:
            chosen = min(candidates, key=lambda a: (
                -sum(a.skills.get(s, 0) for s in required), work[a.id], idle[a.id], a.id))
        else:
            chosen = min(candidates, key=lambda a: (work[a.id], idle[a.id], a.id))
        free[chosen.id][channel] -= 1
        total_free -= 1
        work[chosen.id] += 1
        idle[chosen.id] = now
        pointers[task.queue_id] = chosen.id
        assignments.append(Assignment(task.id, chosen.id, task.queue_id, channel))
    return assignments
