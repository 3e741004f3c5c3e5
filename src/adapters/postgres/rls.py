"""Row-level security DDL shared by migrations and projection tables.

Every tenant table: ENABLE + FORCE ROW LEVEL SECURITY, a tenant policy on
``current_setting('app.tenant_id')``, and (where projections need it) a policy for the worker role.
"""

from __future__ import annotations

from psycopg import sql

from adapters.postgres.database import APP_ROLE, WORKER_ROLE

TENANT_EXPR = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def tenant_table_ddl(table: str, *, schema: str = "public", app_privileges: str = "SELECT",
                     worker_privileges: str | None = None,
                     tenant_column: str = "tenant_id") -> list[sql.Composed]:
    qualified = sql.Identifier(schema, table)
    statements: list[sql.Composed] = [
        sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(qualified),
        sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(qualified),
        sql.SQL("DROP POLICY IF EXISTS tenant_isolation ON {}").format(qualified),
        sql.SQL("CREATE POLICY tenant_isolation ON {} USING ({col} = " + TENANT_EXPR + ") "
                "WITH CHECK ({col} = " + TENANT_EXPR + ")").format(
            qualified, col=sql.Identifier(tenant_column)),
        sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(app_privileges), qualified,
                                               sql.Identifier(APP_ROLE)),
    ]
    if worker_privileges:
        statements += [
            sql.SQL("DROP POLICY IF EXISTS projection_worker ON {}").format(qualified),
            sql.SQL("CREATE POLICY projection_worker ON {} TO {} USING (true) WITH CHECK (true)"
                    ).format(qualified, sql.Identifier(WORKER_ROLE)),
            sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(worker_privileges), qualified,
                                                   sql.Identifier(WORKER_ROLE)),
        ]
    return statements


RLS_STATUS_SQL = """
SELECT c.relname AS table_name,
       c.relrowsecurity AS enabled,
       c.relforcerowsecurity AS forced,
       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  AND EXISTS (SELECT 1 FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
ORDER BY c.relname
"""
"""Every public table with a tenant_id column, and whether RLS protects it."""
