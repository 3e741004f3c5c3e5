"""Application layer: command handlers, query ports, projections and process managers.

Depends on the domain and on ports only (checked by import-linter).
"""

__all__: list[str] = []
