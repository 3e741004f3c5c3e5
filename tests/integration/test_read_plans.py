"""The work a list read does is bounded by its page, not by the tenant's size, whether or not
autovacuum has analysed the tables yet (a growing tenant, a freshly rebuilt view)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql

from adapters.postgres.database import APP_ROLE
from adapters.readmodels.leads import page_query
from application.leads.views import LeadFilters
from tests.integration.test_projections import T0, new_lead, save, wait_visible

LEADS = 300
PAGE = 20


@pytest.fixture(scope="module")
def big_tenant(container: Any, runtime: Any) -> UUID:
    tenant = uuid4()
    position = "0"
    for n in range(LEADS):
        person, lead = new_lead(tenant, T0 + timedelta(minutes=n))
        position = save(container, tenant, person, lead)
    wait_visible(container, position)
    return tenant


def forget_statistics(conn: psycopg.Connection[Any]) -> None:
    """Put the planner where it is when autovacuum last analysed a table nearly empty (or
    never): one row in one page, no column statistics. The real table has grown since."""
    for table in ("lead_pipeline", "contacts"):
        conn.execute("SELECT pg_restore_relation_stats('schemaname', 'public', "
                     "'relname', %s::text, 'relpages', 1::integer, 'reltuples', 1::real)",
                     (table,))
        for column in ("tenant_id", "id", "contact_id", "created_at"):
            conn.execute("SELECT pg_clear_attribute_stats('public', %s, %s, false) "
                         "FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s",
                         (table, column, table, column))


@contextmanager
def as_service(owner_url: str, tenant: UUID) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(owner_url) as conn:
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(APP_ROLE)))
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
        yield conn
        conn.rollback()


def rows_read(plan: dict[str, Any], relation: str) -> float:
    """Rows the plan's scans of ``relation`` produced, over all their loops."""
    own = plan["Actual Rows"] * plan["Actual Loops"] \
        if plan.get("Relation Name") == relation else 0
    return float(own) + sum(rows_read(child, relation) for child in plan.get("Plans", []))


def explain(owner_url: str, tenant: UUID, query: sql.Composable,
            params: dict[str, Any]) -> dict[str, Any]:
    with as_service(owner_url, tenant) as conn:
        row = conn.execute(sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + query, params).fetchone()
        assert row is not None
        return row[0][0]["Plan"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("statistics", ["analysed", "not yet analysed"])
def test_a_page_of_leads_looks_up_only_its_own_contacts(
        owner_url: str, container: Any, big_tenant: UUID, statistics: str) -> None:
    with psycopg.connect(owner_url, autocommit=True) as conn:
        if statistics == "analysed":
            conn.execute("ANALYZE lead_pipeline, contacts")
        else:
            forget_statistics(conn)
    query, params = page_query(big_tenant, LeadFilters(), limit=PAGE, cursor=None)
    try:
        plan = explain(owner_url, big_tenant, query, params)
    finally:
        with psycopg.connect(owner_url, autocommit=True) as conn:
            conn.execute("ANALYZE lead_pipeline, contacts")  # the rest of the suite's plans
    assert plan["Actual Rows"] == PAGE + 1
    assert rows_read(plan, "contacts") <= PAGE + 1
    # The page itself, through the API's reader: newest first, each with its contact.
    page = container.leads.lead_queries().page(big_tenant, LeadFilters(), limit=PAGE, cursor=None)
    assert [lead.created_at for lead in page.items] == [
        T0 + timedelta(minutes=n) for n in range(LEADS - 1, LEADS - 1 - PAGE, -1)]
    assert all(lead.email and lead.name == "N" for lead in page.items)
