"""The ``frontdesk`` command line."""

__all__: list[str] = []
