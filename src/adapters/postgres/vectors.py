"""Embeddings as statement parameters in pgvector's binary form.

A Python list of floats is otherwise sent as a ``float8[]`` in text, which the server casts to
``vector``: psycopg formats each of the 384 floats in Python (0.40 ms of CPU per embedding,
with the GIL held) and the server parses them back. pgvector's own ``Vector`` packs them with
``array`` and ``struct`` instead (0.01 ms). Its psycopg dumper needs the type's OID, looked up
per connection (``register_vector``); this one leaves the OID unspecified, so the server takes
the type from where the parameter goes (a ``vector`` column, or an explicit ``::vector``) and
reads the bytes with ``vector_recv``. Registered once, for every connection.
"""

from __future__ import annotations

from typing import Any

import psycopg
from pgvector import Vector
from psycopg.adapt import Dumper
from psycopg.pq import Format


class VectorParameterDumper(Dumper):
    format = Format.BINARY
    oid = 0  # unspecified: resolved by the server from the parameter's context

    def dump(self, obj: Vector) -> bytes:
        return obj.to_binary()


psycopg.adapters.register_dumper(Vector, VectorParameterDumper)


def as_vector(value: Any) -> Any:
    """An embedding held as a list of floats, ready to be sent in binary; anything else (None,
    or the text form a row read back from the table holds) as it is."""
    return Vector(value) if isinstance(value, list) else value
