"""CaseQueries over the cases read model."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.readmodels.engine import ReadModelReader, newest_first, page_of
from application.cases.views import (
    CaseFilters,
    CaseView,
    InvoiceView,
    PaymentView,
    QuoteView,
    Totals,
    invoice_status,
)
from application.ports import Page
from domain.shared import NotFound

_FILTERS = ("status", "kind", "contact_id", "lead_id")


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def case_view(row: Any) -> CaseView:
    payments = [PaymentView(id=UUID(p["id"]), amount=p["amount"], method=p["method"],
                            invoice_id=UUID(p["invoice_id"]) if p["invoice_id"] else None,
                            external_reference=p["external_reference"],
                            received_at=datetime.fromisoformat(p["received_at"]),
                            refunded=p["refunded"], disputed=p["disputed"])
                for p in row["payments"]]
    invoices = []
    for i in row["invoices"]:
        invoice_id = UUID(i["id"])
        paid = sum(p.amount - p.refunded - p.disputed for p in payments
                   if p.invoice_id == invoice_id)
        invoices.append(InvoiceView(
            id=invoice_id, amount=i["amount"], due_date=date.fromisoformat(i["due_date"]),
            description=i["description"], issued_at=datetime.fromisoformat(i["issued_at"]),
            paid=paid, status=invoice_status(paid, i["amount"]),
            payment_link=i["payment_link"]))
    quote = None
    if row["quote"] is not None:
        q = row["quote"]
        quote = QuoteView(revision=q["revision"], currency=q["currency"],
                          line_items=q["line_items"], total=q["total"],
                          valid_until=date.fromisoformat(q["valid_until"]),
                          issued_at=datetime.fromisoformat(q["issued_at"]),
                          accepted_at=_at(q["accepted_at"]))
    totals = Totals(quoted=int(row["quoted"]), invoiced=int(row["invoiced"]),
                    paid=int(row["paid"]), refunded=int(row["refunded"]),
                    disputed=int(row["disputed"]))
    return CaseView(id=row["id"], contact_id=row["contact_id"], lead_id=row["lead_id"],
                    kind=row["kind"], title=row["title"], status=row["status"],
                    version=row["version"], currency=row["currency"], source=row["source"],
                    campaign=row["campaign"], quote=quote, invoices=invoices,
                    payments=payments, totals=totals, created_at=row["created_at"],
                    updated_at=row["updated_at"], closing_note=row["closing_note"])


class SqlCaseQueries:
    def __init__(self, reader: ReadModelReader) -> None:
        self._reader = reader

    def get(self, tenant_id: UUID, case_id: UUID) -> CaseView | None:
        rows = self._reader.fetch(tenant_id, sql.SQL(
            "SELECT * FROM cases WHERE tenant_id = %(tenant)s AND id = %(id)s"),
            {"tenant": tenant_id, "id": case_id})
        return case_view(rows[0]) if rows else None

    def page(self, tenant_id: UUID, filters: CaseFilters, *, limit: int,
             cursor: str | None) -> Page[CaseView]:
        where, params = newest_first(None, tenant_id, filters, _FILTERS, limit=limit,
                                     cursor=cursor)
        query = sql.SQL("SELECT * FROM cases WHERE {} ORDER BY created_at DESC, "
                        "id DESC LIMIT %(limit)s").format(where)
        return page_of(self._reader.fetch(tenant_id, query, params), limit, case_view)

    def tenant_name(self, tenant_id: UUID) -> str:
        rows = self._reader.fetch(tenant_id, "SELECT name FROM tenants WHERE id = %(tenant)s",
                                  {"tenant": tenant_id})
        if not rows:
            raise NotFound("tenant not found")
        return str(rows[0]["name"])
