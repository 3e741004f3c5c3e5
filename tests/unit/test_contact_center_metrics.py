"""The metric definitions of ADR 0031 at their edges, and the what-if simulation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from application.contact_center.metrics import (
    HandledTask,
    ReservationCounts,
    StatusInterval,
    WaitFacts,
    agent_days,
    agent_days_from_rows,
    sla_counts,
)
from application.contact_center.simulation import (
    Arrival,
    StaffMember,
    recorded,
    simulate,
    staffing,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT, CONTACT = UUID(int=1), UUID(int=7)
QUEUE = UUID(int=100)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_sla_counts_answered_abandoned_and_still_waiting() -> None:
    tasks = [
        WaitFacts(s(0), 30, answered_at=s(30)),  # met (the target is inclusive)
        WaitFacts(s(0), 30, answered_at=s(31)),  # missed
        WaitFacts(s(0), 30, abandoned_at=s(20)),  # a short abandon: neither
        WaitFacts(s(0), 30, abandoned_at=s(45)),  # abandoned after the target: missed
        WaitFacts(s(100), 30),  # still waiting, 20 s: not yet missed
        WaitFacts(s(50), 30),  # still waiting, 70 s: missed already
        WaitFacts(s(-90000), 30, answered_at=s(-89990)),  # yesterday: not today
    ]
    counts = sla_counts(tasks, since=T0, now=s(120))
    assert (counts.answered, counts.met, counts.missed, counts.abandoned) == (2, 1, 3, 2)
    assert counts.attainment == pytest.approx(1 / 4)
    assert counts.average_wait == pytest.approx(30.5)
    assert sla_counts([], T0, s(1)).attainment is None


def test_first_contact_resolution_looks_seven_days_ahead() -> None:
    done = HandledTask(UUID(int=10), AGENT, CONTACT, s(0), s(10), None, s(100), 60, None)
    week = timedelta(days=7)

    def fcr(later: list[datetime]) -> float | None:
        [day] = agent_days(handled=[done], later_task_times={CONTACT: later}, intervals=[],
                           conversions=[], reservations=[], days=[date(2026, 3, 2)],
                           now=s(100) + 2 * week)
        return day.first_contact_resolution

    assert fcr([s(0)]) == 1.0  # the task itself (created before it ended) does not count
    assert fcr([s(100) + week]) == 0.0  # a new task within 7 days: not resolved
    assert fcr([s(100) + week + timedelta(seconds=1)]) == 1.0


def test_occupancy_splits_intervals_at_midnight_and_stops_at_now() -> None:
    late = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    intervals = [StatusInterval(AGENT, "available", late, late + timedelta(minutes=30)),
                 StatusInterval(AGENT, "busy", late + timedelta(minutes=30),
                                late + timedelta(hours=1, minutes=30)),
                 StatusInterval(AGENT, "break", late + timedelta(hours=1, minutes=30), None)]
    now = late + timedelta(hours=2)
    monday, tuesday = agent_days(handled=[], later_task_times={}, intervals=intervals,
                                 conversions=[], reservations=[],
                                 days=[date(2026, 3, 2), date(2026, 3, 3)], now=now)
    assert (monday.busy_seconds, monday.logged_in_seconds) == (1800, 3600)
    assert (tuesday.busy_seconds, tuesday.logged_in_seconds) == (1800, 3600)
    assert monday.occupancy == tuesday.occupancy == 0.5


def arrival(n: int, at: float, *, handle: float = 100, answered: float | None = None,
            abandoned: float | None = None, skills: dict[str, int] | None = None
            ) -> Arrival:
    return Arrival(UUID(int=n), QUEUE, "voice", 0, skills or {}, s(at), 30,
                   answered_at=s(answered) if answered is not None else None,
                   abandoned_at=s(abandoned) if abandoned is not None else None,
                   ring_seconds=0, handle_seconds=handle)


def test_rows_replayed_as_of_a_moment_are_selected_as_the_live_sql_selects_them() -> None:
    """ADR 0091: the as-of report takes whole agent_performance rows; only the range's facts,
    and one agent's when asked, reach ``agent_days``."""
    other, day = UUID(int=2), date(2026, 3, 2)

    def task(ident: int, agent: UUID, contact: UUID | None, created: float,
             completed: float | None, csat: int | None = None) -> dict[str, object]:
        return {"id": UUID(int=ident), "agent_id": agent, "contact_id": contact,
                "status": "completed" if completed is not None else "queued",
                "created_at": s(created), "queued_at": s(created),
                "accepted_at": s(created + 10), "wrap_up_at": None,
                "completed_at": s(completed) if completed is not None else None,
                "target_answer_seconds": 30, "csat": csat}

    tasks = [task(1, AGENT, CONTACT, 0, 100, csat=4),
             task(2, other, None, 0, 50),
             task(3, AGENT, CONTACT, -86_400, -86_000),  # completed the day before
             task(4, AGENT, CONTACT, 3 * 86_400, None)]  # the contact again, 3 days later
    intervals = [{"agent_id": AGENT, "status": "available", "started_at": s(-3600),
                  "ended_at": s(0)},
                 {"agent_id": AGENT, "status": "busy", "started_at": s(-90_000),
                  "ended_at": s(-89_000)}]  # the day before
    agents = [{"id": AGENT, "status": "busy", "status_since": s(0)},
              {"id": other, "status": "available", "status_since": s(86_400)}]  # next day
    conversions = [{"credited_to": AGENT, "converted_at": s(200)},
                   {"credited_to": None, "converted_at": s(200)},
                   {"credited_to": AGENT, "converted_at": None}]
    reservations = [{"agent_id": AGENT, "day": day, "offered": 2, "accepted": 1,
                     "rejected": 1, "timed_out": 0},
                    {"agent_id": AGENT, "day": date(2026, 3, 1), "offered": 5, "accepted": 5,
                     "rejected": 0, "timed_out": 0}]
    start, end, now = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC), s(300)
    replayed = agent_days_from_rows(tasks=tasks, intervals=intervals, agents=agents,
                                    conversions=conversions, reservations=reservations,
                                    start=start, end=end, now=now, agent_id=AGENT)
    expected = agent_days(
        handled=[HandledTask(UUID(int=1), AGENT, CONTACT, s(0), s(10), None, s(100), 30, 4)],
        later_task_times={CONTACT: [s(0), s(3 * 86_400)]},
        intervals=[StatusInterval(AGENT, "available", s(-3600), s(0)),
                   StatusInterval(AGENT, "busy", s(0), None)],
        conversions=[(AGENT, s(200))],
        reservations=[ReservationCounts(AGENT, day, 2, 1, 1, 0)], days=[day], now=now)
    assert replayed == expected
    [mine] = replayed
    assert (mine.tasks_handled, mine.first_contact_resolution, mine.leads_converted,
            mine.reservations_offered) == (1, 0.0, 1, 2)
    everyone = agent_days_from_rows(tasks=tasks, intervals=intervals, agents=agents,
                                    conversions=conversions, reservations=reservations,
                                    start=start, end=end, now=now)
    assert {d.agent_id for d in everyone} == {AGENT, other}


