"""Event-driven process managers of the contact center.

- A scheduled lead follow-up becomes a task in the queue that receives lead follow-ups (due
  when the follow-up is); the follow-up's id is the task's source, so a replay is refused as a
  duplicate.
- A completed follow-up task completes the lead's follow-up with the task's disposition; a
  follow-up completed on the lead withdraws its task.

- A conversation handed off to a person becomes a task in the queue that receives hand-offs,
  on the conversation's channel; the hand-off's event id is its source, so a replay (or a
  second hand-off of the same event) is refused as a duplicate. A tenant with no such queue
  keeps working from the conversations inbox: the refusal is logged and nothing else happens.
"""

from __future__ import annotations

from typing import Any

from application.contact_center.commands import (
    CloseFollowUpFromTask,
    CreateTaskFromSource,
    WithdrawTaskForSource,
)
from application.policies import Policy, Reaction
from domain.contact_center import Channel, SourceKind, Task
from domain.conversations import Conversation
from domain.leads import Lead


class FollowUpTaskPolicy(Policy):
    name = "follow-up-tasks"
    event_classes = (Lead.FollowUpScheduled,)

    def react(self, event: Any) -> list[Reaction]:
        command = CreateTaskFromSource(
            source_kind=SourceKind.LEAD_FOLLOW_UP.value, source_ref=str(event.follow_up_id),
            channel=Channel.VOICE.value, lead_id=event.originator_id,
            priority=0 if event.automatic else 1, not_before=event.due_at)
        return [Reaction(command, event.tenant_id, f"system:{self.name}")]


class HandoffTaskPolicy(Policy):
    """A conversation waiting for a person is work for the queue that receives hand-offs; an
    agent who accepts the task joins the conversation from the inbox."""

    name = "handoff-tasks"
    event_classes = (Conversation.HandedOff,)

    def react(self, event: Any) -> list[Reaction]:
        command = CreateTaskFromSource(
            source_kind=SourceKind.CONVERSATION_HANDOFF.value,
            source_ref=f"{event.originator_id}:{event.originator_version}",
            channel="", conversation_id=event.originator_id, priority=1,
            title=f"Hand-off: {event.reason}")
        return [Reaction(command, event.tenant_id, f"system:{self.name}")]


class FollowUpOutcomePolicy(Policy):
    """Keeps a follow-up and its task in step: the task completed completes the follow-up; the
    follow-up completed on the lead (a call made outside the queue) withdraws its task."""

    name = "follow-up-outcomes"
    event_classes = (Task.TaskCompleted, Lead.FollowUpCompleted)

    def react(self, event: Any) -> list[Reaction]:
        actor = f"system:{self.name}"
        if isinstance(event, Lead.FollowUpCompleted):
            command = WithdrawTaskForSource(SourceKind.LEAD_FOLLOW_UP.value,
                                            str(event.follow_up_id),
                                            "the follow-up was completed on the lead")
            return [Reaction(command, event.tenant_id, actor)]
        if event.source_kind != SourceKind.LEAD_FOLLOW_UP.value:
            return []
        return [Reaction(CloseFollowUpFromTask(event.originator_id),
                         event.tenant_id, actor)]
