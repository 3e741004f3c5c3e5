"""Projections: pure mappings from events to read-model rows.

A projection names the tables it owns and, per event, the rows it will touch (``keys``, so a
runner can fetch them for a whole batch at once); ``apply`` then changes rows through ``ViewRows``.
Where the rows live (a PostgreSQL table, a rebuild table, memory for an as-of answer) and how the
change is committed together with the tracking position is the runner's business.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

Row = dict[str, Any]
RowKey = tuple[Any, ...]
Event = DomainEventProtocol[UUID]


class ViewRows(Protocol):
    def get(self, table: str, key: RowKey) -> Row | None: ...

    def put(self, table: str, key: RowKey, row: Row) -> None: ...

    def delete(self, table: str, key: RowKey) -> None: ...

    def delete_where(self, table: str, tenant_id: UUID, column: str, value: Any) -> None:
        """Delete every row of a tenant whose ``column`` equals ``value``."""
        ...

    def clear_where(self, table: str, tenant_id: UUID, column: str, value: Any,
                    cleared: tuple[str, ...]) -> None:
        """Set the ``cleared`` columns to NULL in every row of a tenant whose ``column`` equals
        ``value`` (an erasure that keeps the row's figures)."""
        ...


class Projection:
    """Base class: subclasses register a handler per event class in ``handlers``."""

    name: ClassVar[str]
    version: ClassVar[int]
    tables: ClassVar[tuple[str, ...]]
    handles_all: ClassVar[bool] = False
    """True for a projection of every event (the audit log): it overrides ``keys`` and
    ``apply`` and never sees personal fields (they read ``[withheld]``)."""

    def __init__(self) -> None:
        self.handlers: dict[type, Callable[[Any, ViewRows], None]] = {}
        self.key_functions: dict[type, Callable[[Any], list[tuple[str, RowKey]]]] = {}
        self.personal_needed: dict[type, bool] = {}

    def on(self, event_class: type, handler: Callable[[Any, ViewRows], None],
           keys: Callable[[Any], list[tuple[str, RowKey]]], *,
           uses_personal_data: bool = True) -> None:
        """Handle ``event_class``. ``uses_personal_data=False`` promises the handler reads none
        of the event's personal fields: they are then not decrypted for it (they read
        ``[withheld]``), which is less work and less exposure."""
        self.handlers[event_class] = handler
        self.key_functions[event_class] = keys
        self.personal_needed[event_class] = uses_personal_data

    def needs_personal_data(self, event_class: type) -> bool:
        return self.personal_needed.get(event_class, not self.handles_all)

    @property
    def event_classes(self) -> tuple[type, ...]:
        return tuple(self.handlers)

    def prepare(self, events: list[Event]) -> None:
        """Called once per batch before ``apply``: a chance to do one expensive computation for
        the whole batch (e.g. one embedding call for all its texts)."""

    def keys(self, event: Event) -> list[tuple[str, RowKey]]:
        function = self.key_functions.get(type(event))
        return function(event) if function else []

    def apply(self, event: Event, rows: ViewRows) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(event, rows)


def by_originator(table: str) -> Callable[[Any], list[tuple[str, RowKey]]]:
    """The row of the event's own aggregate: key (tenant_id, originator_id)."""

    def keys(event: Any) -> list[tuple[str, RowKey]]:
        return [(table, (event.tenant_id, event.originator_id))]

    return keys
