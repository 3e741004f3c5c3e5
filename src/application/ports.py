"""Ports of the application layer: what handlers and projections need from adapters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from domain.shared.aggregate import Claim, TenantAggregate

A = TypeVar("A", bound=TenantAggregate)


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Who acts, for which tenant, and when. The tenant comes from the verified token only;
    the moment (``at``) is read from the clock by the command bus, once per attempt."""

    tenant_id: UUID
    actor: str
    roles: frozenset[str] = frozenset()
    at: datetime | None = None

    @property
    def now(self) -> datetime:
        """The moment of this attempt: every event a handler triggers happens at it."""
        if self.at is None:
            raise RuntimeError("a command runs through the CommandBus, which sets its moment")
        return self.at


@dataclass(slots=True)
class CommandTrace:
    """What the bus tells the trace of one command: its type's name, and its outcome once known
    (``executed``, ``replayed``, ``conflict``, ``refused``; ``error`` until set)."""

    command: str
    outcome: str = "error"


class CommandTracer(Protocol):
    """Traces the commands the bus dispatches (ADR 0083). ``trace`` opens a span for one
    command, current for the whole block, so that the handler's and the commit's database
    calls are its children; the bus sets the yielded trace's outcome before the block ends."""

    def trace(self, command: str) -> AbstractContextManager[CommandTrace]: ...


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first answer to an idempotent request, replayed verbatim on a retry."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    key: str
    fingerprint: str
    response: StoredResponse


class ClaimTaken(Exception):
    """A claimed unique value was taken by a concurrent commit; the command can be retried."""

    def __init__(self, claim: Claim) -> None:
        super().__init__(f"{claim.scope} already claimed")
        self.claim = claim


class IdempotencyKeyTaken(Exception):
    """A concurrent request with the same Idempotency-Key committed first."""


class ConcurrentWrite(Exception):
    """Another command appended to the same aggregate first (optimistic concurrency)."""


class UnitOfWork(Protocol):
    """One command's view of the event store: load aggregates, stage changes, commit once."""

    tenant_id: UUID
    speculative: bool  # the command's first attempt: unknown claims read as free (owners_of)

    def get(self, cls: type[A], aggregate_id: UUID) -> A:
        """Load an aggregate of this tenant; raises domain NotFound otherwise."""
        ...

    def add(self, aggregate: TenantAggregate) -> None:
        """Stage an aggregate's pending events (and claim changes) for the commit."""
        ...

    def seed(self, aggregate: TenantAggregate) -> None:
        """Offer an aggregate this request loaded earlier (through another unit of work) and
        has not changed since: the next ``get`` of it returns it as it is, assumed current,
        instead of replaying its history. The commit verifies the assumption: if the store
        has moved on, it raises ConcurrentWrite and writes nothing (the bus then runs the
        command again, unseeded). It must be of this tenant, with no pending events."""
        ...

    def owners_of(self, claims: Iterable[Claim], *, verify: bool = False) -> dict[Claim, UUID]:
        """Which aggregate holds each claim now (staged changes included).

        A speculative unit of work answers without asking the store: a claim it does not
        know is assumed free, and the commit verifies every such assumption atomically
        (ClaimTaken if one was wrong, so the command runs again, verified). ``verify=True``
        asks the store even then: for a lookup that usually finds an owner (a returning
        sender's open conversation), one round trip is cheaper than a failed commit."""
        ...

    def forget(self, subject_id: UUID) -> None:
        """Destroy the data key of a person in this commit (crypto-shredding): every personal
        field ever encrypted with it reads ``[erased]`` from then on."""
        ...

    def commit(self, idempotency: IdempotencyRecord | None = None) -> str:
        """Append staged events atomically; returns the position token of the commit.

        Raises ConcurrentWrite, ClaimTaken or IdempotencyKeyTaken and then writes nothing.
        """
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, tenant_id: UUID, *, speculative: bool = False) -> UnitOfWork: ...


class IdempotencyStore(Protocol):
    def find(self, tenant_id: UUID, key: str) -> tuple[str, StoredResponse, str] | None:
        """The (fingerprint, response, position) stored for a key, if any."""
        ...


class ConsistencyGate(Protocol):
    """Lets a client read its own writes: wait until projections have processed a position."""

    def wait_for(self, position: str, projections: Sequence[str], timeout: float) -> bool: ...


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    type: str
    version: int
    at: str
    actor: str
    data: dict[str, Any]


class EventHistory(Protocol):
    """The decoded event stream of one aggregate (personal fields decrypted or `[erased]`)."""

    def of(self, tenant_id: UUID, aggregate_id: UUID) -> list[HistoryEntry]: ...


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` is opaque and None on the last page."""

    items: list[T]
    next_cursor: str | None


class BadCursor(Exception):
    """A pagination cursor that this service did not issue (HTTP 400)."""
