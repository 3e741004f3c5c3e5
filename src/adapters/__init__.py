"""Adapters: implementations of the ports (PostgreSQL, crypto, vendors, clock).

No business rules here.
"""

__all__: list[str] = []
