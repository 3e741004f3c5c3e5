"""Users, API keys, authentication events and shared counters in PostgreSQL.

Every change of a user or key is written in one transaction with its ``auth_events`` row (one
pipeline segment, one round trip), so the audit log never misses one.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from adapters.eventstore.tenancy import SET_TENANT, execute_as_tenant, fetch_as_tenant
from adapters.postgres.database import DictPool
from application.identity.access import ApiKeyView, AuthEvent, EmailTaken, UserView

_USER_COLUMNS = "id, email, display_name, roles, disabled, created_at, updated_at"
_KEY_COLUMNS = ("id, prefix, name, roles, created_by, created_at, revoked_at, expires_at, "
                "last_used_at")
_UPDATABLE = {"roles", "disabled", "password_hash", "display_name"}
# The keys an actor created, the keys those keys created, and so on (UNION: no cycle), revoked
# with one api_key.revoked event each.
_REVOKE_KEYS_OF = """
WITH RECURSIVE chain (actor) AS (
    SELECT %(creator)s::text
    UNION
    SELECT 'api_key:' || k.id FROM api_keys k JOIN chain c ON k.created_by = c.actor
    WHERE k.tenant_id = %(tenant)s),
revoked AS (
    UPDATE api_keys SET revoked_at = clock_timestamp()
    WHERE tenant_id = %(tenant)s AND revoked_at IS NULL
      AND created_by IN (SELECT actor FROM chain)
    RETURNING id, created_by)
INSERT INTO auth_events (tenant_id, id, actor, action, resource_type, resource_id, ip,
                         user_agent, detail)
SELECT %(tenant)s, gen_random_uuid(), %(actor)s, 'api_key.revoked', 'api_key', r.id::text,
       %(ip)s, %(user_agent)s,
       jsonb_build_object('reason', 'its creator is no longer an enabled admin',
                          'created_by', r.created_by)
