"""The owner's Settings page in a real browser against a real `frontdesk serve`: an admin adds
a user and changes their roles, creates an API key and sees it once, edits the assistant's
settings (a bad value is named and nothing is saved), uploads a Markdown file and removes a
document, after which the API no longer finds its passages. A non-admin is refused, and a
form without the CSRF token changes nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.browser import DESKTOP, PHONE, chromium, console_login, screenshot
from tests.conftest import PASSWORD
from tests.serving import Served, served

WAIT = 30_000  # ms: a busy two-core machine runs the API, the runtime and the browser
HOURS = (b"# Opening hours\n\nWe are open Monday to Friday, 9:00 to 18:00.\n\n"
         b"## Emergencies\n\nFor a toothache call the emergency line on Saturdays.\n")


@dataclass
class Office:
    service: Served
    slug: str
    owner_email: str
    admin: str
    supervisor: str

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        return httpx.request(method, self.service.url + path, timeout=30, headers={
            "Authorization": f"Bearer {token or self.admin}"}, **kwargs)

    @contextmanager
    def console(self, token: str) -> Iterator[tuple[httpx.Client, str]]:
        """A browser-like client with a session of ``token`` and the page's CSRF token."""
        with httpx.Client(base_url=self.service.url, timeout=30,
                          cookies={"fd_session": token}) as web:
            found = re.search(r'name="_csrf_token" value="([^"]+)"',
                              web.get("/console/login").text)
            assert found is not None
            yield web, found.group(1)


@pytest.fixture(scope="module")
def office(owner_url: str) -> Iterator[Office]:
    with served(owner_url, FRONTDESK_RATE_LIMIT_PER_IP="0",
                FRONTDESK_RATE_LIMIT_PER_TENANT="0") as service:
        slug = f"clinic-{uuid.uuid4().hex[:8]}"
        owner = f"owner@{slug}.example"
        created = httpx.post(f"{service.url}/v1/admin/tenants", timeout=30,
                             headers={"Authorization": "Bearer dev-admin-token"},
                             json={"name": "Bright Smile Clinic", "slug": slug,
                                   "admin_email": owner, "admin_password": PASSWORD})
        assert created.status_code == 201, created.text
        admin = service.login(slug, owner)
        sam = f"sam@{slug}.example"
        made = httpx.post(f"{service.url}/v1/users", timeout=30,
                          headers={"Authorization": f"Bearer {admin}"},
                          json={"email": sam, "password": PASSWORD, "roles": ["supervisor"],
                                "display_name": "Sam"})
        assert made.status_code == 201, made.text
        yield Office(service, slug, owner, admin, service.login(slug, sam))


def search(office: Office, words: str) -> list[dict[str, Any]]:
    found = office.api("GET", "/v1/knowledge/search", params={"q": words})
    assert found.status_code == 200, found.text
    result: list[dict[str, Any]] = found.json()
    return result


