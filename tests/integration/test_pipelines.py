"""A failed write in a pipeline leaves its pooled connection usable (psycopg's prepared
statement cache must not believe in statements the server skipped)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from adapters.eventstore.tenancy import execute_as_tenant, fetch_as_tenant


def test_failing_statements_in_a_pipeline_do_not_poison_the_connection(container: Any,
                                                                       client: Any) -> None:
    from tests.conftest import provision

    tenant = uuid.UUID(provision(client).id)
    user = uuid.uuid4()
    insert = ("INSERT INTO users (tenant_id, id, email, password_hash, roles) "
              "VALUES (%s, %s, %s, 'x', '{agent}')")
    event = ("INSERT INTO auth_events (tenant_id, id, actor, action, resource_type) "
             "VALUES (%s, %s, 'test', 'user.created', 'user')")
    count = ("SELECT count(*) AS n FROM auth_events WHERE tenant_id = %s", (tenant,))
    with container.app_pool().connection() as conn:
        before = fetch_as_tenant(conn, tenant, *count)[0]["n"]
        execute_as_tenant(conn, tenant, [(insert, (tenant, user, f"{user}@x.example")),
                                         (event, (tenant, uuid.uuid4()))])
        for _ in range(8):  # past psycopg's prepare threshold, each time failing mid-pipeline
            with pytest.raises(psycopg.errors.UniqueViolation):
                execute_as_tenant(conn, tenant, [(insert, (tenant, user, f"{user}@x.example")),
                                                 (event, (tenant, uuid.uuid4()))])
        for _ in range(8):  # the same connection still runs everything
            execute_as_tenant(conn, tenant, [(event, (tenant, uuid.uuid4()))])
            rows = fetch_as_tenant(conn, tenant, *count)
        assert rows[0]["n"] - before == 9
