"""Reading a Server-Sent Events response message by message (httpx streaming), for the tests
and the benchmark of ``GET /v1/stream``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Message:
    id: str | None = None
    event: str | None = None
    data: str | None = None
    comment: str | None = None

    def json(self) -> Any:
        assert self.data is not None
        return json.loads(self.data)


def messages(response: httpx.Response) -> Iterator[Message]:
    """The messages of an event stream as they arrive: a block of lines ended by a blank
    line; a block of only comments is one message with ``comment``."""
    fields: dict[str, list[str]] = {}
    for line in response.iter_lines():
        if not line:
            if fields:
                yield Message(id=_last(fields, "id"), event=_last(fields, "event"),
                              data="\n".join(fields["data"]) if "data" in fields else None,
                              comment="\n".join(fields[""]) if "" in fields else None)
                fields = {}
            continue
        name, _, value = line.partition(":")
        fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)


def _last(fields: dict[str, list[str]], name: str) -> str | None:
    return fields[name][-1] if name in fields else None


class Stream:
    """An open ``GET /v1/stream``: its ``ready`` message read, then event by event."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._messages = messages(response)
        self.ready = next(self._messages)
        assert self.ready.event == "ready", self.ready
        self.comments = 0

    def next_message(self) -> Message:
        return next(self._messages)

    def next_event(self) -> dict[str, Any]:
        """The next event's body (with its ``id``), past heartbeats."""
        while True:
            message = next(self._messages)
            if message.data is None:
                self.comments += 1
                continue
            body: dict[str, Any] = message.json()
            assert message.id == body["position"]
            return body

    def rest(self) -> Iterator[Message]:
        """The messages until the stream ends."""
        yield from self._messages

    def events(self, count: int) -> list[dict[str, Any]]:
        return [self.next_event() for _ in range(count)]
