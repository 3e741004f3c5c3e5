"""The events a tenant may subscribe to: every event of the business aggregates, by name
(``LeadCaptured``), as ``GET /v1/<resource>/{id}/events`` names them. The subscriptions' own
events are not deliverable (a subscription is configuration, not business)."""

from __future__ import annotations

from types import MappingProxyType

from domain.cases import Case
from domain.contact_center import Agent, DispositionCatalog, Queue, Script, Task
from domain.contacts import Contact
from domain.conversations import Conversation
from domain.knowledge import KnowledgeDocument
from domain.leads import Lead
from domain.shared.aggregate import TenantAggregate

AGGREGATES: tuple[type[TenantAggregate], ...] = (
    Contact, Lead, Case, Conversation, KnowledgeDocument, Agent, Queue, Task, Script,
    DispositionCatalog)


def _events(aggregate: type[TenantAggregate]) -> dict[str, type]:
    found: dict[str, type] = {}
    for name, value in vars(aggregate).items():
        if (isinstance(value, type) and name not in ("Event", "Created")
                and issubclass(value, TenantAggregate.Event | TenantAggregate.Created)):
            found[name] = value
    return found


def _catalog() -> dict[str, type]:
    catalog: dict[str, type] = {}
    for aggregate in AGGREGATES:
        for name, cls in _events(aggregate).items():
            if name in catalog:
                raise ValueError(f"two deliverable events are named {name}")
            catalog[name] = cls
    return dict(sorted(catalog.items()))


EVENT_TYPES = MappingProxyType(_catalog())
"""Event type name → event class, sorted by name."""


def aggregate_type(event_class: type) -> str:
    """``Lead`` for ``Lead.LeadCaptured`` (as the audit log names resources)."""
    return event_class.__qualname__.rpartition(".")[0] or event_class.__name__
