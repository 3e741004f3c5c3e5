"""Rows held in memory: for as-of answers (computed without touching the live view) and tests."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.projections.base import Row, RowKey


class MemoryRows:
    def __init__(self) -> None:
        self.tables: dict[str, dict[RowKey, Row]] = {}

    def get(self, table: str, key: RowKey) -> Row | None:
        return self.tables.get(table, {}).get(key)

    def put(self, table: str, key: RowKey, row: Row) -> None:
        self.tables.setdefault(table, {})[key] = row

    def delete(self, table: str, key: RowKey) -> None:
        self.tables.get(table, {}).pop(key, None)

    def delete_where(self, table: str, tenant_id: UUID, column: str, value: Any) -> None:
        rows = self.tables.get(table, {})
        for key in [k for k, r in rows.items()
                    if r.get("tenant_id") == tenant_id and r.get(column) == value]:
            del rows[key]

    def clear_where(self, table: str, tenant_id: UUID, column: str, value: Any,
                    cleared: tuple[str, ...]) -> None:
        rows = self.tables.get(table, {})
        for key, row in rows.items():
            if row.get("tenant_id") == tenant_id and row.get(column) == value:
                rows[key] = {**row, **dict.fromkeys(cleared)}

    def rows(self, table: str) -> list[Row]:
        return list(self.tables.get(table, {}).values())
