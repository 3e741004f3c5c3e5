"""Recording a key rotation in a tenant's event log (the audit trail of ADR 0042)."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import CommandContext, UnitOfWork
from domain.privacy import TenantKeyRing, keyring_id
from domain.shared import NotFound


@dataclass(frozen=True, slots=True)
class RecordKeyRotation:
    from_keks: list[str]
    to_kek: str
    keys: int


def record_key_rotation(command: RecordKeyRotation, uow: UnitOfWork,
                        ctx: CommandContext) -> int:
    try:
        ring = uow.get(TenantKeyRing, keyring_id(ctx.tenant_id))
    except NotFound:
        ring = TenantKeyRing.start(tenant_id=ctx.tenant_id, actor=ctx.actor, at=ctx.now)
    ring.record_rewrap(actor=ctx.actor, at=ctx.now, from_keks=command.from_keks,
                       to_kek=command.to_kek, keys=command.keys)
    uow.add(ring)
    return ring.rotations
