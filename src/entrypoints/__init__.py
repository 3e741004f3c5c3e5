"""Entrypoints: the HTTP API, the CLI, the worker, and the composition root."""

__all__: list[str] = []
