"""Hypothesis state machine over the Task lifecycle: random sequences of reservations,
answers, time-outs, wrap-ups, completions, cancellations and breaches never break its rules.

A model (expected status, current reservation, declined agents) runs beside the aggregate;
each rule checks the aggregate accepted or refused the command exactly when the model says.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.contact_center import (
    AgentState,
    Channel,
    QueueSettings,
    ServiceLevel,
    SourceKind,
    Task,
)
from domain.contact_center.task_values import slot_claim
from domain.shared import DomainError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENTS = [UUID(int=n) for n in range(1, 4)]
QUEUE = QueueSettings(uuid4(), {"sales": 1}, ServiceLevel(30, 80, 120, None), 20)
ESCALATION = QueueSettings(uuid4(), {"sales": 2}, ServiceLevel(30, 80, 600, None), 20)


def agent_state(agent: UUID, *, skilled: bool, available: bool, full: bool) -> AgentState:
    return AgentState(agent, "available" if available else "break",
                      {"sales": 2 if skilled else 0} if skilled else {}, {"voice": 1},
                      {"voice": 1 if full else 0}, T0, ("2026", str(agent)))


class TaskMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.task = Task.create(task_id=uuid4(), tenant_id=uuid4(), actor="u", at=self.now,
                                queue=QUEUE, channel=Channel.VOICE, priority_value=0,
                                skills={}, source_kind=SourceKind.MANUAL, source_ref=None,
                                contact_id=None, lead_id=None, lead_stage=None, title=None,
                                not_before=None)
        self.status = "queued"
        self.reserved_for: UUID | None = None
        self.expires: datetime | None = None
        self.worker: UUID | None = None
        self.declined: set[UUID] = set()
        self.queue_entered = self.now
        self.max_hold = 120
        self.breached_here = False
        self.escalated = False

    def _attempt(self, allowed: bool, action: object) -> bool:
        try:
            action()  # type: ignore[operator]
        except DomainError:
            assert not allowed, "a valid command was refused"
            return False
        assert allowed, "an invalid command was accepted"
        return True

    @rule(seconds=st.integers(0, 90))
    def wait(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(agent=st.sampled_from(AGENTS), skilled=st.booleans(), available=st.booleans(),
          full=st.booleans())
    def reserve(self, agent: UUID, skilled: bool, available: bool, full: bool) -> None:
        allowed = (self.status == "queued" and skilled and available and not full
                   and agent not in self.declined)
        state = agent_state(agent, skilled=skilled, available=available, full=full)
        if self._attempt(allowed, lambda: self.task.reserve(
                actor="d", at=self.now, agent=state, reservation_id=uuid4(), slot=0,
                script=None)):
            self.status, self.reserved_for = "reserved", agent
            self.expires = self.now + timedelta(seconds=20)

    @rule(as_right_agent=st.booleans(), as_supervisor=st.booleans())
    def accept(self, as_right_agent: bool, as_supervisor: bool) -> None:
        acting = None if as_supervisor else (self.reserved_for if as_right_agent
                                             else UUID(int=99))
        allowed = (self.status == "reserved" and (as_supervisor or as_right_agent)
                   and self.expires is not None and self.now < self.expires)
        if self._attempt(allowed, lambda: self.task.accept(actor="a", at=self.now,
                                                           as_agent=acting)):
            self.status, self.worker = "accepted", self.reserved_for

    @rule()
    def reject(self) -> None:
        allowed = self.status == "reserved"
        agent = self.reserved_for
        if self._attempt(allowed, lambda: self.task.reject(actor="a", at=self.now,
                                                           as_agent=None, reason=None)):
            assert agent is not None
            self.declined.add(agent)
            self.status, self.reserved_for = "queued", None

    @rule()
    def time_out(self) -> None:
        reservation = self.task.reservation
        due = self.status == "reserved" and self.expires is not None \
            and self.now >= self.expires
        done = self.task.time_out(actor="c", at=self.now,
                                  reservation_id=reservation.id if reservation else uuid4())
        assert done == due
        if done:
            assert self.reserved_for is not None
            self.declined.add(self.reserved_for)
            self.status, self.reserved_for = "queued", None

    @rule()
    def wrap_up(self) -> None:
        if self._attempt(self.status == "accepted", lambda: self.task.start_wrap_up(
                actor="a", at=self.now, as_agent=None)):
            self.status = "wrap_up"

    @rule(disposition=st.sampled_from(["SALE", "RESOLVED"]))
    def complete(self, disposition: str) -> None:
        if self._attempt(self.status in ("accepted", "wrap_up"), lambda: self.task.complete(
                actor="a", at=self.now, as_agent=None, disposition=disposition, note=None)):
            self.status = "completed"

    @rule()
    def cancel(self) -> None:
        if self._attempt(self.status not in ("completed", "canceled"), lambda: self.task.cancel(
                actor="c", at=self.now, reason=None)):
            self.status = "canceled"

    @rule(escalate=st.booleans())
    def breach(self, escalate: bool) -> None:
        due = (self.status == "queued" and not self.breached_here
               and self.now >= self.queue_entered + timedelta(seconds=self.max_hold))
        done = self.task.breach(actor="c", at=self.now,
                                escalate_to=ESCALATION if escalate else None)
        assert done == due
        if done:
            self.breached_here = True
            if escalate and not self.escalated:
                self.escalated, self.breached_here = True, False
                self.queue_entered, self.max_hold = self.now, 600

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert self.task.status.value == self.status
        assert self.task.declined_by == self.declined
        holds = self.task.claims
        if self.status in ("reserved", "accepted", "wrap_up"):
            agent = self.reserved_for if self.status == "reserved" else self.worker
            assert holds == {slot_claim(agent, "voice", 0)}  # type: ignore[arg-type]
        else:
            assert holds == frozenset(), "a slot is held only while reserved or worked"
        assert self.task.queue_id == (ESCALATION.queue_id if self.escalated
                                      else QUEUE.queue_id)


TestTaskLifecycle = TaskMachine.TestCase
TestTaskLifecycle.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
