"""Privacy maintenance: rewriting tables after erasures, re-wrapping data keys."""

__all__: list[str] = []
