"""The knowledge context's commands and handlers (``COMMAND_HANDLERS``): adding a document
splits it into passages once and stores it as one event; revising splits the new text again;
removing takes its passages out of retrieval."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.bus import Handlers
from application.ports import CommandContext, UnitOfWork
from domain.knowledge import KnowledgeDocument
from domain.shared.ids import new_id


@dataclass(frozen=True, slots=True)
class AddKnowledge:
    title: str
    text: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class ReviseKnowledge:
    document_id: UUID
    title: str
    text: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class RemoveKnowledge:
    document_id: UUID
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class KnowledgeAdded:
    id: UUID
    title: str
    source: str | None
    passages: list[str]
    version: int


@dataclass(frozen=True, slots=True)
class KnowledgeRemoved:
    id: UUID
    version: int
    already: bool
    """It was removed before this command (a retried removal changes nothing)."""


def add_knowledge(command: AddKnowledge, uow: UnitOfWork, ctx: CommandContext) -> KnowledgeAdded:
    document = KnowledgeDocument.add(document_id=new_id(), tenant_id=ctx.tenant_id,
                                     actor=ctx.actor, at=ctx.now, title=command.title,
                                     text=command.text, source=command.source)
    uow.add(document)
    return KnowledgeAdded(document.id, document.title, document.source,
                          list(document.passages), document.version)


def revise_knowledge(command: ReviseKnowledge, uow: UnitOfWork,
                     ctx: CommandContext) -> KnowledgeAdded:
    document = uow.get(KnowledgeDocument, command.document_id)
    document.revise(actor=ctx.actor, at=ctx.now, title=command.title, text=command.text,
                    source=command.source)
    uow.add(document)
    return KnowledgeAdded(document.id, document.title, document.source,
                          list(document.passages), document.version)


def remove_knowledge(command: RemoveKnowledge, uow: UnitOfWork,
                     ctx: CommandContext) -> KnowledgeRemoved:
    document = uow.get(KnowledgeDocument, command.document_id)
    if document.removed:  # a DELETE retried: the same outcome, no second event
        return KnowledgeRemoved(document.id, document.version, already=True)
    document.remove(actor=ctx.actor, at=ctx.now, reason=command.reason)
    uow.add(document)
    return KnowledgeRemoved(document.id, document.version, already=False)


COMMAND_HANDLERS: Handlers = {AddKnowledge: add_knowledge, ReviseKnowledge: revise_knowledge,
                              RemoveKnowledge: remove_knowledge}
