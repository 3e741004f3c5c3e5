"""A tenant's assistant settings, a value object: refused when the assistant could not work with
them, whether they are being saved or read back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from domain.conversations.handoff import HandoffRules
from domain.conversations.values import DispositionCode
from domain.shared.errors import InvalidValue

SENDER_CHANNELS = frozenset({"sms", "whatsapp", "email"})


@dataclass(frozen=True, slots=True)
class AssistantSettings:
    """Persona and rules for the prompt, hand-off rules, the context budget and reply length in
    tokens, sender addresses per channel and the tenant's own disposition codes (normalised to
    upper case).

    - The context budget is between 200 and 200,000 tokens.
    - A reply is between 16 and 8,000 tokens long.
    - Senders are given for SMS, WhatsApp and email only.
    - Each disposition code is an upper-case code such as RESOLVED.
    """

    persona: str = "You are the friendly front-desk assistant of this business."
    rules: tuple[str, ...] = ()
    assistant_name: str = "Frontdesk assistant"
    handoff: HandoffRules = field(default_factory=HandoffRules)
    context_token_budget: int = 2000
    max_reply_tokens: int = 400
    senders: Mapping[str, str] = field(default_factory=dict, hash=False)
    dispositions: frozenset[str] = frozenset()
    auto_reply: bool = False
    """Answer inbound SMS, WhatsApp and email by itself (no agent asks for the reply)."""

    def __post_init__(self) -> None:
        if not 200 <= self.context_token_budget <= 200_000:
            raise InvalidValue("context_token_budget", "must be between 200 and 200000")
        if not 16 <= self.max_reply_tokens <= 8_000:
            raise InvalidValue("max_reply_tokens", "must be between 16 and 8000")
        unknown = set(self.senders) - SENDER_CHANNELS
        if unknown:
            raise InvalidValue("senders", f"unknown channels {sorted(unknown)}")
        object.__setattr__(self, "senders", MappingProxyType(dict(self.senders)))
        object.__setattr__(self, "dispositions",
                           frozenset(DispositionCode(code).value for code in self.dispositions))
