"""A typed Python client generated from docs/openapi.json (openapi-python-client, at test time,
offline, into a temporary folder) runs the README's first tour against `frontdesk serve`: the
steps the tour takes with curl, through the client's typed functions and models.

Generation must be clean: a part of the document the generator cannot use (a duplicate model
name, a body it cannot send) fails here, and the fix belongs in the document (ADR 0075)."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from io import BytesIO
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.serving import served

PACKAGE = "frontdesk_client"
# PDF and CSV are files: sent and answered as bytes (the generator has no text/csv reader).
CONFIG = f"""\
project_name_override: frontdesk-client
package_name_override: {PACKAGE}
content_type_overrides:
  text/csv: application/octet-stream
  application/pdf: application/octet-stream
"""
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("generated")
    (folder / "config.yaml").write_text(CONFIG)
    # The generator formats its output with ruff, found on PATH (the project's own).
    env = {**os.environ, "PATH": f"{ROOT / '.venv/bin'}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(ROOT / ".venv/bin/openapi-python-client"), "generate",
         "--path", str(ROOT / "docs/openapi.json"), "--output-path", str(folder / PACKAGE),
         "--meta", "none", "--config", str(folder / "config.yaml")],
        capture_output=True, text=True, timeout=300, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "Unable to" not in output, output
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def api(name: str) -> Any:
    """A generated operation module, e.g. ``api("leads.v1_leads_capture")``."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def models() -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


def position(answer: Any) -> str:
    return str(answer.headers["x-frontdesk-position"])


def exact(model: Any) -> Any:
    """The answer had no field the document does not declare."""
    assert model.additional_properties == {}, (type(model).__name__, model.additional_properties)
    return model


