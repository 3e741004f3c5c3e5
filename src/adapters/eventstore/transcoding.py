"""How values inside events are stored (transcodings), per the eventsourcing library.

Encoding is the library's JSONTranscoder. Decoding produces the same values faster: msgspec
parses the JSON in C, then only the library's ``{"_type_": ..., "_data_": ...}`` markers are
turned back into values (stdlib json would call a Python hook for every object). Rebuilds and
replays decode every event, so this is where their time goes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

from adapters.eventstore.value_transcodings import VALUE_TRANSCODINGS

_decode = msgspec.json.decode


class _UUIDs(dict[str, UUID]):
    """Hex -> UUID, made on a miss: a hit is one dictionary lookup in C, no Python call."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size

    def __missing__(self, data: str) -> UUID:
        if len(self) >= self._size:
            self.clear()
        value = self[data] = UUID(data)
        return value


class CachedUUIDAsHex(UUIDAsHex):
    """The library's ``uuid_hex`` transcoding; decoding remembers recent ids (tenant, contact
    and aggregate ids repeat across events, and building a UUID is Python code)."""

    def __init__(self, size: int = 200_000) -> None:
        self._cache = _UUIDs(size)

    def decode(self, data: str) -> UUID:
        return self._cache[data]


class FrontdeskTranscoder(JSONTranscoder):
    def __init__(self) -> None:
        super().__init__()
        self._decoders: dict[str, Callable[[Any], Any]] = {}
        self._flat: dict[str, Callable[[Any], Any]] = {}  # their data holds no markers

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        # Markers whose data is a string go straight to a C callable where there is one.
        if isinstance(transcoding, CachedUUIDAsHex):
            decoder: Callable[[Any], Any] = transcoding._cache.__getitem__
        elif type(transcoding) is DatetimeAsISO:
            decoder = datetime.fromisoformat
        elif type(transcoding) is DecimalAsStr:
            decoder = Decimal
        else:
            decoder = transcoding.decode
        self._decoders[transcoding.name] = decoder
        if getattr(transcoding, "flat_data", False):
            self._flat[transcoding.name] = transcoding.decode

    def decode(self, data: bytes) -> Any:
        value = _decode(data)
        if type(value) is not dict or ("_type_" in value and "_data_" in value
                                       and len(value) == 2):
            return self._revive(value)
        # The common shape, a flat object of values and markers, without recursion.
        decoders, flat = self._decoders, self._flat
        for key, item in value.items():
            kind = type(item)
            if kind is dict:
                name = item.get("_type_")
                if name is not None and len(item) == 2:
                    marked = item.get("_data_", item)
                    if type(marked) is str:
                        value[key] = decoders[name](marked)
                        continue
                    if name in flat and marked is not item:  # Money: no walk of its data
                        value[key] = flat[name](marked)
                        continue
                value[key] = self._revive(item)
            elif kind is list:
                value[key] = self._revive(item)
        return value

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
                        value[key] = self._decoders[item["_type_"]](data)
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
    for transcoding in (CachedUUIDAsHex(), DatetimeAsISO(), DecimalAsStr(),
                        *VALUE_TRANSCODINGS):
        transcoder.register(transcoding)
    return transcoder
