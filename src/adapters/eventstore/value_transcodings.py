"""How the value objects that events carry are stored (ADR 0065).

The value objects know nothing of storage; these transcodings do. A transcoding's ``name`` is
written into every stored event that holds the value, so it is never renamed: a new stored
shape gets a new transcoding with a new name, the old one kept for reading.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Transcoding

from domain.contact_center.values import ServiceLevel
from domain.shared.money import Money


class MoneyAsDict(Transcoding):
    """``{"amount": 12500, "currency": "EUR"}``: integer minor units and the ISO code."""

    type = Money
    name = "money"
    flat_data = True  # no markers inside: decoded without walking its data

    def encode(self, obj: Money) -> dict[str, Any]:
        return {"amount": obj.amount, "currency": obj.currency}

    def decode(self, data: dict[str, Any]) -> Money:
        return Money(data["amount"], data["currency"])


class ServiceLevelAsDict(Transcoding):
    """The four SLA settings by name (the escalation queue id goes through ``uuid_hex``)."""

    type = ServiceLevel
    name = "service_level"

    def encode(self, obj: ServiceLevel) -> dict[str, Any]:
        return {"target_answer_seconds": obj.target_answer_seconds,
                "target_percentage": obj.target_percentage,
                "max_hold_seconds": obj.max_hold_seconds,
                "escalation_queue_id": obj.escalation_queue_id}

    def decode(self, data: dict[str, Any]) -> ServiceLevel:
        return ServiceLevel(data["target_answer_seconds"], data["target_percentage"],
                            data["max_hold_seconds"], data["escalation_queue_id"])


VALUE_TRANSCODINGS: tuple[Transcoding, ...] = (MoneyAsDict(), ServiceLevelAsDict())
