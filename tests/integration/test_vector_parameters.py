"""Embeddings sent as binary statement parameters arrive as the vectors they are."""

from __future__ import annotations

import random
from typing import Any

import psycopg

from adapters.postgres.vectors import as_vector


def test_an_embedding_sent_in_binary_is_stored_as_its_text_form_would_be(
        owner_url: str, container: Any) -> None:  # container: the database is migrated
    rng = random.Random(7)
    vector = [rng.uniform(-1, 1) for _ in range(384)]
    text = "[" + ",".join(repr(x) for x in vector) + "]"
    with psycopg.connect(owner_url) as conn:
        conn.execute("CREATE TEMPORARY TABLE embeddings (id int PRIMARY KEY, e vector(384))")
        with conn.cursor() as cursor:  # as the projections write: a column infers the type
            cursor.executemany("INSERT INTO embeddings VALUES (%s, %s) ON CONFLICT (id) "
                               "DO UPDATE SET e = EXCLUDED.e",
                               [(1, as_vector(vector)), (2, as_vector(None)),
                                (1, as_vector(vector))])
        row = conn.execute("SELECT e = %s::vector FROM embeddings WHERE id = 1",
                           (text,)).fetchone()
        assert row is not None and row[0] is True
        # As a search parameter, cast explicitly: the stored vector is its own nearest.
        distance = conn.execute("SELECT e <=> %s::vector FROM embeddings WHERE id = 1",
                                (as_vector(vector),)).fetchone()
        assert distance is not None and abs(distance[0]) < 1e-6
        assert conn.execute("SELECT e IS NULL FROM embeddings WHERE id = 2").fetchone() == (True,)
        # A row read back holds the text form; written again, it is sent as text and parsed.
        stored = conn.execute("SELECT e FROM embeddings WHERE id = 1").fetchone()
        assert stored is not None and isinstance(stored[0], str)
        conn.execute("UPDATE embeddings SET e = %s WHERE id = 2", (as_vector(stored[0]),))
        same = conn.execute("SELECT a.e = b.e FROM embeddings a, embeddings b "
                            "WHERE a.id = 1 AND b.id = 2").fetchone()
        assert same == (True,)
