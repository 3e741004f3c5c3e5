"""The cases application layer on stateful fakes (event store, payment gateway): the case-opening
process manager, payment links, provider events recorded once, refunds, and the LTV
projection and report computed in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.clock import ManualClock
from application.analytics.ltv import groups_from_rows, half_up
from application.bus import CommandBus, Executed
from application.cases.commands import (
    AcceptQuote,
    CreatePaymentLink,
    IssueInvoice,
    IssueQuote,
    QuoteLine,
    RecordPayment,
    RefundPayment,
)
from application.cases.handlers import AcceptQuoteHandler, IssueInvoiceHandler, IssueQuoteHandler
from application.cases.opening import OpenCaseForConvertedLeadHandler, OpenCaseOnConversion
from application.cases.payments import (
    CreatePaymentLinkHandler,
    RecordPaymentHandler,
    RefundPaymentHandler,
)
from application.cases.ports import PaymentProviderRefused, PaymentProviderUnavailable
from application.cases.provider import (
    RecordProviderPayment,
    RecordProviderPaymentHandler,
    RecordProviderRefunds,
    RecordProviderRefundsHandler,
)
from application.ports import CommandContext
from application.projections.ltv import CASES, CONTACTS, LtvProjection
from application.projections.memory import MemoryRows
from domain.cases import Case
from domain.leads import Lead
from domain.shared import Slug
from tests.fakes import InMemoryEventStore, InMemoryUnitOfWorkFactory
from tests.payments_fakes import FakePaymentGateway

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def bus(store: InMemoryEventStore) -> CommandBus:
    return CommandBus(InMemoryUnitOfWorkFactory(store), store)


@pytest.fixture
def ctx() -> CommandContext:
    return CommandContext(tenant_id=uuid4(), actor="user:test")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def gateway() -> FakePaymentGateway:
    return FakePaymentGateway()


def run(bus: CommandBus, handler: Any, command: Any, ctx: CommandContext) -> Any:
    outcome = bus.execute(handler, command, ctx)
    assert isinstance(outcome, Executed)
    return outcome.result


def converted(store: InMemoryEventStore, ctx: CommandContext) -> Lead:
    lead = Lead.capture(lead_id=uuid4(), tenant_id=ctx.tenant_id, actor="u", at=T0,
                        contact_id=uuid4(), source=Slug("web_form"), campaign=Slug("spring"),
                        channel=Slug("web"), notes=None)
    lead.qualify(actor="u", at=T0, note=None)
    lead.convert(actor="u", at=T0, case_id=uuid4())
    uow = InMemoryUnitOfWorkFactory(store)(ctx.tenant_id)
    uow.add(lead)
    uow.commit()
    return lead


def opened(store: InMemoryEventStore, bus: CommandBus, ctx: CommandContext) -> UUID:
    lead = converted(store, ctx)
    policy = OpenCaseOnConversion(OpenCaseForConvertedLeadHandler())
    [event] = [e for e in store.events[lead.id] if isinstance(e, Lead.LeadConverted)]
    for reaction in policy.react(event):
        run(bus, reaction.handler, reaction.command,
            CommandContext(reaction.tenant_id, reaction.actor))
    assert lead.case_id is not None
    return lead.case_id


def accepted(store: InMemoryEventStore, bus: CommandBus, ctx: CommandContext,
             clock: ManualClock, total: int = 10_000) -> UUID:
    case_id = opened(store, bus, ctx)
    run(bus, IssueQuoteHandler(clock), IssueQuote(case_id, None, "EUR",
                                                  [QuoteLine("Plan", 1, total)],
                                                  date(2026, 12, 31)), ctx)
    run(bus, AcceptQuoteHandler(clock), AcceptQuote(case_id, None), ctx)
    return case_id


def case_events(store: InMemoryEventStore, case_id: UUID) -> list[str]:
    return [type(e).__name__ for e in store.events.get(case_id, [])]


def test_the_policy_opens_the_named_case_once(store, bus, ctx) -> None:
    case_id = opened(store, bus, ctx)
    policy = OpenCaseOnConversion(OpenCaseForConvertedLeadHandler())
    [event] = [e for e in store.all_events() if isinstance(e, Lead.LeadConverted)]
    [reaction] = policy.react(event)
    assert run(bus, reaction.handler, reaction.command,
               CommandContext(reaction.tenant_id, reaction.actor)) is None  # a replay
    assert case_events(store, case_id) == ["CaseOpened"]
    [opened_event] = store.events[case_id]
    assert (opened_event.source, opened_event.campaign) == ("web_form", "spring")
    assert opened_event.timestamp == event.timestamp  # opened when the lead converted


def test_a_payment_link_is_recorded_only_if_the_provider_answers(store, bus, ctx, clock,
                                                                 gateway) -> None:
    case_id = accepted(store, bus, ctx, clock)
    gateway.down = True
    command = IssueInvoice(case_id, None, date(2026, 3, 1), 4_000, None, payment_link=True)
    with pytest.raises(PaymentProviderUnavailable):
        run(bus, IssueInvoiceHandler(clock, gateway), command, ctx)
    assert case_events(store, case_id) == ["CaseOpened", "QuoteIssued", "QuoteAccepted"]
    gateway.down = False
    view = run(bus, IssueInvoiceHandler(clock, gateway), command, ctx)
    [invoice] = view.invoices
    assert invoice.payment_link == "https://pay.example/cs_fake_1"
    [checkout] = gateway.checkouts.values()
    assert (checkout.amount, checkout.currency, checkout.case_id) == (4_000, "EUR", case_id)
    again = run(bus, CreatePaymentLinkHandler(clock, gateway),
                CreatePaymentLink(case_id, invoice.id), ctx)
    assert again.invoices[0].payment_link == "https://pay.example/cs_fake_2"


def test_provider_payments_are_recorded_once_per_event_and_reference(store, bus, ctx, clock,
                                                                      gateway) -> None:
    case_id = accepted(store, bus, ctx, clock)
    handler = RecordProviderPaymentHandler(clock)
    outcomes = [run(bus, handler, RecordProviderPayment(case_id, None, 10_000, "EUR", "pi_1",
                                                        event), ctx).status
                for event in ("evt_a", "evt_a", "evt_b", "evt_b")]
    assert outcomes == ["recorded", "duplicate", "duplicate", "duplicate"]
    other = accepted(store, bus, ctx, clock)
    assert run(bus, handler, RecordProviderPayment(other, None, 10_000, "EUR", "pi_1", "evt_c"),
               ctx).status == "duplicate"  # the reference is held by the first case
    assert case_events(store, case_id).count("PaymentReceived") == 1
    assert "PaymentReceived" not in case_events(store, other)


def test_a_manual_reference_recorded_on_another_case_is_named(store, bus, ctx, clock) -> None:
    first, second = accepted(store, bus, ctx, clock), accepted(store, bus, ctx, clock)
    handler = RecordPaymentHandler(clock)
    paid = run(bus, handler, RecordPayment(first, None, 500, "EUR", "bank_transfer",
                                           external_reference="TRX-1"), ctx)
    dup = run(bus, handler, RecordPayment(second, None, 500, "EUR", "bank_transfer",
                                          external_reference="TRX-1"), ctx)
    assert not paid.duplicate and dup.duplicate
    assert (dup.payment_id, dup.recorded_on) == (paid.payment_id, first)
    assert "PaymentReceived" not in case_events(store, second)


def test_refunds_of_online_payments_go_through_the_provider(store, bus, ctx, clock,
                                                            gateway) -> None:
    case_id = accepted(store, bus, ctx, clock)
    view = run(bus, IssueInvoiceHandler(clock, gateway),
               IssueInvoice(case_id, None, date(2026, 3, 1), payment_link=True), ctx)
    reference = gateway.pay(next(iter(gateway.checkouts)))
    run(bus, RecordProviderPaymentHandler(clock), RecordProviderPayment(
        case_id, view.invoices[0].id, 10_000, "EUR", reference, "evt_1"), ctx)
    payment_id = store.events[case_id][-1].payment_id
    refund = run(bus, RefundPaymentHandler(clock, gateway),
                 RefundPayment(case_id, None, payment_id, 2_500, "goodwill"), ctx)
    assert refund.external_reference is not None
    assert gateway.payments[reference]["refunded"] == 2_500
    gateway.payments[reference]["refunded"] = 10_000  # refunded elsewhere meanwhile
    with pytest.raises(PaymentProviderRefused):
        run(bus, RefundPaymentHandler(clock, gateway),
            RefundPayment(case_id, None, payment_id, 100), ctx)
    echoed = RecordProviderRefunds(case_id, reference, "evt_2", cumulative_refunded=2_500)
    assert run(bus, RecordProviderRefundsHandler(clock), echoed, ctx).status == "duplicate"
    more = RecordProviderRefunds(case_id, reference, "evt_3", cumulative_refunded=4_000)
    assert run(bus, RecordProviderRefundsHandler(clock), more, ctx).status == "recorded"
    assert run(bus, RecordProviderRefundsHandler(clock), more, ctx).status == "duplicate"
    refunds = [e.amount for e in store.events[case_id] if isinstance(e, Case.PaymentRefunded)]
    assert refunds == [2_500, 1_500]


def test_the_ltv_projection_nets_refunds_and_disputes_per_currency(store, bus, ctx,
                                                                   clock) -> None:
    eur = accepted(store, bus, ctx, clock)
    pay = RecordPaymentHandler(clock)
    first = run(bus, pay, RecordPayment(eur, None, 6_000, "EUR", "cash"), ctx).payment_id
    clock.advance(timedelta(days=40))
    run(bus, pay, RecordPayment(eur, None, 4_000, "EUR", "card"), ctx)
    run(bus, RefundPaymentHandler(clock, FakePaymentGateway()),
        RefundPayment(eur, None, first, 1_000), ctx)
    rows = MemoryRows()
    projection = LtvProjection()
    for event in store.all_events():
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
