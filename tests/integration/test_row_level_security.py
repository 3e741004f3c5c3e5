"""Tenant isolation is enforced by PostgreSQL, not by our queries: raw SQL as the service role
sees and changes only the tenant set in ``app.tenant_id``."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from adapters.postgres.rls import RLS_STATUS_SQL
from tests.conftest import TenantSession

TENANT_TABLES = ["events", "claims", "data_keys", "idempotency_keys", "users", "contacts",
                 "lead_pipeline"]


@pytest.fixture
def app_conn(container: Any) -> Any:
    with psycopg.connect(container.database().app_url, row_factory=dict_row) as conn:
        yield conn


def as_tenant(conn: Any, tenant_id: str | None) -> None:
    conn.execute("SELECT set_config('app.tenant_id', %s, false)", (tenant_id or "",))


@pytest.fixture
def seeded(tenant: TenantSession) -> TenantSession:
    created = tenant.post("/v1/leads", json={"name": "Ana", "email": "ana@example.com",
                                             "source": "web"}, headers={"Idempotency-Key": "k1"})
    tenant.read(f"/v1/leads/{created.json()['id']}", created.headers["x-frontdesk-position"])
    return tenant


def test_the_service_role_is_neither_superuser_nor_owner(app_conn: Any) -> None:
    role = app_conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles "
                            "WHERE rolname = current_user").fetchone()
    assert role == {"rolsuper": False, "rolbypassrls": False}
    owned = app_conn.execute("SELECT count(*) AS n FROM pg_tables "
                             "WHERE tableowner = current_user").fetchone()["n"]
    assert owned == 0


def test_every_tenant_table_has_forced_rls_and_a_policy(app_conn: Any) -> None:
    tables = app_conn.execute(RLS_STATUS_SQL).fetchall()
    names = {t["table_name"] for t in tables}
    assert set(TENANT_TABLES) <= names
    assert all(t["enabled"] and t["forced"] and t["has_policy"] for t in tables), tables


def test_the_owner_tenant_sees_its_rows(app_conn: Any, seeded: TenantSession) -> None:
    as_tenant(app_conn, seeded.id)
    for table in TENANT_TABLES:
        rows = app_conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"]
        assert rows >= 1, table


@pytest.mark.parametrize("tenant_id", ["other", None])
def test_another_or_no_tenant_sees_nothing(app_conn: Any, seeded: TenantSession,
                                           tenant_id: str | None) -> None:
    as_tenant(app_conn, str(uuid.uuid4()) if tenant_id == "other" else None)
    for table in TENANT_TABLES:
        rows = app_conn.execute(f"SELECT count(*) AS n FROM {table} WHERE tenant_id = %s",
                                (seeded.id,)).fetchone()["n"]
        assert rows == 0, table
    tenants = app_conn.execute("SELECT count(*) AS n FROM tenants").fetchone()["n"]
    assert tenants == 0


def test_another_tenant_cannot_change_or_delete_rows(app_conn: Any,
                                                     seeded: TenantSession) -> None:
    as_tenant(app_conn, str(uuid.uuid4()))
    for statement in ("DELETE FROM claims WHERE tenant_id = %s",
                      "DELETE FROM idempotency_keys WHERE tenant_id = %s",
                      "UPDATE data_keys SET wrapped_key = NULL WHERE tenant_id = %s",
                      "UPDATE users SET roles = '{admin}' WHERE tenant_id = %s"):
        assert app_conn.execute(statement, (seeded.id,)).rowcount == 0
    app_conn.commit()
    as_tenant(app_conn, seeded.id)
    assert app_conn.execute("SELECT count(*) AS n FROM data_keys "
                            "WHERE wrapped_key IS NOT NULL").fetchone()["n"] >= 1


def test_another_tenant_cannot_insert_rows_for_the_first(app_conn: Any,
                                                         seeded: TenantSession) -> None:
    as_tenant(app_conn, str(uuid.uuid4()))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        app_conn.execute(
            "INSERT INTO events (tenant_id, originator_id, originator_version, topic, state, "
            "occurred_at) VALUES (%s, %s, 1, 'x', '\\x00', now())", (seeded.id, uuid.uuid4()))
    app_conn.rollback()
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        app_conn.execute("INSERT INTO claims (tenant_id, scope, key_hash, owner_id) "
                         "VALUES (%s, 'contact_email', '\\x01', %s)",
                         (seeded.id, uuid.uuid4()))


def test_the_event_log_is_append_only_for_the_service(container: Any, app_conn: Any,
                                                      seeded: TenantSession) -> None:
    """The API role only appends to the event log and the login trail; the worker role may
    delete login entries past their retention (ADR 0061) but change none of them."""
    as_tenant(app_conn, seeded.id)
    for statement in ("UPDATE events SET topic = 'x'", "DELETE FROM events",
                      "TRUNCATE events", "UPDATE auth_events SET actor = 'x'",
                      "DELETE FROM auth_events", "TRUNCATE auth_events"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app_conn.execute(statement)
        app_conn.rollback()
    with psycopg.connect(container.database().worker_url) as worker:
        for statement in ("UPDATE events SET topic = 'x'", "DELETE FROM events",
                          "UPDATE auth_events SET actor = 'x'", "TRUNCATE auth_events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                worker.execute(statement)
            worker.rollback()


def test_the_read_models_are_read_only_for_the_service(app_conn: Any,
                                                       seeded: TenantSession) -> None:
    as_tenant(app_conn, seeded.id)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute("UPDATE lead_pipeline SET status = 'converted'")
