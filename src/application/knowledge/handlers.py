"""The knowledge context's commands and handlers (``COMMAND_HANDLERS``): adding a document
splits it into passages once and stores it as one event."""

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
class KnowledgeAdded:
    id: UUID
    title: str
    source: str | None
    passages: list[str]
    version: int


def add_knowledge(command: AddKnowledge, uow: UnitOfWork, ctx: CommandContext) -> KnowledgeAdded:
    document = KnowledgeDocument.add(document_id=new_id(), tenant_id=ctx.tenant_id,
                                     actor=ctx.actor, at=ctx.now, title=command.title,
                                     text=command.text, source=command.source)
    uow.add(document)
    return KnowledgeAdded(document.id, document.title, document.source,
                          list(document.passages), document.version)


COMMAND_HANDLERS: Handlers = {AddKnowledge: add_knowledge}
