"""Memory candidates from pgvector.

For one contact the search is exact: the btree on (tenant, contact, model) narrows to that
person's memories and they are ranked by cosine distance (``+ 0`` keeps the planner off the HNSW
index, whose post-filtering would drop rows). Across a tenant it uses the HNSW index with
pgvector 0.8's iterative scan (``relaxed_order``), so the tenant filter does not starve the
result. Both add memories that contain an entity of the query, whatever their similarity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.postgres.vectors import as_vector
from adapters.readmodels.engine import ReadModelReader
from application.memories.search import MemoryCandidate, Scope, SearchRequest

_COLUMNS = ("id, contact_id, kind, text, occurred_at, source_aggregate_id, source_version, part, "
            "1 - (embedding <=> %(v)s::vector) AS similarity")
DEFAULT_EF_SEARCH = 400  # recall@10 >= 0.95 in bench/memory.py (ADR 0041)


class PgMemoryCandidates:
    def __init__(self, reader: ReadModelReader, ef_search: int = DEFAULT_EF_SEARCH) -> None:
        self._reader = reader
        self._hnsw = {"hnsw.iterative_scan": "relaxed_order", "hnsw.ef_search": str(ef_search)}

    def candidates(self, tenant_id: UUID, *, scope: Scope, contact_id: UUID | None,
                   model: str, vector: list[float], texts: list[str],
                   limit: int) -> list[MemoryCandidate]:
        return self.candidates_many(tenant_id, [SearchRequest(scope, contact_id, limit)],
                                    model=model, vector=vector, texts=texts)[0]

    def candidates_many(self, tenant_id: UUID, requests: Sequence[SearchRequest], *,
                        model: str, vector: list[float], texts: list[str]
                        ) -> list[list[MemoryCandidate]]:
        """One statement: each request's query, its rows tagged with the request's index."""
        params: dict[str, Any] = {"t": tenant_id, "m": model, "v": as_vector(vector),
                                  "patterns": [f"%{text}%" for text in texts]}
        settings = None
        parts = []
        for n, request in enumerate(requests):
            query, hnsw = self._query(request.scope, request.contact_id, n, bool(texts))
            params[f"c{n}"], params[f"k{n}"] = request.contact_id, request.limit
            settings = self._hnsw if hnsw else settings
            parts.append(query if len(requests) == 1
                         else f"SELECT {n} AS request, q.* FROM ({query}) q")
        rows = self._reader.fetch(tenant_id, sql.SQL(" UNION ALL ".join(parts)), params,
                                  settings=settings)
        found: list[list[MemoryCandidate]] = [[] for _ in requests]
        for r in rows:
            found[r.get("request", 0)].append(MemoryCandidate(
                id=r["id"], contact_id=r["contact_id"], kind=r["kind"], text=r["text"],
                occurred_at=r["occurred_at"], source_aggregate_id=r["source_aggregate_id"],
                source_version=r["source_version"], part=r["part"],
                similarity=float(r["similarity"])))
        return found

    @staticmethod
    def _query(scope: Scope, contact_id: UUID | None, n: int, entities: bool
               ) -> tuple[str, bool]:
        """The SQL of one search (parameters ``c<n>``, ``k<n>``), and whether it uses the
        HNSW index (whose settings then apply)."""
        where = "tenant_id = %(t)s AND model = %(m)s"
        if scope == "contact":
            if contact_id is None:
                raise ValueError("a contact search needs the contact")
            where += f" AND contact_id = %(c{n})s"
            order = "ORDER BY (embedding <=> %(v)s::vector) + 0"
        else:
            if scope == "knowledge":
                where += " AND contact_id IS NULL"
            order = "ORDER BY embedding <=> %(v)s::vector"
        query = f"SELECT {_COLUMNS} FROM memories WHERE {where} {order} LIMIT %(k{n})s"
        if entities:
            query = (f"({query}) UNION (SELECT {_COLUMNS} FROM memories WHERE {where} "
                     f"AND text ILIKE ANY(%(patterns)s) LIMIT %(k{n})s)")
        return query, scope != "contact"


class PgContactMemories:
    """A contact's memories as plain data (for the access export)."""

    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def of_contact(self, tenant_id: UUID, contact_id: UUID) -> list[dict[str, Any]]:
        return self._reader.fetch(tenant_id, sql.SQL(
            "SELECT id, kind, text, occurred_at, source_aggregate_id, source_version, model "
            "FROM memories WHERE tenant_id = %(t)s AND contact_id = %(c)s "
            "ORDER BY occurred_at"), {"t": tenant_id, "c": contact_id})
