"""The ltv read model: historical lifetime value, net of refunds and disputes, per currency.

Two tables: ``ltv_cases`` (one row per case: its contact, the lead's source and campaign, and
the money of the case) and ``ltv_contacts`` (one row per contact and currency: net revenue,
first and last payment, number of paying cases, cohort month of the first payment). Amounts are
integer minor units; no row ever mixes currencies. No personal data is read or stored, so an
erasure leaves the (anonymous) amounts in place for accounting.

The definition is versioned by ``version`` (ADR 0010): changing what LTV means bumps it, and
the projection manager rebuilds the view from the events; ``as_of`` recomputes any past
moment under the current definition.
"""

from __future__ import annotations

from typing import Any

from application.projections.base import Projection, Row, RowKey, ViewRows
from domain.cases import Case

CASES, CONTACTS = "ltv_cases", "ltv_contacts"
DEFINITION = "historical-net/1"


def _case_key(event: Any) -> tuple[str, RowKey]:
    return (CASES, (event.tenant_id, event.originator_id))


def _money_keys(event: Any) -> list[tuple[str, RowKey]]:
    return [_case_key(event), (CONTACTS, (event.tenant_id, event.contact_id, event.currency))]


class LtvProjection(Projection):
    name = "ltv"
    version = 1
    tables = (CASES, CONTACTS)

    def __init__(self) -> None:
        super().__init__()
        self.on(Case.CaseOpened, self._opened, lambda e: [_case_key(e)],
                uses_personal_data=False)
        self.on(Case.PaymentReceived, self._received, _money_keys, uses_personal_data=False)
        self.on(Case.PaymentRefunded, self._returned("refunded"), _money_keys,
                uses_personal_data=False)
        self.on(Case.PaymentDisputed, self._returned("disputed"), _money_keys,
                uses_personal_data=False)

    @staticmethod
    def _opened(event: Case.CaseOpened, rows: ViewRows) -> None:
        rows.put(CASES, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "case_id": event.originator_id,
            "contact_id": event.contact_id, "source": event.source, "campaign": event.campaign,
            "currency": None, "paid": 0, "refunded": 0, "disputed": 0, "net": 0, "payments": 0,
            "first_payment_at": None, "last_payment_at": None})

    @staticmethod
    def _case_row(event: Any, rows: ViewRows) -> Row:
        row = rows.get(CASES, (event.tenant_id, event.originator_id))
        if row is None:  # not expected: every case starts with CaseOpened
            row = {"tenant_id": event.tenant_id, "case_id": event.originator_id,
                   "contact_id": event.contact_id, "source": None, "campaign": None,
                   "currency": None, "paid": 0, "refunded": 0, "disputed": 0, "net": 0,
                   "payments": 0, "first_payment_at": None, "last_payment_at": None}
        return row

    @classmethod
    def _received(cls, event: Case.PaymentReceived, rows: ViewRows) -> None:
        at, amount = event.timestamp, event.amount
        case = cls._case_row(event, rows)
        first_of_case = case["payments"] == 0
        rows.put(CASES, (event.tenant_id, event.originator_id), {
            **case, "currency": event.currency, "paid": case["paid"] + amount,
            "net": case["net"] + amount, "payments": case["payments"] + 1,
            "first_payment_at": case["first_payment_at"] or at, "last_payment_at": at})
        key = (event.tenant_id, event.contact_id, event.currency)
        contact = rows.get(CONTACTS, key)
        if contact is None:
            contact = {"tenant_id": event.tenant_id, "contact_id": event.contact_id,
                       "currency": event.currency, "paid": 0, "refunded": 0, "disputed": 0,
                       "net": 0, "payments": 0, "cases": 0, "first_payment_at": at,
                       "last_payment_at": at, "cohort": f"{at.year:04d}-{at.month:02d}"}
        rows.put(CONTACTS, key, {
            **contact, "paid": contact["paid"] + amount, "net": contact["net"] + amount,
            "payments": contact["payments"] + 1, "cases": contact["cases"] + first_of_case,
            "last_payment_at": at})

    @classmethod
    def _returned(cls, column: str) -> Any:
        def handler(event: Any, rows: ViewRows) -> None:
            amount = event.amount
            case = cls._case_row(event, rows)
            rows.put(CASES, (event.tenant_id, event.originator_id), {
                **case, column: case[column] + amount, "net": case["net"] - amount})
            key = (event.tenant_id, event.contact_id, event.currency)
            contact = rows.get(CONTACTS, key)
            if contact is not None:
                rows.put(CONTACTS, key, {**contact, column: contact[column] + amount,
                                         "net": contact["net"] - amount})

        return handler
