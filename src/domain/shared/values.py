"""Value objects: frozen, validated on construction, compared by value."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.shared.errors import InvalidValue

_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Email:
    """An email address, lower-cased (SPEC §3: emails are lower-cased)."""

    value: str

    def __post_init__(self) -> None:
        normalised = self.value.strip().lower()
        if len(normalised) > 254 or not _EMAIL.match(normalised):
            raise InvalidValue("email", "is not a valid email address")
        object.__setattr__(self, "value", normalised)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number in E.164 form. Parsing free-form input is a port (PhoneNormaliser)."""

    value: str

    def __post_init__(self) -> None:
        if not _E164.match(self.value):
            raise InvalidValue("phone", "must be in E.164 form, e.g. +34612345678")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Score:
    """A lead score: an integer from 0 to 100."""

    value: int

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise InvalidValue("score", "must be an integer")
        if not 0 <= self.value <= 100:
            raise InvalidValue("score", "must be between 0 and 100")


@dataclass(frozen=True, slots=True)
class Slug:
    """A short lower-case identifier from a tenant vocabulary (source, campaign, channel)."""

    value: str
    field: str = "value"

    def __post_init__(self) -> None:
        normalised = self.value.strip().lower()
        if not _SLUG.match(normalised):
            raise InvalidValue(
                self.field, "must be 1-64 characters of a-z, 0-9, '_' or '-', starting alphanumeric"
            )
        object.__setattr__(self, "value", normalised)

    def __str__(self) -> str:
        return self.value


def bounded_text(field: str, value: str | None, *, limit: int) -> str | None:
    """Free text is optional, trimmed, and bounded so one event cannot grow without limit."""
    if value is None:
        return None
    text = value.strip()
    if len(text) > limit:
        raise InvalidValue(field, f"must be at most {limit} characters")
    if "\x00" in text:  # PostgreSQL text cannot hold it: read models could not store it
        raise InvalidValue(field, "must not contain NUL characters")
    return text or None
