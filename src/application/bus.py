"""The command bus: finds a command's handler by the command's type, runs it in one unit of
work at one moment, and owns the commit.

Each bounded context registers its handlers in one mapping from command type to handler
(``COMMAND_HANDLERS`` of its ``handlers`` module, or a function building it when handlers have
collaborators); the composition root merges them. Handlers load, call an aggregate method and
stage the aggregate; the bus reads the clock once per attempt (``CommandContext.at``) and
commits. It retries a
command whose unique claim was taken (concurrently, or while its first, speculative attempt
assumed the claim free): the retry looks claims up, sees the winner and decides again. It runs
again, from the store, a command whose first attempt took aggregates the caller had loaded as
current (``seeds``) when they turned out stale. And it makes writes idempotent: the first
response to an Idempotency-Key is stored in the same transaction as the events and replayed
for every retry with that key.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

from application.ports import (
    ClaimTaken,
    CommandContext,
    CommandTrace,
    CommandTracer,
    ConcurrentWrite,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    IdempotencyStore,
    StoredResponse,
    UnitOfWork,
    UnitOfWorkFactory,
)
from domain.ports import Clock
from domain.shared.aggregate import TenantAggregate
from domain.shared.errors import Conflict, DomainError, StaleVersion

C = TypeVar("C", contravariant=True)
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Handler(Protocol[C, R_co]):
    def __call__(self, command: C, uow: UnitOfWork, ctx: CommandContext) -> R_co: ...


Handlers = Mapping[type[Any], Handler[Any, Any]]
"""Command type → its one handler."""


def merge_handlers(*mappings: Handlers) -> dict[type[Any], Handler[Any, Any]]:
    """The contexts' mappings as one; a command type registered twice is a wiring error."""
    merged: dict[type[Any], Handler[Any, Any]] = {}
    for mapping in mappings:
        twice = merged.keys() & mapping.keys()
        if twice:
            raise ValueError(f"registered twice: {sorted(t.__name__ for t in twice)}")
        merged.update(mapping)
    return merged


class NoHandler(LookupError):
    """A command type no context registered (a wiring error, never the client's)."""


@dataclass(frozen=True, slots=True)
class Idempotency(Generic[R]):
    """An idempotent request: its key, a fingerprint of its payload, and how to answer it."""

    key: str
    fingerprint: str
    render: Callable[[R], StoredResponse]


@dataclass(frozen=True, slots=True)
class Executed(Generic[R]):
    result: R
    position: str


@dataclass(frozen=True, slots=True)
class Replayed:
    response: StoredResponse
    position: str


class IdempotencyKeyReused(DomainError):
    """The same Idempotency-Key was sent with a different request (HTTP 422)."""

    code = "idempotency-key-reused"


CommandObserver = Callable[[str, str, float], None]
"""Called after every command: (command type, outcome, seconds). Outcomes: ``executed``,
``replayed`` (an idempotent retry), ``conflict`` (409), ``refused`` (another domain rule or
bad value), ``error`` (anything else)."""


class CommandBus:
    def __init__(self, uow_factory: UnitOfWorkFactory, idempotency: IdempotencyStore,
                 clock: Clock, *, handlers: Handlers, attempts: int = 4,
                 observe: CommandObserver | None = None,
                 tracer: CommandTracer | None = None) -> None:
        self._uow_factory = uow_factory
        self._idempotency = idempotency
        self._clock = clock
        self._handlers = dict(handlers)
        self._attempts = attempts
        self._observe = observe
        self._tracer = tracer

    @property
    def handlers(self) -> Handlers:
        return MappingProxyType(self._handlers)

    def handler_of(self, command: Any) -> Handler[Any, Any]:
        try:
            return self._handlers[type(command)]
        except KeyError:
            raise NoHandler(f"no handler is registered for {type(command).__name__}") from None

    def execute(
        self,
        command: Any,
        ctx: CommandContext,
        idempotency: Idempotency[Any] | None = None,
        *,
        seeds: Sequence[TenantAggregate] = (),
    ) -> Executed[Any] | Replayed:
        """``seeds``: aggregates the caller loaded earlier in this request and did not change.
        The first attempt takes them as current instead of loading them (``UnitOfWork.seed``)
        and the commit verifies it; if that attempt fails (a concurrent write: the store moved
        on; or a domain rule, which a stale state may have broken), the command runs again
        from the store, as if it had not been seeded."""
        handler = self.handler_of(command)
        if self._observe is None and self._tracer is None:
            return self._execute(handler, command, ctx, idempotency, seeds)
        with self._traced(type(command).__name__) as traced:
            started = time.perf_counter()
            try:
                done = self._execute(handler, command, ctx, idempotency, seeds)
                traced.outcome = "replayed" if isinstance(done, Replayed) else "executed"
                return done
            except Conflict:
                traced.outcome = "conflict"
                raise
            except DomainError:
                traced.outcome = "refused"
                raise
            finally:
                if self._observe is not None:
                    self._observe(traced.command, traced.outcome,
                                  time.perf_counter() - started)

    def _traced(self, command: str) -> AbstractContextManager[CommandTrace]:
        """The command's span (its handler, its commit and their SQL inside), when traced."""
        if self._tracer is None:
            return nullcontext(CommandTrace(command))
        return self._tracer.trace(command)

    def _execute(
        self,
        handler: Handler[C, R],
        command: C,
        ctx: CommandContext,
        idempotency: Idempotency[R] | None,
        seeds: Sequence[TenantAggregate] = (),
    ) -> Executed[R] | Replayed:
        if idempotency is not None:
            replay = self._replay(ctx, idempotency)
            if replay is not None:
                return replay
        for attempt in range(1, self._attempts + 1):
            # First try speculatively (unknown claims assumed free, verified by the commit:
            # one round trip fewer); after a wrong guess, look claims up for real.
            uow = self._uow_factory(ctx.tenant_id, speculative=attempt == 1)
            # Likewise, seeds are assumed current on the first attempt only.
            seeded = attempt == 1 and bool(seeds) and attempt < self._attempts
            for aggregate in seeds if seeded else ():
                uow.seed(aggregate)
            try:
                result = handler(command, uow, replace(ctx, at=self._clock.now()))
            except DomainError:
                if seeded:
                    continue
                raise
            record = None
            if idempotency is not None:
                record = IdempotencyRecord(idempotency.key, idempotency.fingerprint,
                                           idempotency.render(result))
            try:
                position = uow.commit(record)
            except ClaimTaken as taken:
                if attempt == self._attempts:
                    raise Conflict(f"{taken.claim.scope} was taken concurrently") from taken
                continue
            except ConcurrentWrite as stale:
                if seeded:
                    continue
                raise StaleVersion("the resource was changed concurrently; reload and retry"
                                   ) from stale
            except IdempotencyKeyTaken:
                assert idempotency is not None
                replay = self._replay(ctx, idempotency)
                assert replay is not None, "a taken idempotency key must be readable"
                return replay
            return Executed(result, position)
        raise AssertionError("unreachable")  # pragma: no cover

    def _replay(self, ctx: CommandContext, idempotency: Idempotency[R]) -> Replayed | None:
        found = self._idempotency.find(ctx.tenant_id, idempotency.key)
        if found is None:
            return None
        fingerprint, response, position = found
        if fingerprint != idempotency.fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used for a different request")
        return Replayed(response, position)
