"""Stateful in-memory fakes of the application's ports (for application-layer unit tests).

They pass the same contract tests as the PostgreSQL adapters
(tests/integration/test_unit_of_work_contract.py); ``RecordingTracer`` the same as the
OpenTelemetry command tracer (tests/unit/test_command_tracing.py).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

from application.ports import (
    ClaimTaken,
    CommandTrace,
    ConcurrentWrite,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    StoredResponse,
)
from domain.shared.aggregate import Claim, TenantAggregate
from domain.shared.errors import NotFound

A = TypeVar("A", bound=TenantAggregate)


class InMemoryEventStore:
    """Events per aggregate, claims and idempotency records, all per tenant, behind one lock."""

    def __init__(self) -> None:
        self.events: dict[UUID, list[Any]] = {}
        self.tenant_of: dict[UUID, UUID] = {}
        self.claims: dict[tuple[UUID, Claim], UUID] = {}
        self.responses: dict[tuple[UUID, str], tuple[str, StoredResponse, str]] = {}
        self.position = 0
        self.forgotten: set[UUID] = set()
        self.log: list[Any] = []
        """Every committed event, in commit order (what a reader of the log would see)."""
        self._lock = threading.Lock()

    def load(self, tenant_id: UUID, aggregate_id: UUID) -> TenantAggregate | None:
        with self._lock:
            if self.tenant_of.get(aggregate_id) != tenant_id:
                return None
            aggregate: Any = None
            for event in self.events[aggregate_id]:
                aggregate = copy.deepcopy(event).mutate(aggregate)
            return aggregate  # type: ignore[no-any-return]

    def commit(self, tenant_id: UUID, staged: list[tuple[TenantAggregate, frozenset[Claim]]],
               idempotency: IdempotencyRecord | None,
               assumed_free: frozenset[Claim] = frozenset()) -> str:
        with self._lock:
            taking = {c for agg, original in staged for c in agg.claims - original}
            for claim in assumed_free - taking:
                if (tenant_id, claim) in self.claims:
                    raise ClaimTaken(claim)
            pending = [(agg, agg.collect_events(), original) for agg, original in staged]
            for agg, events, _ in pending:
                if not events:
                    continue
                stored = len(self.events.get(agg.id, []))
                if events[0].originator_version != stored + 1:
                    raise ConcurrentWrite(f"{agg.id} is at version {stored}")
            released = {(tenant_id, c) for agg, _, original in pending
                        for c in original - agg.claims}
            for agg, _, original in pending:
                for claim in agg.claims - original:
                    holder = self.claims.get((tenant_id, claim))
                    if holder is not None and holder != agg.id \
                            and (tenant_id, claim) not in released:
                        raise ClaimTaken(claim)
            if idempotency is not None and (tenant_id, idempotency.key) in self.responses:
                raise IdempotencyKeyTaken()
            if not any(events for _, events, _ in pending) and idempotency is None:
                return "0"
            self.position += 1
            for agg, events, original in pending:
                for claim in original - agg.claims:
                    self.claims.pop((tenant_id, claim), None)
                for claim in agg.claims - original:
                    self.claims[(tenant_id, claim)] = agg.id
                if events:
                    copies = copy.deepcopy(events)
                    self.events.setdefault(agg.id, []).extend(copies)
                    self.log.extend(copies)
                    self.tenant_of[agg.id] = tenant_id
            if idempotency is not None:
                self.responses[(tenant_id, idempotency.key)] = (
                    idempotency.fingerprint, idempotency.response, str(self.position))
            return str(self.position)

    def owners(self, tenant_id: UUID, claims: list[Claim]) -> dict[Claim, UUID]:
        with self._lock:
            return {c: self.claims[(tenant_id, c)] for c in claims
                    if (tenant_id, c) in self.claims}

    def find(self, tenant_id: UUID, key: str) -> tuple[str, StoredResponse, str] | None:
        with self._lock:
            return self.responses.get((tenant_id, key))

    def all_events(self) -> list[Any]:
        with self._lock:
            return sorted((e for events in self.events.values() for e in events),
                          key=lambda e: e.timestamp)


class InMemoryUnitOfWork:
    """Same rules as PostgresUnitOfWork (staged claims win; released claims are free)."""

    def __init__(self, store: InMemoryEventStore, tenant_id: UUID, *,
                 speculative: bool = False) -> None:
        self.tenant_id = tenant_id
        self._store = store
        self.speculative = speculative
        self._assumed_free: set[Claim] = set()
        self.forgotten: set[UUID] = set()
        self._original: dict[UUID, frozenset[Claim]] = {}
        self._staged: dict[UUID, TenantAggregate] = {}
        self._seeds: dict[UUID, TenantAggregate] = {}

    def get(self, cls: type[A], aggregate_id: UUID) -> A:
        aggregate = self._staged.get(aggregate_id)
        if aggregate is None:
            aggregate = (self._seeds.pop(aggregate_id, None)
                         or self._store.load(self.tenant_id, aggregate_id))
        if not isinstance(aggregate, cls):
            raise NotFound(f"{cls.__name__.lower()} not found")
        self._original.setdefault(aggregate_id, aggregate.claims)
        return aggregate

    def add(self, aggregate: TenantAggregate) -> None:
        if aggregate.id not in self._original:
            if aggregate.version != len(aggregate.pending_events):
                raise RuntimeError("stage only aggregates loaded through this unit of work")
            self._original[aggregate.id] = frozenset()
        self._staged[aggregate.id] = aggregate

    def seed(self, aggregate: TenantAggregate) -> None:
        if aggregate.tenant_id != self.tenant_id or aggregate.pending_events:
            raise RuntimeError("seed only an unchanged aggregate of this tenant")
        if aggregate.id not in self._staged and aggregate.id not in self._original:
            self._seeds[aggregate.id] = aggregate

    def owners_of(self, claims: Iterable[Claim], *, verify: bool = False) -> dict[Claim, UUID]:
        staged = {claim: agg.id for agg in self._staged.values() for claim in agg.claims}
        released = {claim for agg in self._staged.values()
                    for claim in self._original[agg.id] - agg.claims}
        loaded = {claim: agg_id for agg_id, original in self._original.items()
                  for claim in original}  # what loaded aggregates hold in the store
        owners: dict[Claim, UUID] = {}
        unknown: list[Claim] = []
        for claim in claims:
            if claim in staged:
                owners[claim] = staged[claim]
            elif claim in released:
                continue
            elif claim in loaded:
                owners[claim] = loaded[claim]
            else:
                unknown.append(claim)
        if self.speculative and not verify:
            self._assumed_free.update(unknown)
        else:
            owners.update(self._store.owners(self.tenant_id, unknown))
        return owners

    def forget(self, subject_id: UUID) -> None:
        self.forgotten.add(subject_id)

    def commit(self, idempotency: IdempotencyRecord | None = None) -> str:
        self._store.forgotten |= self.forgotten
        staged = [(agg, self._original[i]) for i, agg in self._staged.items()]
        self._staged.clear()
        return self._store.commit(self.tenant_id, staged, idempotency,
                                  frozenset(self._assumed_free))


class InMemoryUnitOfWorkFactory:
    def __init__(self, store: InMemoryEventStore) -> None:
        self.store = store

    def __call__(self, tenant_id: UUID, *, speculative: bool = False) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store, tenant_id, speculative=speculative)


class RecordingTracer:
    """The ``CommandTracer`` port in memory: every trace once it has ended, its outcome and
    the error that left it (if any), and the traces open at this moment."""

    def __init__(self) -> None:
        self.open: list[CommandTrace] = []
        self.ended: list[tuple[CommandTrace, type[BaseException] | None]] = []

    @contextmanager
    def trace(self, command: str) -> Iterator[CommandTrace]:
        traced = CommandTrace(command)
        self.open.append(traced)
        error: type[BaseException] | None = None
        try:
            yield traced
        except BaseException as raised:
            error = type(raised)
            raise
        finally:
            self.open.remove(traced)
            self.ended.append((traced, error))
