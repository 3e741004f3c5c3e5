"""The event transcoder decodes what the library's JSON transcoder encodes, at every depth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4

from eventsourcing.persistence import JSONTranscoder

from adapters.eventstore.transcoding import frontdesk_transcoder


def test_values_and_markers_round_trip_at_every_depth() -> None:
    ours = frontdesk_transcoder()
    state = {
        "id": uuid4(), "at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "local": datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-5))),
        "amount": Decimal("12.50"), "text": "plain", "n": 3, "none": None, "flag": True,
        "ids": [uuid4(), uuid4()], "nested": {"deep": [{"id": uuid4(), "x": Decimal("1")}]},
        "looks_like_a_marker": {"_type_": "not-registered-but-three-keys", "_data_": "x",
                                "z": 1},
        "half_a_marker": {"_data_": "x", "other": 1}, "empty": {}, "empties": [],
    }
    decoded = ours.decode(ours.encode(state))
    assert decoded == state
    assert type(decoded["id"]) is UUID and type(decoded["amount"]) is Decimal
    assert decoded["local"].utcoffset() == timedelta(hours=-5)
    same = ours.decode(ours.encode({"id": state["id"]}))["id"]
    assert same == state["id"]
    library = JSONTranscoder()
    for transcoding in ours.names.values():
        library.register(transcoding)
    assert library.decode(ours.encode(state)) == decoded
    assert ours.decode(ours.encode(Decimal("2.5"))) == Decimal("2.5")  # a bare marker
    assert ours.decode(ours.encode([1, state["id"]])) == [1, state["id"]]
