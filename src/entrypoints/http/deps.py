"""What every slice's routes share: the request alias, the command bus, the read side, path and
paging parameters, and ``Constant``, the provider of collaborators built once at start."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any, TypeVar
from uuid import UUID

from litestar import Litestar, Request
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import Example
from litestar.params import FromPath, QueryParameter, SkipValidation
from litestar.routes import HTTPRoute

from application.bus import CommandBus
from application.identity.access import AccessLog, AuthEvent, Origin
from application.ports import ConsistencyGate, EventHistory, HistoryEntry
from domain.shared import InvalidValue, NotFound
from entrypoints.http.ratelimit import client_ip
from entrypoints.http.schemas import RFC3339
from entrypoints.http.security import Principal


class Constant(Provide):
    """A collaborator built once at start and handed as it is to every handler that names it."""

    def __init__(self, value: Any) -> None:
        super().__init__(lambda: value, use_cache=True, sync_to_thread=False)


def resolve_constants_in_line(app: Litestar) -> int:
    """Resolve a handler's ``Constant`` dependencies one after the other instead of in an
    anyio task group (Litestar's way for two or more independent ones), which cost about a
    tenth of the CPU per request for nothing (ADR 0063). Returns how many handlers changed."""
    changed = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for _, model in route.route_handler_map.values():
            batches: list[set[Any]] = []
            for batch in model.dependency_batches:
                if len(batch) > 1 and all(isinstance(d.provide, Constant) for d in batch):
                    batches.extend({d} for d in batch)
                else:
                    batches.append(batch)
            if len(batches) != len(model.dependency_batches):
                model.dependency_batches = batches
                changed += 1
    return changed


@dataclass(frozen=True)
class ReadSide:
    """Waiting for a client's own writes (``X-Frontdesk-Min-Position``), event histories, and
    the access trail: who read or changed what, from where (IP and user agent)."""

    gate: ConsistencyGate
    history: EventHistory
    timeout: float
    trail: AccessLog | None = None
    trust_forwarded: bool = False

    def caught_up(self, position: str, read_models: Sequence[str]) -> None:
        """Wait (bounded by ``timeout``) until ``read_models`` include the event at the log
        position ``position`` (``<tx>:<id>``, as the stream's followers name it; ADR 0090)."""
        self.gate.wait_for(position.partition(":")[0], read_models, self.timeout)

    def history_of(self, request: Req, aggregate_id: UUID, created: str,
                   what: str) -> list[HistoryEntry]:
        """An aggregate's events, oldest first; not found unless its first event is
        ``created`` (so another kind of aggregate, or another tenant's, is a 404). The read
        is audited (``<what>.events_read``): an event history holds personal data."""
        entries = self.history.of(request.user.tenant_id, aggregate_id)
        if not entries or entries[0].type != created:
            raise NotFound(f"{what} not found")
        self.audit(request, f"{what}.events_read", what, aggregate_id)
        return entries

    def audit(self, request: Req, action: str, resource_type: str,
              resource_id: UUID | str | None, *, tenant_id: UUID | None = None,
              actor: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """Record an access event with the request's IP and user agent (shown by
        ``GET /v1/audit``). ``tenant_id`` and ``actor`` default to the caller's; a public
        route (the admin API) names them."""
        if self.trail is None:
            return
        agent = request.headers.get("user-agent")
        origin = Origin(client_ip(request.scope, self.trust_forwarded),
                        agent[:300] if agent else None)
        self.trail.record(AuthEvent(
            tenant_id=tenant_id or request.user.tenant_id,
            actor=actor or request.user.actor, action=action, resource_type=resource_type,
            resource_id=None if resource_id is None else str(resource_id), origin=origin,
            detail=detail or {}))


Req = Request[Principal, Any, Any]
"""Every route's request: ``request.user`` is the verified principal (absent on public routes)."""

T = TypeVar("T")
Provided = NamedDependency[SkipValidation[T]]
"""A route parameter the app provides by its name (explicit, as Litestar 3 will want). It is
not validated: these are collaborators built at start, often typed by a Protocol, which no
isinstance check can take."""

Bus = Provided[CommandBus]
Reads = Provided[ReadSide]
Id = FromPath[UUID]
Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, QueryParameter(
    description="`next_cursor` of the previous page, as this service issued it; any other "
                "value is a 400 `bad-cursor` problem")]


def instant_query(description: str, example: str = "2026-11-01T00:00:00Z") -> Any:
    """The parameter of an optional ``str`` query holding an RFC 3339 date-time with an
    offset: refused (422) unless it matches, where a lenient parser would read ``0.5`` as a
    Unix time. Read it with ``instant``."""
    return QueryParameter(pattern=RFC3339, examples=[Example(value=example)],
                          description=f"{description} (RFC 3339, with an offset)")


def instant(value: str | None, name: str) -> datetime | None:
    """The moment an ``instant_query`` parameter names; a day the calendar does not have
    (2026-02-30) is a 422 ``invalid-value``."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidValue(name, "is not a moment of the calendar") from None


@cache
def origin_of(trust_forwarded: bool) -> Provide:
    """Where each request came from (kept with logins and access changes); one provider per
    setting, so the slices that ask for it share it."""

    def origin(request: Req) -> Origin:
        agent = request.headers.get("user-agent")
        return Origin(client_ip(request.scope, trust_forwarded), agent[:300] if agent else None)

    return Provide(origin, sync_to_thread=False)
