"""Knowledge base: documents the assistant answers from."""

from application.knowledge.handlers import AddKnowledge, AddKnowledgeHandler, KnowledgeAdded

__all__ = ["AddKnowledge", "AddKnowledgeHandler", "KnowledgeAdded"]
