"""The Task aggregate: a unit of work (inbound call, conversation hand-off, lead follow-up).

created -> queued -> reserved (an agent) -> accepted -> wrap_up -> completed, or canceled.
A reservation rejected, or not accepted within the queue's timeout, returns the task to the
queue, keeping its place (its wait began when it was first queued). Completion requires a
disposition code.

Two clocks run on a task (ADR 0031): the *answer wait* from its first queueing until it is
accepted (the SLA's clock), and the *hold* in its current queue since it entered it (the
clock of the maximum hold and its escalation).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import event

from domain.contact_center.queue import QueueSettings
from domain.contact_center.routing import AgentState, WaitingTask, refusal
from domain.contact_center.task_values import (
    FINAL,
    HOLDING_SLOT,
    PinnedScript,
    Reservation,
    TaskStatus,
    slot_claim,
    source_claim,
)
from domain.contact_center.values import (
    Channel,
    SourceKind,
    merge_requirements,
    priority,
    skill_levels,
)
from domain.shared.aggregate import Claim, TenantAggregate
from domain.shared.errors import InvalidValue, RuleViolated
from domain.shared.values import bounded_text


class Task(TenantAggregate):
    class TaskCreated(TenantAggregate.Created):
        personal = frozenset({"title"})
        queue_id: UUID
        channel: str
        priority: int
        required_skills: dict[str, int]
        source_kind: str
        source_ref: str | None
        contact_id: UUID | None
        lead_id: UUID | None
        lead_stage: str | None
        title: str | None
        not_before: datetime | None

    class TaskQueued(TenantAggregate.Event):
        queue_id: UUID
        queue_skills: dict[str, int]
        target_answer_seconds: int
        max_hold_seconds: int
        escalation_queue_id: UUID | None
        reservation_timeout_seconds: int

    class TaskReserved(TenantAggregate.Event):
        reservation_id: UUID
        agent_id: UUID
        queue_id: UUID
        channel: str
        slot: int
        expires_at: datetime
        script_id: UUID | None
        script_revision: int | None

    class ReservationRejected(TenantAggregate.Event):
        reservation_id: UUID
        agent_id: UUID
        queue_id: UUID
        reason: str | None

    class ReservationTimedOut(TenantAggregate.Event):
        reservation_id: UUID
        agent_id: UUID
        queue_id: UUID

    class TaskAccepted(TenantAggregate.Event):
        reservation_id: UUID
        agent_id: UUID
        queue_id: UUID
        channel: str
        queued_at: datetime
        target_answer_seconds: int

    class TaskWrapUpStarted(TenantAggregate.Event):
        agent_id: UUID

    class TaskCompleted(TenantAggregate.Event):
        personal = frozenset({"note"})
        agent_id: UUID
        queue_id: UUID
        channel: str
        source_kind: str
        disposition: str
        note: str | None

    class TaskCanceled(TenantAggregate.Event):
        personal = frozenset({"reason"})
        previous_status: str
        agent_id: UUID | None
        queue_id: UUID
        reason: str | None

    class SlaBreached(TenantAggregate.Event):
        queue_id: UUID
        queue_entered_at: datetime
        max_hold_seconds: int

    class TaskEscalated(TenantAggregate.Event):
        from_queue_id: UUID
        queue_id: UUID
        queue_skills: dict[str, int]
        target_answer_seconds: int
        max_hold_seconds: int
        escalation_queue_id: UUID | None
        reservation_timeout_seconds: int

    class TaskCsatRecorded(TenantAggregate.Event):
        score: int
        agent_id: UUID

    # -- creation ---------------------------------------------------------------------------

    @classmethod
    def create(cls, *, task_id: UUID, tenant_id: UUID, actor: str, at: datetime,
               queue: QueueSettings, channel: Channel, priority_value: int,
               skills: dict[str, int], source_kind: SourceKind, source_ref: str | None,
               contact_id: UUID | None, lead_id: UUID | None, lead_stage: str | None,
               title: str | None, not_before: datetime | None) -> Task:
        """A task waits in its queue at once, or from ``not_before`` (a follow-up due later)."""
        if not_before is not None and not_before.tzinfo is None:
            raise InvalidValue("not_before", "must include a timezone")
        ref = bounded_text("source_ref", source_ref, limit=200)
        task = cls._create(
            cls.TaskCreated, id=task_id, tenant_id=tenant_id, actor=actor, timestamp=at,
            queue_id=queue.queue_id, channel=channel.value, priority=priority(priority_value),
            required_skills=skill_levels(skills, "required_skills"),
            source_kind=source_kind.value, source_ref=ref, contact_id=contact_id,
            lead_id=lead_id, lead_stage=lead_stage,
            title=bounded_text("title", title, limit=500),
            not_before=not_before if not_before is not None and not_before > at else None)
        if task.not_before is None:
            task._enter(actor, at, queue)
        return task

    def __init__(self, *, tenant_id: UUID, queue_id: UUID, channel: str, priority: int,
                 required_skills: dict[str, int], source_kind: str, source_ref: str | None,
                 contact_id: UUID | None, lead_id: UUID | None, lead_stage: str | None,
                 not_before: datetime | None) -> None:
        self.tenant_id = tenant_id
        self.queue_id = queue_id
        self.channel = channel
        self.priority = priority
        self.own_skills = dict(required_skills)
        self.queue_skills: dict[str, int] = {}
        self.source_kind = SourceKind(source_kind)
        self.source_ref = source_ref
        self.contact_id = contact_id
        self.lead_id = lead_id
        self.lead_stage = lead_stage
        self.not_before = not_before
        self.status = TaskStatus.CREATED
        self.queued_at: datetime | None = None
        self.queue_entered_at: datetime | None = None
        self.target_answer_seconds = 0
        self.max_hold_seconds = 0
        self.escalation_queue_id: UUID | None = None
        self.reservation_timeout_seconds = 0
        self.visited_queues: list[UUID] = []
        self.breached_here = False
        self.reservation: Reservation | None = None
        self.agent_id: UUID | None = None
        self.accepted_at: datetime | None = None
        self.wrap_up_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.escalations = 0
        self.breaches = 0
        self.declined_by: set[UUID] = set()
        self.disposition: str | None = None
        self.script: PinnedScript | None = None
        self.csat: int | None = None

    # -- facts ------------------------------------------------------------------------------

    @property
    def subject_id(self) -> UUID | None:
        return self.contact_id

    @property
    def claims(self) -> frozenset[Claim]:
        """A task holds its source (one task per call, hand-off or follow-up) and, while
        reserved or worked, one capacity slot of its agent."""
        held = set()
        if self.source_ref is not None:
            held.add(source_claim(self.source_kind, self.source_ref))
        if self.status in HOLDING_SLOT and self.reservation is not None:
            held.add(slot_claim(self.reservation.agent_id, self.channel, self.reservation.slot))
        return frozenset(held)

    @property
    def required_skills(self) -> dict[str, int]:
        return merge_requirements(self.own_skills, self.queue_skills)

    def as_waiting(self) -> WaitingTask:
        assert self.queued_at is not None
        return WaitingTask(id=self.id, queue_id=self.queue_id, channel=self.channel,
                           priority=self.priority, waiting_since=self.queued_at,
                           required_skills=self.required_skills,
                           declined_by=frozenset(self.declined_by))

    @property
    def hold_deadline(self) -> datetime | None:
        if self.queue_entered_at is None:
            return None
        return self.queue_entered_at + timedelta(seconds=self.max_hold_seconds)

    # -- queueing ---------------------------------------------------------------------------

    def enqueue_if_due(self, *, actor: str, at: datetime, queue: QueueSettings) -> bool:
        if self.status is not TaskStatus.CREATED:
            return False
        if self.not_before is not None and at < self.not_before:
            return False
        self._enter(actor, at, queue)
        return True

    def _enter(self, actor: str, at: datetime, queue: QueueSettings) -> None:
        level = queue.service_level
        self._queued(actor=actor, timestamp=at, queue_id=queue.queue_id,
                     queue_skills=queue.required_skills,
                     target_answer_seconds=level.target_answer_seconds,
                     max_hold_seconds=level.max_hold_seconds,
                     escalation_queue_id=level.escalation_queue_id,
                     reservation_timeout_seconds=queue.reservation_timeout_seconds)

    @event(TaskQueued)
    def _queued(self, actor: str, timestamp: datetime, queue_id: UUID,
                queue_skills: dict[str, int], target_answer_seconds: int,
                max_hold_seconds: int, escalation_queue_id: UUID | None,
                reservation_timeout_seconds: int) -> None:
        self.status = TaskStatus.QUEUED
        self.queued_at = timestamp
        self._stay(timestamp, queue_id, queue_skills, target_answer_seconds, max_hold_seconds,
                   escalation_queue_id, reservation_timeout_seconds)

    def _stay(self, at: datetime, queue_id: UUID, queue_skills: dict[str, int],
              target_answer_seconds: int, max_hold_seconds: int,
              escalation_queue_id: UUID | None, reservation_timeout_seconds: int) -> None:
        self.queue_id = queue_id
        self.queue_skills = dict(queue_skills)
        self.queue_entered_at = at
        self.target_answer_seconds = target_answer_seconds
        self.max_hold_seconds = max_hold_seconds
        self.escalation_queue_id = escalation_queue_id
        self.reservation_timeout_seconds = reservation_timeout_seconds
        self.breached_here = False
        self.visited_queues.append(queue_id)

    # -- reservations -----------------------------------------------------------------------

    def reserve(self, *, actor: str, at: datetime, agent: AgentState, reservation_id: UUID,
                slot: int, script: PinnedScript | None) -> None:
        """Offer the task to ``agent``, holding one of the agent's slots of its channel."""
        if self.status is not TaskStatus.QUEUED:
            raise RuleViolated(f"a {self.status} task cannot be reserved")
        reason = refusal(agent, self.as_waiting(), at)
        if reason is not None:
            raise RuleViolated(f"cannot reserve: {reason}")
        self._reserved(actor=actor, timestamp=at, reservation_id=reservation_id,
                       agent_id=agent.id, queue_id=self.queue_id, channel=self.channel,
                       slot=slot,
                       expires_at=at + timedelta(seconds=self.reservation_timeout_seconds),
                       script_id=script.script_id if script else None,
                       script_revision=script.revision if script else None)

    @event(TaskReserved)
    def _reserved(self, actor: str, timestamp: datetime, reservation_id: UUID, agent_id: UUID,
                  queue_id: UUID, channel: str, slot: int, expires_at: datetime,
                  script_id: UUID | None, script_revision: int | None) -> None:
        self.status = TaskStatus.RESERVED
        self.reservation = Reservation(reservation_id, agent_id, slot, timestamp, expires_at)
        self.script = PinnedScript(script_id, script_revision) \
            if script_id is not None and script_revision is not None else None

    def _reservation_for(self, as_agent: UUID | None) -> Reservation:
        if self.status is not TaskStatus.RESERVED or self.reservation is None:
            raise RuleViolated(f"a {self.status} task has no reservation to answer")
        if as_agent is not None and as_agent != self.reservation.agent_id:
            raise RuleViolated("this task is reserved for another agent")
        return self.reservation

    def accept(self, *, actor: str, at: datetime, as_agent: UUID | None) -> None:
        """The reserved agent (or a supervisor for them) takes the task, before it expires."""
        reservation = self._reservation_for(as_agent)
        if at >= reservation.expires_at:
            raise RuleViolated("the reservation expired; the task goes back to the queue")
        assert self.queued_at is not None
        self._accepted(actor=actor, timestamp=at, reservation_id=reservation.id,
                       agent_id=reservation.agent_id, queue_id=self.queue_id,
                       channel=self.channel, queued_at=self.queued_at,
                       target_answer_seconds=self.target_answer_seconds)

    @event(TaskAccepted)
    def _accepted(self, actor: str, timestamp: datetime, reservation_id: UUID, agent_id: UUID,
                  queue_id: UUID, channel: str, queued_at: datetime,
                  target_answer_seconds: int) -> None:
        self.status = TaskStatus.ACCEPTED
        self.agent_id = agent_id
        self.accepted_at = timestamp

    def reject(self, *, actor: str, at: datetime, as_agent: UUID | None,
               reason: str | None) -> None:
        """Back to the queue, in its place; this agent is not offered it again."""
        reservation = self._reservation_for(as_agent)
        self._rejected(actor=actor, timestamp=at, reservation_id=reservation.id,
                       agent_id=reservation.agent_id, queue_id=self.queue_id,
                       reason=bounded_text("reason", reason, limit=500))

    @event(ReservationRejected)
    def _rejected(self, actor: str, timestamp: datetime, reservation_id: UUID, agent_id: UUID,
                  queue_id: UUID, reason: str | None) -> None:
        self._back_to_queue(agent_id)

    def time_out(self, *, actor: str, at: datetime, reservation_id: UUID) -> bool:
        """The reservation was not accepted in time: back to the queue (idempotent)."""
        reservation = self.reservation
        if self.status is not TaskStatus.RESERVED or reservation is None \
                or reservation.id != reservation_id or at < reservation.expires_at:
            return False
        self._timed_out(actor=actor, timestamp=at, reservation_id=reservation.id,
                        agent_id=reservation.agent_id, queue_id=self.queue_id)
        return True

    @event(ReservationTimedOut)
    def _timed_out(self, actor: str, timestamp: datetime, reservation_id: UUID, agent_id: UUID,
                   queue_id: UUID) -> None:
        self._back_to_queue(agent_id)

    def _back_to_queue(self, agent_id: UUID) -> None:
        self.status = TaskStatus.QUEUED
        self.declined_by.add(agent_id)
        self.reservation = None

    # -- work -------------------------------------------------------------------------------

    def _worker(self, as_agent: UUID | None, verb: str,
                allowed: frozenset[TaskStatus]) -> UUID:
        if self.status not in allowed or self.agent_id is None:
            raise RuleViolated(f"a {self.status} task cannot be {verb}")
        if as_agent is not None and as_agent != self.agent_id:
            raise RuleViolated("this task is handled by another agent")
        return self.agent_id

    def start_wrap_up(self, *, actor: str, at: datetime, as_agent: UUID | None) -> None:
        agent_id = self._worker(as_agent, "wrapped up", frozenset({TaskStatus.ACCEPTED}))
        self._wrap_up_started(actor=actor, timestamp=at, agent_id=agent_id)

    @event(TaskWrapUpStarted)
    def _wrap_up_started(self, actor: str, timestamp: datetime, agent_id: UUID) -> None:
        self.status = TaskStatus.WRAP_UP
        self.wrap_up_at = timestamp

    def complete(self, *, actor: str, at: datetime, as_agent: UUID | None, disposition: str,
                 note: str | None) -> None:
        """Completion requires a disposition code the tenant knows (checked by the caller
        against the catalog, see ``domain.contact_center.dispositions``)."""
        agent_id = self._worker(as_agent, "completed",
                                frozenset({TaskStatus.ACCEPTED, TaskStatus.WRAP_UP}))
        self._completed(actor=actor, timestamp=at, agent_id=agent_id, queue_id=self.queue_id,
                        channel=self.channel, source_kind=self.source_kind.value,
                        disposition=disposition,
                        note=bounded_text("note", note, limit=4000))

    @event(TaskCompleted)
    def _completed(self, actor: str, timestamp: datetime, agent_id: UUID, queue_id: UUID,
                   channel: str, source_kind: str, disposition: str, note: str | None) -> None:
        self.status = TaskStatus.COMPLETED
        self.disposition = disposition
        self.ended_at = timestamp

    def cancel(self, *, actor: str, at: datetime, reason: str | None) -> None:
        """Abandoned (the customer hung up) or withdrawn; frees the agent's slot."""
        if self.status in FINAL:
            raise RuleViolated(f"a {self.status} task cannot be canceled")
        agent = self.agent_id or (self.reservation.agent_id if self.reservation else None)
        self._canceled(actor=actor, timestamp=at, previous_status=self.status.value,
                       agent_id=agent, queue_id=self.queue_id,
                       reason=bounded_text("reason", reason, limit=500))

    @event(TaskCanceled)
    def _canceled(self, actor: str, timestamp: datetime, previous_status: str,
                  agent_id: UUID | None, queue_id: UUID, reason: str | None) -> None:
        self.status = TaskStatus.CANCELED
        self.ended_at = timestamp

    def record_csat(self, *, actor: str, at: datetime, score: int) -> None:
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidValue("score", "CSAT is an integer from 1 to 5")
        if self.status is not TaskStatus.COMPLETED or self.agent_id is None:
            raise RuleViolated("only a completed task is rated")
        if self.csat is not None:
            raise RuleViolated("this task is already rated")
        self._csat_recorded(actor=actor, timestamp=at, score=score, agent_id=self.agent_id)

    @event(TaskCsatRecorded)
    def _csat_recorded(self, actor: str, timestamp: datetime, score: int,
                       agent_id: UUID) -> None:
        self.csat = score

    # -- service level ----------------------------------------------------------------------

    def breach(self, *, actor: str, at: datetime,
               escalate_to: QueueSettings | None) -> bool:
        """Waited past the queue's maximum hold: record the breach (once per queue stay) and
        move to the escalation queue unless the task has been there already. The answer wait
        keeps running; the hold clock restarts in the new queue."""
        deadline = self.hold_deadline
        if self.status is not TaskStatus.QUEUED or self.breached_here \
                or deadline is None or at < deadline:
            return False
        assert self.queue_entered_at is not None
        self._breached(actor=actor, timestamp=at, queue_id=self.queue_id,
                       queue_entered_at=self.queue_entered_at,
                       max_hold_seconds=self.max_hold_seconds)
        if escalate_to is not None and escalate_to.queue_id not in self.visited_queues:
            level = escalate_to.service_level
            self._escalated(actor=actor, timestamp=at, from_queue_id=self.queue_id,
                            queue_id=escalate_to.queue_id,
                            queue_skills=escalate_to.required_skills,
                            target_answer_seconds=level.target_answer_seconds,
                            max_hold_seconds=level.max_hold_seconds,
                            escalation_queue_id=level.escalation_queue_id,
                            reservation_timeout_seconds=escalate_to.reservation_timeout_seconds)
        return True

    @event(SlaBreached)
    def _breached(self, actor: str, timestamp: datetime, queue_id: UUID,
                  queue_entered_at: datetime, max_hold_seconds: int) -> None:
        self.breached_here = True
        self.breaches += 1

    @event(TaskEscalated)
    def _escalated(self, actor: str, timestamp: datetime, from_queue_id: UUID, queue_id: UUID,
                   queue_skills: dict[str, int], target_answer_seconds: int,
                   max_hold_seconds: int, escalation_queue_id: UUID | None,
                   reservation_timeout_seconds: int) -> None:
        self.escalations += 1
        self._stay(timestamp, queue_id, queue_skills, target_answer_seconds, max_hold_seconds,
                   escalation_queue_id, reservation_timeout_seconds)
