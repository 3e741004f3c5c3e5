"""The web chat widget's keys in PostgreSQL (``widget_keys``, migration 0016), each change in
one transaction with its ``auth_events`` row; and the visitors' tokens (pyjwt, HS256), each
scoped to one conversation (ADR 0084)."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from typing import Any
from uuid import UUID

import jwt

from adapters.eventstore.tenancy import SET_TENANT, execute_as_tenant, fetch_as_tenant
from adapters.identity.access import auth_event_statement
from adapters.postgres.database import DictPool
from application.identity.access import AuthEvent
from application.identity.widget import VisitorGrant, WidgetKeyRecord, WidgetKeyView

_COLUMNS = "id, key, name, allowed_origins, created_by, created_at, revoked_at"
ISSUER = "frontdesk"
AUDIENCE = "frontdesk-widget-visitor"


def _view(row: dict[str, Any]) -> WidgetKeyView:
    return WidgetKeyView(row["id"], row["key"], row["name"], tuple(row["allowed_origins"]),
                         row["created_by"], row["created_at"], row["revoked_at"])


class PostgresWidgetKeys:
    def __init__(self, pool: DictPool) -> None:
        self._pool = pool

    def add(self, tenant_id: UUID, key: WidgetKeyView, event: AuthEvent) -> None:
        with self._pool.connection() as conn:
            execute_as_tenant(conn, tenant_id, [
                ("INSERT INTO widget_keys (tenant_id, id, key, name, allowed_origins, "
                 "created_by, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                 (tenant_id, key.id, key.key, key.name, list(key.allowed_origins),
                  key.created_by, key.created_at)),
                auth_event_statement(event)])

    def revoke(self, tenant_id: UUID, key_id: UUID, at: datetime, event: AuthEvent) -> bool:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(SET_TENANT, (str(tenant_id),))
            found = conn.execute("UPDATE widget_keys SET revoked_at = coalesce(revoked_at, %s) "
                                 "WHERE tenant_id = %s AND id = %s RETURNING id",
                                 (at, tenant_id, key_id)).fetchone()
            if found is not None:
                conn.execute(*auth_event_statement(event))
        return found is not None

    def keys(self, tenant_id: UUID) -> list[WidgetKeyView]:
        with self._pool.connection() as conn:
            rows = fetch_as_tenant(conn, tenant_id, f"SELECT {_COLUMNS} FROM widget_keys "
                                   "WHERE tenant_id = %s ORDER BY created_at, id", (tenant_id,))
        return [_view(r) for r in rows]

    def find(self, key: str) -> WidgetKeyRecord | None:
        with self._pool.connection() as conn:
            row: Any = conn.execute("SELECT * FROM frontdesk_widget_key(%s)", (key,)).fetchone()
        if row is None:
            return None
        return WidgetKeyRecord(row["tenant_id"], row["id"], tuple(row["allowed_origins"]),
                               row["revoked_at"] is not None)


class JwtVisitorTokens:
    """A visitor's token: signed with a key derived from the JWT secret for this purpose only
    (an API token never verifies as a visitor's, nor the reverse), for ``lifetime`` seconds."""

    def __init__(self, secret: str, *, lifetime: int = 86_400) -> None:
        self._key = hashlib.sha256(b"frontdesk widget visitor\0" + secret.encode()).hexdigest()
        self._lifetime = lifetime

    def issue(self, grant: VisitorGrant) -> str:
        now = int(time.time())
        return jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "tid": str(grant.tenant_id),
                           "wk": str(grant.widget_key_id), "sub": str(grant.conversation_id),
                           "iat": now, "exp": now + self._lifetime}, self._key, algorithm="HS256")

    def verify(self, token: str) -> VisitorGrant | None:
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], audience=AUDIENCE,
                                issuer=ISSUER, options={"require": ["exp", "sub", "tid", "wk"]})
            return VisitorGrant(UUID(claims["tid"]), UUID(claims["wk"]), UUID(claims["sub"]))
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            return None
