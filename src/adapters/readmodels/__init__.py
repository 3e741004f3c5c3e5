"""Queries over read models (SQLAlchemy Core), always inside a tenant-scoped transaction."""

__all__: list[str] = []
