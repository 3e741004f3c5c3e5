"""The event store facade: loads aggregates, commits units of work, answers history queries."""

from __future__ import annotations

from functools import reduce
from typing import Any, cast
from uuid import UUID

from adapters.crypto.blind_index import HmacBlindIndex
from adapters.eventstore.group_commit import GroupCommitter
from adapters.eventstore.history import history_data
from adapters.eventstore.mapper import Ciphers, PersonalDataMapper, _resolve
from adapters.eventstore.recorder import CommitUnit, HashedClaim, TenantEventRecorder
from application.ports import HistoryEntry, IdempotencyRecord, StoredResponse
from domain.shared.aggregate import Claim, TenantAggregate

NOTHING_WRITTEN = "0"


class TenantEventStore:
    def __init__(self, recorder: TenantEventRecorder, mapper: PersonalDataMapper,
                 committer: GroupCommitter, blind_index: HmacBlindIndex) -> None:
        self.recorder, self.mapper = recorder, mapper
        self.committer, self._blind = committer, blind_index

    # -- aggregates -------------------------------------------------------------------------

    def load(self, tenant_id: UUID, aggregate_id: UUID,
             version: int | None = None) -> TenantAggregate | None:
        stored = self.recorder.select_aggregate(tenant_id, aggregate_id, lte=version)
        if not stored:
            return None
        ciphers: Ciphers = {}  # one key lookup and cipher per subject for this load
        events = [self.mapper.to_domain_event(s, ciphers=ciphers) for s in stored]
        aggregate: Any = reduce(lambda agg, event: event.mutate(agg),  # type: ignore[attr-defined]
                                events, None)
        return cast(TenantAggregate, aggregate)

    def _hash(self, tenant_id: UUID, claim: Claim) -> bytes:
        return self._blind.digest(tenant_id, claim.scope, claim.value)

    def owners(self, tenant_id: UUID, claims: list[Claim]) -> dict[Claim, UUID]:
        if not claims:
            return {}
        hashed = {(c.scope, self._hash(tenant_id, c)): c for c in claims}
        found = self.recorder.claim_owners(tenant_id, list(hashed))
        return {hashed[key]: owner for key, owner in found.items()}

    def commit(self, tenant_id: UUID,
               staged: list[tuple[TenantAggregate, frozenset[Claim]]],
               idempotency: IdempotencyRecord | None,
               assumed_free: frozenset[Claim] = frozenset(),
               forget: frozenset[UUID] = frozenset()) -> str:
        unit = CommitUnit(tenant_id=tenant_id, events=[], idempotency=idempotency,
                          forget=sorted(forget))
        pending_keys: dict[UUID, bytes] = {}
        for aggregate, original_claims in staged:
            subject = aggregate.subject_id
            if subject is not None:
                unit.subjects.add(subject)
            for event in aggregate.collect_events():
                stored, new_key = self.mapper.to_stored_event_for(event, tenant_id, subject,
                                                                  pending_keys, unit.new_keys)
                unit.events.append(stored)
                if new_key is not None:
                    unit.new_keys.append(new_key)
            current = aggregate.claims
            unit.claims_released += [HashedClaim(c, self._hash(tenant_id, c), aggregate.id)
                                     for c in sorted(original_claims - current, key=repr)]
            unit.claims_taken += [HashedClaim(c, self._hash(tenant_id, c), aggregate.id)
                                  for c in sorted(current - original_claims, key=repr)]
        taken = {held.claim for held in unit.claims_taken}
        unit.claims_absent = [HashedClaim(c, self._hash(tenant_id, c), tenant_id)
                              for c in sorted(assumed_free - taken, key=repr)]
        if unit.empty:
            return NOTHING_WRITTEN
        self.committer.commit(unit)
        if unit.error is not None:
            raise unit.error
        self.mapper.keys.adopt(unit.new_keys, pending_keys)
        for subject in unit.forget:
            self.mapper.keys.destroyed(subject)
        assert unit.position is not None
        return unit.position

    # -- IdempotencyStore port --------------------------------------------------------------

    def find(self, tenant_id: UUID, key: str) -> tuple[str, StoredResponse, str] | None:
        row = self.recorder.find_idempotent(tenant_id, key)
        if row is None:
            return None
        response = StoredResponse(status=row["status"], body=bytes(row["body"]),
                                  headers=dict(row["headers"]))
        return row["fingerprint"], response, row["position"]

    # -- EventHistory port ------------------------------------------------------------------

    def of(self, tenant_id: UUID, aggregate_id: UUID) -> list[HistoryEntry]:
        entries = []
        for stored in self.recorder.select_aggregate(tenant_id, aggregate_id):
            cls = _resolve(stored.topic)
            at, actor, data = history_data(cls, self.mapper.decode_state(stored))
            entries.append(HistoryEntry(type=cls.__name__, version=stored.originator_version,
                                        at=at, actor=actor, data=data))
        return entries
