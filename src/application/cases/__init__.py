"""Cases: commands, handlers, the case-opening process manager, snapshots and query ports."""

from application.cases.opening import OpenCaseOnConversion
from application.cases.ports import (
    CheckoutLink,
    CheckoutRequest,
    NoPaymentGateway,
    PaymentGateway,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
)
from application.cases.views import CaseFilters, CaseQueries, CaseView

__all__ = [
    "CaseFilters",
    "CaseQueries",
    "CaseView",
    "CheckoutLink",
    "CheckoutRequest",
    "NoPaymentGateway",
    "OpenCaseOnConversion",
    "PaymentGateway",
    "PaymentProviderRefused",
    "PaymentProviderUnavailable",
]
