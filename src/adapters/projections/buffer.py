"""A batch's working set of read-model rows: fetched in one query per table, changed in memory
by the projection, written back inside the tracking transaction: a few rows as one pipelined
statement list, many (a rebuild batch) copied into a staging table and upserted by one
statement."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from pgvector.sqlalchemy import Vector
from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

from adapters.postgres.vectors import as_vector
from application.projections.base import Row, RowKey

COPY_FROM = 1_000
"""A table's upserts in one flush from which they are copied in rather than sent one by one."""

# Column types COPY can take by name; a table with any other (a pgvector embedding, sent as a
# statement parameter in binary: adapters.postgres.vectors) is never copied.
_COPY_TYPES: list[tuple[type[TypeEngine[Any]], str]] = [
    (Uuid, "uuid"), (Text, "text"), (BigInteger, "int8"), (Integer, "int4"),
    (Boolean, "bool"), (Date, "date"), (JSONB, "jsonb")]


_JSON_NULL = Jsonb(None)


def _copy_type(column_type: TypeEngine[Any]) -> str | None:
    if isinstance(column_type, DateTime):
        return "timestamptz" if column_type.timezone else "timestamp"
    for kind, name in _COPY_TYPES:
        if isinstance(column_type, kind):
            return name
    return None


class TableWriter:
    """SQL for one read-model table in one schema."""

    def __init__(self, table: Table, schema: str) -> None:
        self.table = table
        self.name = sql.Identifier(schema, table.name)
        # Generated columns (e.g. a stored tsvector) are computed by PostgreSQL, never written.
        self.columns = [c.name for c in table.columns if c.computed is None]
        self.key = [c.name for c in table.primary_key.columns]
        self.json = {c.name for c in table.columns if isinstance(c.type, JSONB)}
        self.vectors = {c.name for c in table.columns if isinstance(c.type, Vector)}
        key_types = [c.type.compile() if not isinstance(c.type, JSONB) else "jsonb"
                     for c in table.primary_key.columns]
        self.select = sql.SQL("SELECT * FROM {} WHERE ({}) IN (SELECT * FROM unnest({}))").format(
            self.name, sql.SQL(", ").join(map(sql.Identifier, self.key)),
            sql.SQL(", ").join(sql.SQL("%s::{}[]").format(sql.SQL(t)) for t in key_types))
        updates = [c for c in self.columns if c not in self.key]
        self.upsert = sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}"
                              ).format(
            self.name, sql.SQL(", ").join(map(sql.Identifier, self.columns)),
            sql.SQL(", ").join(sql.Placeholder() * len(self.columns)),
            sql.SQL(", ").join(map(sql.Identifier, self.key)),
            sql.SQL(", ").join(sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c),
                                                                  sql.Identifier(c))
                               for c in updates))
        self.delete = sql.SQL("DELETE FROM {} WHERE ({}) = ({})").format(
            self.name, sql.SQL(", ").join(map(sql.Identifier, self.key)),
            sql.SQL(", ").join(sql.Placeholder() * len(self.key)))
        # Many upserts: COPY (text format, each value dumped as its column's type, as a
        # parameter would be) into a staging table that lives until the commit, then one
        # INSERT ... SELECT with the same conflict rule.
        types = [_copy_type(c.type) for c in table.columns if c.computed is None]
        self.copy_types: list[str] | None = None if None in types else [
            t for t in types if t is not None]
        stage = sql.Identifier(f"frontdesk_stage_{table.name}")
        column_list = sql.SQL(", ").join(map(sql.Identifier, self.columns))
        self.create_stage = sql.SQL(
            "CREATE TEMPORARY TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
            stage, self.name)
        self.copy = sql.SQL("COPY {} ({}) FROM STDIN").format(stage, column_list)
        self.drop_stage = sql.SQL("DROP TABLE {}").format(stage)
        self.upsert_staged = sql.SQL(
            "INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) DO UPDATE SET {}").format(
            self.name, column_list, column_list, stage,
            sql.SQL(", ").join(map(sql.Identifier, self.key)),
            sql.SQL(", ").join(sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c),
                                                                  sql.Identifier(c))
                               for c in updates))

    def key_of(self, row: Row) -> RowKey:
        return tuple(row[c] for c in self.key)

    def values(self, row: Row) -> list[Any]:
        return [Jsonb(row[c]) if c in self.json else
                as_vector(row.get(c)) if c in self.vectors else row.get(c) for c in self.columns]

    def upsert_many(self, conn: psycopg.Connection[Any], rows: list[Row]) -> None:
        """Upsert ``rows`` (distinct keys) inside the caller's transaction."""
        if self.copy_types is None or len(rows) < COPY_FROM:
            with conn.cursor() as cursor:
                cursor.executemany(self.upsert, [self.values(row) for row in rows])
            return
        conn.execute(self.create_stage)
        columns, json = self.columns, self.json
        with conn.cursor() as cursor, cursor.copy(self.copy) as copy:
            copy.set_types(self.copy_types)  # jsonb columns take the row's lists and dicts
            write = copy.write_row
            if json:  # as in values(): a jsonb column is required and None is JSON null
                for row in rows:
                    write([row.get(c) if c not in json else
                           _JSON_NULL if row[c] is None else row[c] for c in columns])
            else:
                for row in rows:
                    write([row.get(c) for c in columns])
        conn.execute(self.upsert_staged)
        # Dropped now, not only at commit: a rebuild's swap applies several batches in one
        # transaction, and each creates the table again.
        conn.execute(self.drop_stage)

    def delete_where(self, column: str) -> sql.Composed:
        return sql.SQL("DELETE FROM {} WHERE tenant_id = %s AND {} = %s").format(
            self.name, sql.Identifier(column))

    def clear_where(self, column: str, cleared: tuple[str, ...]) -> sql.Composed:
        return sql.SQL("UPDATE {} SET {} WHERE tenant_id = %s AND {} = %s").format(
            self.name, sql.SQL(", ").join(sql.SQL("{} = NULL").format(sql.Identifier(c))
                                          for c in cleared), sql.Identifier(column))


