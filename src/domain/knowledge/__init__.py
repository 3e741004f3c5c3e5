"""Knowledge base: the tenant's documents, split into passages the assistant retrieves."""

from domain.knowledge.chunking import chunk_text
from domain.knowledge.document import KnowledgeDocument

__all__ = ["KnowledgeDocument", "chunk_text"]
