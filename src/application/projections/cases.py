"""The cases read model: one row per case with its quote, invoices, payments and totals."""

from __future__ import annotations

from typing import Any

from application.projections.base import Projection, Row, ViewRows, by_originator
from domain.cases import Case, CaseStatus
from domain.contacts import Contact

TABLE = "cases"


class CasesProjection(Projection):
    name = "cases"
    version = 1
    tables = (TABLE,)

    def __init__(self) -> None:
        super().__init__()
        keys = by_originator(TABLE)
        self.on(Case.CaseOpened, self._opened, keys)
        self.on(Case.QuoteIssued, self._update(self._quoted), keys)
        self.on(Case.QuoteAccepted, self._update(self._accepted), keys)
        self.on(Case.InvoiceIssued, self._update(self._invoiced), keys)
        self.on(Case.PaymentLinkCreated, self._update(self._linked), keys)
        self.on(Case.PaymentReceived, self._update(self._paid), keys)
        self.on(Case.PaymentRefunded, self._update(self._returned("refunded")), keys,
                uses_personal_data=False)
        self.on(Case.PaymentDisputed, self._update(self._returned("disputed")), keys)
        self.on(Case.CaseCompleted, self._update(
            lambda e, r: {"status": CaseStatus.COMPLETED.value, "closing_note": e.note}), keys)
        self.on(Case.CaseCancelled, self._update(
            lambda e, r: {"status": CaseStatus.CANCELLED.value, "closing_note": e.reason}), keys)
        self.on(Contact.ContactErased, self._contact_erased, lambda e: [])

    @staticmethod
    def _opened(event: Case.CaseOpened, rows: ViewRows) -> None:
        rows.put(TABLE, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id,
            "contact_id": event.contact_id, "lead_id": event.lead_id, "kind": event.kind,
            "title": event.title, "status": CaseStatus.DRAFT.value,
            "version": event.originator_version, "currency": None, "source": event.source,
            "campaign": event.campaign, "quote": None, "invoices": [], "payments": [],
            "quoted": 0, "invoiced": 0, "paid": 0, "refunded": 0, "disputed": 0,
            "closing_note": None, "created_at": event.timestamp,
            "updated_at": event.timestamp})

    @staticmethod
    def _update(change: Any) -> Any:
        def handler(event: Any, rows: ViewRows) -> None:
            key = (event.tenant_id, event.originator_id)
            row = rows.get(TABLE, key)
            if row is None:  # purged by an erasure
                return
            rows.put(TABLE, key, {**row, **change(event, row),
                                  "version": event.originator_version,
                                  "updated_at": event.timestamp})

        return handler

    @staticmethod
    def _quoted(event: Case.QuoteIssued, row: Row) -> Row:
        total = event.total
        quote = {"revision": event.revision, "currency": total.currency,
                 "line_items": list(event.line_items), "total": total.amount,
                 "valid_until": event.valid_until, "issued_at": event.timestamp.isoformat(),
                 "accepted_at": None}
        return {"quote": quote, "currency": total.currency, "quoted": total.amount,
                "status": CaseStatus.QUOTED.value}

    @staticmethod
    def _accepted(event: Case.QuoteAccepted, row: Row) -> Row:
        quote = {**row["quote"], "accepted_at": event.timestamp.isoformat()}
        return {"quote": quote, "status": CaseStatus.ACCEPTED.value}

    @staticmethod
    def _started(row: Row) -> str:
        accepted = CaseStatus.ACCEPTED.value
        return CaseStatus.IN_PROGRESS.value if row["status"] == accepted else str(row["status"])

    @classmethod
    def _invoiced(cls, event: Case.InvoiceIssued, row: Row) -> Row:
        amount = event.amount.amount
        invoice = {"id": str(event.invoice_id), "amount": amount,
                   "due_date": event.due_date, "description": event.description,
                   "issued_at": event.timestamp.isoformat(), "payment_link": None}
        return {"invoices": [*row["invoices"], invoice],
                "invoiced": row["invoiced"] + amount, "status": cls._started(row)}

    @staticmethod
    def _linked(event: Case.PaymentLinkCreated, row: Row) -> Row:
        invoices = [{**i, "payment_link": event.url} if i["id"] == str(event.invoice_id) else i
                    for i in row["invoices"]]
        return {"invoices": invoices}

    @classmethod
    def _paid(cls, event: Case.PaymentReceived, row: Row) -> Row:
        amount = event.amount.amount
        payment = {"id": str(event.payment_id), "amount": amount, "method": event.method,
                   "invoice_id": _iso_id(event.invoice_id),
                   "external_reference": event.external_reference,
                   "received_at": event.timestamp.isoformat(), "refunded": 0, "disputed": 0}
        return {"payments": [*row["payments"], payment], "paid": row["paid"] + amount,
                "status": cls._started(row)}

    @staticmethod
    def _returned(column: str) -> Any:
        def change(event: Any, row: Row) -> Row:
            amount = event.amount.amount
            payments = [{**p, column: p[column] + amount}
                        if p["id"] == str(event.payment_id) else p for p in row["payments"]]
            return {"payments": payments, column: row[column] + amount}

        return change

    @staticmethod
    def _contact_erased(event: Contact.ContactErased, rows: ViewRows) -> None:
        rows.delete_where(TABLE, event.tenant_id, "contact_id", event.originator_id)


def _iso_id(value: Any) -> str | None:
    return str(value) if value is not None else None
