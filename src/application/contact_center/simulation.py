"""What-if routing: replay the task arrivals of a period against another strategy or staffing.

A discrete-event simulation around the same pure routing service the dispatcher uses. Each
recorded task arrives when it was queued; when routed it rings for as long as its recorded
reservation rang before acceptance (zero if it never was accepted) and is handled for its
recorded handle time (accepted to completed; for tasks never handled, the median of its
queue). A customer who abandoned in reality abandons after the same wait in the simulation,
unless answered sooner. Simulated agents are always available and on shift. The figures use
the SLA definitions of ``metrics.sla_counts`` for both what happened and what would have.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from uuid import UUID

from application.contact_center.metrics import SlaCounts, WaitFacts, sla_counts
from domain.contact_center import AgentState, QueueRouting, Schedule, WaitingTask, route

DEFAULT_HANDLE_SECONDS = 180.0


@dataclass(frozen=True, slots=True)
class Arrival:
    """One recorded task: when it began to wait, and what happened to it."""

    task_id: UUID
    queue_id: UUID
    channel: str
    priority: int
    required_skills: dict[str, int]
    queued_at: datetime
    target_answer_seconds: int
    answered_at: datetime | None = None
    abandoned_at: datetime | None = None
    ring_seconds: float | None = None
    handle_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: UUID
    skills: dict[str, int]
    capacity: dict[str, int]
    rank: tuple[str, str]
    on_duty: tuple[tuple[datetime, datetime], ...] | None = None
    """When the agent took work (logged in, not on a break); None: all the time."""
    schedule: Schedule = field(default_factory=Schedule)

    def presence(self, at: datetime) -> str:
        if self.on_duty is None or any(start <= at < end for start, end in self.on_duty):
            return "available"
        return "offline"


@dataclass(frozen=True, slots=True)
class Outcome:
    """Figures per queue (key None: all queues)."""

    by_queue: dict[UUID | None, SlaCounts] = field(default_factory=dict)
    tasks: dict[UUID | None, int] = field(default_factory=dict)


def _summarise(arrivals: Sequence[Arrival], facts: Mapping[UUID, WaitFacts],
               end: datetime) -> Outcome:
    horizon = max([end, *(f.answered_at or f.abandoned_at or end for f in facts.values())])
    since = min((a.queued_at for a in arrivals), default=end)
    by_queue: dict[UUID | None, SlaCounts] = {}
    tasks: dict[UUID | None, int] = {}
    for queue in [None, *sorted({a.queue_id for a in arrivals}, key=str)]:
        mine = [facts[a.task_id] for a in arrivals if queue is None or a.queue_id == queue]
        by_queue[queue] = sla_counts(mine, since, horizon)
        tasks[queue] = len(mine)
    return Outcome(by_queue, tasks)


def recorded(arrivals: Sequence[Arrival], end: datetime) -> Outcome:
    """What happened."""
    facts = {a.task_id: WaitFacts(a.queued_at, a.target_answer_seconds, a.answered_at,
                                  a.abandoned_at) for a in arrivals}
    return _summarise(arrivals, facts, end)


def simulate(arrivals: Sequence[Arrival], staff: Sequence[StaffMember],
             strategies: Mapping[UUID, str], end: datetime) -> Outcome:
    """What would have happened with ``staff`` and the queues' ``strategies``."""
    handle_by_queue: dict[UUID, list[float]] = {}
    for a in arrivals:
        if a.handle_seconds is not None:
            handle_by_queue.setdefault(a.queue_id, []).append(a.handle_seconds)
    every = [s for values in handle_by_queue.values() for s in values]
    fallback = median(every) if every else DEFAULT_HANDLE_SECONDS
    default_handle = {q: median(v) for q, v in handle_by_queue.items()}

    by_id = {a.task_id: a for a in arrivals}
    events: list[tuple[datetime, int, str, UUID, str]] = []
    sequence = 0

    def push(at: datetime, kind: str, ref: UUID, channel: str = "") -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(events, (at, sequence, kind, ref, channel))

    for a in arrivals:
        push(a.queued_at, "arrive", a.task_id)
        if a.abandoned_at is not None and a.answered_at is None:
            push(a.abandoned_at, "abandon", a.task_id)
    for member in staff:  # coming on duty is a moment to route at
        for start, _ in member.on_duty or ():
            push(start, "duty", member.id)

    load: dict[UUID, Counter[str]] = {s.id: Counter() for s in staff}
    idle: dict[UUID, datetime] = {s.id: min((a.queued_at for a in arrivals), default=end)
                                  for s in staff}
    pointers: dict[UUID, UUID | None] = {}
    waiting: dict[UUID, WaitingTask] = {}
    facts: dict[UUID, WaitFacts] = {}

    while events:
        now = events[0][0]
        while events and events[0][0] == now:
            _, _, kind, ref, channel = heapq.heappop(events)
            if kind == "arrive":
                a = by_id[ref]
                waiting[ref] = WaitingTask(a.task_id, a.queue_id, a.channel, a.priority,
                                           a.queued_at, a.required_skills)
            elif kind == "free":
                load[ref][channel] -= 1
                idle[ref] = now
            elif kind == "duty":
                idle[ref] = max(idle[ref], now)
            elif ref in waiting:  # abandon, if still waiting
                del waiting[ref]
                a = by_id[ref]
                facts[ref] = WaitFacts(a.queued_at, a.target_answer_seconds, abandoned_at=now)
        if not waiting:
            continue
        agents = [AgentState(s.id, s.presence(now), s.skills, s.capacity, dict(load[s.id]),
                             idle[s.id], s.rank, s.schedule) for s in staff]
        queues = {q: QueueRouting(q, strategies.get(q, "longest_idle"), pointers.get(q))
                  for q in {t.queue_id for t in waiting.values()}}
        for assignment in route(list(waiting.values()), agents, queues, now):
            a = by_id[assignment.task_id]
            del waiting[a.task_id]
            load[assignment.agent_id][a.channel] += 1
            idle[assignment.agent_id] = now
            pointers[a.queue_id] = assignment.agent_id
            answered = now + timedelta(seconds=a.ring_seconds or 0.0)
            handle = a.handle_seconds if a.handle_seconds is not None \
                else default_handle.get(a.queue_id, fallback)
            facts[a.task_id] = WaitFacts(a.queued_at, a.target_answer_seconds,
                                         answered_at=answered)
            push(answered + timedelta(seconds=handle), "free", assignment.agent_id, a.channel)

    for task_id, task in waiting.items():  # never answered within the replay
        facts[task_id] = WaitFacts(task.waiting_since, by_id[task_id].target_answer_seconds)
    return _summarise(arrivals, facts, end)


def staffing(recorded_staff: Sequence[StaffMember], size: int) -> list[StaffMember]:
    """``size`` agents with the recorded agents' profiles (skills, capacity, hours on duty,
    shifts), in order, repeated as needed."""
    if not recorded_staff or size <= 0:
        return []
    return [StaffMember(UUID(int=n + 1), base.skills, base.capacity, (f"{n:05d}", str(n)),
                        base.on_duty, base.schedule)
            for n, base in ((n, recorded_staff[n % len(recorded_staff)])
                            for n in range(size))]
