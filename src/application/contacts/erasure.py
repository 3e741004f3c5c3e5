"""Erasure (GDPR art. 17) by crypto-shredding (the access export, art. 15, is ``export.py``).

Erasing records ContactErased and destroys the contact's data key in the same commit: every
personal field ever written for the person (their own events, their leads' notes) then reads
``[erased]``, while the events, ids and amounts stay. Projections purge the person's rows when
they reach the event; the compactor then rewrites the tables so no copy stays in their files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ports import CommandContext, UnitOfWork
from domain.contacts import Contact

PURGED_READ_MODELS = ("contacts", "lead_pipeline", "memories")


@dataclass(frozen=True, slots=True)
class EraseContact:
    contact_id: UUID
    reason: str = "data subject request (GDPR art. 17)"


@dataclass(frozen=True, slots=True)
class ErasureReceipt:
    contact_id: UUID
    erased_at: datetime
    requested_by: str
    already_erased: bool
    read_models: tuple[str, ...] = PURGED_READ_MODELS


class EraseContactHandler:
    def __init__(self, read_models: tuple[str, ...] = PURGED_READ_MODELS) -> None:
        """``read_models``: the projections that purge a person on ContactErased."""
        self._read_models = tuple(read_models)

    def __call__(self, command: EraseContact, uow: UnitOfWork,
                 ctx: CommandContext) -> ErasureReceipt:
        contact = uow.get(Contact, command.contact_id)
        if contact.erased:  # asking again is answered again, and changes nothing
            return ErasureReceipt(contact.id, contact.modified_on, ctx.actor, True,
                                  self._read_models)
        now = ctx.now
        contact.erase(actor=ctx.actor, at=now, reason=command.reason)
        uow.add(contact)
        uow.forget(contact.id)
        return ErasureReceipt(contact.id, now, ctx.actor, False, self._read_models)
