"""E.164 normalisation with the phonenumbers library."""

from __future__ import annotations

import phonenumbers

from domain.shared import InvalidValue, PhoneNumber


class LibPhoneNormaliser:
    def __init__(self, default_region: str | None = None) -> None:
        self._default_region = default_region

    def normalise(self, raw: str, default_region: str | None = None) -> PhoneNumber:
        text = raw.strip()
        if len(text) > 40:
            raise InvalidValue("phone", "is too long")
        try:
            number = phonenumbers.parse(text, default_region or self._default_region)
        except phonenumbers.NumberParseException:
            raise InvalidValue("phone", "is not a phone number") from None
        if not phonenumbers.is_valid_number(number):
            raise InvalidValue("phone", "is not a valid phone number") from None
        return PhoneNumber(phonenumbers.format_number(number,
                                                      phonenumbers.PhoneNumberFormat.E164))
