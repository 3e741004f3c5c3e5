"""The documented shape of ``GET /v1/stream``'s messages (OpenAPI): one Server-Sent Event,
as a client's parser sees it (comment lines, the heartbeats, are not events)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StreamMessage(BaseModel):
    id: str | None = Field(
        default=None, examples=["48215:90211"],
        description="The event's position in the log, `TX:ID` (on `ready`: where the stream "
                    "starts). Send the last one you received as `Last-Event-ID` to resume.")
    event: str | None = Field(
        default=None, examples=["ready"],
        description="`ready` for the first message; absent (a `message`) for every event")
    data: str = Field(
        examples=['{"position":"48215:90211","type":"LeadCaptured","aggregate_id":"0b6f…",'
                  '"aggregate_kind":"Lead","version":1,"at":"2026-12-06T09:14:03.12Z",'
                  '"actor":"user:5a0f…","data":{"source":"web_form"}}'],
        description="One line of JSON. An event: `position`, `type`, `aggregate_id`, "
                    "`aggregate_kind`, `version`, `at`, `actor` and `data` (as the event's "
                    "history shows it). `ready`: `position` and `heartbeat_seconds`.")
