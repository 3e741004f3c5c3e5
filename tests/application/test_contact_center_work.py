"""Working contact-center tasks through the command bus, on the fake store and on PostgreSQL:
who may accept, refused commands that change nothing, dispositions, scripts, tasks from
sources, and the follow-up and hand-off process managers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.contact_center.commands import (
    AcceptTask,
    AddDisposition,
    ChangeAgentStatus,
    CompleteTask,
    CreateQueue,
    CreateScript,
    CreateTask,
    CreateTaskFromSource,
    EnqueueDueTask,
    QueueFields,
    RecordTaskCsat,
    RegisterAgent,
    RetireScript,
    ReviseScript,
    SetAgentShifts,
)
from application.contact_center.policies import (
    FollowUpOutcomePolicy,
    FollowUpTaskPolicy,
    HandoffTaskPolicy,
)
from application.contact_center.tasks import DuplicateTask
from application.contacts import RegisterContact
from application.conversations.commands import (
    HandOff,
    JoinConversation,
    ResolveConversation,
    StartConversation,
)
from application.leads.commands import CaptureLead, CompleteFollowUp, ScheduleFollowUp
from domain.contact_center import Agent, Task
from domain.contacts import Contact
from domain.conversations import Conversation
from domain.leads import Lead
from domain.shared import Conflict, DomainError, InvalidValue, NotFound, RuleViolated
from tests.application.backends import App
from tests.application.center import Center, run_policy

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_only_the_agent_a_task_is_reserved_for_may_accept_it(app: App, center: Center) -> None:
    queue = center.queue()
    marta, luis = center.agent(), center.agent()
    task = center.task(queue)
    center.reserve(task, marta)
    with pytest.raises(RuleViolated, match="another agent"):
        app.run(AcceptTask(task, None, luis))
    accepted = app.run(AcceptTask(task, None, marta), app.context(f"user:{marta}"))
    assert accepted.agent_id == marta
    assert app.events(task)[-1].actor == f"user:{marta}"


def test_bad_contact_center_commands_are_refused_and_change_nothing(
        app: App, center: Center) -> None:
    queue = center.queue(name="Support")
    agent = center.agent(skills={"support": 1})
    task = center.task(queue)
    before = {aggregate: app.types(aggregate) for aggregate in (queue, agent, task)}
    unknown_user = UUID("8a6e0804-2bd0-4672-b79d-d97027f9071a")

    def queue_fields(name: str, strategy: str = "longest_idle", *,
                     max_hold_seconds: int) -> QueueFields:
        return QueueFields(name=name, required_skills={}, strategy=strategy,
                           target_answer_seconds=60, target_percentage=80,
                           max_hold_seconds=max_hold_seconds)

    refused: list[tuple[Any, type[DomainError]]] = [
        (RegisterAgent("X", {"sales": 11}, {}), InvalidValue),
        (RegisterAgent("X", {}, {"fax": 1}), InvalidValue),
        (RegisterAgent("X", {}, {}, timezone="Mars/Olympus"), InvalidValue),
        (RegisterAgent("X", {}, {}, user_id=unknown_user), InvalidValue),
        (CreateQueue(queue_fields("Q", max_hold_seconds=30)), InvalidValue),
        (CreateQueue(queue_fields("Q", "random", max_hold_seconds=90)), InvalidValue),
        (CreateQueue(queue_fields("support", max_hold_seconds=90)), Conflict),
        (CreateTask(queue_id=queue, channel="voice", contact_id=agent), InvalidValue),
        (ChangeAgentStatus(agent, None, "busy"), InvalidValue),
        (CompleteTask(task, None, None, "SALE"), RuleViolated),
        (AcceptTask(task, None, None), RuleViolated),
        (AddDisposition("SALE", "again"), Conflict),
        (CreateScript("t", ["s"]), InvalidValue),
        (SetAgentShifts(agent, None, "UTC", [{"day": "mon", "start": "25:00",
                                               "end": "26:00"}]), InvalidValue),
    ]
    for command, error in refused:
        with pytest.raises(error):
            app.run(command)
    assert {aggregate: app.types(aggregate) for aggregate in before} == before
    assert len(app.all_of((Agent.AgentRegistered,))) == 1


def test_completion_requires_a_known_disposition_and_a_task_is_rated_once(
        app: App, center: Center) -> None:
    queue = center.queue()
    agent = center.agent()
    task = center.task(queue)
    center.reserve(task, agent)
    app.run(AcceptTask(task, None, None))
    with pytest.raises(InvalidValue, match="unknown disposition"):
        app.run(CompleteTask(task, None, None, "PAID"))
    assert center.view(task).status == "accepted"
    added = app.run(AddDisposition("paid", "Paid"))
    assert (added.code, added.standard) == ("PAID", False)
    view = app.run(CompleteTask(task, None, None, "paid"))
    assert view.disposition == "PAID"
    assert app.run(RecordTaskCsat(task, 4)).csat == 4
    with pytest.raises(RuleViolated, match="already rated"):
        app.run(RecordTaskCsat(task, 5))


def test_scripts_have_one_per_target_and_revisions(app: App, center: Center) -> None:
    queue = center.queue(reservation_timeout_seconds=30)
    script = app.run(CreateScript("Sales call", ["Greet", "Qualify"], queue_id=queue))
    with pytest.raises(Conflict) as taken:
        app.run(CreateScript("Another", ["x"], queue_id=queue))
    assert taken.value.details["existing_id"] == str(script.id)
    revised = app.run(ReviseScript(script.id, script.version, "Sales call v2",
                                   ["Greet", "Qualify", "Close"]))
    assert (revised.revision, revised.title) == (2, "Sales call v2")
    assert app.run(RetireScript(script.id, None)).retired is True
    again = app.run(CreateScript("Sales call v3", ["Greet"], queue_id=queue))
    assert again.id != script.id  # a retired script frees its queue


def test_a_task_from_a_source_goes_to_the_default_queue_once(app: App, center: Center) -> None:
    follow_ups = center.queue(name="Follow-ups", default_for=["lead_follow_up"])
    app.read_model.default_queues["lead_follow_up"] = follow_ups
    command = CreateTaskFromSource("lead_follow_up", "f-1", "voice",
                                   not_before=T0 + timedelta(hours=1))
    view = app.run(command)
    assert view.status == "created" and view.queue_id == follow_ups
    with pytest.raises(DuplicateTask, match="exists already") as duplicate:
        app.run(command)
    assert duplicate.value.existing_id == view.id
    app.read_model.default_queues["conversation_handoff"] = None
    with pytest.raises(NotFound, match="no queue receives"):
        app.run(CreateTaskFromSource("conversation_handoff", "c-1", "webchat"))
    app.read_model.default_queues["conversation_handoff"] = center.queue(name="Plain")
    with pytest.raises(NotFound):
        app.run(CreateTaskFromSource("conversation_handoff", "c-2", "sms"))


def test_a_source_makes_one_task(app: App, center: Center) -> None:
    queue = center.queue(name="Inbound")
    first = center.task(queue, source_kind="inbound_call", source_ref="CA-0001")
    with pytest.raises(DuplicateTask) as again:
        center.task(queue, source_kind="inbound_call", source_ref="CA-0001")
    assert again.value.details["existing_id"] == str(first)
    assert len(app.all_of(Task.TaskCreated)) == 1


def test_a_lead_follow_up_becomes_a_task_whose_completion_completes_the_follow_up(
        app: App, center: Center) -> None:
    follow_ups = center.queue(name="Follow-ups", default_for=["lead_follow_up"])
    app.read_model.default_queues["lead_follow_up"] = follow_ups
    agent = center.agent()
    lead = app.run(CaptureLead(name=None, email="fu@example.com", phone=None, source="web")).lead
    due = T0.replace(hour=10)
    app.run(ScheduleFollowUp(lead.id, None, due, "call back"))
    [created] = run_policy(app, FollowUpTaskPolicy(), app.events(lead.id))
    [replayed] = run_policy(app, FollowUpTaskPolicy(), app.events(lead.id))
    assert isinstance(replayed, DuplicateTask)  # a replay creates nothing more
    task = center.view(created.id)
    assert (task.source_kind, task.status) == ("lead_follow_up", "created")
    assert (task.lead_id, task.contact_id) == (lead.id, lead.contact_id)

    app.clock.advance(due - T0)
    assert app.run(EnqueueDueTask(task.id)) is True
    center.reserve(task.id, agent)
    app.run(AcceptTask(task.id, None, None))
    app.run(CompleteTask(task.id, None, None, "CALLBACK_REQUESTED"))
    assert run_policy(app, FollowUpOutcomePolicy(), app.events(task.id)) == [True]
    follow_up = app.load(Lead, lead.id)
    [done] = follow_up.follow_ups.values()
    assert done.completed_at is not None
    last = app.events(lead.id)[-1]
    assert type(last).__name__ == "FollowUpCompleted"
    assert last.actor == "system:follow-up-outcomes"
    assert "CALLBACK_REQUESTED" in last.outcome

    # A follow-up done on the lead itself (a call made outside the queue) withdraws its task.
    again = app.run(ScheduleFollowUp(lead.id, None, due))
    [second] = run_policy(app, FollowUpTaskPolicy(), app.events(lead.id)[-1:])
    assert second.status == "queued"  # due already
    app.read_model.source_tasks[("lead_follow_up", second.source_ref)] = second.id
    pending = next(f for f in again.follow_ups if f.completed_at is None)
    app.run(CompleteFollowUp(lead.id, None, pending.id, "called from the lead page"))
    assert run_policy(app, FollowUpOutcomePolicy(), app.events(lead.id)[-1:]) == [True]
    assert center.view(second.id).status == "canceled"
    assert center.view(task.id).status == "completed"  # left alone


def test_a_handed_off_conversation_becomes_one_task_and_resolves_with_a_catalog_code(
        app: App, center: Center) -> None:
    inbox = center.queue(name="Chat hand-offs", default_for=["conversation_handoff"])
    app.read_model.default_queues["conversation_handoff"] = inbox
    contact = app.run(RegisterContact(name="Hana", email="hana@example.com",
                                      phone="+34611222333"))
    conversation = app.run(StartConversation(contact.id, "whatsapp"))
    app.run(HandOff(conversation.id, None, "wants a person"))
    [created] = run_policy(app, HandoffTaskPolicy(), app.events(conversation.id))
    [replayed] = run_policy(app, HandoffTaskPolicy(), app.events(conversation.id))
    assert isinstance(replayed, DuplicateTask)  # a replay creates nothing more
    task = center.view(created.id)
    assert (task.queue_id, task.source_kind) == (inbox, "conversation_handoff")
    assert task.source_ref is not None and task.source_ref.startswith(str(conversation.id))
    assert (task.channel, task.contact_id) == ("whatsapp", contact.id)

    # One catalog of dispositions for calls and conversations: a tenant code added with
    # AddDisposition resolves a conversation too; an unknown one is still refused.
    app.run(AddDisposition("PLAN_SENT", "Plan sent"))
    app.run(JoinConversation(conversation.id, None))
    with pytest.raises(InvalidValue) as refused:
        app.run(ResolveConversation(conversation.id, None, "NOT_A_CODE"))
    assert refused.value.field == "disposition"
    done = app.run(ResolveConversation(conversation.id, None, "PLAN_SENT"))
    assert (done.status, done.disposition) == ("resolved", "PLAN_SENT")
    assert isinstance(app.load(Conversation, conversation.id), Conversation)
    assert isinstance(app.load(Contact, contact.id), Contact)
