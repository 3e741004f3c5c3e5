"""Errors named for the case and money rules they protect."""

from __future__ import annotations

from domain.shared.errors import RuleViolated


class RefundExceedsPayment(RuleViolated):
    """Refunds and disputes of a payment cannot exceed what was paid on that payment."""

    code = "refund-exceeds-payment"


class InvoiceExceedsQuote(RuleViolated):
    """Invoices of a case cannot add up to more than its accepted quote."""

    code = "invoice-exceeds-quote"


class QuoteExpired(RuleViolated):
    """A quote past its validity date cannot be accepted."""

    code = "quote-expired"


class InvalidCaseTransition(RuleViolated):
    """The case's status does not allow this action."""

    code = "invalid-case-transition"
