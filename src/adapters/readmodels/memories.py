"""Memory candidates from pgvector.

For one contact the search is exact: the btree on (tenant, contact, model) narrows to that
person's memories and they are ranked by cosine distance (``+ 0`` keeps the planner off the HNSW
index, whose post-filtering would drop rows). Across a tenant it uses the HNSW index with
pgvector 0.8's iterative scan (``relaxed_order``), so the tenant filter does not starve the
result. Both add memories that contain an entity of the query, whatever their similarity.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.readmodels.engine import ReadModelReader
from application.memories.search import MemoryCandidate, Scope

_COLUMNS = ("id, contact_id, kind, text, occurred_at, source_aggregate_id, source_version, part, "
            "1 - (embedding <=> %(v)s::vector) AS similarity")
DEFAULT_EF_SEARCH = 400  # recall@10 >= 0.95 in bench/memory.py (ADR 0041)


def vector_literal(vector: list[float]) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


class PgMemoryCandidates:
    def __init__(self, reader: ReadModelReader, ef_search: int = DEFAULT_EF_SEARCH) -> None:
        self._reader = reader
        self._hnsw = {"hnsw.iterative_scan": "relaxed_order", "hnsw.ef_search": str(ef_search)}

    def candidates(self, tenant_id: UUID, *, scope: Scope, contact_id: UUID | None,
                   model: str, vector: list[float], texts: list[str],
                   limit: int) -> list[MemoryCandidate]:
        params = {"t": tenant_id, "c": contact_id, "m": model, "v": vector_literal(vector),
                  "k": limit, "patterns": [f"%{text}%" for text in texts]}
        where = "tenant_id = %(t)s AND model = %(m)s"
        if scope == "contact":
            if contact_id is None:
                raise ValueError("a contact search needs the contact")
            where += " AND contact_id = %(c)s"
            order = "ORDER BY (embedding <=> %(v)s::vector) + 0"
            settings = None
        else:
            if scope == "knowledge":
                where += " AND contact_id IS NULL"
            order = "ORDER BY embedding <=> %(v)s::vector"
            settings = self._hnsw
        query = f"SELECT {_COLUMNS} FROM memories WHERE {where} {order} LIMIT %(k)s"
        if texts:
            query = (f"({query}) UNION (SELECT {_COLUMNS} FROM memories WHERE {where} "
                     "AND text ILIKE ANY(%(patterns)s) LIMIT %(k)s)")
        rows = self._reader.fetch(tenant_id, sql.SQL(query), params,
                                  settings=settings)
        return [MemoryCandidate(id=r["id"], contact_id=r["contact_id"], kind=r["kind"],
                                text=r["text"], occurred_at=r["occurred_at"],
                                source_aggregate_id=r["source_aggregate_id"],
                                source_version=r["source_version"], part=r["part"],
                                similarity=float(r["similarity"])) for r in rows]


class PgContactMemories:
    """A contact's memories as plain data (for the access export)."""

    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def of_contact(self, tenant_id: UUID, contact_id: UUID) -> list[dict[str, Any]]:
        return self._reader.fetch(tenant_id, sql.SQL(
            "SELECT id, kind, text, occurred_at, source_aggregate_id, source_version, model "
            "FROM memories WHERE tenant_id = %(t)s AND contact_id = %(c)s "
            "ORDER BY occurred_at"), {"t": tenant_id, "c": contact_id})
