"""An event's state as plain JSON data, for event histories (GET .../events, the access export).

Each event is shown at its class's current version (upcast), with the value objects newer
versions carry spelled out in the flat fields the first versions stored, so a history keeps
the shape it always had, whichever version each event was stored at (ADR 0065): Money in a
field ``amount`` reads ``amount`` (minor units) and ``currency``; a ServiceLevel reads its four
SLA fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from adapters.eventstore.mapper import upcast
from domain.contact_center.values import ServiceLevel
from domain.shared.money import Money

ENVELOPE = ("timestamp", "tenant_id", "actor", "originator_topic")
"""What every event carries that a history shows beside its data, not in it."""


def history_data(cls: type, state: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(at, actor, data) of a decoded event of ``cls`` as histories show it: the event's
    history entry (GET .../events), the access export and webhook payloads alike."""
    flat = flat_state(cls, state)
    data = {k: plain(v) for k, v in flat.items() if k not in ENVELOPE}
    return plain(flat["timestamp"]), str(flat.get("actor", "")), data


def flat_state(cls: type, state: dict[str, Any]) -> dict[str, Any]:
    """The state (decoded, of an event of ``cls``) upcast, value objects spelled out."""
    upcast(cls, state)
    flat: dict[str, Any] = {}
    for key, value in state.items():
        if type(value) is Money and "currency" not in state \
                and flat.get("currency", value.currency) == value.currency:
            flat[key], flat["currency"] = value.amount, value.currency
        elif type(value) is ServiceLevel:
            flat.update(_service_level(value))
        else:
            flat[key] = value
    return flat


def plain(value: Any) -> Any:
    """JSON-ready: ids and times as strings, value objects as objects, containers walked."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Money):
        return {"amount": value.amount, "currency": value.currency}
    if isinstance(value, ServiceLevel):
        return plain(_service_level(value))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _service_level(level: ServiceLevel) -> dict[str, Any]:
    return {"target_answer_seconds": level.target_answer_seconds,
            "target_percentage": level.target_percentage,
            "max_hold_seconds": level.max_hold_seconds,
            "escalation_queue_id": level.escalation_queue_id}
