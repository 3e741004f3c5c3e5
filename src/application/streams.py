"""Live streams of a tenant's event log: what a client is shown as events are committed.

The port (``TenantLog``) reads one tenant's events after a position, in the order the log
commits them, each rendered as its event history shows it. The rules of who sees what
(``Visibility``) are application logic: an admin, a supervisor and an analyst follow the
whole tenant; an agent follows the work (conversations, tasks) and themselves (ADR 0067).
Positions are the log's ``TX:ID`` text: a client keeps the last one it saw and resumes after
it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

__all__ = [
    "ADMIN_ONLY_KINDS",
    "AGENT_KINDS",
    "SEALED_KINDS",
    "MalformedPosition",
    "StreamedEvent",
    "TenantLog",
    "Visibility",
    "aggregate_kind",
    "erases_a_contact",
    "position_text",
]


@dataclass(frozen=True, slots=True)
class StreamedEvent:
    """One event of the log as a client is shown it."""

    position: str
    """Where it is in the log, ``TX:ID`` (transaction id, notification id): unique, ordered,
    and what a client sends back to resume after it."""
    type: str
    """The event class's name, as histories name it (``LeadCaptured``)."""
    aggregate_id: UUID
    aggregate_kind: str
    """The aggregate's class name: Lead, Case, Contact, Conversation, Task, Agent, Queue, ..."""
    version: int
    at: str
    """When it happened (ISO 8601), from the event."""
    actor: str
    data: Mapping[str, Any]
    """What ``GET /v1/<resource>/{id}/events`` shows for it: JSON-ready, personal fields
    decrypted (``[erased]`` after an erasure), money spelled out as histories spell it."""


class TenantLog(Protocol):
    """One tenant's events in commit-safe order (an event committed late is never behind a
    position already handed out)."""

    def after(self, tenant_id: UUID, position: str | None, limit: int) -> list[StreamedEvent]:
        """The tenant's events after ``position`` (None: from the start of the log), oldest
        first, at most ``limit``. Fewer than ``limit`` means: nothing more is committed yet."""
        ...

    def head(self, tenant_id: UUID) -> str:
        """A position that every event committed from now on comes after (where a stream
        that asks for no past starts)."""
        ...


class MalformedPosition(ValueError):
    """A position that is not ``TX:ID`` (HTTP 400)."""


_POSITION = re.compile(r"^([0-9]{1,20}):([0-9]{1,19})$")
_MAX_TX = 2**64 - 1  # xid8
_MAX_ID = 2**63 - 1  # bigint


def position_text(text: str) -> str:
    """A position a client sent (``Last-Event-ID``, ``after``), checked: ``TX:ID`` with two
    whole numbers in the log's ranges; MalformedPosition for anything else."""
    found = _POSITION.match(text.strip())
    if found is None or int(found[1]) > _MAX_TX or int(found[2]) > _MAX_ID:
        raise MalformedPosition(f"not a log position (TX:ID, for example 1234:5678): "
                                f"{text[:60]!r}")
    return f"{int(found[1])}:{int(found[2])}"


def aggregate_kind(event_class: type) -> str:
    """``Lead`` for ``Lead.LeadCaptured``: the class an event is nested in."""
    return event_class.__qualname__.rpartition(".")[0] or event_class.__name__


def erases_a_contact(event: StreamedEvent) -> bool:
    """The erasure of a contact: events of that contact shown before it are shown again with
    their personal fields ``[erased]``, never from a copy decrypted earlier."""
    return event.aggregate_kind == "Contact" and event.type == "ContactErased"


SEALED_KINDS = frozenset({"WebhookSubscription"})
"""Aggregates whose sealed fields are secrets, not personal data (a subscription's signing
secret, shown once): a stream never decrypts them; they read ``[withheld]``."""

ADMIN_ONLY_KINDS = frozenset({"WebhookSubscription"})
"""Configuration whose reads are the admin's only (``GET /v1/webhook-subscriptions``)."""

AGENT_KINDS = frozenset({"Conversation", "Task"})
"""What an agent works on; the agent also sees the events of its own ``Agent``."""


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which of a tenant's events one caller's stream shows, from their roles.

    - admin: every event of the tenant;
    - supervisor, analyst: every event but the admin's configuration (``ADMIN_ONLY_KINDS``);
    - agent: conversations and tasks (every one of the tenant, as their reads allow), and
      the events of their own ``Agent`` (status, skills, shifts), not other agents';
    - several roles: what any of them sees.
    """

    user_id: UUID
    every_kind: bool
    """Every kind but those in ``withheld``."""
    withheld: frozenset[str]
    kinds: frozenset[str]
    """With ``every_kind`` False: the kinds shown."""
    own_agent: bool

    @classmethod
    def of(cls, user_id: UUID, roles: Iterable[str]) -> Visibility:
        held = frozenset(roles)
        if "admin" in held:
            return cls(user_id, True, frozenset(), frozenset(), True)
        if held & {"supervisor", "analyst"}:
            return cls(user_id, True, ADMIN_ONLY_KINDS, frozenset(), True)
        if "agent" in held:
            return cls(user_id, False, frozenset(), AGENT_KINDS, True)
        return cls(user_id, False, frozenset(), frozenset(), False)

    def sees(self, event: StreamedEvent) -> bool:
        kind = event.aggregate_kind
        if self.every_kind:
            return kind not in self.withheld
        if kind in self.kinds:
            return True
        return self.own_agent and kind == "Agent" and event.aggregate_id == self.user_id
