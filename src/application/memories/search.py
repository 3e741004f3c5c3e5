"""Memory search for a contact (and, for AI replies, across a tenant's knowledge)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

from application.memories.scoring import Entity, Scoring, extract_entities
from domain.ports import Clock, Embedder


@dataclass(frozen=True, slots=True)
class MemoryCandidate:
    id: UUID
    contact_id: UUID | None
    kind: str
    text: str
    occurred_at: datetime
    source_aggregate_id: UUID
    source_version: int
    similarity: float
    part: int = 0


Scope = Literal["contact", "knowledge", "tenant"]
"""Which memories a search looks at: one contact's (``contact_id``), the tenant's knowledge
base (no contact), or everything of the tenant (operators and benchmarks only: an answer for
one customer must never draw on another's memories)."""


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One of several searches for the same query (``MemorySearch.search_many``)."""

    scope: Scope
    contact_id: UUID | None
    limit: int


class MemoryCandidates(Protocol):
    def candidates_many(self, tenant_id: UUID, requests: Sequence[SearchRequest], *,
                        model: str, vector: list[float], texts: list[str]
                        ) -> list[list[MemoryCandidate]]:
        """For each request, in one round trip: the ``limit`` most similar current-model
        memories in its scope, plus any containing one of ``texts`` (entity matches), each
        with its cosine similarity to ``vector``."""
        ...


@dataclass(frozen=True, slots=True)
class MemoryHit:
    memory: MemoryCandidate
    score: float
    similarity: float
    decay: float
    age_days: float
    entity_boost: float
    entities_matched: list[Entity]


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[MemoryHit]
    model: str
    latency_ms: float
    entities: list[Entity]


class MemorySearch:
    def __init__(self, candidates: MemoryCandidates, embedder: Embedder, clock: Clock,
                 scoring: Scoring, observe: Callable[[SearchResult], None] | None = None,
                 ) -> None:
        self._candidates, self._embedder, self._clock = candidates, embedder, clock
        self._scoring, self._observe = scoring, observe

    def search(self, tenant_id: UUID, query: str, *, contact_id: UUID | None,
               limit: int = 10, scope: Scope | None = None) -> SearchResult:
        """``scope`` defaults to the contact's memories when ``contact_id`` is given, else
        to the knowledge base. Knowledge does not decay with age (a price list is as valid
        as its document, which is removed when it is not)."""
        scope = scope or ("contact" if contact_id is not None else "knowledge")
        return self.search_many(tenant_id, query, [SearchRequest(scope, contact_id, limit)])[0]

    def search_many(self, tenant_id: UUID, query: str,
                    requests: Sequence[SearchRequest]) -> list[SearchResult]:
        """Several searches for one query (the knowledge base and a contact's memories, for
        an AI reply): one embedding, one round trip; each result is what ``search`` gives
        for its request."""
        started = time.perf_counter()
        entities = extract_entities(query)
        vector = self._embedder.embed([query])[0]
        found = self._candidates.candidates_many(
            tenant_id, [SearchRequest(r.scope, r.contact_id, _candidate_count(r.limit))
                        for r in requests],
            model=self._embedder.model, vector=vector, texts=_entity_texts(entities))
        return [self._rank(candidates, entities, r.limit, started)
                for r, candidates in zip(requests, found, strict=True)]

    def _rank(self, candidates: list[MemoryCandidate], entities: list[Entity], limit: int,
              started: float) -> SearchResult:
        now = self._clock.now()
        hits = []
        for candidate in candidates:
            decay = 1.0 if candidate.kind == "knowledge" else self._scoring.decay(
                candidate.occurred_at, now)
            boost, matched = self._scoring.boost(candidate.text, entities)
            similarity = max(0.0, candidate.similarity)
            hits.append(MemoryHit(
                memory=candidate, score=similarity * decay + boost, similarity=similarity,
                decay=decay, age_days=max(0.0, (now - candidate.occurred_at).total_seconds())
                / 86_400, entity_boost=boost, entities_matched=matched))
        hits.sort(key=lambda hit: hit.score, reverse=True)
        result = SearchResult(hits=hits[:limit], model=self._embedder.model,
                              latency_ms=(time.perf_counter() - started) * 1000,
                              entities=entities)
        if self._observe is not None:
            self._observe(result)
        return result


def _entity_texts(entities: list[Entity]) -> list[str]:
    """The entities a memory is found by, whatever its similarity."""
    return [e.value for e in entities if e.kind in ("email", "name", "date")]


def _candidate_count(limit: int) -> int:
    """Candidates fetched for ``limit`` hits (ranking re-orders them)."""
    return max(limit * 5, 50)