def test_the_simulation_replays_arrivals_against_other_staffing() -> None:
    # Three calls a minute apart, each handled for 100 s; in reality one agent answered.
    arrivals = [arrival(1, 0, answered=0), arrival(2, 60, answered=100),
                arrival(3, 120, answered=200)]
    staff = [StaffMember(UUID(int=1), {}, {"voice": 1}, ("a", "1"))]
    actual = recorded(arrivals, s(600)).by_queue[None]
    assert (actual.met, actual.missed, actual.average_wait) == (1, 2, pytest.approx(40))
    alone = simulate(arrivals, staff, {QUEUE: "longest_idle"}, s(600)).by_queue[None]
    assert (alone.met, alone.missed, alone.average_wait) == (1, 2, pytest.approx(40))
    pair = simulate(arrivals, staffing(staff, 2), {QUEUE: "round_robin"},
                    s(600)).by_queue[None]
    assert (pair.met, pair.missed, pair.average_wait) == (3, 0, 0)


def test_a_caller_who_hung_up_hangs_up_again_unless_answered_sooner() -> None:
    arrivals = [arrival(1, 0, answered=0, handle=300),
                arrival(2, 10, abandoned=70)]  # waited 60 s, then hung up
    one = [StaffMember(UUID(int=1), {}, {"voice": 1}, ("a", "1"))]
    alone = simulate(arrivals, one, {}, s(600)).by_queue[None]
    assert (alone.answered, alone.abandoned, alone.missed) == (1, 1, 1)
    two = simulate(arrivals, staffing(one, 2), {}, s(600)).by_queue[None]
    assert (two.answered, two.abandoned, two.met) == (2, 0, 2)


def test_simulated_agents_keep_to_their_skills() -> None:
    arrivals = [arrival(1, 0, skills={"vip": 1}, handle=50)]
    unskilled = [StaffMember(UUID(int=1), {"sales": 3}, {"voice": 1}, ("a", "1"))]
    outcome = simulate(arrivals, unskilled, {}, s(600)).by_queue[None]
    assert (outcome.answered, outcome.missed) == (0, 1)  # still waiting at the end


def test_simulated_agents_keep_their_recorded_hours_on_duty() -> None:
    arrivals = [arrival(1, 0, handle=50), arrival(2, 200, handle=50)]
    late = [StaffMember(UUID(int=1), {}, {"voice": 1}, ("a", "1"),
                        on_duty=((s(60), s(150)),))]
    outcome = simulate(arrivals, late, {}, s(600)).by_queue[None]
    # The first caller waits until the agent comes on duty; the second finds nobody.
    assert (outcome.answered, outcome.average_wait, outcome.missed) == (1, 60, 2)
    assert staffing(late, 2)[1].on_duty == late[0].on_duty
