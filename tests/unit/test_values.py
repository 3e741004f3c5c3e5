"""Value objects validate on construction and normalise what they hold."""

import pytest

from adapters.phones import LibPhoneNormaliser
from domain.shared import Email, InvalidValue, PhoneNumber, Score, Slug


def test_email_is_lower_cased_and_trimmed() -> None:
    assert Email("  Ana.Ruiz@Example.COM ").value == "ana.ruiz@example.com"


@pytest.mark.parametrize("bad", ["", "ana", "ana@", "@example.com", "a b@example.com",
                                 "ana@example", "x" * 250 + "@example.com"])
def test_email_rejects_what_is_not_an_address(bad: str) -> None:
    with pytest.raises(InvalidValue) as error:
        Email(bad)
    assert error.value.field == "email"


def test_phone_numbers_are_normalised_to_e164() -> None:
    phones = LibPhoneNormaliser()
    assert phones.normalise("+34 612 345 678").value == "+34612345678"
    assert phones.normalise("612 34 56 78", "ES").value == "+34612345678"
    assert phones.normalise("(415) 555-2671", "US").value == "+14155552671"


@pytest.mark.parametrize("bad", ["12", "not a phone", "+999 1", "+34 612", "1" * 50])
def test_phone_rejects_invalid_numbers(bad: str) -> None:
    with pytest.raises(InvalidValue):
        LibPhoneNormaliser().normalise(bad)


def test_phone_value_object_requires_e164() -> None:
    assert PhoneNumber("+14155552671").value == "+14155552671"
    with pytest.raises(InvalidValue):
        PhoneNumber("4155552671")


@pytest.mark.parametrize("value", [-1, 101, 1000])
def test_score_is_between_0_and_100(value: int) -> None:
    with pytest.raises(InvalidValue):
        Score(value)
    assert Score(0).value == 0 and Score(100).value == 100


def test_score_refuses_booleans() -> None:
    with pytest.raises(InvalidValue):
        Score(True)


def test_slug_normalises_and_validates() -> None:
    assert Slug(" Web_Form ", "source").value == "web_form"
    with pytest.raises(InvalidValue) as error:
        Slug("bad slug!", "source")
    assert error.value.field == "source"


def test_blind_index_is_hmac_sha256_per_tenant_and_scope() -> None:
    import hashlib
    import hmac
    from uuid import uuid4

    from adapters.crypto.blind_index import HmacBlindIndex

    key, tenant = b"k" * 40, uuid4()
    index = HmacBlindIndex(key)
    expected = hmac.digest(key, b"\x1f".join((tenant.bytes, b"contact_email", b"a@b.example")),
                           hashlib.sha256)
    assert index.digest(tenant, "contact_email", "a@b.example") == expected
    assert index.digest(uuid4(), "contact_email", "a@b.example") != expected
    assert index.digest(tenant, "contact_phone", "a@b.example") != expected


def test_blind_index_digests_stay_those_stored_before_the_standard_library_hmac() -> None:
    """Digests computed by the hand-written HMAC this index used before: claims already stored
    must still match (a short key and one longer than SHA-256's block)."""
    from uuid import UUID

    from adapters.crypto.blind_index import HmacBlindIndex

    tenant = UUID("12345678-1234-5678-1234-567812345678")
    assert HmacBlindIndex(bytes(range(32))).digest(tenant, "email", "ana@example.com").hex() \
        == "8934cc32ab086bc86d7150506de01ceed7aea803682da537c4c58ce870047442"
    assert HmacBlindIndex(bytes(range(100))).digest(tenant, "phone", "+34612345678").hex() \
        == "f913108d59d3952291dc3654357cf066c41c6abb32baf936a7eab4526b6d7c6c"


def test_new_ids_are_random_version_4_uuids() -> None:
    from domain.shared.ids import new_id

    ids = {new_id() for _ in range(5000)}
    assert len(ids) == 5000
    assert all(i.version == 4 and i.variant == "specified in RFC 4122" for i in ids)


def test_a_remembered_token_still_expires() -> None:
    import time
    from uuid import uuid4

    import pytest

    from adapters.identity.tokens import InvalidToken, JwtTokens

    tokens = JwtTokens("s" * 40, lifetime=1, leeway=0)
    token, _ = tokens.issue(uuid4(), uuid4(), ("agent",))
    assert tokens.verify(token).roles == {"agent"}
    assert tokens.verify(token).roles == {"agent"}  # from memory
    time.sleep(2.1)
    with pytest.raises(InvalidToken):
        tokens.verify(token)
    with pytest.raises(InvalidToken):
        JwtTokens("t" * 40).verify(token)
