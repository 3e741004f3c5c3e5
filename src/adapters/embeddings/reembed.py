"""Re-embed memories of an older model in the background (``frontdesk memories reembed``).

Searches use only rows of the current model, so while this runs older memories are simply not
found; each batch is committed on its own and rows are claimed with SKIP LOCKED, so several
runs (or a crash and a rerun) share the work without doing it twice.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.postgres.database import DictPool
from adapters.postgres.vectors import as_vector
from domain.ports import Embedder


def pending(pool: DictPool, embedder: Embedder) -> int:
    with pool.connection() as conn:
        row = conn.execute("SELECT count(*) AS n FROM memories WHERE model <> %s",
                           (embedder.model,)).fetchone()
    return int(row["n"]) if row else 0


def reembed(pool: DictPool, embedder: Embedder, *, batch: int = 256,
            progress: Callable[[int], None] | None = None) -> int:
    done = 0
    with pool.connection() as conn:
        while True:
            with conn.transaction():
                rows = conn.execute(
                    "SELECT tenant_id, id, text FROM memories WHERE model <> %s LIMIT %s "
                    "FOR UPDATE SKIP LOCKED", (embedder.model, batch)).fetchall()
                if not rows:
                    return done
                vectors = embedder.embed([r["text"] for r in rows])
                conn.cursor().executemany(
                    "UPDATE memories SET embedding = %s::vector, model = %s "
                    "WHERE tenant_id = %s AND id = %s",
                    [(as_vector(v), embedder.model, r["tenant_id"], r["id"])
                     for r, v in zip(rows, vectors, strict=True)])
            done += len(rows)
            if progress is not None:
                progress(len(rows))
