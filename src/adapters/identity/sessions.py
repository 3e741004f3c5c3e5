"""Refresh-token families and revoked access tokens in PostgreSQL, under row-level security
(migration 0013, ADR 0079). Each change that ends a session is written in one transaction with
its ``auth_events`` row."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from adapters.eventstore.tenancy import SET_TENANT
from adapters.identity.access import auth_event_statement
from adapters.postgres.database import DictPool
from application.identity.access import AuthEvent
from application.identity.sessions import PresentedRefresh, StoredRefresh

_INSERT = ("INSERT INTO refresh_tokens (tenant_id, id, family_id, user_id, token_hash, "
           "family_started_at, expires_at, access_token_id, access_expires_at) ")

_SPEND = """
WITH presented AS (
    SELECT r.id, r.family_id, r.family_started_at, r.user_id, r.expires_at,
           CASE WHEN r.revoked_at IS NOT NULL THEN 'revoked'
                WHEN r.spent_at IS NOT NULL THEN 'spent' ELSE 'fresh' END AS state
    FROM refresh_tokens r WHERE r.tenant_id = %(t)s AND r.token_hash = %(h)s FOR UPDATE),
spent AS (
    UPDATE refresh_tokens r SET spent_at = clock_timestamp() FROM presented p
    WHERE r.tenant_id = %(t)s AND r.id = p.id AND p.state = 'fresh')
SELECT p.family_id, p.family_started_at, p.user_id, p.state, p.expires_at,
       u.roles, u.disabled, u.tokens_valid_after
FROM presented p JOIN users u ON u.tenant_id = %(t)s AND u.id = p.user_id
"""

_END_FAMILY = [
    ("INSERT INTO revoked_tokens (tenant_id, token_id, expires_at) "
     "SELECT tenant_id, access_token_id, access_expires_at FROM refresh_tokens "
     "WHERE tenant_id = %(t)s AND family_id = %(f)s AND access_expires_at > now() "
     "ON CONFLICT DO NOTHING"),
    ("UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, clock_timestamp()) "
     "WHERE tenant_id = %(t)s AND family_id = %(f)s"),
]


def _values(tenant_id: UUID, family_id: UUID, token: StoredRefresh) -> dict[str, Any]:
    return {"t": tenant_id, "id": token.id, "f": family_id, "u": token.user_id,
            "h": token.token_hash, "exp": token.expires_at, "a": token.access_token_id,
            "aexp": token.access_expires_at}


class PostgresSessionStore:
    def __init__(self, pool: DictPool) -> None:
        self._pool = pool

    def _as_tenant(self, tenant_id: UUID, *statements: tuple[str, Any]) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(SET_TENANT, (str(tenant_id),))
            for query, params in statements:
                conn.execute(query, params)

    def start(self, tenant_id: UUID, family_id: UUID, token: StoredRefresh) -> None:
        self._as_tenant(tenant_id, (
            _INSERT + "VALUES (%(t)s, %(id)s, %(f)s, %(u)s, %(h)s, now(), %(exp)s, %(a)s, "
                      "%(aexp)s)", _values(tenant_id, family_id, token)))

    def follow(self, tenant_id: UUID, family_id: UUID, token: StoredRefresh) -> None:
        self._as_tenant(tenant_id, (
            _INSERT + "SELECT %(t)s, %(id)s, %(f)s, %(u)s, %(h)s, min(family_started_at), "
                      "%(exp)s, %(a)s, %(aexp)s FROM refresh_tokens "
                      "WHERE tenant_id = %(t)s AND family_id = %(f)s",
            _values(tenant_id, family_id, token)))

    def spend(self, tenant_id: UUID, token_hash: bytes) -> PresentedRefresh | None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(SET_TENANT, (str(tenant_id),))
            row = conn.execute(_SPEND, {"t": tenant_id, "h": token_hash}).fetchone()
        if row is None:
            return None
        return PresentedRefresh(row["family_id"], row["family_started_at"], row["user_id"],
                                row["state"], row["expires_at"], tuple(row["roles"]),
                                row["disabled"], row["tokens_valid_after"])

    def end_family(self, tenant_id: UUID, family_id: UUID, event: AuthEvent) -> None:
        self._as_tenant(tenant_id,
                        *((statement, {"t": tenant_id, "f": family_id})
                          for statement in _END_FAMILY),
                        auth_event_statement(event))

    def revoke_access(self, tenant_id: UUID, token_id: str, expires_at: datetime,
                      event: AuthEvent) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(SET_TENANT, (str(tenant_id),))
            conn.execute("DELETE FROM revoked_tokens WHERE tenant_id = %s AND expires_at < now()",
                         (tenant_id,))  # the tenant's revocations of tokens now expired anyway
            conn.execute("INSERT INTO revoked_tokens (tenant_id, token_id, expires_at) "
                         "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                         (tenant_id, token_id, expires_at))
            family = conn.execute("SELECT family_id FROM refresh_tokens "
                                  "WHERE tenant_id = %s AND access_token_id = %s",
                                  (tenant_id, token_id)).fetchone()
            if family is not None:
                for statement in _END_FAMILY:
                    conn.execute(statement, {"t": tenant_id, "f": family["family_id"]})
            conn.execute(*auth_event_statement(event))
