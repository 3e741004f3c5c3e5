"""The web chat widget's keys (ADR 0084): public keys naming a tenant's widget on its website,
with the origins allowed to embed it and send its messages. Plain records like API keys, each
change written with its authentication event for the audit log.

A visitor who starts a chat through the widget gets a token for that one conversation
(``VisitorTokens``); it is all the visitor ever holds."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit
from uuid import UUID

from application.identity.access import AuthEvent, Origin
from domain.ports import Clock
from domain.shared import InvalidValue, NotFound
from domain.shared.ids import new_id

WIDGET_KEY_PREFIX = "fdw_"
MAX_ORIGINS = 20


@dataclass(frozen=True, slots=True)
class WidgetKeyView:
    id: UUID
    key: str
    name: str
    allowed_origins: tuple[str, ...]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class WidgetKeyRecord:
    """What the widget's routes need of a key, found before any tenant is known."""

    tenant_id: UUID
    id: UUID
    allowed_origins: tuple[str, ...]
    revoked: bool


@dataclass(frozen=True, slots=True)
class VisitorGrant:
    """What a visitor's token grants: one conversation of one tenant, through one key."""

    tenant_id: UUID
    widget_key_id: UUID
    conversation_id: UUID


class WidgetKeyStore(Protocol):
    def add(self, tenant_id: UUID, key: WidgetKeyView, event: AuthEvent) -> None: ...

    def revoke(self, tenant_id: UUID, key_id: UUID, at: datetime, event: AuthEvent) -> bool: ...

    def keys(self, tenant_id: UUID) -> list[WidgetKeyView]: ...

    def find(self, key: str) -> WidgetKeyRecord | None:
        """The key's record whatever its tenant (the key names it), or None."""
        ...


class VisitorTokens(Protocol):
    def issue(self, grant: VisitorGrant) -> str: ...

    def verify(self, token: str) -> VisitorGrant | None:
        """The grant of a valid, unexpired token; None otherwise."""
        ...


def web_origin(value: str) -> str:
    """``scheme://host[:port]`` of an http(s) origin, lower-cased; InvalidValue otherwise (a
    path, a wildcard, credentials or another scheme)."""
    text = value.strip()
    parts = urlsplit(text)
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username
            or parts.password or parts.path not in ("", "/") or parts.query or parts.fragment
            or "*" in text):
        raise InvalidValue("allowed_origins", f"{value[:100]!r} is not an origin "
                           "(scheme://host[:port], http or https, no wildcard)")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


class WidgetKeyAdministration:
    def __init__(self, store: WidgetKeyStore, clock: Clock) -> None:
        self._store, self._clock = store, clock

    def create(self, tenant_id: UUID, actor: str, origin: Origin, name: str,
               allowed_origins: list[str]) -> WidgetKeyView:
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise InvalidValue("name", "must be 1-100 characters")
        origins = tuple(dict.fromkeys(web_origin(o) for o in allowed_origins))
        if not 1 <= len(origins) <= MAX_ORIGINS:
            raise InvalidValue("allowed_origins", f"1-{MAX_ORIGINS} origins are required")
        view = WidgetKeyView(id=new_id(), key=WIDGET_KEY_PREFIX + secrets.token_urlsafe(18),
                             name=name, allowed_origins=origins, created_by=actor,
                             created_at=self._clock.now(), revoked_at=None)
        self._store.add(tenant_id, view, AuthEvent(
            tenant_id, actor, "widget_key.created", "widget_key", str(view.id), origin,
            {"name": name, "allowed_origins": list(origins)}))
        return view

    def revoke(self, tenant_id: UUID, actor: str, origin: Origin, key_id: UUID) -> None:
        if not self._store.revoke(tenant_id, key_id, self._clock.now(), AuthEvent(
                tenant_id, actor, "widget_key.revoked", "widget_key", str(key_id), origin)):
            raise NotFound("widget key not found")

    def keys(self, tenant_id: UUID) -> list[WidgetKeyView]:
        return self._store.keys(tenant_id)

    def find(self, key: str) -> WidgetKeyRecord | None:
        """An unrevoked key's record (a revoked or unknown key is None)."""
        if not key.startswith(WIDGET_KEY_PREFIX) or len(key) > 64:
            return None
        record = self._store.find(key)
        return None if record is None or record.revoked else record
