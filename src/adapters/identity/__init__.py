"""Identity adapters: tenant and user tables, argon2 passwords, JWT tokens."""

__all__: list[str] = []
