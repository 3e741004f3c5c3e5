"""Webhook subscriptions (their read model) and their deliveries (the delivery queue, read as
the tenant: row-level security keeps other tenants' rows out)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.readmodels.engine import ReadModelReader, decode_cursor, encode_cursor
from application.ports import BadCursor, Page
from application.webhooks.views import DeliveryView, SubscriptionView

_POSITION = re.compile(r"^\d{1,20}:\d{1,20}$")


def subscription_view(row: dict[str, Any]) -> SubscriptionView:
    return SubscriptionView(id=row["id"], url=row["url"], event_types=list(row["event_types"]),
                            description=row["description"], status=row["status"],
                            disabled_reason=row["disabled_reason"], version=row["version"],
                            created_at=row["created_at"], updated_at=row["updated_at"])


def delivery_view(row: dict[str, Any]) -> DeliveryView:
    pending = row["status"] == "pending"
    return DeliveryView(
        id=f"{row['tx']}:{row['event_id']}", event_type=row["event_type"],
        aggregate_id=row["aggregate_id"], aggregate_version=row["aggregate_version"],
        status=row["status"], attempts=row["attempts"], enqueued_at=row["enqueued_at"],
        next_attempt_at=row["next_attempt_at"] if pending else None,
        first_attempt_at=row["first_attempt_at"], last_attempt_at=row["last_attempt_at"],
        last_status_code=row["last_status_code"], last_error=row["last_error"],
        finished_at=row["finished_at"])


class SqlSubscriptionQueries:
    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def one(self, tenant_id: UUID, subscription_id: UUID) -> SubscriptionView | None:
        rows = self._reader.fetch(tenant_id, "SELECT * FROM webhook_subscriptions "
                                  "WHERE tenant_id = %(t)s AND id = %(id)s",
                                  {"t": tenant_id, "id": subscription_id})
        return subscription_view(rows[0]) if rows else None

    def page(self, tenant_id: UUID, *, status: str | None, limit: int,
             cursor: str | None) -> Page[SubscriptionView]:
        params: dict[str, Any] = {"t": tenant_id, "limit": limit + 1}
        where: list[sql.Composable] = [sql.SQL("tenant_id = %(t)s")]
        if status:
            where.append(sql.SQL("status = %(status)s"))
            params["status"] = status
        if cursor:
            params["at"], params["after"] = decode_cursor(cursor)
            where.append(sql.SQL("(created_at, id) < (%(at)s, %(after)s)"))
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT * FROM webhook_subscriptions WHERE {} ORDER BY created_at DESC, id DESC "
            "LIMIT %(limit)s").format(sql.SQL(" AND ").join(where)), params)
        items = [subscription_view(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(items[-1].created_at, items[-1].id) if more else None)

    def deliveries(self, tenant_id: UUID, subscription_id: UUID, *, status: str | None,
                   limit: int, cursor: str | None) -> Page[DeliveryView]:
        """Newest event first; the cursor is the last item's position."""
        params: dict[str, Any] = {"t": tenant_id, "s": subscription_id, "limit": limit + 1}
        where: list[sql.Composable] = [sql.SQL("tenant_id = %(t)s AND subscription_id = %(s)s")]
        if status:
            where.append(sql.SQL("status = %(status)s"))
            params["status"] = status
        if cursor:
            if not _POSITION.match(cursor):
                raise BadCursor("this cursor was not issued by this service")
            tx, _, nid = cursor.partition(":")
            params["tx"], params["nid"] = tx, int(nid)
            where.append(sql.SQL("(event_tx, event_id) < (%(tx)s::xid8, %(nid)s)"))
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT *, event_tx::text AS tx FROM webhook_deliveries WHERE {} "
            "ORDER BY event_tx DESC, event_id DESC LIMIT %(limit)s").format(
                sql.SQL(" AND ").join(where)), params)
        items = [delivery_view(r) for r in rows[:limit]]
        return Page(items, items[-1].id if len(rows) > limit else None)
