"""The domain: aggregates, value objects, domain events, domain services and ports.

Imports nothing but the standard library and ``eventsourcing.domain`` (checked by import-linter).
"""

__all__: list[str] = []
