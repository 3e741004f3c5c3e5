"""The Queue aggregate: where tasks wait, with required skills, a routing strategy and an SLA."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict
from uuid import UUID

from eventsourcing.domain import event

from domain.contact_center.values import (
    RoutingStrategy,
    ServiceLevel,
    SourceKind,
    parse_enum,
    skill_levels,
)
from domain.shared.aggregate import Claim, TenantAggregate
from domain.shared.errors import InvalidValue
from domain.shared.values import bounded_text


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """What a task takes from its queue when it enters it (kept for the task's whole stay, so
    a later change of the queue does not rewrite the clocks of tasks already waiting)."""

    queue_id: UUID
    required_skills: dict[str, int]
    service_level: ServiceLevel
    reservation_timeout_seconds: int


@dataclass(frozen=True, slots=True)
class QueueDefinition:
    """A queue's settings as a client states them (validated on construction)."""

    name: str
    description: str | None
    required_skills: dict[str, int]
    strategy: RoutingStrategy
    service_level: ServiceLevel
    reservation_timeout_seconds: int
    default_for: tuple[SourceKind, ...] = ()

    @classmethod
    def parse(cls, *, name: str, description: str | None, required_skills: Mapping[str, int],
              strategy: str, service_level: ServiceLevel, reservation_timeout_seconds: int,
              default_for: Sequence[str] = ()) -> QueueDefinition:
        text = bounded_text("name", name, limit=100)
        if not text:
            raise InvalidValue("name", "a queue needs a name")
        if not 5 <= reservation_timeout_seconds <= 3600:
            raise InvalidValue("reservation_timeout_seconds", "must be 5-3600 seconds")
        kinds = tuple(sorted({parse_enum(SourceKind, k, "default_for") for k in default_for}))
        return cls(name=text, description=bounded_text("description", description, limit=1000),
                   required_skills=skill_levels(required_skills, "required_skills"),
                   strategy=parse_enum(RoutingStrategy, strategy, "strategy"),
                   service_level=service_level,
                   reservation_timeout_seconds=reservation_timeout_seconds,
                   default_for=kinds)


class Queue(TenantAggregate):
    class QueueCreated(TenantAggregate.Created):
        class_version = 2  # v1 spelled the service level out in four fields
        name: str
        description: str | None
        required_skills: dict[str, int]
        strategy: str
        service_level: ServiceLevel
        reservation_timeout_seconds: int
        default_for: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _fold_service_level(state)

    class QueueChanged(TenantAggregate.Event):
        class_version = 2
        name: str
        description: str | None
        required_skills: dict[str, int]
        strategy: str
        service_level: ServiceLevel
        reservation_timeout_seconds: int
        default_for: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _fold_service_level(state)

    @classmethod
    def create(cls, *, queue_id: UUID, tenant_id: UUID, actor: str, at: datetime,
               definition: QueueDefinition) -> Queue:
        return cls._create(cls.QueueCreated, id=queue_id, tenant_id=tenant_id, actor=actor,
                           timestamp=at, **_fields(definition))

    def __init__(self, *, tenant_id: UUID, name: str, description: str | None,
                 required_skills: dict[str, int], strategy: str, service_level: ServiceLevel,
                 reservation_timeout_seconds: int, default_for: list[str]) -> None:
        self.tenant_id = tenant_id
        self._assign(name, description, required_skills, strategy, service_level,
                     reservation_timeout_seconds, default_for)

    def _assign(self, name: str, description: str | None, required_skills: dict[str, int],
                strategy: str, service_level: ServiceLevel, reservation_timeout_seconds: int,
                default_for: list[str]) -> None:
        self.name = name
        self.description = description
        self.required_skills = dict(required_skills)
        self.strategy = RoutingStrategy(strategy)
        self.service_level = service_level
        self.reservation_timeout_seconds = reservation_timeout_seconds
        self.default_for = [SourceKind(kind) for kind in default_for]

    # -- facts ------------------------------------------------------------------------------

    @property
    def claims(self) -> frozenset[Claim]:
        """Queue names are unique per tenant; one queue per tenant receives each source kind."""
        held = {self.name_claim(self.name)}
        held |= {self.default_claim(kind) for kind in self.default_for}
        return frozenset(held)

    @staticmethod
    def name_claim(name: str) -> Claim:
        return Claim("queue_name", name.strip().lower())

    @staticmethod
    def default_claim(kind: SourceKind) -> Claim:
        return Claim("default_queue", kind.value)

    def settings(self) -> QueueSettings:
        return QueueSettings(self.id, dict(self.required_skills), self.service_level,
                             self.reservation_timeout_seconds)

    # -- commands ---------------------------------------------------------------------------

    def change(self, *, actor: str, at: datetime, definition: QueueDefinition) -> None:
        if definition.service_level.escalation_queue_id == self.id:
            raise InvalidValue("escalation_queue_id", "a queue cannot escalate to itself")
        self._changed(actor=actor, timestamp=at, **_fields(definition))

    @event(QueueChanged)
    def _changed(self, actor: str, timestamp: datetime, name: str, description: str | None,
                 required_skills: dict[str, int], strategy: str, service_level: ServiceLevel,
                 reservation_timeout_seconds: int, default_for: list[str]) -> None:
        self._assign(name, description, required_skills, strategy, service_level,
                     reservation_timeout_seconds, default_for)


class _Fields(TypedDict):
    name: str
    description: str | None
    required_skills: dict[str, int]
    strategy: str
    service_level: ServiceLevel
    reservation_timeout_seconds: int
    default_for: list[str]


def _fields(definition: QueueDefinition) -> _Fields:
    return _Fields(name=definition.name, description=definition.description,
                   required_skills=definition.required_skills,
                   strategy=definition.strategy.value,
                   service_level=definition.service_level,
                   reservation_timeout_seconds=definition.reservation_timeout_seconds,
                   default_for=[k.value for k in definition.default_for])


def _fold_service_level(state: dict[str, Any]) -> None:
    """Upcast v1 -> v2: the four stored SLA fields become one ServiceLevel."""
    state["service_level"] = ServiceLevel(
        state.pop("target_answer_seconds"), state.pop("target_percentage"),
        state.pop("max_hold_seconds"), state.pop("escalation_queue_id"))
