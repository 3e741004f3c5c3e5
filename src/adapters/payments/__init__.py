"""Payment provider adapters: Stripe (SDK), with retries and a circuit breaker."""

__all__: list[str] = []
