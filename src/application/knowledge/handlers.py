"""Adding a knowledge-base document: split into passages once, stored as one event."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports import CommandContext, UnitOfWork
from domain.knowledge import KnowledgeDocument
from domain.ports import Clock
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


class AddKnowledgeHandler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def __call__(self, command: AddKnowledge, uow: UnitOfWork,
                 ctx: CommandContext) -> KnowledgeAdded:
        document = KnowledgeDocument.add(document_id=new_id(), tenant_id=ctx.tenant_id,
                                         actor=ctx.actor, at=self._clock.now(),
                                         title=command.title, text=command.text,
                                         source=command.source)
        uow.add(document)
        return KnowledgeAdded(document.id, document.title, document.source,
                              list(document.passages), document.version)
