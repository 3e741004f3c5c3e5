"""TOTP (RFC 6238) with pyotp, and each user's factor in PostgreSQL (migration 0017, ADR 0081).

The secret is stored wrapped by the active key-encryption key (RFC 3394, like data keys and the
inbound-email secrets): its 32 base32 characters are 32 bytes, a multiple of the wrap's 8, so a
reader of the database or a backup cannot compute codes. Rows are under row-level security;
each change is written in one transaction with its ``auth_events`` row.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from uuid import UUID

import pyotp
from psycopg.types.json import Jsonb

from adapters.crypto.keys import KeyEncryptionKeys
from adapters.eventstore.tenancy import SET_TENANT, execute_as_tenant, fetch_as_tenant
from adapters.identity.access import auth_event_statement
from adapters.postgres.database import DictPool
from application.identity.access import AuthEvent
from application.identity.totp import REQUIRE_SETTING, StoredFactor

DIGITS = 6
STEP_SECONDS = 30
WINDOW = 1
"""Steps accepted either side of the current one (clock drift, a code typed late)."""


class PyotpCodes:
    def new_secret(self) -> str:
        return pyotp.random_base32()  # 32 characters: 160 bits, RFC 4226's recommendation

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
            name=account, issuer_name=issuer)

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
        now = totp.timecode(at)
        found = None
        for step in range(now - WINDOW, now + WINDOW + 1):  # every step compared: no early exit
            if hmac.compare_digest(totp.generate_otp(step), code):
                found = step
        return found


class PostgresFactorStore:
    def __init__(self, pool: DictPool, keks: KeyEncryptionKeys) -> None:
        self._pool, self._keks = pool, keks

    def factor(self, tenant_id: UUID, user_id: UUID) -> StoredFactor | None:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id,
                                   "SELECT status, kek_id, wrapped_secret, last_step, "
                                   "created_at, enabled_at FROM totp_factors "
                                   "WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
        if not rows:
            return None
        row = rows[0]
        secret = self._keks.unwrap(row["kek_id"], bytes(row["wrapped_secret"])).decode("ascii")
        return StoredFactor(row["status"], secret, row["last_step"], row["created_at"],
                            row["enabled_at"])

    def begin(self, tenant_id: UUID, user_id: UUID, secret: str, at: datetime,
              event: AuthEvent) -> bool:
        kek_id, wrapped = self._keks.wrap(secret.encode("ascii"))
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(SET_TENANT, (str(tenant_id),))
            stored = conn.execute(
                "INSERT INTO totp_factors (tenant_id, user_id, status, kek_id, wrapped_secret, "
                "created_at) VALUES (%s, %s, 'pending', %s, %s, %s) "
                "ON CONFLICT (tenant_id, user_id) DO UPDATE SET kek_id = EXCLUDED.kek_id, "
                "wrapped_secret = EXCLUDED.wrapped_secret, created_at = EXCLUDED.created_at "
                "WHERE totp_factors.status = 'pending' RETURNING user_id",
                (tenant_id, user_id, kek_id, wrapped, at)).fetchone()
            if stored is not None:
                conn.execute(*auth_event_statement(event))
        return stored is not None

    def enable(self, tenant_id: UUID, user_id: UUID, secret: str, step: int, at: datetime,
               event: AuthEvent) -> bool:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(SET_TENANT, (str(tenant_id),))
            row = conn.execute("SELECT kek_id, wrapped_secret FROM totp_factors WHERE "
                               "tenant_id = %s AND user_id = %s AND status = 'pending' "
                               "FOR UPDATE", (tenant_id, user_id)).fetchone()
            if row is None or not hmac.compare_digest(
                    self._keks.unwrap(row["kek_id"], bytes(row["wrapped_secret"])),
                    secret.encode("ascii")):
                return False
            conn.execute("UPDATE totp_factors SET status = 'enabled', enabled_at = %s, "
                         "last_step = %s WHERE tenant_id = %s AND user_id = %s",
                         (at, step, tenant_id, user_id))
            conn.execute(*auth_event_statement(event))
        return True

    def use_step(self, tenant_id: UUID, user_id: UUID, step: int) -> bool:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(SET_TENANT, (str(tenant_id),))
            used = conn.execute(
                "UPDATE totp_factors SET last_step = %s WHERE tenant_id = %s AND user_id = %s "
                "AND status = 'enabled' AND (last_step IS NULL OR last_step < %s) "
                "RETURNING user_id", (step, tenant_id, user_id, step)).fetchone()
        return used is not None

    def remove(self, tenant_id: UUID, user_id: UUID, event: AuthEvent) -> bool:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(SET_TENANT, (str(tenant_id),))
            removed = conn.execute("DELETE FROM totp_factors WHERE tenant_id = %s AND "
                                   "user_id = %s RETURNING user_id",
                                   (tenant_id, user_id)).fetchone()
            if removed is not None:
                conn.execute(*auth_event_statement(event))
        return removed is not None

    def admins_required(self, tenant_id: UUID) -> bool:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id, "SELECT coalesce((settings ->> %s)"
                                   "::boolean, false) AS required FROM tenants WHERE id = %s",
                                   (REQUIRE_SETTING, tenant_id))
        return bool(rows and rows[0]["required"])

    def require_for_admins(self, tenant_id: UUID, required: bool, event: AuthEvent) -> None:
        with self._pool.connection() as conn:
            execute_as_tenant(conn, tenant_id, [
                ("UPDATE tenants SET settings = jsonb_set(settings, %s, %s) WHERE id = %s",
                 ([REQUIRE_SETTING], Jsonb(required), tenant_id)),
                auth_event_statement(event)])
