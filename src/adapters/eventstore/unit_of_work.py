"""The unit of work over the event store: one command, one tenant, one atomic commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar
from uuid import UUID

from adapters.eventstore.store import TenantEventStore
from application.ports import IdempotencyRecord
from domain.shared.aggregate import Claim, TenantAggregate
from domain.shared.errors import NotFound

A = TypeVar("A", bound=TenantAggregate)


class PostgresUnitOfWork:
    def __init__(self, store: TenantEventStore, tenant_id: UUID, *,
                 speculative: bool = False) -> None:
        self.tenant_id = tenant_id
        self._store = store
        self.speculative = speculative
        self._assumed_free: set[Claim] = set()
        self._forget: set[UUID] = set()
        self._original_claims: dict[UUID, frozenset[Claim]] = {}
        self._staged: dict[UUID, TenantAggregate] = {}
        self._seeds: dict[UUID, TenantAggregate] = {}

    def get(self, cls: type[A], aggregate_id: UUID) -> A:
        aggregate = self._staged.get(aggregate_id)
        if aggregate is None:
            aggregate = (self._seeds.pop(aggregate_id, None)
                         or self._store.load(self.tenant_id, aggregate_id))
        if not isinstance(aggregate, cls) or aggregate.tenant_id != self.tenant_id:
            raise NotFound(f"{cls.__name__.lower()} not found")
        self._original_claims.setdefault(aggregate_id, aggregate.claims)
        return aggregate

    def add(self, aggregate: TenantAggregate) -> None:
        if aggregate.id not in self._original_claims:
            if aggregate.version != len(aggregate.pending_events):
                raise RuntimeError("stage only aggregates loaded through this unit of work")
            self._original_claims[aggregate.id] = frozenset()
        self._staged[aggregate.id] = aggregate

    def seed(self, aggregate: TenantAggregate) -> None:
        if aggregate.tenant_id != self.tenant_id or aggregate.pending_events:
            raise RuntimeError("seed only an unchanged aggregate of this tenant")
        if aggregate.id not in self._staged and aggregate.id not in self._original_claims:
            self._seeds[aggregate.id] = aggregate

    def owners_of(self, claims: Iterable[Claim], *, verify: bool = False) -> dict[Claim, UUID]:
        staged = {claim: agg.id for agg in self._staged.values() for claim in agg.claims}
        released = {claim for agg in self._staged.values()
                    for claim in self._original_claims[agg.id] - agg.claims}
        loaded = {claim: agg_id for agg_id, original in self._original_claims.items()
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
        self._forget.add(subject_id)

    def commit(self, idempotency: IdempotencyRecord | None = None) -> str:
        staged = [(agg, self._original_claims[agg_id]) for agg_id, agg in self._staged.items()]
        self._staged.clear()
        return self._store.commit(self.tenant_id, staged, idempotency,
                                  assumed_free=frozenset(self._assumed_free),
                                  forget=frozenset(self._forget))


class PostgresUnitOfWorkFactory:
    def __init__(self, store: TenantEventStore) -> None:
        self._store = store

    def __call__(self, tenant_id: UUID, *, speculative: bool = False) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self._store, tenant_id, speculative=speculative)