class BufferedRows:
    """``ViewRows`` over a batch; ``load`` first, ``flush`` inside the tracking transaction.

    Each entry is ``[row, dirty]`` (``row`` None when absent or deleted), so a change costs one
    dictionary lookup: keys are tuples of UUIDs, whose hashing is Python code.
    """

    def __init__(self, writers: dict[str, TableWriter]) -> None:
        self._writers = writers
        self._rows: dict[str, dict[RowKey, list[Any]]] = {t: {} for t in writers}
        self._bulk_deletes: list[tuple[str, UUID, str, Any]] = []
        self._bulk_clears: list[tuple[str, UUID, str, Any, tuple[str, ...]]] = []

    def load(self, conn: psycopg.Connection[Any], wanted: dict[str, set[RowKey]]) -> None:
        for table, keys in wanted.items():
            known = self._rows[table]
            if known:
                keys = {k for k in keys if k not in known}
            if not keys:
                continue
            writer = self._writers[table]
            columns = list(zip(*keys, strict=True))
            for key in keys:
                known[key] = [None, False]
            for row in conn.execute(writer.select, [list(c) for c in columns]).fetchall():
                known[writer.key_of(row)][0] = row

    def get(self, table: str, key: RowKey) -> Row | None:
        entry = self._rows[table].get(key)
        return None if entry is None else entry[0]

    def put(self, table: str, key: RowKey, row: Row) -> None:
        self._rows[table][key] = [row, True]

    def delete(self, table: str, key: RowKey) -> None:
        self._rows[table][key] = [None, True]

    def delete_where(self, table: str, tenant_id: UUID, column: str, value: Any) -> None:
        for entry in self._rows[table].values():
            row = entry[0]
            if row is not None and row.get("tenant_id") == tenant_id and row.get(column) == value:
                entry[0], entry[1] = None, False  # the bulk delete below removes it
        self._bulk_deletes.append((table, tenant_id, column, value))

    def clear_where(self, table: str, tenant_id: UUID, column: str, value: Any,
                    cleared: tuple[str, ...]) -> None:
        for entry in self._rows[table].values():
            row = entry[0]
            if row is not None and row.get("tenant_id") == tenant_id and row.get(column) == value:
                entry[0], entry[1] = {**row, **dict.fromkeys(cleared)}, True
        self._bulk_clears.append((table, tenant_id, column, value, cleared))

    def flush(self, conn: psycopg.Connection[Any]) -> int:
        """Write every change; returns the number of rows written or deleted."""
        cursor = conn.cursor()
        for table, tenant_id, column, value in self._bulk_deletes:
            cursor.execute(self._writers[table].delete_where(column), (tenant_id, value))
        for table, tenant_id, column, value, cleared in self._bulk_clears:
            cursor.execute(self._writers[table].clear_where(column, cleared), (tenant_id, value))
        written = 0
        for table, entries in self._rows.items():
            writer = self._writers[table]
            upserts = [row for row, dirty in entries.values() if dirty and row is not None]
            deletes = [list(key) for key, (row, dirty) in entries.items()
                       if dirty and row is None]
            if deletes:
                cursor.executemany(writer.delete, deletes)
            if upserts:
                writer.upsert_many(conn, upserts)
            written += len(upserts) + len(deletes)
            for entry in entries.values():
                entry[1] = False
        self._bulk_deletes.clear()
        self._bulk_clears.clear()
        return written
