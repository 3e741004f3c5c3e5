"""Re-wrap every data key under the active key-encryption key, while the service runs.

Each key is unwrapped with the KEK it was wrapped with and wrapped again with the active one,
written with a compare-and-set, so a key destroyed meanwhile (an erasure) stays destroyed.
Services keep working throughout, because they hold every configured KEK. Afterwards no key
needs the old ones: they can leave ``FRONTDESK_KEKS``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from psycopg import sql

from adapters.crypto.keys import KeyEncryptionKeys
from adapters.postgres.database import DictPool


@dataclass
class RotationReport:
    to_kek: str
    from_keks: set[str] = field(default_factory=set)
    by_tenant: Counter[UUID] = field(default_factory=Counter)
    remaining: int = 0
    email_secrets: int = 0
    totp_secrets: int = 0

    @property
    def keys(self) -> int:
        return sum(self.by_tenant.values())


def rotate_data_keys(pool: DictPool, keks: KeyEncryptionKeys, *, batch: int = 500,
                     tenant_id: UUID | None = None,
                     progress: Callable[[int], None] | None = None) -> RotationReport:
    """Re-wrap the data keys of every tenant (or of ``tenant_id`` only)."""
    report = RotationReport(to_kek=keks.active)
    scope = "" if tenant_id is None else " AND tenant_id = %(tenant)s"
    with pool.connection() as conn:
        while True:
            rows = conn.execute(
                "SELECT tenant_id, subject_id, kek_id, wrapped_key FROM data_keys "
                "WHERE kek_id <> %(active)s AND wrapped_key IS NOT NULL" + scope +
                " ORDER BY subject_id LIMIT %(batch)s",
                {"active": keks.active, "batch": batch, "tenant": tenant_id}).fetchall()
            if not rows:
                break
            updates = []
            for row in rows:
                old = bytes(row["wrapped_key"])
                _, rewrapped = keks.wrap(keks.unwrap(row["kek_id"], old))
                updates.append((keks.active, rewrapped, row["tenant_id"], row["subject_id"],
                                row["kek_id"], old))
            with conn.transaction():
                cursor = conn.cursor()
                cursor.executemany(
                    "UPDATE data_keys SET kek_id = %s, wrapped_key = %s WHERE tenant_id = %s "
                    "AND subject_id = %s AND kek_id = %s AND wrapped_key = %s", updates,
                    returning=False)
            for row in rows:
                report.by_tenant[row["tenant_id"]] += 1
                report.from_keks.add(row["kek_id"])
            if progress is not None:
                progress(len(rows))
        remaining = conn.execute(
            "SELECT count(*) AS n FROM data_keys WHERE kek_id <> %(active)s "
            "AND wrapped_key IS NOT NULL" + scope,
            {"active": keks.active, "tenant": tenant_id}).fetchone()
    report.remaining = int(remaining["n"]) if remaining else 0
    report.email_secrets = _rotate_secrets(pool, keks, tenant_id, "inbound_email_secrets",
                                           "tenant_id")
    report.totp_secrets = _rotate_secrets(pool, keks, tenant_id, "totp_factors", "user_id")
    return report


def _rotate_secrets(pool: DictPool, keks: KeyEncryptionKeys, tenant_id: UUID | None,
                    table: str, key: str) -> int:
    """The tenants' inbound-email secrets (ADR 0082) and the users' TOTP secrets (ADR 0081)
    are wrapped like data keys: re-wrap them too, with the same compare-and-set (a change by
    an admin or a user meanwhile wins). ``key`` is the column that tells rows apart."""
    scope = sql.SQL("" if tenant_id is None else " AND tenant_id = %(tenant)s")
    with pool.connection() as conn:
        rows = conn.execute(sql.SQL("SELECT tenant_id, {} AS key, kek_id, wrapped_secret FROM "
                                    "{} WHERE kek_id <> %(active)s{}").format(
                                        sql.Identifier(key), sql.Identifier(table), scope),
                            {"active": keks.active, "tenant": tenant_id}).fetchall()
        updates = []
        for row in rows:
            old = bytes(row["wrapped_secret"])
            _, rewrapped = keks.wrap(keks.unwrap(row["kek_id"], old))
            updates.append((keks.active, rewrapped, row["tenant_id"], row["key"],
                            row["kek_id"], old))
        if updates:
            with conn.transaction():
                conn.cursor().executemany(
                    sql.SQL("UPDATE {} SET kek_id = %s, wrapped_secret = %s WHERE tenant_id = %s "
                            "AND {} = %s AND kek_id = %s AND wrapped_secret = %s").format(
                                sql.Identifier(table), sql.Identifier(key)),
                    updates, returning=False)
    return len(updates)
