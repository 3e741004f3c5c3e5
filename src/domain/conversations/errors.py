"""Errors named for the conversation rules they protect."""

from __future__ import annotations

from domain.shared.errors import Conflict


class OptedOut(Conflict):
    """The contact said STOP on this channel: nothing more is sent there until START."""

    code = "opted-out"

    def __init__(self, channel: str) -> None:
        super().__init__(f"the contact opted out of {channel}", channel=channel)


class ConversationAlreadyOpen(Conflict):
    """A contact has one open conversation per channel."""

    code = "conversation-open"
