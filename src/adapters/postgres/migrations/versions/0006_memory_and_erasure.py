"""Memory index and erasure: pgvector, erasable idempotent answers, key rotation by the worker.

- ``vector`` (pgvector 0.8) for the memory table, which the projection manager creates.
- ``idempotency_keys.subject_ids``: the people a stored answer is about, so erasure drops it.
- ``frontdesk_append`` learns ``forget`` (destroy a data key in the same statement as the
  ContactErased event) and records the subjects of an idempotent answer.
- The worker role may re-wrap data keys (``frontdesk keys rotate``) and, on PostgreSQL 17+,
  rewrite (VACUUM FULL) the tables an erasure touched, so no copy of the person's data remains
  in their files.

Revision ID: 0006
Revises: 0002
"""

from psycopg import sql

from adapters.postgres.database import WORKER_ROLE
from adapters.postgres.migrations import raw_connection

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEND = """
CREATE OR REPLACE FUNCTION frontdesk_append(p_tenant uuid, p_unit jsonb)
RETURNS text LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    wanted record;
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    IF p_unit ? 'release' THEN
        DELETE FROM claims c
        USING jsonb_to_recordset(p_unit->'release') AS r(scope text, key text, owner uuid)
        WHERE c.tenant_id = p_tenant AND c.scope = r.scope
          AND c.key_hash = decode(r.key, 'hex') AND c.owner_id = r.owner;
    END IF;
    -- A speculative command assumed these claims free: if one is held, nothing is written.
    -- (One primary-key probe per claim; a join here gets a generic plan that scans.)
    FOR wanted IN SELECT * FROM jsonb_to_recordset(COALESCE(p_unit->'absent', '[]'))
                  AS a(scope text, key text) LOOP
        IF EXISTS (SELECT 1 FROM claims x WHERE x.tenant_id = p_tenant
                   AND x.scope = wanted.scope AND x.key_hash = decode(wanted.key, 'hex')) THEN
            RAISE EXCEPTION 'a claim assumed free is held' USING ERRCODE = 'unique_violation',
                TABLE = 'claims';
        END IF;
    END LOOP;
    IF p_unit ? 'claim' THEN
        INSERT INTO claims (tenant_id, scope, key_hash, owner_id)
        SELECT p_tenant, x.scope, decode(x.key, 'hex'), x.owner
        FROM jsonb_to_recordset(p_unit->'claim') AS x(scope text, key text, owner uuid);
    END IF;
    IF p_unit ? 'events' THEN
        INSERT INTO events (tenant_id, originator_id, originator_version, topic, state,
                            subject_id, occurred_at)
        SELECT p_tenant, e.id, e.version, e.topic, decode(e.state, 'base64'), e.subject, e.at
        FROM ROWS FROM (jsonb_to_recordset(p_unit->'events') AS (
                 id uuid, version bigint, topic text, state text, subject uuid,
                 at timestamptz)) WITH ORDINALITY AS e(id, version, topic, state, subject, at, n)
        ORDER BY e.n;
    END IF;
    IF p_unit ? 'keys' THEN
        INSERT INTO data_keys (tenant_id, subject_id, kek_id, wrapped_key)
        SELECT p_tenant, k.subject, k.kek, decode(k.wrapped, 'base64')
        FROM jsonb_to_recordset(p_unit->'keys') AS k(subject uuid, kek text, wrapped text);
    END IF;
    IF p_unit ? 'idempotency' THEN
        INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, body, headers,
                                      subject_ids)
        SELECT p_tenant, i.key, i.fingerprint, i.status, decode(i.body, 'base64'), i.headers,
               ARRAY(SELECT jsonb_array_elements_text(COALESCE(p_unit->'subjects', '[]')))::uuid[]
        FROM jsonb_to_record(p_unit->'idempotency')
             AS i(key text, fingerprint text, status integer, body text, headers jsonb);
    END IF;
    IF p_unit ? 'forget' THEN
        -- Crypto-shredding, atomic with the ContactErased event: the data key is destroyed and
        -- stored answers that may quote the person are dropped.
        UPDATE data_keys SET wrapped_key = NULL, destroyed_at = now()
        WHERE tenant_id = p_tenant
          AND subject_id = ANY(ARRAY(SELECT jsonb_array_elements_text(p_unit->'forget'))::uuid[]);
        DELETE FROM idempotency_keys
        WHERE tenant_id = p_tenant
          AND subject_ids && ARRAY(SELECT jsonb_array_elements_text(p_unit->'forget'))::uuid[];
    END IF;
    RETURN pg_current_xact_id()::text;
END $$"""


def upgrade() -> None:
    raw = raw_connection()
    raw.execute("CREATE EXTENSION IF NOT EXISTS vector")
    raw.execute("ALTER TABLE idempotency_keys ADD COLUMN subject_ids uuid[] NOT NULL "
                "DEFAULT '{}'")
    # Stored answers may quote a person: never sample them into planner statistics.
    raw.execute("ALTER TABLE idempotency_keys ALTER COLUMN body SET STATISTICS 0, "
                "ALTER COLUMN headers SET STATISTICS 0")
    raw.execute(APPEND)
    raw.execute(sql.SQL("GRANT UPDATE ON data_keys TO {}").format(sql.Identifier(WORKER_ROLE)))
    if raw.info.server_version >= 170000:
        raw.execute(sql.SQL("GRANT MAINTAIN ON data_keys, idempotency_keys, claims TO {}")
                    .format(sql.Identifier(WORKER_ROLE)))


def downgrade() -> None:
    raw_connection().execute("ALTER TABLE idempotency_keys DROP COLUMN subject_ids")
