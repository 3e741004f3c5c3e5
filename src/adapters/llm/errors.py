"""How a provider adapter reports failure to the chain."""

from __future__ import annotations


class ProviderError(Exception):
    """A provider failed. ``transient`` errors (timeouts, connection errors, 408/409/429/5xx)
    are retried with backoff; the others move straight on to the next provider."""

    def __init__(self, provider: str, message: str, *, transient: bool) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.transient = transient


def transient_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500
