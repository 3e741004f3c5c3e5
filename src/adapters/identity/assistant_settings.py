"""A tenant's assistant settings, kept in ``tenants.settings -> 'assistant'`` (read and written
as that tenant, under row-level security), cached for a few seconds per process. What is saved
and what is read back both become the domain's AssistantSettings, which refuses bad values."""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from adapters.eventstore.tenancy import execute_as_tenant, fetch_as_tenant
from adapters.postgres.database import DictPool
from domain.conversations import AssistantSettings, HandoffRules


def parse_settings(raw: dict[str, Any]) -> AssistantSettings:
    """Settings from their stored form: unknown keys are ignored, missing ones take the
    defaults; the value object raises InvalidValue (a 422) for what it refuses."""
    defaults = AssistantSettings()
    handoff = HandoffRules(
        keywords=tuple(str(k) for k in raw.get("handoff_keywords", ())),
        max_ai_turns=int(raw.get("max_ai_turns", defaults.handoff.max_ai_turns)),
        min_confidence=float(raw.get("min_confidence", defaults.handoff.min_confidence)))
    return AssistantSettings(
        persona=str(raw.get("persona") or defaults.persona),
        rules=tuple(str(r) for r in raw.get("rules", ())),
        assistant_name=str(raw.get("assistant_name") or defaults.assistant_name),
        handoff=handoff,
        context_token_budget=int(raw.get("context_token_budget",
                                         defaults.context_token_budget)),
        max_reply_tokens=int(raw.get("max_reply_tokens", defaults.max_reply_tokens)),
        senders={str(k): str(v) for k, v in dict(raw.get("senders", {})).items()},
        dispositions=frozenset(str(c) for c in raw.get("dispositions", ())),
        auto_reply=bool(raw.get("auto_reply", False)))


class PostgresAssistantSettings:
    def __init__(self, pool: DictPool, *, ttl: float = 5.0) -> None:
        self._pool, self._ttl = pool, ttl
        self._cache: dict[UUID, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def raw(self, tenant_id: UUID) -> dict[str, Any]:
        with self._lock:
            cached = self._cache.get(tenant_id)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id,
                                   "SELECT settings -> 'assistant' AS assistant FROM tenants "
                                   "WHERE id = %s", (tenant_id,))
        raw = dict(rows[0]["assistant"] or {}) if rows else {}
        with self._lock:
            self._cache[tenant_id] = (time.monotonic(), raw)
        return raw

    def for_tenant(self, tenant_id: UUID) -> AssistantSettings:
        return parse_settings(self.raw(tenant_id))

    def save(self, tenant_id: UUID, raw: dict[str, Any]) -> AssistantSettings:
        parsed = parse_settings(raw)  # refuse what would not parse later
        with self._pool.connection() as conn:
            execute_as_tenant(conn, tenant_id, [(
                "UPDATE tenants SET settings = jsonb_set(settings, '{assistant}', %s) "
                "WHERE id = %s", (Jsonb(raw), tenant_id))])
        with self._lock:
            self._cache.pop(tenant_id, None)
        return parsed

    def slug_of(self, tenant_id: UUID) -> str | None:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id, "SELECT slug FROM tenants WHERE id = %s",
                                   (tenant_id,))
        return str(rows[0]["slug"]) if rows else None
