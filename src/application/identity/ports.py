"""Ports of the identity context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from domain.shared.errors import Conflict

ROLES = ("admin", "supervisor", "agent", "analyst")


@dataclass(frozen=True, slots=True)
class TenantRecord:
    id: UUID
    slug: str
    name: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: UUID
    tenant_id: UUID
    email: str
    password_hash: str
    roles: tuple[str, ...]
    disabled: bool = False


class SlugTaken(Conflict):
    code = "slug-taken"


class TenantDirectory(Protocol):
    def create(self, tenant: TenantRecord, admin: UserRecord) -> None:
        """Create the tenant and its first admin atomically; SlugTaken if the slug exists."""
        ...

    def by_slug(self, slug: str) -> TenantRecord | None: ...

    def user_by_email(self, tenant_id: UUID, email: str) -> UserRecord | None: ...

    def count(self) -> int:
        """How many tenants exist (a fresh install has none)."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash's parameters are not the current ones (re-hash at next login)."""
        ...


class TokenIssuer(Protocol):
    def issue(self, tenant_id: UUID, user_id: UUID, roles: tuple[str, ...],
              token_id: str | None = None, *, scope: str | None = None,
              lifetime: int | None = None) -> tuple[str, int]:
        """A signed access token with the id ``token_id`` (a new one when None) and its
        lifetime in seconds (``lifetime``, else the configured one). With ``scope``, the
        token may call only the routes that accept that scope (ADR 0081)."""
        ...
