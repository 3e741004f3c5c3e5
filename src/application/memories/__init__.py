"""Memory search: candidates from the memory index, scored with explained parts."""

from application.memories.scoring import Scoring, extract_entities
from application.memories.search import MemoryHit, MemorySearch, SearchRequest, SearchResult

__all__ = ["MemoryHit", "MemorySearch", "Scoring", "SearchRequest", "SearchResult",
           "extract_entities"]
