"""Per-tenant secrets of the inbound-email webhook (security gap 4, ADR 0082).

An admin rotates the tenant's secret: a new one replaces the old at once (the old stops
verifying) and is shown once. A tenant without one is verified with the service-wide
``FRONTDESK_EMAIL_WEBHOOK_SECRET``. Plain records like API keys, every rotation written with
its authentication event for the audit log."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

from application.identity.access import AuthEvent, Origin
from domain.ports import Clock

SECRET_PREFIX = "fdes_"  # noqa: S105 - a marker, not a secret
SECRET_BYTES = 32


class EmailSecretStore(Protocol):
    """The tenants' own secrets, sealed at rest."""

    def secret_of(self, tenant_id: UUID) -> str | None: ...

    def rotated_at(self, tenant_id: UUID) -> datetime | None: ...

    def replace(self, tenant_id: UUID, secret: bytes, at: datetime, actor: str,
                event: AuthEvent) -> None:
        """Store ``secret`` (SECRET_BYTES random bytes) in place of the tenant's, with its
        event, atomically."""
        ...


def render_secret(raw: bytes) -> str:
    """What the sender holds and signs with: ``fdes_`` + the bytes in unpadded base64url."""
    return SECRET_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class NewEmailSecret:
    secret: str  # shown once
    rotated_at: datetime


@dataclass(frozen=True, slots=True)
class EmailSecretStatus:
    source: Literal["tenant", "environment", "none"]
    rotated_at: datetime | None


class EmailSecretAdministration:
    def __init__(self, store: EmailSecretStore, clock: Clock, fallback: str | None) -> None:
        self._store, self._clock, self._fallback = store, clock, fallback or None

    def rotate(self, tenant_id: UUID, actor: str, origin: Origin) -> NewEmailSecret:
        raw, at = secrets.token_bytes(SECRET_BYTES), self._clock.now()
        self._store.replace(tenant_id, raw, at, actor, AuthEvent(
            tenant_id, actor, "email_secret.rotated", "inbound_email_secret", str(tenant_id),
            origin))
        return NewEmailSecret(render_secret(raw), at)

    def status(self, tenant_id: UUID) -> EmailSecretStatus:
        at = self._store.rotated_at(tenant_id)
        if at is not None:
            return EmailSecretStatus("tenant", at)
        return EmailSecretStatus("environment" if self._fallback else "none", None)

    def verifying_secret(self, tenant_id: UUID | None) -> str | None:
        """The tenant's own secret, else the service-wide one (None: the channel is off)."""
        own = self._store.secret_of(tenant_id) if tenant_id is not None else None
        return own or self._fallback
