"""Values of the conversations context: channels, states, authors, delivery, dispositions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from domain.contact_center.dispositions import STANDARD_DISPOSITIONS as _CATALOG_STANDARD
from domain.shared.errors import InvalidValue


class Channel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    VOICE = "voice"
    WEBCHAT = "webchat"
    EMAIL = "email"

    @classmethod
    def parse(cls, value: str) -> Channel:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise InvalidValue("channel", f"must be one of {[c.value for c in cls]}") from None

    @property
    def delivers_outbound(self) -> bool:
        """Messages written on this channel leave through a vendor (Twilio, SMTP).

        Web chat replies are read by the widget through the API; voice has no text outbound."""
        return self in (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL)


class ConversationStatus(StrEnum):
    OPEN = "open"
    AI_HANDLING = "ai_handling"
    WAITING_FOR_AGENT = "waiting_for_agent"
    AGENT_HANDLING = "agent_handling"
    RESOLVED = "resolved"


AI_MAY_ANSWER = frozenset({ConversationStatus.OPEN, ConversationStatus.AI_HANDLING})
"""The assistant answers the customer itself only while no person works the conversation."""

AI_MAY_DRAFT = frozenset({ConversationStatus.WAITING_FOR_AGENT,
                          ConversationStatus.AGENT_HANDLING})
"""While a person works the conversation the assistant only drafts replies for them (ADR 0021)."""


class Author(StrEnum):
    AI = "ai"
    AGENT = "agent"
    SYSTEM = "system"


class Delivery(StrEnum):
    """Where an outbound message is. ``queued`` is the outbox; the rest come from the vendor."""

    NOT_APPLICABLE = "not_applicable"  # web chat, voice: read through the API
    QUEUED = "queued"
    LOGGED = "logged"  # no vendor configured: recorded as what would have been sent
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"

    @property
    def rank(self) -> int:
        """Status callbacks arrive out of order; a status never moves back to a lower rank."""
        return _RANK[self]

    @property
    def final(self) -> bool:
        return self is not Delivery.QUEUED


_RANK = {Delivery.NOT_APPLICABLE: 0, Delivery.QUEUED: 1, Delivery.LOGGED: 2, Delivery.SENT: 2,
         Delivery.UNDELIVERED: 3, Delivery.FAILED: 3, Delivery.DELIVERED: 4, Delivery.READ: 5}

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")

STANDARD_DISPOSITIONS = frozenset(_CATALOG_STANDARD)  # one list for calls and conversations


@dataclass(frozen=True, slots=True)
class DispositionCode:
    """An upper-case code: one of the standard codes (SPEC §3.5) or a tenant-defined one."""

    value: str

    def __post_init__(self) -> None:
        normalised = self.value.strip().upper()
        if not _CODE.match(normalised):
            raise InvalidValue("disposition", "must be an upper-case code such as RESOLVED")
        object.__setattr__(self, "value", normalised)

    def known_to(self, tenant_codes: frozenset[str]) -> bool:
        return self.value in STANDARD_DISPOSITIONS or self.value in tenant_codes


@dataclass(frozen=True, slots=True)
class Rating:
    """A survey answer: CSAT is 1-5, NPS is 0-10."""

    value: int
    low: int
    high: int
    field: str

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise InvalidValue(self.field, "must be an integer")
        if not self.low <= self.value <= self.high:
            raise InvalidValue(self.field, f"must be between {self.low} and {self.high}")

    @classmethod
    def csat(cls, value: int) -> Rating:
        return cls(value, 1, 5, "score")

    @classmethod
    def nps(cls, value: int) -> Rating:
        return cls(value, 0, 10, "score")
