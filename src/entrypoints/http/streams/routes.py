"""``GET /v1/stream``: the tenant's event log, live, as Server-Sent Events (ADR 0067)."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio.to_thread
from litestar import Controller, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from adapters.streams.follower import Follower
from adapters.streams.hub import StreamHub
from adapters.streams.slots import Lease, StreamSlots
from application.streams import Visibility, position_text
from entrypoints.http.deps import Provided, Req
from entrypoints.http.security import ALL_ROLES, roles
from entrypoints.http.streams.frames import FRAMES, Joined
from entrypoints.http.streams.schemas import StreamMessage

log = logging.getLogger("frontdesk.streams")


class TooManyStreams(Exception):
    """Every one of the tenant's stream slots is taken (HTTP 429)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"this tenant already has {limit} open streams (the most it may "
                         "have); close one or retry later")
        self.limit = limit


@dataclass(frozen=True)
class LiveStreams:
    hub: StreamHub
    slots: StreamSlots
    heartbeat: float
    """Seconds of silence before a comment line."""
    lifetime: float
    """Seconds after which a stream ends (the client resumes, authenticated again)."""


WIRE_EXAMPLE = (
    "event: ready\n"
    "id: 48213:0\n"
    'data: {"position":"48213:0","heartbeat_seconds":15.0}\n'
    "\n"
    "id: 48215:90211\n"
    'data: {"position":"48215:90211","type":"LeadCaptured",'
    '"aggregate_id":"0b6f3c1e-5d1c-4d0e-9a47-2f7c1f0b9e11","aggregate_kind":"Lead",'
    '"version":1,"at":"2026-12-06T09:14:03.120000Z",'
    '"actor":"user:5a0f0e7c-3b9e-4c55-8d5e-0c1f2a3b4c5d",'
    '"data":{"contact_id":"9d2e4b7a-1c3f-4e5d-8a6b-7c8d9e0f1a2b","source":"web_form",'
    '"campaign":"spring-whitening","channel":"web","notes":"Wants whitening before May"}}\n'
    "\n"
    ": keep-alive\n"
    "\n")

DESCRIPTION = """
The tenant's events as they are committed, as `text/event-stream` (Server-Sent Events): the
event log itself, not a read model, so an event is here as soon as its command has answered.

- **First message**: `event: ready`, whose `id` is where the stream starts (now, or the
  position you resumed after). Then one message per event, **unnamed** (`onmessage` of an
  `EventSource` gets them all): `id` is the event's position in the log (`TX:ID`), `data` is
  one line of JSON: `position`, `type` (`LeadCaptured`), `aggregate_id`, `aggregate_kind`
  (`Lead`, `Case`, `Contact`, `Conversation`, `Task`, `Agent`, `Queue`, …), `version`, `at`,
  `actor` and `data`, the same object `GET /v1/<resource>/{id}/events` shows for the event
  (personal fields decrypted; `[erased]` once the person was erased).
- **Resume**: send the last `id` you received as `Last-Event-ID` (browsers do it on
  reconnect), or as `?after=TX:ID` if your client cannot set headers; the header wins. The
  stream goes on with the next event after it: none missed, none repeated. Without either it
  starts now.
- **Heartbeat**: a comment line (`: keep-alive`) after `FRONTDESK_STREAMS_HEARTBEAT` seconds
  (15) without a message.
- **Lifetime**: a stream ends after `FRONTDESK_STREAMS_MAX_SECONDS` (900); resume with the last
  id (an `EventSource` does it by itself). Your token is checked again then, so an expired or
  revoked one stops there.
- **What you see** follows your role: admin, every event of the tenant; supervisor and
  analyst, every event but webhook subscriptions'; agent, conversations and tasks, and their
  own agent's events.
- **Limits**: at most `FRONTDESK_STREAMS_PER_TENANT` (50) open streams per tenant across the
  API's processes; beyond it, 429 with `Retry-After`. A malformed `Last-Event-ID` or `after`
  is a 400, a missing or bad token a 401, both before any event.
"""

LastEventId = Annotated[str | None, HeaderParameter(
    name="Last-Event-ID", description="Resume after this position (`TX:ID`, the `id` of the "
                                      "last message received)")]
After = Annotated[str | None, QueryParameter(
    description="Resume after this position (`TX:ID`), for clients that cannot set "
                "`Last-Event-ID`; the header wins when both are sent")]


class StreamController(Controller):
    path = "/v1/stream"
    tags = ["streams"]
    opt = roles(*ALL_ROLES)

    @get("/", summary="Follow the tenant's events live (Server-Sent Events)",
         description=DESCRIPTION,
         responses={
             200: ResponseSpec(data_container=StreamMessage, media_type="text/event-stream",
                               generate_examples=False,
                               description="Server-Sent Events, one per committed event",
                               examples=[Example(summary="The wire format",
                                                 value=WIRE_EXAMPLE)]),
             400: ResponseSpec(None, description="`Last-Event-ID` or `after` is not a "
                                                 "position (`malformed-position`)"),
             401: ResponseSpec(None, description="No token, or a bad one"),
             429: ResponseSpec(None, description="Every stream slot of the tenant is taken "
                                                 "(`too-many-streams`), with `Retry-After`")})
    async def stream(self, request: Req, streams: Provided[LiveStreams],
                     last_event_id: LastEventId = None, after: After = None) -> ServerSentEvent:
        resume = next((v for v in (last_event_id, after) if v is not None and v.strip()), None)
        start = None if resume is None else position_text(resume)
        who = request.user
        lease = await anyio.to_thread.run_sync(streams.slots.acquire, who.tenant_id)
        if lease is None:
            raise TooManyStreams(streams.slots.limit)
        try:
            follower = await streams.hub.follow(who.tenant_id, start)
        except BaseException:
            lease.release()
            raise
        frames = _frames(follower, lease, Visibility.of(who.user_id, who.roles),
                         streams.heartbeat, streams.lifetime)
        # A stream that never starts (the client left at once) or is dropped unfinished
        # still gives its slot back.
        weakref.finalize(frames, _end, follower, lease)
        return ServerSentEvent(frames)


def _end(follower: Follower, lease: Lease) -> None:
    follower.close()
    lease.release()


async def _frames(follower: Follower, lease: Lease, visibility: Visibility,
                  heartbeat: float, lifetime: float) -> AsyncIterator[ServerSentEventMessage]:
    try:
        start = follower.position.text()
        yield ServerSentEventMessage(event="ready", id=start, data=json.dumps(
            {"position": start, "heartbeat_seconds": heartbeat}, separators=(",", ":")))
        loop = asyncio.get_running_loop()
        sent = loop.time()
        ends = sent + lifetime
        while True:
            until = min(sent + heartbeat, ends)
            try:
                events = await follower.next(max(0.0, until - loop.time()))
            except Exception as error:  # the database away: end; the client resumes
                log.warning("stream ended: %s", error.__class__.__name__)
                return
            if events is None:  # the server is stopping
                return
            frames = [FRAMES.of(event) for event in events if visibility.sees(event)]
            if frames:  # one write for what arrived together
                yield frames[0] if len(frames) == 1 else Joined(frames)
                sent = loop.time()
            if loop.time() >= ends:  # its time is up: the client resumes, authenticated again
                return
            if loop.time() - sent >= heartbeat:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
                sent = loop.time()
    finally:
        _end(follower, lease)
