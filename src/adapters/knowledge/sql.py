"""The retrieval query over the stored tsvector (GIN-indexed), and the document list."""

from __future__ import annotations

from typing import LiteralString

SEARCH: LiteralString = (
    "SELECT p.document_id, p.sequence, p.title, p.text, ts_rank_cd(p.search, q) AS score "
    "FROM knowledge_passages p, to_tsquery('english', %(query)s) q "
    "WHERE p.tenant_id = %(tenant)s AND p.search @@ q "
    "ORDER BY score DESC, p.document_id, p.sequence LIMIT %(limit)s")

DOCUMENTS: LiteralString = (
    "SELECT document_id, min(title) AS title, min(source) AS source, count(*) AS passages, "
    "min(created_at) AS created_at FROM knowledge_passages WHERE tenant_id = %(tenant)s "
    "GROUP BY document_id ORDER BY min(created_at) DESC, document_id LIMIT %(limit)s")

PASSAGES: LiteralString = (
    "SELECT sequence, title, source, text FROM knowledge_passages "
    "WHERE tenant_id = %(tenant)s AND document_id = %(document)s ORDER BY sequence")
"""One document's passages, in order (what the console's edit form starts from)."""
