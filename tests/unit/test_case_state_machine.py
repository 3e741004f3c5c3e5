"""Hypothesis state machine over random case commands: the money invariants always hold.

paid - refunded - disputed >= 0 for every payment; one currency for every amount of a case;
no external reference recorded twice; and every command is accepted exactly when a simple
model of the rules says it should be.
"""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.cases import Case, CaseStatus, LineItem
from domain.shared import DomainError, Slug
from domain.shared.money import Money

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PAYABLE = {CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.COMPLETED,
           CaseStatus.CANCELLED}
currencies = st.sampled_from(["EUR", "USD"])
references = st.sampled_from([None, "r1", "r2", "r3"])


class CaseMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.case = Case.open(case_id=uuid4(), tenant_id=uuid4(), actor="u", at=T0,
                              contact_id=uuid4(), lead_id=None, kind=Slug("general"),
                              title="t", source=None, campaign=None)
        self.status = CaseStatus.DRAFT
        self.currency: str | None = None
        self.quote_total = 0
        self.invoiced = 0
        self.paid: dict[UUID, int] = {}
        self.returned: dict[UUID, int] = {}
        self.references: set[str] = set()
        self.accepted = False

    def tick(self) -> datetime:
        self.now += timedelta(minutes=5)
        return self.now

    def attempt(self, allowed: bool, action: object) -> object:
        try:
            result = action()  # type: ignore[operator]
        except DomainError:
            assert not allowed, "a valid command was refused"
            return None
        assert allowed, "an invalid command was accepted"
        return result

    @rule(currency=currencies, amount=st.integers(min_value=0, max_value=10_000))
    def quote(self, currency: str, amount: int) -> None:
        allowed = self.status in (CaseStatus.DRAFT, CaseStatus.QUOTED) and \
            self.currency in (None, currency)
        self.attempt(allowed, lambda: self.case.issue_quote(
            actor="u", at=self.tick(), line_items=[LineItem("x", 1, Money(amount, currency))],
            valid_until=date(2027, 1, 1)))
        if allowed:
            self.status, self.currency, self.quote_total = CaseStatus.QUOTED, currency, amount

    @rule()
    def accept(self) -> None:
        allowed = self.status is CaseStatus.QUOTED
        self.attempt(allowed, lambda: self.case.accept_quote(actor="u", at=self.tick()))
        if allowed:
            self.status, self.accepted = CaseStatus.ACCEPTED, True

    @rule(amount=st.integers(min_value=-5, max_value=6_000))
    def invoice(self, amount: int) -> None:
        open_for_work = self.status in (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
        allowed = open_for_work and amount > 0 and self.invoiced + amount <= self.quote_total
        currency = self.currency or "EUR"
        self.attempt(allowed, lambda: self.case.issue_invoice(
            actor="u", at=self.tick(), invoice_id=uuid4(), amount=Money(amount, currency),
            due_date=date(2027, 1, 1), description=None))
        if allowed:
            self.invoiced += amount
            self.status = CaseStatus.IN_PROGRESS

    @rule(amount=st.integers(min_value=-5, max_value=5_000), currency=currencies,
          reference=references)
    def pay(self, amount: int, currency: str, reference: str | None) -> None:
        duplicate = reference is not None and reference in self.references
        allowed = duplicate or (self.accepted and self.status in PAYABLE
                                and currency == self.currency and amount > 0)
        payment = uuid4()
        recorded = self.attempt(allowed, lambda: self.case.receive_payment(
            actor="u", at=self.tick(), payment_id=payment, amount=Money(amount, currency),
            method="cash", external_reference=reference))
        if allowed:
            assert recorded is (not duplicate)
        if recorded:
            self.paid[payment], self.returned[payment] = amount, 0
            if reference:
                self.references.add(reference)
            if self.status is CaseStatus.ACCEPTED:
                self.status = CaseStatus.IN_PROGRESS

    @rule(data=st.data(), amount=st.integers(min_value=-5, max_value=3_000),
          dispute=st.booleans())
    def give_back(self, data: st.DataObject, amount: int, dispute: bool) -> None:
        if not self.paid:
            return
        payment = data.draw(st.sampled_from(sorted(self.paid)))
        allowed = 0 < amount <= self.paid[payment] - self.returned[payment]
        currency = self.currency or "EUR"
        if dispute:
            action = lambda: self.case.dispute_payment(  # noqa: E731
                actor="u", at=self.tick(), dispute_id=uuid4(), payment_id=payment,
                amount=Money(amount, currency), reason=None, external_reference=None)
        else:
            action = lambda: self.case.refund_payment(  # noqa: E731
                actor="u", at=self.tick(), refund_id=uuid4(), payment_id=payment,
                amount=Money(amount, currency), reason=None)
        if self.attempt(allowed, action):
            self.returned[payment] += amount

    @rule()
    def complete(self) -> None:
        allowed = self.status in (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
        self.attempt(allowed, lambda: self.case.complete(actor="u", at=self.tick(), note=None))
        if allowed:
            self.status = CaseStatus.COMPLETED

    @rule()
    def cancel(self) -> None:
        allowed = self.status not in (CaseStatus.COMPLETED, CaseStatus.CANCELLED)
        self.attempt(allowed, lambda: self.case.cancel(actor="u", at=self.tick(), reason="r"))
        if allowed:
            self.status = CaseStatus.CANCELLED

    @invariant()
    def status_follows_the_rules(self) -> None:
        assert self.case.status is self.status

    @invariant()
    def nothing_is_given_back_beyond_a_payment(self) -> None:
        for payment in self.case.payments.values():
            assert payment.amount - payment.refunded - payment.disputed >= 0
            assert payment.refunded + payment.disputed == self.returned[payment.id]

    @invariant()
    def every_amount_is_in_the_cases_currency(self) -> None:
        amounts = [v for e in self.case.pending_events for v in vars(e).values()
                   if isinstance(v, Money)]
        assert {m.currency for m in amounts} <= {self.case.currency}

    @invariant()
    def no_external_reference_twice(self) -> None:
        refs = [p.external_reference for p in self.case.payments.values()
                if p.external_reference]
        assert len(refs) == len(set(refs)) and set(refs) == self.references
        assert {c.value for c in self.case.claims if c.scope == "payment_ref"} == self.references

    @invariant()
    def version_counts_the_events(self) -> None:
        assert self.case.version == len(self.case.pending_events)

    @invariant()
    def totals_add_up(self) -> None:
        assert self.case.paid_total == sum(self.paid.values())
        assert self.case.invoiced_total == self.invoiced <= self.quote_total


TestCaseMachine = CaseMachine.TestCase
TestCaseMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
