"""Routing properties (Hypothesis): whatever the agents, tasks and strategies, routing never
assigns a task to an agent lacking a required skill, off shift, not available, over capacity
or who declined it; it serves higher priority first and first-in-first-out within a priority;
it leaves no task waiting that a free qualified agent could take; and round robin spreads
assignments within one of each other over a long run."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.contact_center.routing import (
    AgentState,
    Assignment,
    QueueRouting,
    WaitingTask,
    refusal,
    route,
)
from domain.contact_center.values import Schedule, Shift, meets

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)  # a Monday
ON_SHIFT = Schedule("UTC", (Shift(0, 9 * 60, 17 * 60),))
OFF_SHIFT = Schedule("UTC", (Shift(0, 18 * 60, 22 * 60),))
SKILLS = ("sales", "support", "spanish")
CHANNELS = ("voice", "sms")
STRATEGIES = ("longest_idle", "round_robin", "priority")
QUEUES = [UUID(int=q + 1) for q in range(3)]


@st.composite
def agents(draw: st.DrawFn) -> list[AgentState]:
    result = []
    for n in range(draw(st.integers(1, 7))):
        capacity = {ch: draw(st.integers(0, 2)) for ch in CHANNELS}
        result.append(AgentState(
            id=UUID(int=1000 + n),
            presence=draw(st.sampled_from(["available", "available", "available", "break",
                                           "offline"])),
            skills={s: draw(st.integers(1, 3)) for s in SKILLS if draw(st.booleans())},
            capacity=capacity,
            load={ch: draw(st.integers(0, 3)) for ch in CHANNELS},
            idle_since=NOW - timedelta(minutes=draw(st.integers(0, 5))),
            rank=(f"2026-01-0{n % 9 + 1}", str(UUID(int=1000 + n))),
            schedule=draw(st.sampled_from([Schedule(), ON_SHIFT, ON_SHIFT, OFF_SHIFT]))))
    return result


@st.composite
def tasks(draw: st.DrawFn, agent_ids: list[UUID]) -> list[WaitingTask]:
    result = []
    for n in range(draw(st.integers(0, 25))):
        result.append(WaitingTask(
            id=UUID(int=n + 1),
            queue_id=draw(st.sampled_from(QUEUES)),
            channel=draw(st.sampled_from(CHANNELS)),
            priority=draw(st.integers(0, 3)),
            waiting_since=NOW - timedelta(seconds=draw(st.integers(0, 6)) * 10),
            required_skills={s: draw(st.integers(1, 3)) for s in SKILLS
                             if draw(st.integers(0, 3)) == 0},
            declined_by=frozenset(a for a in agent_ids if draw(st.integers(0, 4)) == 0)))
    return result


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[AgentState], list[WaitingTask],
                                         dict[UUID, QueueRouting]]:
    staff = draw(agents())
    waiting = draw(tasks([a.id for a in staff]))
    queues = {q: QueueRouting(q, draw(st.sampled_from(STRATEGIES)),
                              draw(st.sampled_from([None, *[a.id for a in staff]])))
              for q in QUEUES}
    return staff, waiting, queues


def _after(agents_: list[AgentState], assignments: list[Assignment]) -> dict[UUID, Counter[str]]:
    used: dict[UUID, Counter[str]] = {a.id: Counter() for a in agents_}
    for assignment in assignments:
        used[assignment.agent_id][assignment.channel] += 1
    return used


@given(scenarios())
@settings(max_examples=400, deadline=None)
def test_never_an_unqualified_unavailable_off_shift_or_full_agent(scenario: tuple) -> None:
    staff, waiting, queues = scenario
    assignments = route(waiting, staff, queues, NOW)
    by_id = {a.id: a for a in staff}
    by_task = {t.id: t for t in waiting}
    assert len({a.task_id for a in assignments}) == len(assignments), "a task assigned twice"
    used = _after(staff, assignments)
    for assignment in assignments:
        agent, task = by_id[assignment.agent_id], by_task[assignment.task_id]
        assert agent.presence == "available"
        assert agent.schedule.covers(NOW)
        assert meets(agent.skills, task.required_skills)
        assert agent.id not in task.declined_by
        assert assignment.channel == task.channel and assignment.queue_id == task.queue_id
    for agent in staff:
        for channel, count in used[agent.id].items():
            assert agent.load.get(channel, 0) + count <= agent.capacity.get(channel, 0)


@given(scenarios())
@settings(max_examples=400, deadline=None)
def test_higher_priority_first_and_fifo_within_a_priority(scenario: tuple) -> None:
    staff, waiting, queues = scenario
    assignments = route(waiting, staff, queues, NOW)
    assigned = {a.task_id: a for a in assignments}
    by_id = {a.id: a for a in staff}
    # Assignments come out in service order.
    keys = [next(t for t in waiting if t.id == a.task_id).sort_key() for a in assignments]
    assert keys == sorted(keys)
    for later in assignments:
        later_task = next(t for t in waiting if t.id == later.task_id)
        agent = by_id[later.agent_id]
        for earlier in waiting:
            if earlier.id in assigned or earlier.sort_key() >= later_task.sort_key():
                continue
            if earlier.channel != later_task.channel:
                continue
            # An earlier (higher priority, or same priority and older) task of the same
            # channel is still waiting: the agent who got the later one must not qualify.
            assert not meets(agent.skills, earlier.required_skills) \
                or agent.id in earlier.declined_by, (earlier, later_task, agent)


@given(scenarios())
@settings(max_examples=400, deadline=None)
def test_no_task_left_waiting_that_a_free_qualified_agent_could_take(scenario: tuple) -> None:
    staff, waiting, queues = scenario
    assignments = route(waiting, staff, queues, NOW)
    assigned = {a.task_id for a in assignments}
    used = _after(staff, assignments)
    for task in waiting:
        if task.id in assigned:
            continue
        for agent in staff:
            remaining = AgentState(agent.id, agent.presence, agent.skills, agent.capacity,
                                   {ch: agent.load.get(ch, 0) + used[agent.id][ch]
                                    for ch in CHANNELS}, agent.idle_since, agent.rank,
                                   agent.schedule)
            assert refusal(remaining, task, NOW) is not None, (task, agent)


@given(st.integers(2, 9), st.integers(1, 4), st.integers(50, 300))
@settings(max_examples=60, deadline=None)
def test_round_robin_spreads_work_within_one_over_a_long_run(size: int, per_pass: int,
                                                             total: int) -> None:
    staff = [AgentState(uuid4(), "available", {"sales": 1}, {"voice": 1}, {}, NOW,
                        (f"2026-01-01T00:00:{n:02d}", str(n))) for n in range(size)]
    queue = QueueRouting(QUEUES[0], "round_robin")
    counts: Counter[UUID] = Counter()
    made, clock = 0, NOW
    while made < total:
        batch = [WaitingTask(uuid4(), queue.id, "voice", 0, clock, {"sales": 1})
                 for _ in range(min(per_pass, total - made))]
        for assignment in route(batch, staff, {queue.id: queue}, clock):
            counts[assignment.agent_id] += 1
            queue = QueueRouting(queue.id, "round_robin", assignment.agent_id)
            made += 1
        clock += timedelta(seconds=30)  # every task is done before the next pass
    spread = [counts[a.id] for a in staff]
    assert max(spread) - min(spread) <= 1, spread


def _agent(n: int, *, idle_minutes: int = 0, skills: dict[str, int] | None = None,
           load: int = 0) -> AgentState:
    return AgentState(UUID(int=n), "available", skills or {"sales": 1}, {"voice": 2},
                      {"voice": load}, NOW - timedelta(minutes=idle_minutes),
                      ("2026-01-01", str(UUID(int=n))))


def test_longest_idle_picks_the_idle_agent_waiting_longest() -> None:
    staff = [_agent(1, idle_minutes=3), _agent(2, idle_minutes=9), _agent(3, idle_minutes=20,
                                                                          load=1)]
    queue = QueueRouting(QUEUES[0], "longest_idle")
    task = WaitingTask(uuid4(), queue.id, "voice", 0, NOW, {"sales": 1})
    [assignment] = route([task], staff, {queue.id: queue}, NOW)
    assert assignment.agent_id == UUID(int=2)  # no work in hand and idle longest


def test_priority_picks_the_most_proficient_agent() -> None:
    staff = [_agent(1, idle_minutes=30, skills={"sales": 2}),
             _agent(2, skills={"sales": 5, "spanish": 3}),
             _agent(3, skills={"sales": 4, "spanish": 1})]
    queue = QueueRouting(QUEUES[0], "priority")
    task = WaitingTask(uuid4(), queue.id, "voice", 0, NOW, {"sales": 1, "spanish": 1})
    [assignment] = route([task], staff, {queue.id: queue}, NOW)
    assert assignment.agent_id == UUID(int=2)


def test_shifts_follow_the_agents_time_zone_and_run_past_midnight() -> None:
    night = Schedule.parse("America/New_York", [{"day": "sun", "start": "22:00",
                                                 "end": "06:00"}])
    assert night.covers(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # Mon 04:00 in New York
    assert not night.covers(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))  # Mon 07:00
    assert Schedule().covers(NOW)  # no shifts: no restriction
