"""The Case aggregate: lifecycle, one currency, money bounded per payment, duplicates ignored."""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.cases import (
    Case,
    CaseStatus,
    InvalidCaseTransition,
    InvoiceExceedsQuote,
    LineItem,
    QuoteExpired,
    RefundExceedsPayment,
)
from domain.shared import Claim, InvalidValue, Slug
from domain.shared.money import CurrencyMismatch, Money

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def new_case() -> Case:
    return Case.open(case_id=uuid4(), tenant_id=uuid4(), actor="u", at=T0, contact_id=uuid4(),
                     lead_id=uuid4(), kind=Slug("treatment_plan"), title="Whitening",
                     source="web_form", campaign="spring")


def accepted(total: int = 10_000, currency: str = "EUR") -> Case:
    case = new_case()
    case.issue_quote(actor="u", at=T0, line_items=[LineItem("Plan", 1, Money(total, currency))],
                     valid_until=date(2026, 6, 1))
    case.accept_quote(actor="u", at=T0)
    return case


def test_the_lifecycle_and_its_events() -> None:
    case = new_case()
    assert case.status is CaseStatus.DRAFT and case.subject_id == case.contact_id
    case.issue_quote(actor="u", at=T0, line_items=[LineItem("Session", 2, Money(250, "EUR")),
                                                   LineItem("Check-up", 1, Money(75, "EUR"))],
                     valid_until=date(2026, 6, 1))
    assert case.quote is not None and case.quote.total == 575 and case.currency == "EUR"
    case.issue_quote(actor="u", at=T0, line_items=[LineItem("Session", 1, Money(250, "EUR"))],
                     valid_until=date(2026, 6, 1))
    assert case.quote.revision == 2 and case.quote.total == 250
    case.accept_quote(actor="u", at=T0)
    invoice = uuid4()
    case.issue_invoice(actor="u", at=T0, invoice_id=invoice, amount=Money(250, "EUR"),
                       due_date=date(2026, 5, 20), description=None)
    assert case.status is CaseStatus.IN_PROGRESS
    assert case.receive_payment(actor="u", at=T0, payment_id=uuid4(), amount=Money(250, "EUR"),
                                method="cash", invoice_id=invoice)
    case.complete(actor="u", at=T0, note=None)
    assert case.status is CaseStatus.COMPLETED
    assert [type(e).__name__ for e in case.collect_events()] == [
        "CaseOpened", "QuoteIssued", "QuoteIssued", "QuoteAccepted", "InvoiceIssued",
        "PaymentReceived", "CaseCompleted"]


def test_one_currency_per_case() -> None:
    case = new_case()
    with pytest.raises(CurrencyMismatch):
        case.issue_quote(actor="u", at=T0, line_items=[LineItem("a", 1, Money(1, "EUR")),
                                                       LineItem("b", 1, Money(1, "USD"))],
                         valid_until=date(2026, 6, 1))
    case.issue_quote(actor="u", at=T0, line_items=[LineItem("a", 1, Money(1, "EUR"))],
                     valid_until=date(2026, 6, 1))
    with pytest.raises(CurrencyMismatch):
        case.issue_quote(actor="u", at=T0, line_items=[LineItem("a", 1, Money(1, "USD"))],
                         valid_until=date(2026, 6, 1))
    case.accept_quote(actor="u", at=T0)
    with pytest.raises(CurrencyMismatch):
        case.receive_payment(actor="u", at=T0, payment_id=uuid4(), amount=Money(1, "USD"),
                             method="cash")


