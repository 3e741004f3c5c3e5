"""Running projections: the no-skip reader, batched runner, rebuild and swap, as-of, gate."""

__all__: list[str] = []
