"""Tenants and users in PostgreSQL, under row-level security."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from adapters.eventstore.tenancy import execute_as_tenant, fetch_as_tenant
from adapters.postgres.database import DictPool, fetch_value
from application.identity.ports import SlugTaken, TenantRecord, UserRecord


class PostgresTenantDirectory:
    def __init__(self, pool: DictPool, worker_pool: DictPool | None = None) -> None:
        self._pool, self._worker_pool = pool, worker_pool

    def create(self, tenant: TenantRecord, admin: UserRecord) -> None:
        try:
            with self._pool.connection() as conn:
                execute_as_tenant(conn, tenant.id, [
                    ("INSERT INTO tenants (id, slug, name, settings) VALUES (%s, %s, %s, %s)",
                     (tenant.id, tenant.slug, tenant.name, Jsonb(tenant.settings))),
                    ("INSERT INTO users (tenant_id, id, email, password_hash, roles) "
                     "VALUES (%s, %s, %s, %s, %s)",
                     (tenant.id, admin.id, admin.email, admin.password_hash,
                      list(admin.roles)))])
        except psycopg.errors.UniqueViolation as error:
            raise SlugTaken("a tenant with this slug already exists",
                            slug=tenant.slug) from error

    def by_slug(self, slug: str) -> TenantRecord | None:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT id, name, settings FROM frontdesk_tenant_by_slug(%s)",
                               (slug,)).fetchone()
        return TenantRecord(row["id"], slug, row["name"], dict(row["settings"])) if row else None

    def by_id(self, tenant_id: UUID) -> TenantRecord | None:
        """A tenant by its id, read as that tenant (RLS shows no other)."""
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id, "SELECT id, slug, name, settings FROM "
                                   "tenants WHERE id = %s", (tenant_id,))
        if not rows:
            return None
        row = rows[0]
        return TenantRecord(row["id"], row["slug"], row["name"], dict(row["settings"]))

    def user_by_email(self, tenant_id: UUID, email: str) -> UserRecord | None:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id,
                                   "SELECT id, tenant_id, email, password_hash, roles, disabled "
                                   "FROM users WHERE tenant_id = %s AND email = %s",
                                   (tenant_id, email))
        if not rows:
            return None
        row = rows[0]
        return UserRecord(row["id"], row["tenant_id"], row["email"], row["password_hash"],
                          tuple(row["roles"]), row["disabled"])

    def count(self) -> int:
        """How many tenants exist, through an owner-run function that answers only the
        number (migration 0011): the API's role sees no tenant but its own."""
        with self._pool.connection() as conn:
            return int(fetch_value(conn, "SELECT frontdesk_tenant_count()"))

    def stale_after_by_tenant(self) -> dict[UUID, timedelta]:
        """Every tenant's stale-lead setting (the worker role reads across tenants)."""
        assert self._worker_pool is not None, "needs the worker role"
        with self._worker_pool.connection() as conn:
            rows = conn.execute("SELECT id, settings FROM tenants").fetchall()
        return {r["id"]: timedelta(seconds=int(r["settings"].get("stale_after_seconds", 86400)))
                for r in rows}
