"""Metrics (prometheus-client) and structured logs of what the service does."""

__all__: list[str] = []