def test_the_generated_client_runs_the_readme_tour(owner_url: str, container: Any,
                                                   client_package: ModuleType) -> None:
    m = models()
    slug = f"bright-smile-{uuid.uuid4().hex[:6]}"
    with served(owner_url, FRONTDESK_IN_PROCESS_PROJECTIONS="true") as service:
        admin = client_package.AuthenticatedClient(base_url=service.url, token="dev-admin-token",
                                                   timeout=30.0)

        # 1. Provision a tenant (admin API), then log in as its first admin.
        created = api("admin.v1_admin_tenants_create_tenant").sync_detailed(
            client=admin, body=m.TenantCreate(name="Bright Smile Clinic", slug=slug,
                                              admin_email="owner@bright.example",
                                              admin_password=PASSWORD))
        assert created.status_code == 201
        assert exact(created.parsed).slug == slug
        anonymous = client_package.Client(base_url=service.url, timeout=30.0)
        token = api("auth.v1_auth_login_login").sync(
            client=anonymous, body=m.LoginIn(tenant=slug, email="owner@bright.example",
                                             password=PASSWORD))
        assert isinstance(token, m.TokenOut), token
        assert exact(token).token_type == "bearer"
        auth = client_package.AuthenticatedClient(base_url=service.url,
                                                  token=token.access_token, timeout=30.0)

        def sending(headers: dict[str, str]) -> Any:
            """A client for one call's headers. Not ``auth.with_headers``: once ``auth`` has
            sent a request, that adds the headers to ``auth``'s own connection for good."""
            return client_package.AuthenticatedClient(
                base_url=service.url, token=token.access_token, timeout=30.0, headers=headers)

        # 2. Capture a lead; the same Idempotency-Key again answers the first answer.
        lead_in = m.LeadCreate(name="Ana Ruiz", email="ana@example.com",
                               phone="+34 612 345 678", source="web_form",
                               campaign="spring-whitening", channel="web",
                               notes="Asks about whitening")
        capture = api("leads.v1_leads_capture")
        keyed = sending({"Idempotency-Key": "tour-lead-1"})
        captured = capture.sync_detailed(client=keyed, body=lead_in)
        assert captured.status_code == 201
        lead = exact(captured.parsed)
        assert lead.status == m.CapturedLeadOutStatus.NEW and lead.version == 1
        again = capture.sync_detailed(client=keyed, body=lead_in)
        assert again.status_code == 201 and again.parsed.id == lead.id

        # 3. Read it back, waiting for the read model to include the write.
        read = api("leads.v1_leads_lead_id_get_one").sync_detailed(
            lead.id, client=sending({"X-Frontdesk-Min-Position": position(captured)}))
        assert read.status_code == 200
        assert exact(read.parsed).name == "Ana Ruiz" and read.parsed.source == "web_form"

        # 4. Work the lead with If-Match; a stale version is a 409 problem.
        def at(version: int) -> Any:
            return sending({"If-Match": f'"{version}"'})

        contacted = api("leads.v1_leads_lead_id_contact_contact").sync(
            lead.id, client=at(1),
            body=m.ContactedIn(channel="phone", outcome="reached", note="Wants a quote"))
        assert exact(contacted).version == 2
        scored = api("leads.v1_leads_lead_id_score_score").sync(
            lead.id, client=at(2), body=m.ScoreIn(score=80, reasons=["asked for the price"]))
        assert scored.score == 80
        qualified = api("leads.v1_leads_lead_id_qualify_qualify").sync(
            lead.id, client=at(3), body=m.NoteIn(note="Budget confirmed"))
        assert qualified.status == m.LeadOutStatus.QUALIFIED
        stale = api("leads.v1_leads_lead_id_lose_lose").sync_detailed(
            lead.id, client=at(1), body=m.LoseIn(reason="changed her mind"))
        assert stale.status_code == 409
        assert isinstance(stale.parsed, m.Problem)
        assert stale.parsed.type_.endswith("/problems/stale-version")

        # 5. The same person from the same source again: 409 with the existing id.
        duplicate = capture.sync_detailed(
            client=auth, body=m.LeadCreate(email="ANA@example.com", source="web_form"))
        assert duplicate.status_code == 409
        assert duplicate.parsed.type_.endswith("/problems/duplicate-lead")
        assert duplicate.parsed.additional_properties["existing_id"] == str(lead.id)

        # 6. Import leads from CSV: a report per row.
        csv = (b"name,email,phone,source,campaign\nBo Li,bo@example.com,,fair,autumn\n"
               b"No Contact,,,fair,autumn\n")
        imported = api("leads.v1_leads_import_import_csv").sync_detailed(
            client=auth, body=client_package.types.File(payload=BytesIO(csv),
                                                        mime_type="text/csv"))
        report = imported.parsed
        assert isinstance(report, m.ImportReportOut), report
        assert (exact(report).accepted, report.rejected) == (1, 1)

        # 7. Lists are filtered and paginated (read once they include the import, the latest
        # write); every lead has its event history.
        listed = api("leads.v1_leads_page").sync(
            client=sending({"X-Frontdesk-Min-Position": position(imported)}),
            status="qualified", limit=10)
        assert [item.id for item in exact(listed).items] == [lead.id]
        history = api("leads.v1_leads_lead_id_events_events").sync(lead.id, client=auth)
        assert [e.type_ for e in exact(history).items][:4] == [
            "LeadCaptured", "LeadContacted", "LeadScored", "LeadQualified"]

        # 8. What is remembered about Ana: the follow-up, boosted by the query's entity.
        followed = api("leads.v1_leads_lead_id_follow_ups_follow_up").sync_detailed(
            lead.id, client=at(4),
            body=m.FollowUpIn(due_at=dt.datetime(2030, 1, 15, 18, tzinfo=dt.UTC),
                              note="Call Ana in the evening about the 450 EUR whitening quote"))
        assert followed.status_code == 200
        memories = api("contacts.v1_contacts_contact_id_memories_memories").sync(
            lead.contact_id, client=sending(
                {"X-Frontdesk-Min-Position": position(followed)}),
            query="whitening quote 450 EUR", limit=3)
        hits = exact(memories).items
        assert any(hit.kind == "follow_up" and hit.entity_boost == 0.25 for hit in hits), hits

        # 9. Convert the lead; a process manager opens the case it names.
        converted = api("leads.v1_leads_lead_id_convert_convert").sync(lead.id, client=at(5))
        case_id = exact(converted).case_id
        assert case_id is not None
        get_case = api("cases.v1_cases_case_id_get_one")
        for _ in range(100):  # the case is opened in the background, a moment later
            if get_case.sync_detailed(case_id, client=auth).status_code == 200:
                break
            time.sleep(0.1)
        assert exact(get_case.sync(case_id, client=auth)).id == case_id

        # 10. Quote, accept, invoice.
        quote_in = m.QuoteIn(
            currency="EUR", valid_until=dt.date(2099, 12, 31), line_items=[
                m.LineItemIn(description="Whitening session", quantity=2, unit_amount=25000),
                m.LineItemIn(description="Check-up", quantity=1, unit_amount=7550)])
        quoted = api("cases.v1_cases_case_id_quote_quote").sync(case_id, client=auth,
                                                                body=quote_in)
        assert exact(quoted).status == m.CaseOutStatus.QUOTED
        accepted = api("cases.v1_cases_case_id_accept_accept").sync_detailed(case_id,
                                                                             client=auth)
        assert accepted.status_code == 200
        invoiced = api("cases.v1_cases_case_id_invoices_invoice").sync(
            case_id, client=auth, body=m.InvoiceIn(due_date=dt.date(2099, 1, 31)))
        invoice_id = exact(invoiced).invoice.id

        # 11. The proposal as a PDF.
        proposal = api("cases.v1_cases_case_id_proposal_pdf_proposal").sync(
            case_id, client=sending({"X-Frontdesk-Min-Position": position(accepted)}))
        assert proposal.payload.read(5) == b"%PDF-"

        # 12. A bank transfer pays the invoice; the same reference again is ignored.
        payment = m.PaymentIn(amount=57550, currency="EUR",
                              method=m.PaymentInMethod.BANK_TRANSFER, invoice_id=invoice_id,
                              external_reference="BANK-2026-0001")
        pay = api("cases.v1_cases_case_id_payments_payment")
        paid = pay.sync_detailed(case_id, client=auth, body=payment)
        assert exact(paid.parsed).case.status == m.CaseOutStatus.IN_PROGRESS
        assert pay.sync(case_id, client=auth, body=payment).duplicate is True

        # 13. Lifetime value per contact and by source.
        ltv = api("analytics.v1_analytics_ltv_ltv")
        by_contact = ltv.sync(client=sending({"X-Frontdesk-Min-Position": position(paid)}),
                              group_by=m.V1AnalyticsLtvLtvGroupBy.CONTACT)
        assert [(row.net, row.currency) for row in exact(by_contact).items] == [(57550, "EUR")]

        # 14-15. Access request, then erasure with its receipt.
        export = api("contacts.v1_contacts_contact_id_export_export").sync(lead.contact_id,
                                                                          client=auth)
        assert "Ana Ruiz" in str(export.to_dict())
        receipt = api("contacts.v1_contacts_contact_id_erase").sync(lead.contact_id,
                                                                    client=auth)
        assert exact(receipt).data_key == "destroyed"
        erased = api("leads.v1_leads_lead_id_events_events").sync(lead.id, client=auth)
        assert erased.items[0].data["notes"] == "[erased]"
        by_source = ltv.sync(client=auth, group_by=m.V1AnalyticsLtvLtvGroupBy.SOURCE)
        assert [(row.key, row.customers) for row in by_source.items] == [("web_form", 1)]

        # 16. Readiness.
        ready = api("health.health_ready_ready").sync(client=anonymous)
        assert ready.to_dict()["status"] == "ready"