def test_rules_of_quotes_and_invoices() -> None:
    case = new_case()
    with pytest.raises(InvalidCaseTransition):
        case.accept_quote(actor="u", at=T0)
    with pytest.raises(InvalidValue):
        case.issue_quote(actor="u", at=T0, line_items=[], valid_until=date(2026, 6, 1))
    with pytest.raises(InvalidValue):
        case.issue_quote(actor="u", at=T0, line_items=[LineItem("a", 1, Money(1, "EUR"))],
                         valid_until=date(2026, 5, 3))
    case.issue_quote(actor="u", at=T0, line_items=[LineItem("a", 1, Money(100, "EUR"))],
                     valid_until=date(2026, 5, 4))
    with pytest.raises(QuoteExpired):
        case.accept_quote(actor="u", at=T0 + timedelta(days=1))
    with pytest.raises(InvalidCaseTransition):
        case.receive_payment(actor="u", at=T0, payment_id=uuid4(), amount=Money(1, "EUR"),
                             method="cash")
    case.accept_quote(actor="u", at=T0)
    with pytest.raises(InvoiceExceedsQuote):
        case.issue_invoice(actor="u", at=T0, invoice_id=uuid4(), amount=Money(101, "EUR"),
                           due_date=date(2026, 6, 1), description=None)
    for bad in (Money(0, "EUR"), Money(-1, "EUR")):
        with pytest.raises(InvalidValue):
            case.issue_invoice(actor="u", at=T0, invoice_id=uuid4(), amount=bad,
                               due_date=date(2026, 6, 1), description=None)
    with pytest.raises(InvalidValue):
        LineItem("a", 0, Money(1, "EUR"))


def test_refunds_and_disputes_are_bounded_by_the_payment() -> None:
    case = accepted()
    payment = uuid4()
    case.receive_payment(actor="u", at=T0, payment_id=payment, amount=Money(1000, "EUR"),
                         method="card")
    assert case.refund_payment(actor="u", at=T0, refund_id=uuid4(), payment_id=payment,
                               amount=Money(400, "EUR"), reason=None)
    assert case.dispute_payment(actor="u", at=T0, dispute_id=uuid4(), payment_id=payment,
                                amount=Money(500, "EUR"), reason="fraudulent",
                                external_reference="dp_1")
    with pytest.raises(RefundExceedsPayment) as refused:
        case.refund_payment(actor="u", at=T0, refund_id=uuid4(), payment_id=payment,
                            amount=Money(101, "EUR"), reason=None)
    assert refused.value.details == {"refundable": 100}
    assert case.payments[payment].remaining == 100


def test_recorded_references_are_ignored_not_repeated() -> None:
    case = accepted()
    first = uuid4()
    assert case.receive_payment(actor="u", at=T0, payment_id=first, amount=Money(10, "EUR"),
                                method="stripe", external_reference="pi_1",
                                provider_event_id="evt_1")
    assert not case.receive_payment(actor="u", at=T0, payment_id=uuid4(),
                                    amount=Money(10, "EUR"), method="stripe",
                                    external_reference="pi_1")
    assert not case.receive_payment(actor="u", at=T0, payment_id=uuid4(),
                                    amount=Money(10, "EUR"), method="stripe",
                                    external_reference="pi_2", provider_event_id="evt_1")
    refund = uuid4()
    assert case.refund_payment(actor="u", at=T0, refund_id=refund, payment_id=first,
                               amount=Money(5, "EUR"), reason=None, external_reference="re_1")
    assert not case.refund_payment(actor="u", at=T0, refund_id=refund, payment_id=first,
                                   amount=Money(5, "EUR"), reason=None)
    assert not case.refund_payment(actor="u", at=T0, refund_id=uuid4(), payment_id=first,
                                   amount=Money(5, "EUR"), reason=None,
                                   external_reference="re_1")
    assert case.claims == {Claim("payment_ref", "pi_1"), Claim("provider_event", "evt_1"),
                           Claim("refund_ref", "re_1")}
    assert len(case.payments) == 1 and case.payments[first].refunded == 5


def test_closing_rules() -> None:
    case = new_case()
    with pytest.raises(InvalidCaseTransition):
        case.complete(actor="u", at=T0, note=None)
    with pytest.raises(InvalidValue):
        case.cancel(actor="u", at=T0, reason="  ")
    case.cancel(actor="u", at=T0, reason="changed plans")
    with pytest.raises(InvalidCaseTransition):
        case.cancel(actor="u", at=T0, reason="again")
