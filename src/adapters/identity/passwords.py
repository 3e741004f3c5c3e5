"""Argon2id password hashing (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2PasswordHasher:
    def __init__(self, *, time_cost: int = 2, memory_cost: int = 19_456) -> None:
        self._argon = Argon2(time_cost=time_cost, memory_cost=memory_cost)

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters (or type) than the current ones."""
        try:
            return self._argon.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
