"""The tenants' inbound-email secrets in PostgreSQL (ADR 0082): 32 random bytes wrapped by the
active key-encryption key (RFC 3394, like data keys), so a reader of the database or a backup
cannot sign; read back unwrapped on each inbound email (no cache: a rotation holds at once in
every process)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from adapters.crypto.keys import KeyEncryptionKeys
from adapters.eventstore.tenancy import execute_as_tenant, fetch_as_tenant
from adapters.identity.access import auth_event_statement
from adapters.postgres.database import DictPool
from application.identity.access import AuthEvent
from application.identity.email_secrets import render_secret


class PostgresEmailSecrets:
    def __init__(self, pool: DictPool, keks: KeyEncryptionKeys) -> None:
        self._pool, self._keks = pool, keks

    def secret_of(self, tenant_id: UUID) -> str | None:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id, "SELECT kek_id, wrapped_secret FROM "
                                   "inbound_email_secrets WHERE tenant_id = %s", (tenant_id,))
        if not rows:
            return None
        return render_secret(self._keks.unwrap(rows[0]["kek_id"],
                                               bytes(rows[0]["wrapped_secret"])))

    def rotated_at(self, tenant_id: UUID) -> datetime | None:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id, "SELECT rotated_at FROM "
                                   "inbound_email_secrets WHERE tenant_id = %s", (tenant_id,))
        return rows[0]["rotated_at"] if rows else None

    def replace(self, tenant_id: UUID, secret: bytes, at: datetime, actor: str,
                event: AuthEvent) -> None:
        kek_id, wrapped = self._keks.wrap(secret)
        with self._pool.connection() as conn:
            execute_as_tenant(conn, tenant_id, [
                ("INSERT INTO inbound_email_secrets (tenant_id, kek_id, wrapped_secret, "
                 "rotated_at, rotated_by) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant_id) "
                 "DO UPDATE SET kek_id = EXCLUDED.kek_id, wrapped_secret = "
                 "EXCLUDED.wrapped_secret, rotated_at = EXCLUDED.rotated_at, "
                 "rotated_by = EXCLUDED.rotated_by",
                 (tenant_id, kek_id, wrapped, at, actor)),
                auth_event_statement(event)])
