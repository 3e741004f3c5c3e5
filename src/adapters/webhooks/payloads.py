"""Webhook bodies, rendered from the log at each attempt with the event-history rendering, so
a delivery's ``data`` is what ``GET /v1/<resource>/{id}/events`` shows for that event. Nothing
is copied into the queue: an erased person's fields read ``[erased]`` in any later attempt."""

from __future__ import annotations

import json

from adapters.eventstore.history import history_data
from adapters.eventstore.mapper import PersonalDataMapper, _resolve
from adapters.postgres.database import DictPool
from adapters.projections.reader import StoredRow
from application.webhooks.catalog import aggregate_type
from application.webhooks.ports import Delivery


class LogPayloads:
    def __init__(self, pool: DictPool, mapper: PersonalDataMapper) -> None:
        self._pool, self._mapper = pool, mapper

    def render(self, delivery: Delivery) -> bytes:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT originator_id, originator_version, topic, state, tenant_id, subject_id, "
                "occurred_at FROM events WHERE tenant_id = %s AND originator_id = %s "
                "AND originator_version = %s",
                (delivery.tenant_id, delivery.aggregate_id, delivery.aggregate_version)
            ).fetchone()
        if row is None:
            raise LookupError(f"no event at {delivery.position}")
        stored = StoredRow(row["originator_id"], row["originator_version"], row["topic"],
                           bytes(row["state"]), row["tenant_id"], row["subject_id"],
                           row["occurred_at"])
        cls = _resolve(stored.topic)
        at, actor, data = history_data(cls, self._mapper.decode_state(stored))
        return render(delivery.position, cls, at, str(delivery.aggregate_id),
                      delivery.aggregate_version, actor, data)


def render(position: str, cls: type, at: str, aggregate_id: str, version: int, actor: str,
           data: dict[str, object]) -> bytes:
    """``{type, id, timestamp, data: {aggregate_id, aggregate_type, version, actor, data}}``
    as compact JSON (the bytes that are signed and sent)."""
    body = {"type": cls.__name__, "id": position, "timestamp": at,
            "data": {"aggregate_id": aggregate_id, "aggregate_type": aggregate_type(cls),
                     "version": version, "actor": actor, "data": data}}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
