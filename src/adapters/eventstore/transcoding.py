"""How values inside events are stored (transcodings), per the eventsourcing library.

Encoding is the library's JSONTranscoder. Decoding produces the same values faster: msgspec
parses the JSON in C, then only the library's ``{"_type_": ..., "_data_": ...}`` markers are
turned back into values (stdlib json would call a Python hook for every object). Rebuilds and
replays decode every event, so this is where their time goes.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    UUIDAsHex,
)

_decode = msgspec.json.decode


class CachedUUIDAsHex(UUIDAsHex):
    """The library's ``uuid_hex`` transcoding; decoding remembers recent ids (tenant, contact
    and aggregate ids repeat across events, and building a UUID is Python code)."""

    def __init__(self, size: int = 200_000) -> None:
        self._cache: dict[str, UUID] = {}
        self._size = size

    def decode(self, data: str) -> UUID:
        cached = self._cache.get(data)
        if cached is None:
            cached = UUID(data)
            if len(self._cache) >= self._size:
                self._cache.clear()
            self._cache[data] = cached
        return cached


class FrontdeskTranscoder(JSONTranscoder):
    def decode(self, data: bytes) -> Any:
        return self._revive(_decode(data))

    def _revive(self, value: Any) -> Any:
        """Turn markers back into values, in place (the parsed containers are ours)."""
        names = self.names
        if type(value) is dict:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return names[value["_type_"]].decode(self._revive(value["_data_"]))
            for key, item in value.items():
                kind = type(item)
                if kind is dict:
                    data = item.get("_data_")
                    if len(item) == 2 and "_type_" in item and type(data) is str:
                        value[key] = names[item["_type_"]].decode(data)
                    else:
                        value[key] = self._revive(item)
                elif kind is list:
                    value[key] = self._revive(item)
        elif type(value) is list:
            for index, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[index] = self._revive(item)
        return value


def frontdesk_transcoder() -> JSONTranscoder:
    transcoder = FrontdeskTranscoder()
    for transcoding in (CachedUUIDAsHex(), DatetimeAsISO(), DecimalAsStr()):
        transcoder.register(transcoding)
    return transcoder
