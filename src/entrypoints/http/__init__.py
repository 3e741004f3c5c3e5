"""The Litestar HTTP API."""

__all__: list[str] = []
