"""Cases, invoices and payments (SPEC §3.3)."""

from domain.cases.case import Case
from domain.cases.errors import (
    InvalidCaseTransition,
    InvoiceExceedsQuote,
    QuoteExpired,
    RefundExceedsPayment,
)
from domain.cases.values import (
    MANUAL_METHODS,
    PROVIDER_METHOD,
    CaseStatus,
    Invoice,
    LineItem,
    Payment,
    Quote,
)

__all__ = [
    "MANUAL_METHODS",
    "PROVIDER_METHOD",
    "Case",
    "CaseStatus",
    "InvalidCaseTransition",
    "Invoice",
    "InvoiceExceedsQuote",
    "LineItem",
    "Payment",
    "Quote",
    "QuoteExpired",
    "RefundExceedsPayment",
]
