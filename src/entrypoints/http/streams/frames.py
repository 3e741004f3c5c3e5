"""The messages of ``GET /v1/stream``, encoded once per event however many streams send it,
and the event's JSON as the API writes it (ADR 0067)."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import date, time
from enum import Enum
from typing import Any

from litestar.response import ServerSentEventMessage

from application.streams import StreamedEvent


class Encoded(ServerSentEventMessage):
    """A message encoded once, however many streams send it."""

    def encode(self) -> bytes:
        cached: bytes | None = self.__dict__.get("_bytes")
        if cached is None:
            cached = self.__dict__["_bytes"] = super().encode()
        return cached


class Joined(ServerSentEventMessage):
    """Several messages sent in one write."""

    def __init__(self, frames: list[Encoded]) -> None:
        super().__init__()
        self._frames = frames

    def encode(self) -> bytes:
        return b"".join(frame.encode() for frame in self._frames)


class _Frames:
    """The message of each event, built once per event (every stream of the tenant sends the
    same one): the last ``size`` events, by identity (the hub hands every stream the same
    objects)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._cache: OrderedDict[int, tuple[StreamedEvent, Encoded]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, event: StreamedEvent) -> Encoded:
        key = id(event)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] is event:
                return hit[1]
        frame = Encoded(id=event.position, data=json.dumps(
            _body(event), separators=(",", ":"), ensure_ascii=False, default=_plain))
        frame.encode()
        with self._lock:
            self._cache[key] = (event, frame)  # holding the event keeps its id unique
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return frame


def _body(event: StreamedEvent) -> dict[str, Any]:
    return {"position": event.position, "type": event.type,
            "aggregate_id": str(event.aggregate_id), "aggregate_kind": event.aggregate_kind,
            "version": event.version, "at": _utc(event.at), "actor": event.actor,
            "data": event.data}


def _utc(at: str) -> str:
    """A time as the API's JSON writes it (``…Z`` in UTC), as in the event histories."""
    return at[:-6] + "Z" if at.endswith("+00:00") else at


def _plain(value: Any) -> Any:
    """What histories' JSON makes of the values ``history_data`` leaves as they are."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


FRAMES = _Frames()
