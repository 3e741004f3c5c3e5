"""Delete old message bodies (retention, ADR 0086): one conversation per command.

A message's body is sealed under its contact's key combined with a key of its own. The
command records ``Conversation.MessageBodiesDeleted`` for the messages the aggregate agrees
to (written before the cutoff, not already deleted, not waiting in the outbox) and destroys
their keys in the same commit: the events stay as written, the bodies read ``[erased]`` in
every replay, and the read models blank their copies when they reach the event. Bodies
written before per-message keys existed have no key of their own: they are not offered here
and go only with their contact (erasure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports import CommandContext, UnitOfWork
from domain.conversations import Conversation


@dataclass(frozen=True, slots=True)
class DeleteMessageBodies:
    conversation_id: UUID
    before: datetime
    message_ids: tuple[UUID, ...]


@dataclass(frozen=True, slots=True)
class MessageBodiesDeletion:
    conversation_id: UUID
    deleted: tuple[UUID, ...]


def delete_message_bodies(command: DeleteMessageBodies, uow: UnitOfWork,
                          ctx: CommandContext) -> MessageBodiesDeletion:
    conversation = uow.get(Conversation, command.conversation_id)
    deleted = conversation.delete_message_bodies(actor=ctx.actor, at=ctx.now,
                                                 before=command.before,
                                                 message_ids=command.message_ids)
    if deleted:
        uow.add(conversation)
        for message_id in deleted:
            uow.forget(message_id)
    return MessageBodiesDeletion(conversation.id, tuple(deleted))


@dataclass(frozen=True, slots=True)
class OldMessageBodies:
    """A conversation's messages written before a cutoff whose bodies can still be deleted."""

    conversation_id: UUID
    message_ids: tuple[UUID, ...]


class MessageBodiesToDelete(Protocol):
    def before(self, tenant_id: UUID, cutoff: datetime, *, limit: int,
               after: UUID | None = None) -> list[OldMessageBodies]:
        """Conversations (ordered by id, after ``after``) holding messages written before
        ``cutoff`` whose bodies have a key of their own not yet destroyed."""
        ...
