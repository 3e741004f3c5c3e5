"""The ltv read model: historical lifetime value, net of refunds and disputes, per currency.

Two tables. ``ltv_contacts`` has one row per contact and currency: paid, refunded, disputed,
net, payments, first and last payment, the cohort month of the first payment, and the same
money per case (``by_case``). ``ltv_cases`` has one row per case, written once when it opens:
its contact and the source and campaign of the lead it came from (the attribution). A money
event touches exactly one row, the contact's, so a replay writes little. Reports join the two
for source and campaign. Amounts are integer minor units; no row mixes currencies. No personal
data is read or stored, so an erasure leaves the (anonymous) amounts for accounting.

The definition is versioned by ``version`` and ``DEFINITION`` (ADR 0010): changing what LTV
means bumps them, the projection manager rebuilds the view from the events, and ``as_of``
recomputes any past moment under the current definition.
"""

from __future__ import annotations

from typing import Any

from application.projections.base import Projection, RowKey, ViewRows
from domain.cases import Case

CASES, CONTACTS = "ltv_cases", "ltv_contacts"
DEFINITION = "historical-net/1"
PAID, REFUNDED, DISPUTED, PAYMENTS = range(4)  # positions in a by_case entry


def _contact_key(event: Any) -> list[tuple[str, RowKey]]:
    return [(CONTACTS, (event.tenant_id, event.contact_id, event.amount.currency))]


class LtvProjection(Projection):
    name = "ltv"
    version = 1
    tables = (CASES, CONTACTS)
    rebuild_batch_size = 50_000
    """One money event changes one contact row; bigger rebuild batches fold more of them."""

    def __init__(self) -> None:
        super().__init__()
        self.on(Case.CaseOpened, self._opened, lambda e: [(CASES, (e.tenant_id,
                                                                   e.originator_id))],
                uses_personal_data=False)
        self.on(Case.PaymentReceived, self._received, _contact_key, uses_personal_data=False)
        self.on(Case.PaymentRefunded, self._returned("refunded", REFUNDED), _contact_key,
                uses_personal_data=False)
        self.on(Case.PaymentDisputed, self._returned("disputed", DISPUTED), _contact_key,
                uses_personal_data=False)

    @staticmethod
    def _opened(event: Case.CaseOpened, rows: ViewRows) -> None:
        rows.put(CASES, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "case_id": event.originator_id,
            "contact_id": event.contact_id, "source": event.source,
            "campaign": event.campaign})

    @staticmethod
    def _received(event: Case.PaymentReceived, rows: ViewRows) -> None:
        at, amount, currency = event.timestamp, event.amount.amount, event.amount.currency
        key = (event.tenant_id, event.contact_id, currency)
        contact = rows.get(CONTACTS, key)
        if contact is None:
            contact = {"tenant_id": event.tenant_id, "contact_id": event.contact_id,
                       "currency": currency, "paid": 0, "refunded": 0, "disputed": 0,
                       "net": 0, "payments": 0, "cases": 0, "first_payment_at": at,
                       "last_payment_at": at, "cohort": f"{at.year:04d}-{at.month:02d}",
                       "by_case": {}}
        case = str(event.originator_id)
        entry = list(contact["by_case"].get(case, (0, 0, 0, 0)))
        entry[PAID] += amount
        entry[PAYMENTS] += 1
        by_case = {**contact["by_case"], case: entry}
        rows.put(CONTACTS, key, {
            **contact, "paid": contact["paid"] + amount, "net": contact["net"] + amount,
            "payments": contact["payments"] + 1, "cases": len(by_case), "by_case": by_case,
            "last_payment_at": at})

    @staticmethod
    def _returned(column: str, position: int) -> Any:
        def handler(event: Any, rows: ViewRows) -> None:
            amount = event.amount.amount
            key = (event.tenant_id, event.contact_id, event.amount.currency)
            contact = rows.get(CONTACTS, key)
            if contact is None:  # not expected: money goes back only after it came in
                return
            case = str(event.originator_id)
            entry = list(contact["by_case"].get(case, (0, 0, 0, 0)))
            entry[position] += amount
            rows.put(CONTACTS, key, {
                **contact, column: contact[column] + amount,
                "net": contact["net"] - amount,
                "by_case": {**contact["by_case"], case: entry}})

        return handler