FROM revoked r"""


def auth_event_statement(event: AuthEvent) -> tuple[str, tuple[Any, ...]]:
    return ("INSERT INTO auth_events (tenant_id, id, actor, action, resource_type, "
            "resource_id, ip, user_agent, detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (event.tenant_id, event.id, event.actor, event.action, event.resource_type,
             event.resource_id, event.origin.ip, event.origin.user_agent, Jsonb(event.detail)))


def _user(row: dict[str, Any]) -> UserView:
    return UserView(row["id"], row["email"], row["display_name"], tuple(row["roles"]),
                    row["disabled"], row["created_at"], row["updated_at"])


def _key(row: dict[str, Any]) -> ApiKeyView:
    return ApiKeyView(row["id"], row["prefix"], row["name"], tuple(row["roles"]),
                      row["created_by"], row["created_at"], row["revoked_at"],
                      row["expires_at"], row["last_used_at"])


class PostgresAccessDirectory:
    def __init__(self, pool: DictPool) -> None:
        self._pool = pool

    def add_user(self, tenant_id: UUID, user_id: UUID, email: str, password_hash: str,
                 roles: tuple[str, ...], display_name: str | None, event: AuthEvent) -> None:
        try:
            with self._pool.connection() as conn:
                execute_as_tenant(conn, tenant_id, [
                    ("INSERT INTO users (tenant_id, id, email, password_hash, roles, "
                     "display_name) VALUES (%s, %s, %s, %s, %s, %s)",
                     (tenant_id, user_id, email, password_hash, list(roles), display_name)),
                    auth_event_statement(event)])
        except psycopg.errors.UniqueViolation as error:
            raise EmailTaken("a user with this email already exists", email=email) from error

    def update_user(self, tenant_id: UUID, user_id: UUID, changes: dict[str, Any],
                    revoke_tokens: bool, event: AuthEvent,
                    revoke_keys_of: str | None = None) -> None:
        assert set(changes) <= _UPDATABLE, changes
        sets: list[sql.Composable] = [sql.SQL("{} = %s").format(sql.Identifier(name))
                                      for name in changes]
        sets.append(sql.SQL("updated_at = now()"))
        if revoke_tokens:
            sets.append(sql.SQL("tokens_valid_after = clock_timestamp()"))
        query = sql.SQL("UPDATE users SET {} WHERE tenant_id = %s AND id = %s").format(
            sql.SQL(", ").join(sets))
        statements: list[tuple[Any, Any]] = [
            (query, (*changes.values(), tenant_id, user_id)), auth_event_statement(event)]
        if revoke_keys_of is not None:
            statements.append((_REVOKE_KEYS_OF, {
                "creator": revoke_keys_of, "tenant": tenant_id, "actor": event.actor,
                "ip": event.origin.ip, "user_agent": event.origin.user_agent}))
        with self._pool.connection() as conn:
            execute_as_tenant(conn, tenant_id, statements)

    def user(self, tenant_id: UUID, user_id: UUID) -> UserView | None:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id, f"SELECT {_USER_COLUMNS} FROM users "
                                   "WHERE tenant_id = %s AND id = %s", (tenant_id, user_id))
        return _user(rows[0]) if rows else None

    def users(self, tenant_id: UUID) -> list[UserView]:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id, f"SELECT {_USER_COLUMNS} FROM users "
                                   "WHERE tenant_id = %s ORDER BY created_at, id", (tenant_id,))
        return [_user(r) for r in rows]

    def add_key(self, tenant_id: UUID, key: ApiKeyView, secret_hash: bytes,
                event: AuthEvent) -> None:
        with self._pool.connection() as conn:
            execute_as_tenant(conn, tenant_id, [
                ("INSERT INTO api_keys (tenant_id, id, prefix, secret_hash, name, roles, "
                 "created_by, created_at, expires_at) "
                 "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                 (tenant_id, key.id, key.prefix, secret_hash, key.name, list(key.roles),
                  key.created_by, key.created_at, key.expires_at)),
                auth_event_statement(event)])

    def revoke_key(self, tenant_id: UUID, key_id: UUID, at: datetime,
                   event: AuthEvent) -> bool:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(SET_TENANT, (str(tenant_id),))
            found = conn.execute("UPDATE api_keys SET revoked_at = coalesce(revoked_at, %s) "
                                 "WHERE tenant_id = %s AND id = %s RETURNING id",
                                 (at, tenant_id, key_id)).fetchone()
            if found is not None:
                conn.execute(*auth_event_statement(event))
        return found is not None

    def keys(self, tenant_id: UUID) -> list[ApiKeyView]:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id, f"SELECT {_KEY_COLUMNS} FROM api_keys "
                                   "WHERE tenant_id = %s ORDER BY created_at, id", (tenant_id,))
        return [_key(r) for r in rows]

    def record(self, event: AuthEvent) -> None:
        with self._pool.connection() as conn:
            execute_as_tenant(conn, event.tenant_id, [auth_event_statement(event)])


# -- counters ---------------------------------------------------------------------------------

HIT = ("INSERT INTO rate_counters AS c (key, window_start, hits, expires_at) "
       "SELECT k, %(w)s, 1, to_timestamp(%(end)s) FROM unnest(%(keys)s::text[]) AS k "
       "ON CONFLICT (key, window_start) DO UPDATE SET hits = c.hits + 1 "
       "RETURNING key, hits")
HIT_BY = ("INSERT INTO rate_counters AS c (key, window_start, hits, expires_at) "
          "SELECT k, %(w)s, n, to_timestamp(%(end)s) "
          "FROM unnest(%(keys)s::text[], %(ns)s::int[]) AS t(k, n) "
          "ON CONFLICT (key, window_start) DO UPDATE SET hits = c.hits + EXCLUDED.hits "
          "RETURNING key, hits")
PEEK = ("SELECT key, hits FROM rate_counters WHERE key = ANY(%(keys)s) AND window_start = %(w)s")


def window_of(seconds: int, now: float | None = None) -> tuple[int, int, int]:
    """(window start, window end, seconds left) of the fixed window containing ``now``."""
    now = time.time() if now is None else now
    start = int(now // seconds * seconds)
    return start, start + seconds, max(1, int(start + seconds - now + 0.999))


class PostgresCounters:
    """Fixed-window counters in the UNLOGGED ``rate_counters`` table (a crash forgets them,
    which errs on the side of letting requests in)."""

    def __init__(self, pool: DictPool) -> None:
        self._pool = pool

    def peek(self, keys: list[str], window: int) -> dict[str, tuple[int, int]]:
        start, _, left = window_of(window)
        with self._pool.connection() as conn:
            rows = conn.execute(PEEK, {"keys": keys, "w": start}).fetchall()
        found = {r["key"]: int(r["hits"]) for r in rows}
        return {key: (found.get(key, 0), left) for key in keys}

    def hit(self, keys: list[str], window: int) -> None:
        start, end, _ = window_of(window)
        with self._pool.connection() as conn:
            conn.execute(HIT, {"keys": keys, "w": start, "end": end})

    def clear(self, key: str, window: int) -> None:
        start, _, _ = window_of(window)
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM rate_counters WHERE key = %s AND window_start = %s",
                         (key, start))

    def expire(self) -> int:
        with self._pool.connection() as conn:
            cursor = conn.execute("DELETE FROM rate_counters WHERE expires_at < now()")
            return cursor.rowcount
