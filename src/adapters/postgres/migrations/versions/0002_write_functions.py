"""One statement per commit and per hot read.

On these machines a statement costs 120-180 µs of round trip and parsing whatever the pipeline
mode, so a command that sets the tenant, checks claims and inserts events, keys and an
idempotency record would pay for seven statements. These functions do each job in one
statement, and take their rows as one JSON document: encoding JSON is C code in the client,
while psycopg dumps Python lists into arrays element by element. They run as the caller
(SECURITY INVOKER): row-level security still applies, and the tenant they set lives only until
the end of the caller's transaction.

Revision ID: 0002
Revises: 0001
"""

from psycopg import sql

from adapters.postgres.database import APP_ROLE
from adapters.postgres.migrations import raw_connection

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND = """
CREATE FUNCTION frontdesk_append(p_tenant uuid, p_unit jsonb)
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
        INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, body, headers)
        SELECT p_tenant, i.key, i.fingerprint, i.status, decode(i.body, 'base64'), i.headers
        FROM jsonb_to_record(p_unit->'idempotency')
             AS i(key text, fingerprint text, status integer, body text, headers jsonb);
    END IF;
    RETURN pg_current_xact_id()::text;
END $$"""

CLAIM_OWNERS = """
CREATE FUNCTION frontdesk_claim_owners(p_tenant uuid, p_claims jsonb)
RETURNS TABLE (scope text, key_hash bytea, owner_id uuid)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    -- LATERAL: one primary-key probe per claim asked for, whatever plan is cached (a generic
    -- plan would otherwise hash every claim of the tenant).
    RETURN QUERY SELECT c.scope, c.key_hash, c.owner_id
        FROM jsonb_to_recordset(p_claims) AS k(scope text, key text)
        CROSS JOIN LATERAL (SELECT x.scope, x.key_hash, x.owner_id FROM claims x
                            WHERE x.tenant_id = p_tenant AND x.scope = k.scope
                              AND x.key_hash = decode(k.key, 'hex')) c;
END $$"""

AGGREGATE_EVENTS = """
CREATE FUNCTION frontdesk_aggregate_events(p_tenant uuid, p_id uuid, p_lte bigint)
RETURNS TABLE (originator_id uuid, originator_version bigint, topic text, state bytea,
               tenant_id uuid, subject_id uuid, occurred_at timestamptz)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY SELECT e.originator_id, e.originator_version, e.topic, e.state, e.tenant_id,
                        e.subject_id, e.occurred_at
        FROM events e
        WHERE e.originator_id = p_id AND (p_lte IS NULL OR e.originator_version <= p_lte)
        ORDER BY e.originator_version;
END $$"""

IDEMPOTENT = """
CREATE FUNCTION frontdesk_idempotent(p_tenant uuid, p_key text)
RETURNS TABLE (fingerprint text, status integer, body bytea, headers jsonb, "position" text)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY SELECT i.fingerprint, i.status, i.body, i.headers, i.position::text
        FROM idempotency_keys i WHERE i.tenant_id = p_tenant AND i.key = p_key;
END $$"""

FUNCTIONS = {
    "frontdesk_append": (APPEND, "uuid, jsonb"),
    "frontdesk_claim_owners": (CLAIM_OWNERS, "uuid, jsonb"),
    "frontdesk_aggregate_events": (AGGREGATE_EVENTS, "uuid, uuid, bigint"),
    "frontdesk_idempotent": (IDEMPOTENT, "uuid, text"),
}


def upgrade() -> None:
    for name, (body, signature) in FUNCTIONS.items():
        raw_connection().execute(body)
        raw_connection().execute(f"REVOKE ALL ON FUNCTION {name}({signature}) FROM PUBLIC")
        raw_connection().execute(sql.SQL("GRANT EXECUTE ON FUNCTION {}({}) TO {}").format(
            sql.Identifier(name), sql.SQL(signature), sql.Identifier(APP_ROLE)))


def downgrade() -> None:
    for name, (_, signature) in FUNCTIONS.items():
        raw_connection().execute(f"DROP FUNCTION IF EXISTS {name}({signature})")
