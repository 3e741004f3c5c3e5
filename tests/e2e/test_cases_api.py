"""Every case endpoint over HTTP on the real service and PostgreSQL: the lifecycle from a
converted lead to a paid, refunded and completed case, the read model, the proposal PDF,
errors as problem+json that change nothing, and tenant isolation."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from tests.conftest import TenantSession
from tests.support_cases import (
    QUOTE,
    QUOTE_TOTAL,
    accepted_case,
    accepted_case_at,
    events_of,
    opened_case,
    run_case_opener,
)


def test_a_converted_lead_opens_its_case_once(container: Any, tenant: TenantSession) -> None:
    lead = opened_case(tenant, container, source="referral", campaign="spring")
    case_id = lead["case_id"]
    run_case_opener(container, tenant.id)  # the log again: nothing new
    with container.worker_pool().connection() as conn:  # as if the policy crashed and replays
        conn.execute("DELETE FROM projection_tracking WHERE name = %s",
                     (f"policy:open-case-on-conversion:tenant:{tenant.id}",))
    run_case_opener(container, tenant.id)
    history = events_of(tenant, case_id)
    assert [e["type"] for e in history] == ["CaseOpened"]
    opened = history[0]
    assert opened["actor"] == "system:case-opener"
    assert opened["data"]["lead_id"] == lead["id"]
    assert opened["data"]["contact_id"] == lead["contact_id"]
    assert (opened["data"]["source"], opened["data"]["campaign"]) == ("referral", "spring")
    quoted = tenant.post(f"/v1/cases/{case_id}/quote", json=QUOTE)
    view = tenant.read(f"/v1/cases/{case_id}", quoted.headers["x-frontdesk-position"]).json()
    assert (view["status"], view["lead_id"], view["kind"]) == ("quoted", lead["id"], "general")


def test_the_money_path_from_quote_to_completion(container: Any, tenant: TenantSession) -> None:
    case_id = str(opened_case(tenant, container)["case_id"])
    path = f"/v1/cases/{case_id}"
    quoted = tenant.post(f"{path}/quote", json=QUOTE, headers={"If-Match": '"1"'})
    assert quoted.status_code == 200, quoted.text
    case = quoted.json()
    assert case["status"] == "quoted" and case["currency"] == "EUR"
    assert case["quote"]["total"] == QUOTE_TOTAL
    assert [i["amount"] for i in case["quote"]["line_items"]] == [50000, 7550]
    accepted = tenant.post(f"{path}/accept", headers={"If-Match": '"2"'})
    assert accepted.json()["status"] == "accepted"

    invoiced = tenant.post(f"{path}/invoices", json={"amount": 30000, "due_date": "2099-01-31",
                                                     "description": "Deposit"})
    assert invoiced.status_code == 201, invoiced.text
    invoice = invoiced.json()["invoice"]
    assert (invoice["amount"], invoice["status"]) == (30000, "open")
    assert invoiced.json()["case"]["status"] == "in_progress"
    rest = tenant.post(f"{path}/invoices", json={"due_date": "2099-02-28"})
    assert rest.json()["invoice"]["amount"] == QUOTE_TOTAL - 30000  # the uninvoiced rest

    paid = tenant.post(f"{path}/payments", json={
        "amount": 30000, "currency": "EUR", "method": "bank_transfer",
        "invoice_id": invoice["id"], "external_reference": f"BANK-{case_id}"})
    assert paid.status_code == 201, paid.text
    payment_id = paid.json()["payment_id"]
    assert paid.json()["duplicate"] is False
    again = tenant.post(f"{path}/payments", json={
        "amount": 30000, "currency": "EUR", "method": "bank_transfer",
        "external_reference": f"BANK-{case_id}"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["payment_id"] == payment_id

    refunded = tenant.post(f"{path}/refunds", json={"payment_id": payment_id, "amount": 5000,
                                                    "reason": "one session less"})
    assert refunded.status_code == 201, refunded.text
    completed = tenant.post(f"{path}/complete", json={"note": "all done"})
    assert completed.json()["status"] == "completed"

    view = tenant.read(path, completed.headers["x-frontdesk-position"]).json()
    assert view["totals"] == {"quoted": QUOTE_TOTAL, "invoiced": QUOTE_TOTAL, "paid": 30000,
                              "refunded": 5000, "disputed": 0, "net": 25000,
                              "balance_due": QUOTE_TOTAL - 25000}
    assert view["invoices"][0]["paid"] == 25000
    assert view["invoices"][0]["status"] == "partially_paid"
    assert view["payments"][0]["refunded"] == 5000
    assert view == {**completed.json(), "updated_at": view["updated_at"]}  # same shape
    assert [e["type"] for e in events_of(tenant, case_id)] == [
        "CaseOpened", "QuoteIssued", "QuoteAccepted", "InvoiceIssued", "InvoiceIssued",
        "PaymentReceived", "PaymentRefunded", "CaseCompleted"]


def test_bad_input_is_a_clear_problem_and_changes_nothing(container: Any,
                                                           tenant: TenantSession) -> None:
    case_id = accepted_case(tenant, container)
    path = f"/v1/cases/{case_id}"
    before = len(events_of(tenant, case_id))
    attempts = [
        (f"{path}/payments", {"amount": 100, "currency": "USD", "method": "cash"}, 409,
         "currency-mismatch"),
        (f"{path}/payments", {"amount": -5, "currency": "EUR", "method": "cash"}, 422,
         "validation"),
        (f"{path}/payments", {"amount": 100, "currency": "EUR", "method": "stripe"}, 422,
         "validation"),
        (f"{path}/payments", {"amount": 100, "currency": "XXQ", "method": "cash"}, 422,
         "invalid-value"),
        (f"{path}/invoices", {"amount": QUOTE_TOTAL + 1, "due_date": "2099-01-01"}, 409,
         "invoice-exceeds-quote"),
        (f"{path}/invoices", {"due_date": "2001-01-01"}, 422, "invalid-value"),
        (f"{path}/quote", QUOTE, 409, "invalid-case-transition"),
        (f"{path}/accept", None, 409, "invalid-case-transition"),
        (f"{path}/refunds", {"payment_id": case_id, "amount": 1}, 404, "not-found"),
        (f"{path}/cancel", {"reason": ""}, 422, "validation"),
        (f"{path}/payments", {"amount": "ten", "currency": "EUR", "method": "cash"}, 422,
         "validation"),
    ]
    for url, body, status, kind in attempts:
        response = tenant.post(url, json=body)
        assert response.status_code == status, (url, body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith("/" + kind), response.json()
    paid = tenant.post(f"{path}/payments", json={"amount": 1000, "currency": "EUR",
                                                 "method": "cash"}).json()
    too_much = tenant.post(f"{path}/refunds", json={"payment_id": paid["payment_id"],
                                                    "amount": 1001})
    assert too_much.status_code == 409
    assert too_much.json()["type"].endswith("/refund-exceeds-payment")
    assert too_much.json()["refundable"] == 1000
    stale = tenant.post(f"{path}/complete", json={}, headers={"If-Match": '"2"'})
    assert stale.status_code == 409 and stale.json()["type"].endswith("/stale-version")
    assert len(events_of(tenant, case_id)) == before + 1  # only the valid payment


def test_manual_cases_lists_and_filters(container: Any, tenant: TenantSession) -> None:
    lead = tenant.post("/v1/leads", json={"email": "list@example.com", "source": "fair"}).json()
    created = tenant.post("/v1/cases", json={"contact_id": lead["contact_id"],
                                              "lead_id": lead["id"], "kind": "trip_quote",
                                              "title": "Lisbon, 4 nights"})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/v1/cases/{created.json()['id']}"
    assert created.json()["source"] == "fair"
    second = tenant.post("/v1/cases", json={"contact_id": lead["contact_id"],
                                             "kind": "trip_quote", "title": "Porto"})
    cancelled = tenant.post(f"/v1/cases/{second.json()['id']}/cancel",
                            json={"reason": "changed plans"})
    assert cancelled.json()["status"] == "cancelled"
    position = cancelled.headers["x-frontdesk-position"]
    page = tenant.read("/v1/cases", position, params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = tenant.read("/v1/cases", position, params={"limit": 1,
                                                       "cursor": page["next_cursor"]}).json()
    assert [c["title"] for c in page["items"] + rest["items"]] == ["Porto", "Lisbon, 4 nights"]
    only = tenant.read("/v1/cases", position, params={"status": "cancelled"}).json()["items"]
    assert [c["title"] for c in only] == ["Porto"]
    unknown = tenant.post("/v1/cases", json={"contact_id": lead["id"], "kind": "x",
                                              "title": "y"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "contact_id"


def test_the_proposal_pdf_reads_back_with_its_totals(container: Any,
                                                      tenant: TenantSession) -> None:
    case_id, position = accepted_case_at(tenant, container)
    response = tenant.read(f"/v1/cases/{case_id}/proposal.pdf", position)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content))
                     .pages)
    assert f"Tenant {tenant.slug}" in text
    assert "Whitening session" in text and "Check-up" in text
    assert "EUR 250.00" in text and "EUR 500.00" in text and "EUR 75.50" in text
    assert "EUR 575.50" in text  # the total
    assert "Valid until 2099-12-31" in text
    draft = tenant.post("/v1/cases", json={"contact_id": str(response_contact(tenant, case_id)),
                                           "kind": "general", "title": "No quote yet"})
    no_quote = tenant.get(f"/v1/cases/{draft.json()['id']}/proposal.pdf", headers={
        "X-Frontdesk-Min-Position": draft.headers["x-frontdesk-position"]})
    assert no_quote.status_code == 409
    assert no_quote.json()["detail"] == "this case has no quote yet: issue one first"


def response_contact(tenant: TenantSession, case_id: str) -> str:
    return str(events_of(tenant, case_id)[0]["data"]["contact_id"])


def test_another_tenants_case_is_a_404(container: Any, tenant: TenantSession,
                                       other_tenant: TenantSession) -> None:
    case_id = accepted_case(tenant, container)
    path = f"/v1/cases/{case_id}"
    assert other_tenant.get(path).status_code == 404
    assert other_tenant.get(f"{path}/events").status_code == 404
    assert other_tenant.get(f"{path}/proposal.pdf").status_code == 404
    for action, body in [("payments", {"amount": 100, "currency": "EUR", "method": "cash"}),
                         ("cancel", {"reason": "x"}), ("accept", None)]:
        response = other_tenant.post(f"{path}/{action}", json=body)
        assert response.status_code == 404, response.text
    assert [e["type"] for e in events_of(tenant, case_id)] == ["CaseOpened", "QuoteIssued",
                                                               "QuoteAccepted"]
    listed = other_tenant.get("/v1/cases").json()["items"]
    assert all(c["id"] != case_id for c in listed)


def test_analysts_read_ltv_but_agents_cannot_refund(container: Any,
                                                     tenant: TenantSession) -> None:
    assert tenant.get("/v1/analytics/ltv").status_code == 200
    assert tenant.client.get("/v1/analytics/ltv").status_code == 401
