"""What distributing the schema by tenant (Citus, ADR 0051) would have to change, read from the
catalog: every table either is global or carries tenant_id; a distributed table's unique keys
must include its distribution column, and only the ones listed here do not."""

from __future__ import annotations

from typing import Any

# Unique keys of tenant tables without tenant_id: each must change before the table can be
# distributed on tenant_id (ADR 0051, "What breaks"). Fixing one? Update the ADR and this list.
NOT_DISTRIBUTABLE = {
    ("events", "events_pkey"): ["originator_id", "originator_version"],
    ("events", "events_notification_id_idx"): ["notification_id"],
    ("data_keys", "data_keys_subject_idx"): ["subject_id"],
    ("api_keys", "api_keys_prefix_key"): ["prefix"],
    ("widget_keys", "widget_keys_key_key"): ["key"],
}
GLOBAL_TABLES = {"tenants", "projection_tracking", "rate_counters", "alembic_version"}

CATALOG = """
SELECT c.relname AS table_name, i.relname AS index_name, x.indisprimary AS is_primary,
       ARRAY(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             ORDER BY k.n) AS columns
FROM pg_index x
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND x.indisunique AND c.relkind = 'r'
"""


def _catalog(container: Any) -> tuple[list[dict[str, Any]], set[str], set[str]]:
    from adapters.postgres.database import connect

    with connect(container.database().owner_url) as conn:
        uniques = conn.execute(CATALOG).fetchall()
        tables = {r["relname"] for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'").fetchall()}
        tenant_tables = {r["relname"] for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' "
            "AND NOT a.attisdropped WHERE n.nspname = 'public' AND c.relkind = 'r'").fetchall()}
    return uniques, tables, tenant_tables


def test_every_table_is_global_or_keyed_by_tenant_but_the_listed_keys(container: Any) -> None:
    from adapters.projections.tables import TABLES

    uniques, tables, tenant_tables = _catalog(container)
    assert tables - tenant_tables == GLOBAL_TABLES
    assert set(TABLES) <= tenant_tables
    without_tenant = {(u["table_name"], u["index_name"]): u["columns"] for u in uniques
                      if u["table_name"] in tenant_tables and "tenant_id" not in u["columns"]}
    assert without_tenant == NOT_DISTRIBUTABLE
    # Read models: the primary key leads with tenant_id and is the only unique key.
    for table in TABLES:
        keys = [u for u in uniques if u["table_name"] == table]
        assert len(keys) == 1 and keys[0]["is_primary"], (table, keys)
        assert keys[0]["columns"][0] == "tenant_id", (table, keys[0]["columns"])
