"""The what-if routing report (ADR 0034, read by the CLI and the console, ADR 0088), on a
stateful fake of the recorded history: its questions refused, its empty answers, its rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from application.contact_center.simulation import Arrival, StaffMember
from application.contact_center.what_if import NotAWhatIf, what_if_routing

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TENANT = UUID(int=9)
FRONT, BILLING = UUID(int=100), UUID(int=200)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class History:
    """What the read models recorded, per tenant."""

    tasks: list[Arrival] = field(default_factory=list)
    team: list[StaffMember] = field(default_factory=list)
    queues: dict[UUID, tuple[str, str]] = field(default_factory=dict)

    def arrivals(self, tenant_id: UUID, start: datetime, end: datetime) -> list[Arrival]:
        return [a for a in self.tasks if tenant_id == TENANT and start <= a.queued_at < end]

    def staff(self, tenant_id: UUID, start: datetime, end: datetime) -> list[StaffMember]:
        return self.team if tenant_id == TENANT else []

    def queue_names(self, tenant_id: UUID) -> dict[UUID, tuple[str, str]]:
        return self.queues if tenant_id == TENANT else {}


def call(n: int, queue: UUID, at: float, answered: float) -> Arrival:
    return Arrival(UUID(int=n), queue, "voice", 0, {}, s(at), 30, answered_at=s(answered),
                   ring_seconds=0, handle_seconds=100)


def shift() -> History:
    """Three calls a minute apart to the front desk and one to billing; one agent answered
    them in turn."""
    agent = StaffMember(UUID(int=1), {}, {"voice": 1}, ("a", "1"), ((s(-60), s(900)),))
    return History(
        [call(1, FRONT, 0, 0), call(2, FRONT, 60, 100), call(3, FRONT, 120, 200),
         call(4, BILLING, 130, 300)],
        [agent], {FRONT: ("Front desk", "longest_idle"), BILLING: ("Billing", "priority")})


@pytest.mark.parametrize(("strategy", "agents", "days", "why"), [
    ("fastest", None, 1, "the strategy must be one of"),
    ("recorded", None, 0, "the period must end after it starts"),
    ("recorded", None, 32, "at most 31 days"),
    ("recorded", 501, 1, "from 0 to 500 agents"),
    ("recorded", -1, 1, "from 0 to 500 agents"),
])
def test_a_question_that_cannot_be_asked_is_refused(strategy: str, agents: int | None,
                                                    days: int, why: str) -> None:
    with pytest.raises(NotAWhatIf, match=why):
        what_if_routing(shift(), TENANT, T0, T0 + timedelta(days=days), strategy, agents)


def test_the_command_line_may_ask_for_a_longer_period() -> None:
    report = what_if_routing(shift(), TENANT, s(-86400 * 40), s(3600), longest=None)
    assert report.arrivals == 4


def test_nothing_to_replay_says_why() -> None:
    empty = what_if_routing(History(), TENANT, T0, s(3600))
    assert (empty.rows, empty.nothing) == ([], "no task arrived in that period: nothing to "
                                               "replay")
    idle = shift()
    idle.team = [StaffMember(UUID(int=1), {}, {"voice": 1}, ("a", "1"), ())]
    report = what_if_routing(idle, TENANT, T0, s(3600))
    assert report.arrivals == 4 and report.nothing is not None and "no agent" in report.nothing


def test_rows_are_the_queues_by_name_then_all_with_three_columns() -> None:
    report = what_if_routing(shift(), TENANT, T0, s(3600), "round_robin", 3)
    assert [r.queue for r in report.rows] == ["Billing", "Front desk", "all queues"]
    assert [r.tasks for r in report.rows] == [1, 3, 4]
    assert (report.arrivals, report.on_duty, report.agents) == (4, 1, 3)
    front = report.rows[1]
    assert (front.happened.met, front.happened.missed) == (1, 2)  # one agent, in turn
    assert (front.what_if.met, front.what_if.missed) == (3, 0)  # three agents: no wait
    everything = report.rows[-1]
    assert everything.what_if.met == sum(r.what_if.met for r in report.rows[:-1])
    # The replay uses the recorded strategies and the one agent who was on duty.
    assert (everything.replay.met, everything.replay.missed) == (
        everything.happened.met, everything.happened.missed)
