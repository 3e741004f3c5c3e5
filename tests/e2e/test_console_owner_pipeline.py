"""The owner's console pages in a real browser against a real `frontdesk serve`: the pipeline
(columns with counts and open value, capture with its validation, CSV import with its report
per row, a lead's timeline), a case with its quote lines and proposal PDF, and a contact's
access export and erasure with its receipt. An agent is refused what the API refuses them
(ADR 0087)."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import DESKTOP, PHONE, chromium, console_login, screenshot
from tests.conftest import PASSWORD
from tests.fake_stripe import FakeStripe
from tests.serving import Served, served

WAIT = 30_000  # ms: a busy two-core machine runs the API, the runtime and the browser
QUOTE = {"currency": "EUR", "valid_until": "2099-12-31",
         "line_items": [{"description": "Whitening session", "quantity": 2,
                         "unit_amount": 25000},
                        {"description": "Check-up", "quantity": 1, "unit_amount": 7550}]}


@dataclass
class Clinic:
    service: Served
    slug: str
    owner_email: str
    owner: str
    agent: str
    case_id: str = ""
    erin: str = ""  # the contact to erase
    stripe: FakeStripe | None = None

    def api(self, method: str, path: str, headers: dict[str, str] | None = None,
            **kwargs: Any) -> Any:
        return self.service.call(self.owner, method, path, headers, **kwargs)

    def lead(self, name: str, email: str, source: str = "web_form") -> dict[str, Any]:
        return self.api("POST", "/v1/leads", json={"name": name, "email": email,
                                                   "source": source, "campaign": "spring"})

    def leads(self, **filters: str) -> int:
        """How many leads the API lists (every page)."""
        count, cursor = 0, None
        while True:
            page = self.api("GET", "/v1/leads", params={"limit": 200, **filters, **(
                {"cursor": cursor} if cursor else {})})
            count += len(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return count


@pytest.fixture(scope="module")
def clinic(owner_url: str) -> Iterator[Clinic]:
    """A tenant with leads in every column, a converted lead whose case is quoted, accepted,
    invoiced twice, one invoice paid and part refunded, and an agent; Stripe is a local fake."""
    stripe = FakeStripe()
    stripe_server, stripe_base = stripe.serve()
    with served(owner_url, FRONTDESK_RATE_LIMIT_PER_IP="0", FRONTDESK_RATE_LIMIT_PER_TENANT="0",
                STRIPE_API_KEY=stripe.api_key, STRIPE_API_BASE=stripe_base) as service:
        slug = f"smile-{uuid.uuid4().hex[:8]}"
        owner_email = f"owner@{slug}.example"
        created = httpx.post(f"{service.url}/v1/admin/tenants", timeout=30,
                             headers={"Authorization": "Bearer dev-admin-token"},
                             json={"name": "Bright Smile Clinic", "slug": slug,
                                   "admin_email": owner_email, "admin_password": PASSWORD})
        assert created.status_code == 201, created.text
        owner = service.login(slug, owner_email)
        clinic = Clinic(service, slug, owner_email, owner, "", stripe=stripe)
        clinic.api("POST", "/v1/users", json={"email": f"ana@{slug}.example",
                                              "password": PASSWORD, "roles": ["agent"],
                                              "display_name": "Ana"})
        clinic.agent = service.login(slug, f"ana@{slug}.example")

        for name in ("Nora New", "Ned Newman"):
            clinic.lead(name, f"{name.split()[0].lower()}@example.com")
        erin = clinic.lead("Erin Erase", "erin@example.com")
        clinic.erin = erin["contact_id"]
        called = clinic.lead("Carl Called", "carl@example.com")
        clinic.api("POST", f"/v1/leads/{called['id']}/contact",
                   json={"channel": "phone", "outcome": "reached"})
        lost = clinic.lead("Lou Lost", "lou@example.com")
        clinic.api("POST", f"/v1/leads/{lost['id']}/lose", json={"reason": "price"})
        won = clinic.lead("Quinn Quote", "quinn@example.com", source="referral")
        clinic.api("POST", f"/v1/leads/{won['id']}/qualify", json={"note": "wants it soon"})
        converted = clinic.api("POST", f"/v1/leads/{won['id']}/convert")
        clinic.case_id = converted["case_id"]
        deadline = time.monotonic() + 30  # the case opener is a policy: let it run
        while httpx.get(f"{service.url}/v1/cases/{clinic.case_id}", timeout=30, headers={
                "Authorization": f"Bearer {owner}"}).status_code != 200:
            assert time.monotonic() < deadline, "the converted lead's case never opened"
            time.sleep(0.2)
        path = f"/v1/cases/{clinic.case_id}"
        clinic.api("POST", f"{path}/quote", json=QUOTE)
        clinic.api("POST", f"{path}/accept")
        invoice = clinic.api("POST", f"{path}/invoices", json={
            "amount": 30000, "due_date": "2099-01-31", "description": "Deposit"})["invoice"]
        paid = clinic.api("POST", f"{path}/payments", json={
            "amount": 30000, "currency": "EUR", "method": "bank_transfer",
            "invoice_id": invoice["id"], "external_reference": f"BANK-{clinic.case_id}"})
        clinic.api("POST", f"{path}/refunds", json={"payment_id": paid["payment_id"],
                                                    "amount": 5000, "reason": "one session less"})
        clinic.api("POST", f"{path}/invoices", json={"due_date": "2099-02-28",
                                                     "description": "The rest"})
        yield clinic
    stripe_server.shutdown()


def column(page: Any, status: str) -> Any:
    return page.locator(f"[data-testid=column-{status}]")


def counts(page: Any) -> dict[str, str]:
    return {s: column(page, s).locator("[data-testid=count]").inner_text()
            for s in ("new", "contacted", "qualified", "converted", "lost")}


def fits_a_phone(page: Any, name: str) -> None:
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    screenshot(page, name)
    page.set_viewport_size(DESKTOP)


def test_an_owner_works_the_pipeline_a_case_and_a_privacy_request(
        clinic: Clinic, tmp_path: Path) -> None:
    url, stripe = clinic.service.url, clinic.stripe
    with chromium() as browser:
        page = browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
        console_login(page, url, clinic.slug, clinic.owner_email)
        page.wait_for_url(re.compile(r"/console/"))

        # The pipeline: a column per status with its count; the converted lead's open case
        # is the open value of its column (quoted EUR 575.50, the case not completed).
        page.click("header nav a:has-text('Pipeline')")
        page.wait_for_url(re.compile(r"/console/pipeline$"))
        shown = counts(page)
        assert shown == {s: str(clinic.leads(status=s)) for s in shown}
        assert shown | {"new": "3"} == {"new": "3", "contacted": "1", "qualified": "0",
                                        "converted": "1", "lost": "1"}  # the other test
        new = int(shown["new"])  # may have captured one more
        assert column(page, "converted").locator(
            "[data-testid=open-value]").inner_text().strip() == "EUR 575.50"
        assert "Quinn Quote" in column(page, "converted").inner_text()
        screenshot(page, "console-pipeline")
        fits_a_phone(page, "console-pipeline-phone")

        # Capture: an invalid email is refused on the form, with what was typed kept, and
        # nothing is stored; corrected, the lead appears in the New column.
        before = clinic.leads()
        page.click("a:has-text('Capture a lead')")
        page.fill("input[name=name]", "Paula Phone")
        page.fill("input[name=email]", "paula-at-example")
        page.fill("input[name=source]", "walk_in")
        page.click("form button:has-text('Capture')")
        error = page.wait_for_selector("[data-testid=form-error]", timeout=WAIT)
        assert "email" in error.inner_text()
        assert page.input_value("input[name=name]") == "Paula Phone"
        screenshot(page, "console-pipeline-capture-error")
        fits_a_phone(page, "console-pipeline-capture-error-phone")
        assert clinic.leads() == before
        page.fill("input[name=email]", "paula@example.com")
        page.click("form button:has-text('Capture')")
        page.wait_for_selector("[data-testid=captured]", timeout=WAIT)
        assert counts(page)["new"] == str(new + 1)
        assert "Paula Phone" in column(page, "new").inner_text()
        assert clinic.leads() == before + 1

        # The lead's timeline, from the event store.
        page.click("[data-testid=captured] a")
        timeline = page.wait_for_selector("[data-testid=timeline]", timeout=WAIT)
        assert "LeadCaptured" in timeline.inner_text() and "walk_in" in timeline.inner_text()
        page.goto(f"{url}/console/pipeline?status=converted")  # one column, a page of it
        assert [s.get_attribute("data-testid") for s in page.query_selector_all(
            "section.column")] == ["column-converted"]
        page.click("[data-testid=column-converted] a:has-text('Quinn Quote')")
        timeline = page.wait_for_selector("[data-testid=timeline]", timeout=WAIT)
        assert [t.split()[0] for t in timeline.inner_text().splitlines()
                if t.startswith("Lead")] == ["LeadConverted", "LeadQualified", "LeadCaptured"]
        screenshot(page, "console-pipeline-lead")
        fits_a_phone(page, "console-pipeline-lead-phone")

        # CSV import: a bad row is reported with its reason beside the accepted ones; a
        # malformed file imports nothing and names each line that is wrong.
        page.goto(f"{url}/console/pipeline/import")
        good = ("name,email,source\nIris Import,iris@example.com,fair\n"
                "Bad Row,not-an-email,fair\nIvan Import,ivan@example.com,fair\n")
        page.set_input_files("input[name=file]", files=[{
            "name": "fair.csv", "mimeType": "text/csv", "buffer": good.encode()}])
        page.click("form button:has-text('Import')")
        report = page.wait_for_selector("[data-testid=report]", timeout=WAIT)
        assert [page.inner_text(f"[data-testid={n}]") for n in ("accepted", "rejected")] == [
            "2", "1"]
        assert "rejected" in page.inner_text("[data-testid=row-3]")
        assert "email" in page.inner_text("[data-testid=row-3]")
        assert "accepted" in page.inner_text("[data-testid=row-2]")
        assert "fair.csv" in report.inner_text()
        screenshot(page, "console-pipeline-import")
        fits_a_phone(page, "console-pipeline-import-phone")
        assert clinic.leads() == before + 3
        malformed = ("name,email\nMia Malformed,mia@example.com\nToo,many@example.com,x\n"
                     "Max,max@example.com\nAlso,too@example.com,many,fields\n")
        page.set_input_files("input[name=file]", files=[{
            "name": "broken.csv", "mimeType": "text/csv", "buffer": malformed.encode()}])
        page.click("form button:has-text('Import')")
        refusal = page.wait_for_selector("[data-testid=malformed]", timeout=WAIT)
        assert "Nothing was imported" in refusal.inner_text()
        assert "more fields than the header" in page.inner_text("[data-testid=line-3]")
        assert "more fields than the header" in page.inner_text("[data-testid=line-5]")
        screenshot(page, "console-pipeline-import-malformed")
        assert clinic.leads() == before + 3  # not Mia, not Max

        # Cases: the list, then the case with its quote lines, invoice and payment; the
        # proposal downloads as a PDF.
        page.click("header nav a:has-text('Cases')")
        page.wait_for_url(re.compile(r"/console/cases$"))
        screenshot(page, "console-cases")
        fits_a_phone(page, "console-cases-phone")
        page.click("[data-testid=cases] a")
        lines = page.wait_for_selector("[data-testid=quote-lines]", timeout=WAIT)
        assert "Whitening session" in lines.inner_text() and "Check-up" in lines.inner_text()
        assert page.inner_text("[data-testid=quote-total]") == "EUR 575.50"
        payments = page.inner_text("[data-testid=payments]")
        assert "EUR 300.00" in payments and "EUR 50.00" in payments  # paid, then refunded
        assert "EUR 325.50" in page.inner_text("[data-testid=balance-due]")
        # Both invoices are due in part (the refund reopened the deposit): a button each.
        assert page.locator("[data-testid=payment-link]").count() == 2
        rest = "[data-testid=invoice]:has-text('The rest')"
        page.click(f"{rest} [data-testid=payment-link]")
        page.wait_for_selector(f"{rest} a:has-text('Payment page')", timeout=WAIT)
        link = page.get_attribute(f"{rest} a:has-text('Payment page')", "href")
        assert link is not None and link.startswith("https://checkout.stripe.test/")
        assert stripe is not None and len(stripe.calls("/v1/checkout/sessions")) == 1
        with page.expect_download(timeout=WAIT) as download:
            page.click("[data-testid=proposal]")
        pdf = tmp_path / "proposal.pdf"
        download.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        screenshot(page, "console-case")
        fits_a_phone(page, "console-case-phone")

        # Privacy: find Erin, download her export, then erase her (a confirmation first) and
        # keep the receipt.
        page.click("header nav a:has-text('Privacy')")
        page.fill("input[name=email]", "erin@example.com")
        page.click("form button:has-text('Find')")
        page.wait_for_selector("[data-testid=found]", timeout=WAIT)
        fits_a_phone(page, "console-privacy-search-phone")
        page.click("[data-testid=found] a:has-text('Erin Erase')")
        page.wait_for_url(re.compile(rf"/console/privacy/{clinic.erin}$"))
        screenshot(page, "console-privacy")
        fits_a_phone(page, "console-privacy-phone")
        with page.expect_download(timeout=WAIT) as download:
            page.click("[data-testid=export]")
        exported = tmp_path / "export.json"
        download.value.save_as(exported)
        document = json.loads(exported.read_text())
        assert "erin@example.com" in json.dumps(document)
        page.click("a:has-text('Erase this person')")
        page.click("[data-testid=erase]")  # the box not ticked: nothing happens
        assert "cannot be undone" in page.inner_text("[data-testid=form-error]")
        screenshot(page, "console-privacy-erase")
        fits_a_phone(page, "console-privacy-erase-phone")
        assert clinic.api("GET", f"/v1/contacts/{clinic.erin}")["email"] == "erin@example.com"
        page.check("input[name=confirm]")
        page.click("[data-testid=erase]")
        receipt = page.wait_for_selector("[data-testid=receipt]", timeout=WAIT)
        assert clinic.erin in receipt.inner_text() and "was erased" in receipt.inner_text()
        screenshot(page, "console-privacy-receipt")
        fits_a_phone(page, "console-privacy-receipt-phone")
        gone = httpx.get(f"{url}/v1/contacts/{clinic.erin}", timeout=30,
                         headers={"Authorization": f"Bearer {clinic.owner}"})
        assert gone.status_code == 404
        history = clinic.api("GET", f"/v1/contacts/{clinic.erin}/events")["items"]
        assert history[-1]["type"] == "ContactErased"


def test_an_agent_is_refused_what_the_api_refuses_and_forms_need_their_csrf_token(
        clinic: Clinic) -> None:
    url = clinic.service.url
    with httpx.Client(base_url=url, timeout=30, cookies={"fd_session": clinic.agent}) as web:
        board = web.get("/console/pipeline")
        assert board.status_code == 200 and "Import CSV" not in board.text
        assert 'href="/console/privacy"' not in board.text  # not in the agent's nav
        for path in ("/console/privacy", f"/console/privacy/{clinic.erin}/export",
                     "/console/pipeline/import"):
            refused = web.get(path)
            assert refused.status_code == 403, path
            assert "Not allowed" in refused.text and "your role" in refused.text
    api = httpx.post(f"{url}/v1/leads/import", content=b"name,email\nA,a@example.com\n",
                     timeout=30, headers={"Authorization": f"Bearer {clinic.agent}",
                                          "Content-Type": "text/csv"})
    assert api.status_code == 403  # the API refuses the same role, as problem+json still
    assert api.headers["content-type"].startswith("application/problem+json")
    before = clinic.leads()
    with httpx.Client(base_url=url, timeout=30) as web:
        form = web.get("/console/login").text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form)
        assert token is not None
        web.cookies.set("fd_session", clinic.owner)
        lead = {"name": "Forged", "email": "forged@example.com", "source": "web_form"}
        refused = web.post("/console/pipeline/capture", data=lead)  # no token
        assert refused.status_code == 403 and "Not allowed" in refused.text
        assert web.get("/v1/leads").status_code == 401  # the API never takes the cookie
        done = web.post("/console/pipeline/capture", data={**lead,
                                                           "_csrf_token": token.group(1)})
        assert done.status_code == 303 and "captured=" in done.headers["location"]
        missing = web.post(f"/console/privacy/{uuid.uuid4()}/erase",
                           data={"confirm": "erase", "_csrf_token": token.group(1)})
        assert missing.status_code == 404 and "nothing here" in missing.text
    assert clinic.leads() == before + 1


def test_the_columns_and_the_cases_are_paged_and_every_item_is_on_one_page(
        clinic: Clinic) -> None:
    url = clinic.service.url
    slug = f"busy-{uuid.uuid4().hex[:8]}"
    owner_email = f"owner@{slug}.example"
    assert httpx.post(f"{url}/v1/admin/tenants", timeout=30,
                      headers={"Authorization": "Bearer dev-admin-token"},
                      json={"name": "Busy Clinic", "slug": slug, "admin_email": owner_email,
                            "admin_password": PASSWORD}).status_code == 201
    busy = Clinic(clinic.service, slug, owner_email, clinic.service.login(slug, owner_email), "")
    names = [f"Person {n:02d}" for n in range(30)]
    rows = "".join(f"{name},p{n}@example.com\n" for n, name in enumerate(names))
    imported = busy.api("POST", "/v1/leads/import", content=f"name,email\n{rows}".encode(),
                        headers={"Content-Type": "text/csv"})
    assert imported["accepted"] == 30
    deadline = time.monotonic() + 30  # the lead list is a projection: let it catch up
    while not (listed := busy.api("GET", "/v1/leads", params={"limit": 1})["items"]):
        assert time.monotonic() < deadline, "the imported leads never showed"
        time.sleep(0.2)
    contact = listed[0]["contact_id"]
    titles = [f"Plan {n:02d}" for n in range(21)]
    for title in titles:
        busy.api("POST", "/v1/cases", json={"contact_id": contact, "kind": "treatment_plan",
                                            "title": title})
    with httpx.Client(base_url=url, timeout=30, cookies={"fd_session": busy.owner}) as web:
        deadline = time.monotonic() + 30  # the pages read projections: let them catch up
        while "Plan 20" not in web.get("/console/cases").text:
            assert time.monotonic() < deadline, "the cases never showed"
            time.sleep(0.2)
        board = web.get("/console/pipeline").text
        assert len(re.findall(r">Person \d\d<", board)) == 8  # the newest of the column
        assert 'href="/console/pipeline?status=new">All 30' in board

        def walk(path: str, pattern: str) -> list[list[str]]:
            pages, link = [], path
            while link:
                text = web.get(link.replace("&amp;", "&")).text
                pages.append(re.findall(pattern, text))
                more = re.search(r'href="([^"]+cursor=[^"]+)">Next page', text)
                link = more.group(1) if more else ""
            return pages

        leads = walk("/console/pipeline?status=new", r">(Person \d\d)<")
        assert [len(p) for p in leads] == [25, 5]
        assert sorted(n for p in leads for n in p) == names
        cases = walk("/console/cases", r">(Plan \d\d)<")
        assert [len(p) for p in cases] == [20, 1]
        assert sorted(t for p in cases for t in p) == titles
        assert web.get("/console/pipeline?status=won").status_code == 400
