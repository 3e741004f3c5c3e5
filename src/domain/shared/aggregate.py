"""The base of every Frontdesk aggregate: tenant-scoped, actor-stamped, clock-driven events.

Every event carries ``tenant_id`` and ``actor`` (SPEC §3), and its ``timestamp`` comes from the
caller (the application layer reads the Clock port), so replays and tests are deterministic.
Events name their personal fields in ``personal``; the persistence mapper encrypts exactly
those with the key of the aggregate's data subject (``subject_id``), combined, for an event
that names one in ``sealed_per``, with the key of a second subject (a message, ADR 0086).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate


@dataclass(frozen=True, slots=True)
class Claim:
    """A value that must be unique within a tenant while an aggregate holds it.

    Aggregates declare the claims they hold (an email for a contact, an open lead per contact and
    source); the unit of work reserves and releases them atomically with the events, keyed by a
    keyed hash, so uniqueness across aggregates holds without storing the plaintext.
    """

    scope: str
    value: str


class TenantAggregate(Aggregate):
    """Aggregate that belongs to one tenant."""

    tenant_id: UUID

    class Event(Aggregate.Event):
        tenant_id: UUID
        actor: str
        personal: ClassVar[frozenset[str]] = frozenset()
        sealed_per: ClassVar[str | None] = None
        """The attribute naming a second data subject of the personal fields (a message id):
        they are then sealed under both keys, and destroying either makes them unreadable."""

    class Created(Aggregate.Created):
        tenant_id: UUID
        actor: str
        personal: ClassVar[frozenset[str]] = frozenset()

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.setdefault("tenant_id", self.tenant_id)
        super().trigger_event(event_class, **kwargs)

    @property
    def subject_id(self) -> UUID | None:
        """The person whose data key encrypts this aggregate's personal fields, if any."""
        return None

    @property
    def claims(self) -> frozenset[Claim]:
        """The tenant-unique values this aggregate holds in its current state."""
        return frozenset()