def test_an_owner_manages_users_keys_the_assistant_and_the_knowledge_base(
        office: Office) -> None:
    dialogs: list[str] = []
    with chromium() as browser:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
        console_login(page, office.service.url, office.slug, office.owner_email)
        page.click("header nav a:has-text('Settings')", timeout=WAIT)
        page.wait_for_url(re.compile(r"/console/settings"))

        # A user, added with the supervisor role, given the analyst role too, then disabled.
        users = page.locator("#users")
        users.locator("summary:has-text('Add a user')").click()
        form = users.locator("[data-testid=add-user]")
        marta = f"marta@{office.slug}.example"
        form.locator("input[name=email]").fill(marta)
        form.locator("input[name=display_name]").fill("Marta Gil")
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("input[value=agent]").uncheck()
        form.locator("input[value=supervisor]").check()
        form.locator("button[type=submit]").click()
        row = page.locator(f"[data-testid='user-{marta}']")
        row.wait_for(timeout=WAIT)
        assert f"{marta} was added." in page.inner_text("#users")
        row.locator("input[value=analyst]").check()
        row.locator("button:has-text('Save roles')").click()
        page.locator("#users .notice:has-text('Roles changed.')").wait_for(timeout=WAIT)
        listed = {u["email"]: u for u in office.api("GET", "/v1/users").json()["items"]}
        assert sorted(listed[marta]["roles"]) == ["analyst", "supervisor"]
        page.locator(f"[data-testid='user-{marta}'] button:has-text('Disable')").click()
        page.locator(f"[data-testid='user-{marta}'] .pill:has-text('disabled')").wait_for(
            timeout=WAIT)
        assert office.api("GET", f"/v1/users/{listed[marta]['id']}").json()["disabled"] is True

        # An API key: shown once, works, is listed by its prefix only, and is revoked.
        keys = page.locator("#keys")
        keys.locator("summary:has-text('Create an API key')").click()
        keys.locator("input[name=name]").fill("website form")
        keys.locator("input[name=expires_in_days]").fill("90")
        keys.locator("[data-testid=add-key] button[type=submit]").click()
        key = page.locator("[data-testid=new-key] code").inner_text(timeout=WAIT).strip()
        assert key.startswith("fdk_")
        assert office.api("GET", "/v1/leads", token=key).status_code == 200
        screenshot(page, "console-settings-key")
        page.reload()
        assert key not in page.content()  # shown that once
        stored = office.api("GET", "/v1/api-keys").json()["items"][0]
        assert stored["last_used_at"] is not None and stored["expires_at"] is not None
        page.locator("[data-testid='key-website form'] button:has-text('Revoke')").click()
        page.locator("[data-testid='key-website form'] .pill:has-text('revoked')").wait_for(
            timeout=WAIT)
        assert office.api("GET", "/v1/leads", token=key).status_code == 401

        # The assistant: a value out of bounds is named beside the form and nothing is saved.
        assistant = page.locator("#assistant")
        assistant.locator("input[name=assistant_name]").fill("Sonia")
        assistant.locator("input[name=max_ai_turns]").fill("500")
        assistant.locator("input[name=min_confidence]").fill("lots")
        assistant.locator("button[type=submit]").click()
        errors = page.locator("[data-testid=assistant-errors]")
        errors.wait_for(timeout=WAIT)
        assert "Answers before a person takes over" in errors.inner_text()
        assert "Minimum confidence" in errors.inner_text()
        assert page.locator("#assistant input[name=max_ai_turns][aria-invalid=true]").count() == 1
        screenshot(page, "console-settings-errors")
        saved = office.api("GET", "/v1/assistant/settings").json()
        assert saved["max_ai_turns"] == 5 and saved.get("assistant_name") is None
        page.locator("#assistant input[name=max_ai_turns]").fill("3")
        page.locator("#assistant input[name=min_confidence]").fill("0.5")
        page.locator("#assistant textarea[name=persona]").fill("You are Sonia, of Bright Smile.")
        page.locator("#assistant textarea[name=rules]").fill("Never quote a price not listed.")
        page.locator("#assistant button[type=submit]").click()
        page.locator("#assistant .notice").wait_for(timeout=WAIT)
        saved = office.api("GET", "/v1/assistant/settings").json()
        assert (saved["assistant_name"], saved["max_ai_turns"], saved["min_confidence"]) == (
            "Sonia", 3, 0.5)
        assert saved["rules"] == ["Never quote a price not listed."]

        # Knowledge: a Markdown file is uploaded and split; a file that is not one is refused
        # with a message; a document typed in is edited, then removed.
        knowledge = page.locator("#knowledge")
        upload = knowledge.locator("[data-testid=upload-document]")
        upload.locator("input[name=file]").set_input_files(
            {"name": "hours.md", "mimeType": "text/markdown", "buffer": HOURS})
        upload.locator("button[type=submit]").click()
        page.locator("[data-testid='document-hours.md']:has-text('4 passages')").wait_for(
            timeout=WAIT)
        assert search(office, "toothache")[0]["title"] == "hours.md"
        upload = page.locator("[data-testid=upload-document]")
        upload.locator("input[name=file]").set_input_files(
            {"name": "logo.txt", "mimeType": "text/plain",
             "buffer": b"\x89PNG\r\n\x1a\n" + bytes(range(256))})
        upload.locator("button[type=submit]").click()
        refused = page.locator("[data-testid=knowledge-error]")
        refused.wait_for(timeout=WAIT)
        assert "logo.txt cannot be taken" in refused.inner_text()
        assert "nothing was stored" in refused.inner_text()

        typed = page.locator("[data-testid=add-document]")
        typed.locator("input[name=title]").fill("Prices")
        typed.locator("textarea[name=text]").fill("Root canal treatment costs 450 EUR.")
        typed.locator("button[type=submit]").click()
        prices = page.locator("[data-testid='document-Prices']")
        prices.locator("button:has-text('Edit')").click(timeout=WAIT)
        edit = page.locator("[data-testid=edit-document]")
        assert edit.locator("textarea[name=text]").input_value() == (
            "Root canal treatment costs 450 EUR.")
        edit.locator("input[name=title]").fill("Prices 2027")
        edit.locator("textarea[name=text]").fill("Root canal treatment costs 480 EUR.")
        edit.locator("button[type=submit]").click()
        page.locator("[data-testid='document-Prices 2027']").wait_for(timeout=WAIT)
        assert "480 EUR" in search(office, "canal")[0]["text"]
        screenshot(page, "console-settings")

        page.locator("[data-testid='document-Prices 2027'] button:has-text('Remove')").click()
        page.locator("#knowledge .notice:has-text('The document was removed.')").wait_for(
            timeout=WAIT)
        assert page.locator("[data-testid='document-Prices 2027']").count() == 0
        assert search(office, "canal") == []  # its passages are no longer retrieved
        assert search(office, "toothache")  # the other document's still are
        assert dialogs == ["Remove “Prices 2027”? The assistant will no longer use it."]

        page.set_viewport_size(PHONE)
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "console-settings-phone")


