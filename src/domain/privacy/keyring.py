"""A tenant's key ring: records each re-wrapping of its data keys (for the audit trail)."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.shared.aggregate import TenantAggregate


def keyring_id(tenant_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"frontdesk:keyring:{tenant_id}")


class TenantKeyRing(TenantAggregate):
    class KeyRingStarted(TenantAggregate.Created):
        pass

    class DataKeysRewrapped(TenantAggregate.Event):
        from_keks: list[str]
        to_kek: str
        keys: int

    @classmethod
    def start(cls, *, tenant_id: UUID, actor: str, at: datetime) -> TenantKeyRing:
        return cls._create(cls.KeyRingStarted, id=keyring_id(tenant_id), tenant_id=tenant_id,
                           actor=actor, timestamp=at)

    def __init__(self, *, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id
        self.rotations = 0

    def record_rewrap(self, *, actor: str, at: datetime, from_keks: list[str], to_kek: str,
                      keys: int) -> None:
        self._rewrapped(actor=actor, timestamp=at, from_keks=sorted(set(from_keks)),
                        to_kek=to_kek, keys=keys)

    @event(DataKeysRewrapped)
    def _rewrapped(self, actor: str, timestamp: datetime, from_keks: list[str], to_kek: str,
                   keys: int) -> None:
        self.rotations += 1
