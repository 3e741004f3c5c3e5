"""Contact behaviour: reachability, claims, consent, erasure."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.contacts import Contact
from domain.shared import Claim, Email, InvalidValue, PhoneNumber, RuleViolated

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def new_contact() -> Contact:
    return Contact.register(contact_id=uuid4(), tenant_id=uuid4(), actor="u", at=T0,
                            name="Ana Ruiz", email=Email("ana@example.com"),
                            phone=PhoneNumber("+34612345678"))


def test_a_contact_needs_an_email_or_a_phone() -> None:
    with pytest.raises(InvalidValue):
        Contact.register(contact_id=uuid4(), tenant_id=uuid4(), actor="u", at=T0, name="X",
                         email=None, phone=None)


def test_a_contact_claims_its_email_and_phone() -> None:
    assert new_contact().claims == {Claim("contact_email", "ana@example.com"),
                                    Claim("contact_phone", "+34612345678")}


def test_changing_the_email_moves_the_claim() -> None:
    contact = new_contact()
    assert contact.change_details(actor="u", at=T0, name=None, email=Email("ana@new.example"),
                                  phone=None)
    assert Claim("contact_email", "ana@new.example") in contact.claims
    assert Claim("contact_email", "ana@example.com") not in contact.claims


def test_an_unchanged_detail_records_nothing() -> None:
    contact = new_contact()
    contact.collect_events()
    assert not contact.change_details(actor="u", at=T0, name="Ana Ruiz", email=None, phone=None)
    assert contact.collect_events() == []


def test_consent_records_changes_only() -> None:
    contact = new_contact()
    assert contact.change_consent(actor="u", at=T0, channel="sms", granted=False, reason="STOP")
    assert not contact.change_consent(actor="u", at=T0, channel="sms", granted=False,
                                      reason="STOP")
    assert contact.consents == {"sms": False}
    with pytest.raises(InvalidValue):
        contact.change_consent(actor="u", at=T0, channel="fax", granted=True, reason="")


def test_an_erased_contact_holds_no_claims_and_refuses_changes() -> None:
    contact = new_contact()
    contact.erase(actor="u", at=T0, reason="GDPR art. 17")
    assert contact.claims == frozenset() and contact.email is None
    with pytest.raises(RuleViolated):
        contact.change_consent(actor="u", at=T0, channel="sms", granted=True, reason="")
