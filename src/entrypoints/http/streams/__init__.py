"""Live event streams: ``GET /v1/stream``, the tenant's event log as Server-Sent Events, as it
is committed, filtered by the caller's role, resumable by position (ADR 0067)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.openapi.spec import Tag

from adapters.streams.slots import RETRY_AFTER
from application.streams import MalformedPosition
from entrypoints.container import Container
from entrypoints.http import protocol
from entrypoints.http.problems import problem
from entrypoints.http.slices import Slice
from entrypoints.http.streams.routes import LiveStreams, StreamController, TooManyStreams


def _provide(root: Container) -> dict[str, object]:
    hub = root.streams.hub()
    if hub.end_streams not in protocol.DRAINING:  # the server's shutdown ends the streams
        protocol.DRAINING.append(hub.end_streams)
    settings = root.settings()
    return {"streams": LiveStreams(hub, root.streams.slots(), settings.streams_heartbeat,
                                   settings.streams_max_seconds)}


def _stop(root: Container) -> None:
    hub = root.streams.hub()
    hub.stop()
    if hub.end_streams in protocol.DRAINING:
        protocol.DRAINING.remove(hub.end_streams)


def _too_many(request: Request[Any, Any, Any], error: TooManyStreams) -> Response[Any]:
    return problem(429, "too-many-streams", str(error), headers={
        "Retry-After": str(RETRY_AFTER)}, retry_after=RETRY_AFTER, limit=error.limit)


def _malformed(request: Request[Any, Any, Any], error: MalformedPosition) -> Response[Any]:
    return problem(400, "malformed-position", str(error))


SLICE = Slice(
    "streams", [StreamController],
    [Tag(name="streams", description="The tenant's events, live, as Server-Sent Events")],
    provide=_provide, stop=_stop,
    problems={TooManyStreams: _too_many, MalformedPosition: _malformed})
