"""Cases through the command bus with the stateful payment gateway, on the fake store and on
PostgreSQL: the case-opening process manager, the money path and the rules that refuse money
commands (changing nothing), payment links, provider events recorded once, refunds, and the
LTV projection and report computed from the stored events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.analytics.ltv import groups_from_rows, half_up
from application.cases.commands import (
    AcceptQuote,
    CancelCase,
    CompleteCase,
    CreatePaymentLink,
    IssueInvoice,
    IssueQuote,
    OpenCase,
    QuoteLine,
    RecordPayment,
    RefundPayment,
)
from application.cases.opening import OpenCaseOnConversion
from application.cases.ports import PaymentProviderRefused, PaymentProviderUnavailable
from application.cases.provider import RecordProviderPayment, RecordProviderRefunds
from application.leads.commands import CaptureLead
from application.projections.ltv import CASES, CONTACTS, LtvProjection
from application.projections.memory import MemoryRows
from domain.cases import (
    Case,
    InvalidCaseTransition,
    InvoiceExceedsQuote,
    QuoteExpired,
    RefundExceedsPayment,
)
from domain.leads import Lead
from domain.shared import InvalidValue, NotFound, Slug, StaleVersion
from domain.shared.money import CurrencyMismatch, Money
from tests.application.backends import App

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
QUOTE = [QuoteLine("Whitening session", 2, 25_000), QuoteLine("Check-up", 1, 7_550)]
QUOTE_TOTAL = 57_550


def converted(app: App) -> Lead:
    lead = Lead.capture(lead_id=uuid4(), tenant_id=app.tenant_id, actor="u", at=T0,
                        contact_id=uuid4(), source=Slug("web_form"), campaign=Slug("spring"),
                        channel=Slug("web"), notes=None)
    lead.qualify(actor="u", at=T0, note=None)
    lead.convert(actor="u", at=T0, case_id=uuid4())
    app.save(lead)
    return lead


def react_to_conversion(app: App, lead: Lead) -> list[Any]:
    """What the process manager does with the stored LeadConverted: run its reactions."""
    [event] = [e for e in app.events(lead.id) if isinstance(e, Lead.LeadConverted)]
    return [app.run(reaction.command, app.context(reaction.actor, reaction.tenant_id))
            for reaction in OpenCaseOnConversion().react(event)]


def opened(app: App) -> UUID:
    lead = converted(app)
    react_to_conversion(app, lead)
    assert lead.case_id is not None
    return lead.case_id


def accepted(app: App, total: int = 10_000) -> UUID:
    case_id = opened(app)
    app.run(IssueQuote(case_id, None, "EUR", [QuoteLine("Plan", 1, total)], date(2026, 12, 31)))
    app.run(AcceptQuote(case_id, None))
    return case_id


def test_the_policy_opens_the_named_case_once(app: App) -> None:
    lead = converted(app)
    react_to_conversion(app, lead)
    case_id = lead.case_id
    assert case_id is not None
    assert react_to_conversion(app, lead) == [None]  # a replay
    assert app.types(case_id) == ["CaseOpened"]
    [opened_event] = app.events(case_id)
    [event] = app.all_of(Lead.LeadConverted)
    assert (opened_event.source, opened_event.campaign) == ("web_form", "spring")
    assert opened_event.timestamp == event.timestamp  # opened when the lead converted
    assert opened_event.actor == "system:case-opener"
    assert (opened_event.lead_id, opened_event.contact_id) == (lead.id, lead.contact_id)
    quoted = app.run(IssueQuote(case_id, None, "EUR", QUOTE, date(2099, 12, 31)))
    assert (quoted.status, quoted.lead_id, quoted.kind) == ("quoted", lead.id, "general")


def test_the_money_path_from_quote_to_completion(app: App) -> None:
    case_id = opened(app)
    case = app.run(IssueQuote(case_id, 1, "EUR", QUOTE, date(2099, 12, 31)))
    assert case.status == "quoted" and case.currency == "EUR"
    assert case.quote.total == QUOTE_TOTAL
    assert [i["amount"] for i in case.quote.line_items] == [50_000, 7_550]
    assert app.run(AcceptQuote(case_id, 2)).status == "accepted"

    deposit = app.run(IssueInvoice(case_id, None, date(2099, 1, 31), 30_000, "Deposit"))
    [invoice] = deposit.invoices
    assert (invoice.amount, invoice.status) == (30_000, "open")
    assert deposit.status == "in_progress"
    rest = app.run(IssueInvoice(case_id, None, date(2099, 2, 28)))
    assert rest.invoices[-1].amount == QUOTE_TOTAL - 30_000  # the uninvoiced rest

    paid = app.run(RecordPayment(case_id, None, 30_000, "EUR", "bank_transfer",
                                 invoice_id=invoice.id, external_reference=f"BANK-{case_id}"))
    assert paid.duplicate is False
    again = app.run(RecordPayment(case_id, None, 30_000, "EUR", "bank_transfer",
                                  external_reference=f"BANK-{case_id}"))
    assert again.duplicate is True and again.payment_id == paid.payment_id

    app.run(RefundPayment(case_id, None, paid.payment_id, 5_000, "one session less"))
    completed = app.run(CompleteCase(case_id, None, "all done"))
    assert completed.status == "completed"
    totals = completed.totals
    assert (totals.quoted, totals.invoiced, totals.paid, totals.refunded, totals.disputed,
            totals.net, totals.balance_due) == (QUOTE_TOTAL, QUOTE_TOTAL, 30_000, 5_000, 0,
                                                25_000, QUOTE_TOTAL - 25_000)
    assert completed.invoices[0].paid == 25_000
    assert completed.invoices[0].status == "partially_paid"
    assert completed.payments[0].refunded == 5_000
    assert app.types(case_id) == [
        "CaseOpened", "QuoteIssued", "QuoteAccepted", "InvoiceIssued", "InvoiceIssued",
        "PaymentReceived", "PaymentRefunded", "CaseCompleted"]


def test_money_commands_that_break_a_rule_are_refused_and_change_nothing(app: App) -> None:
    case_id = accepted(app, QUOTE_TOTAL)
    before = app.types(case_id)
    refused: list[tuple[Any, type[Exception], str | None]] = [
        (RecordPayment(case_id, None, 100, "USD", "cash"), CurrencyMismatch, None),
        (RecordPayment(case_id, None, -5, "EUR", "cash"), InvalidValue, "amount"),
        (RecordPayment(case_id, None, 100, "EUR", "stripe"), InvalidValue, "method"),
        (RecordPayment(case_id, None, 100, "XXQ", "cash"), InvalidValue, "currency"),
        (IssueInvoice(case_id, None, date(2099, 1, 1), QUOTE_TOTAL + 1), InvoiceExceedsQuote,
         None),
        (IssueInvoice(case_id, None, date(2001, 1, 1)), InvalidValue, "due_date"),
        (IssueQuote(case_id, None, "EUR", QUOTE, date(2099, 12, 31)), InvalidCaseTransition,
         None),
        (AcceptQuote(case_id, None), InvalidCaseTransition, None),
        (RefundPayment(case_id, None, case_id, 1), NotFound, None),
        (CancelCase(case_id, None, ""), InvalidValue, "reason"),
    ]
    for command, error, field in refused:
        with pytest.raises(error) as refusal:
            app.run(command)
        if field is not None:
            assert refusal.value.field == field, command  # type: ignore[attr-defined]
    assert app.types(case_id) == before
    paid = app.run(RecordPayment(case_id, None, 1_000, "EUR", "cash"))
    with pytest.raises(RefundExceedsPayment) as too_much:
        app.run(RefundPayment(case_id, None, paid.payment_id, 1_001))
    assert too_much.value.details["refundable"] == 1_000
    with pytest.raises(StaleVersion):
        app.run(CompleteCase(case_id, 2))
    assert app.types(case_id) == [*before, "PaymentReceived"]  # only the valid payment


def test_an_expired_quote_cannot_be_accepted(app: App) -> None:
    case_id = opened(app)
    today = app.clock.now().date()
    app.run(IssueQuote(case_id, None, "EUR", QUOTE, today))
    app.clock.advance(timedelta(days=2))
    with pytest.raises(QuoteExpired, match=f"expired on {today.isoformat()}"):
        app.run(AcceptQuote(case_id, None))
    assert app.types(case_id) == ["CaseOpened", "QuoteIssued"]


def test_a_case_opened_by_hand_takes_its_leads_source_and_needs_a_known_contact(
        app: App) -> None:
    lead = app.run(CaptureLead(name=None, email="list@example.com", phone=None,
                               source="fair")).lead
    created = app.run(OpenCase(lead.contact_id, "trip_quote", "Lisbon, 4 nights", lead.id))
    assert (created.source, created.lead_id, created.status) == ("fair", lead.id, "draft")
    second = app.run(OpenCase(lead.contact_id, "trip_quote", "Porto"))
    assert app.run(CancelCase(second.id, None, "changed plans")).status == "cancelled"
    with pytest.raises(InvalidValue) as unknown:
        app.run(OpenCase(lead.id, "x", "y"))  # a lead's id is not a contact's
    assert unknown.value.field == "contact_id"
    other = app.run(CaptureLead(name=None, email="other@example.com", phone=None,
                                source="fair")).lead
    with pytest.raises(InvalidValue) as foreign:
        app.run(OpenCase(other.contact_id, "x", "y", lead.id))
    assert foreign.value.field == "lead_id"
    assert len(app.all_of(Case.CaseOpened)) == 2


def test_a_payment_link_is_recorded_only_if_the_provider_answers(app: App) -> None:
    case_id = accepted(app)
    app.gateway.down = True
    command = IssueInvoice(case_id, None, date(2026, 3, 1), 4_000, None, payment_link=True)
    with pytest.raises(PaymentProviderUnavailable):
        app.run(command)
    assert app.types(case_id) == ["CaseOpened", "QuoteIssued", "QuoteAccepted"]
    app.gateway.down = False
    view = app.run(command)
    [invoice] = view.invoices
    assert invoice.payment_link == "https://pay.example/cs_fake_1"
    [checkout] = app.gateway.checkouts.values()
    assert (checkout.amount, checkout.currency, checkout.case_id) == (4_000, "EUR", case_id)
    again = app.run(CreatePaymentLink(case_id, invoice.id))
    assert again.invoices[0].payment_link == "https://pay.example/cs_fake_2"


def test_provider_payments_are_recorded_once_per_event_and_reference(app: App) -> None:
    case_id = accepted(app)
    outcomes = [app.run(RecordProviderPayment(case_id, None, 10_000, "EUR", "pi_1",
                                              event)).status
                for event in ("evt_a", "evt_a", "evt_b", "evt_b")]
    assert outcomes == ["recorded", "duplicate", "duplicate", "duplicate"]
    other = accepted(app)
    assert app.run(RecordProviderPayment(other, None, 10_000, "EUR", "pi_1", "evt_c")
                   ).status == "duplicate"  # the reference is held by the first case
    assert app.types(case_id).count("PaymentReceived") == 1
    assert "PaymentReceived" not in app.types(other)


def test_a_manual_reference_recorded_on_another_case_is_named(app: App) -> None:
    first, second = accepted(app), accepted(app)
    paid = app.run(RecordPayment(first, None, 500, "EUR", "bank_transfer",
                                 external_reference="TRX-1"))
    dup = app.run(RecordPayment(second, None, 500, "EUR", "bank_transfer",
                                external_reference="TRX-1"))
    assert not paid.duplicate and dup.duplicate
    assert (dup.payment_id, dup.recorded_on) == (paid.payment_id, first)
    assert "PaymentReceived" not in app.types(second)


def test_refunds_of_online_payments_go_through_the_provider(app: App) -> None:
    case_id = accepted(app)
    view = app.run(IssueInvoice(case_id, None, date(2026, 3, 1), payment_link=True))
    reference = app.gateway.pay(next(iter(app.gateway.checkouts)))
    app.run(RecordProviderPayment(case_id, view.invoices[0].id, 10_000, "EUR", reference,
                                  "evt_1"))
    payment_id = app.events(case_id)[-1].payment_id
    refund = app.run(RefundPayment(case_id, None, payment_id, 2_500, "goodwill"))
    assert refund.external_reference is not None
    assert app.gateway.payments[reference]["refunded"] == 2_500
    app.gateway.payments[reference]["refunded"] = 10_000  # refunded elsewhere meanwhile
    with pytest.raises(PaymentProviderRefused):
        app.run(RefundPayment(case_id, None, payment_id, 100))
    echoed = RecordProviderRefunds(case_id, reference, "evt_2", cumulative_refunded=2_500)
    assert app.run(echoed).status == "duplicate"
    more = RecordProviderRefunds(case_id, reference, "evt_3", cumulative_refunded=4_000)
    assert app.run(more).status == "recorded"
    assert app.run(more).status == "duplicate"
    refunds = [e.amount for e in app.events(case_id) if isinstance(e, Case.PaymentRefunded)]
    assert refunds == [Money(2_500, "EUR"), Money(1_500, "EUR")]


def test_the_ltv_projection_nets_refunds_and_disputes_per_currency(app: App) -> None:
    eur = accepted(app)
    first = app.run(RecordPayment(eur, None, 6_000, "EUR", "cash")).payment_id
    app.clock.advance(timedelta(days=40))
    app.run(RecordPayment(eur, None, 4_000, "EUR", "card"))
    app.run(RefundPayment(eur, None, first, 1_000))
    rows = MemoryRows()
    projection = LtvProjection()
    for event in app.all_events():
        projection.apply(event, rows)
    [contact] = rows.rows(CONTACTS)
    assert (contact["paid"], contact["refunded"], contact["net"], contact["payments"],
            contact["cases"], contact["cohort"]) == (10_000, 1_000, 9_000, 2, 1, "2026-02")
    assert contact["by_case"] == {str(eur): [10_000, 1_000, 0, 2]}
    [case_row] = [r for r in rows.rows(CASES) if r["case_id"] == eur]
    assert (case_row["source"], case_row["campaign"]) == ("web_form", "spring")
    [group] = groups_from_rows("source", rows.rows(CASES), rows.rows(CONTACTS), None)
    assert (group.key, group.currency, group.customers, group.net) == ("web_form", "EUR", 1,
                                                                      9_000)


def test_group_figures_round_half_up_and_never_mix_currencies() -> None:
    tenant = uuid4()

    def contact(net: int, currency: str, cohort: str = "2026-01") -> dict[str, Any]:
        return {"tenant_id": tenant, "contact_id": uuid4(), "currency": currency, "paid": net,
                "refunded": 0, "disputed": 0, "net": net, "payments": 1, "cases": 1,
                "cohort": cohort, "by_case": {}}

    rows = [contact(1, "EUR"), contact(2, "EUR"), contact(10, "USD"), contact(5, "EUR"),
            contact(4, "EUR"), contact(7, "EUR", "2026-02")]
    groups = groups_from_rows("cohort", [], rows, None)
    summary = [(g.key, g.currency, g.customers, g.net, g.average, g.median) for g in groups]
    assert summary == [("2026-01", "EUR", 4, 12, 3, 3), ("2026-01", "USD", 1, 10, 10, 10),
                       ("2026-02", "EUR", 1, 7, 7, 7)]
    assert (half_up(5, 2), half_up(7, 2), half_up(1, 3), half_up(0, 4)) == (3, 4, 0, 0)
    assert groups_from_rows("cohort", [], rows, "USD")[0].currency == "USD"
