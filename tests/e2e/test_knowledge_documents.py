"""Knowledge-base documents over HTTP: uploaded as PDF, Markdown or text, split into passages
as a typed document is, and retrievable; revised and removed, after which their passages are
no longer found. A file that is not a document, too large, or empty is refused with nothing
stored; another tenant cannot remove a document."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

from tests.conftest import TenantSession

PDF_TEXT = ("Root canal treatment costs 450 EUR and takes two visits.\n\n"
            "Parking is free behind the clinic on Calle Mayor.")
MARKDOWN = ("# Opening hours\n\nWe are open Monday to Friday, 9:00 to 18:00.\n\n"
            "## Emergencies\n\nFor a toothache call the emergency line on Saturdays.\n")
TEXT = "Implants come with a ten year guarantee.\n\nPayment in twelve instalments is possible."


def pdf_of(text: str) -> bytes:
    """A small real PDF, made with the library that writes the proposal PDFs (fpdf2)."""
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=12)
    for paragraph in text.split("\n\n"):
        document.multi_cell(0, 8, paragraph)
        document.ln(8)
    return bytes(document.output())


def upload(session: TenantSession, name: str, content: bytes,
           title: str | None = None, **headers: str) -> Any:
    data = {"title": title} if title is not None else {}
    return session.post("/v1/knowledge/files", files={"file": (name, content)}, data=data,
                        headers=headers)


def search(session: TenantSession, words: str, position: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = session.read("/v1/knowledge/search", position,
                                               params={"q": words}).json()
    return found


def documents(session: TenantSession, position: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = session.read("/v1/knowledge", position).json()
    return listed


def test_pdf_markdown_and_text_files_are_split_into_retrievable_passages(
        tenant: TenantSession) -> None:
    stored = {}
    for name, content, words in (("prices.pdf", pdf_of(PDF_TEXT), "canal"),
                                 ("hours.md", MARKDOWN.encode(), "toothache"),
                                 ("implants.txt", TEXT.encode(), "guarantee")):
        answer = upload(tenant, name, content)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["source"] == name and body["title"] == name and body["passages"] >= 2
        stored[name] = body
        found = search(tenant, words, answer.headers["x-frontdesk-position"])
        assert found and found[0]["ref"].startswith(body["id"] + "#")
        assert words in found[0]["text"].lower()
    # The same splitting as a typed document: Markdown's paragraphs are its passages.
    typed = tenant.post("/v1/knowledge", json={"title": "typed", "text": MARKDOWN})
    assert typed.json()["passages"] == stored["hours.md"]["passages"] == 4
    titled = upload(tenant, "notes.txt", TEXT.encode(), title="Implants FAQ")
    assert titled.json()["title"] == "Implants FAQ"


def test_removing_a_document_takes_its_passages_out_of_retrieval_and_is_idempotent(
        tenant: TenantSession) -> None:
    kept = upload(tenant, "hours.md", MARKDOWN.encode()).json()
    gone = upload(tenant, "prices.pdf", pdf_of(PDF_TEXT))
    document = gone.json()["id"]
    assert search(tenant, "canal", gone.headers["x-frontdesk-position"])

    removed = tenant.client.delete(f"/v1/knowledge/{document}", headers=tenant.headers)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"id": document, "removed": True, "version": 2,
                              "already_removed": False}
    position = removed.headers["x-frontdesk-position"]
    assert search(tenant, "canal", position) == []
    assert search(tenant, "toothache", position)  # the other document is still found
    assert [d["id"] for d in documents(tenant, position)] == [kept["id"]]

    again = tenant.client.delete(f"/v1/knowledge/{document}", headers=tenant.headers)
    assert again.status_code == 200, again.text
    assert again.json()["already_removed"] is True and again.json()["version"] == 2
    missing = tenant.client.delete("/v1/knowledge/7f1c9a4e-6b9d-4c0e-9a57-0d8c1b2e4f61",
                                   headers=tenant.headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_revising_a_document_replaces_its_passages(tenant: TenantSession) -> None:
    added = tenant.post("/v1/knowledge", json={"title": "Prices", "text": PDF_TEXT}).json()
    revised = tenant.client.put(f"/v1/knowledge/{added['id']}", headers=tenant.headers,
                                json={"title": "Prices 2027",
                                      "text": "Whitening costs 280 EUR from January."})
    assert revised.status_code == 200, revised.text
    assert (revised.json()["passages"], revised.json()["version"]) == (1, 2)
    position = revised.headers["x-frontdesk-position"]
    assert search(tenant, "canal", position) == []
    assert search(tenant, "whitening", position)[0]["title"] == "Prices 2027"
    tenant.client.delete(f"/v1/knowledge/{added['id']}", headers=tenant.headers)
    late = tenant.client.put(f"/v1/knowledge/{added['id']}", headers=tenant.headers,
                             json={"title": "Prices", "text": "Too late."})
    assert late.status_code == 409


def test_bad_files_are_refused_with_a_problem_and_nothing_is_stored(
        tenant: TenantSession) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    zip_named_text = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64
    cases = [
        ("logo.png", png, 415, "unsupported-media-type"),
        ("notes.txt", png, 415, "unsupported-media-type"),  # the name lies
        ("notes.txt", zip_named_text, 415, "unsupported-media-type"),
        ("prices.pdf", MARKDOWN.encode(), 415, "unsupported-media-type"),  # not a PDF inside
        ("prices.md", pdf_of(PDF_TEXT), 415, "unsupported-media-type"),  # a PDF named .md
        ("huge.txt", b"word " * (2 * 1024 * 1024 // 5 + 10), 413, "too-large"),
        ("empty.txt", b"", 422, "unreadable-file"),
        ("blank.md", b"  \n\n  ", 422, "unreadable-file"),
        ("broken.pdf", b"%PDF-1.4\n this is not really a PDF", 422, "unreadable-file"),
        ("blank.pdf", pdf_of(""), 422, "unreadable-file"),  # a page with no text
    ]
    for name, content, status, kind in cases:
        answer = upload(tenant, name, content)
        assert answer.status_code == status, (name, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json"), name
        assert answer.json()["type"] == f"https://frontdesk.dev/problems/{kind}", name
        assert answer.json()["detail"], name
    listed = tenant.get("/v1/knowledge")
    assert listed.status_code == 200 and listed.json() == []


def test_another_tenant_cannot_remove_a_document_nor_find_it(
        tenant: TenantSession, other_tenant: TenantSession) -> None:
    added = upload(tenant, "hours.md", MARKDOWN.encode())
    document = added.json()["id"]
    refused = other_tenant.client.delete(f"/v1/knowledge/{document}",
                                         headers=other_tenant.headers)
    assert refused.status_code == 404
    assert search(tenant, "toothache", added.headers["x-frontdesk-position"])
    assert [d["id"] for d in documents(tenant, added.headers["x-frontdesk-position"])] == [
        document]


def test_only_admins_and_supervisors_upload_revise_or_remove(tenant: TenantSession) -> None:
    document = upload(tenant, "hours.md", MARKDOWN.encode()).json()["id"]
    made = tenant.post("/v1/users", json={"email": "agent@example.com", "password": "x" * 12,
                                          "roles": ["agent"]})
    assert made.status_code == 201, made.text
    login = tenant.client.post("/v1/auth/login", json={
        "tenant": tenant.slug, "email": "agent@example.com", "password": "x" * 12})
    agent = TenantSession(tenant.id, tenant.slug, login.json()["access_token"], tenant.client)
    assert upload(agent, "more.md", MARKDOWN.encode()).status_code == 403
    assert agent.client.delete(f"/v1/knowledge/{document}",
                               headers=agent.headers).status_code == 403
    assert agent.client.put(f"/v1/knowledge/{document}", headers=agent.headers,
                            json={"title": "x", "text": "y"}).status_code == 403
