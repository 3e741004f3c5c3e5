"""Knowledge base: documents the assistant answers from."""

from application.knowledge.handlers import (
    COMMAND_HANDLERS,
    AddKnowledge,
    KnowledgeAdded,
    KnowledgeRemoved,
    RemoveKnowledge,
    ReviseKnowledge,
)

__all__ = ["COMMAND_HANDLERS", "AddKnowledge", "KnowledgeAdded", "KnowledgeRemoved",
           "RemoveKnowledge", "ReviseKnowledge"]