def test_a_non_admin_is_refused_the_page_and_its_forms(office: Office) -> None:
    with office.console(office.supervisor) as (web, csrf):
        assert "/console/settings" not in web.get("/console/wall").text  # no Settings entry
        refused = web.get("/console/settings")
        assert refused.status_code == 403
        assert "Only an admin" in refused.text
        email = f"eve@{office.slug}.example"
        added = web.post("/console/settings/users", headers={"x-csrftoken": csrf},
                         data={"email": email, "password": PASSWORD, "roles": "admin"})
        assert added.status_code == 403
        removed = web.post(f"/console/settings/knowledge/{uuid.uuid4()}/remove",
                           headers={"x-csrftoken": csrf})
        assert removed.status_code == 403
    emails = [u["email"] for u in office.api("GET", "/v1/users").json()["items"]]
    assert email not in emails


def test_a_settings_form_without_its_csrf_token_changes_nothing(office: Office) -> None:
    email = f"mallory@{office.slug}.example"
    form = {"email": email, "password": PASSWORD, "roles": "admin"}
    with office.console(office.admin) as (web, csrf):
        for headers in ({"x-csrftoken": "forged"}, {}):
            assert web.post("/console/settings/users", data=form,
                            headers=headers).status_code == 403
        assert email not in [u["email"] for u in office.api("GET", "/v1/users").json()["items"]]
        accepted = web.post("/console/settings/users", data=form, headers={"x-csrftoken": csrf})
        assert accepted.status_code == 200 and f"{email} was added." in accepted.text


def test_the_console_says_why_a_file_is_refused_and_stores_nothing(office: Office) -> None:
    files = [("big.txt", b"word " * (3 * 1024 * 1024 // 5), "larger than 2 MB"),
             ("empty.md", b"", "cannot be read: the file is empty"),
             ("scan.pdf", b"%PDF-1.4\nnot really", "cannot be read: the PDF is damaged"),
             ("photo.png", b"\x89PNG\r\n\x1a\n", "cannot be taken")]
    with office.console(office.admin) as (web, csrf):
        for name, content, message in files:
            answer = web.post("/console/settings/knowledge/files", headers={"x-csrftoken": csrf},
                              files={"file": (name, content)}, data={"title": ""})
            assert answer.status_code == 200, (name, answer.text)
            assert message in answer.text and "othing was stored" in answer.text, name
    sources = [d["source"] for d in office.api("GET", "/v1/knowledge").json()]
    assert not {name for name, _, _ in files} & set(sources)
