"""Reading uploaded documents (the adapter behind ``POST /v1/knowledge/files``): what a file
is comes from its bytes and its name must agree; a PDF's paragraphs survive extraction."""

from __future__ import annotations

import pytest
from fpdf import FPDF

from adapters.knowledge.files import (
    FileTooLarge,
    UnreadableFile,
    UnsupportedFile,
    read_document,
)
from domain.knowledge import chunk_text


def pdf(*paragraphs: str, password: str | None = None) -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=12)
    for paragraph in paragraphs:
        document.multi_cell(0, 8, paragraph)
        document.ln(8)
    if password is not None:
        document.set_encryption(owner_password=password, user_password=password)
    return bytes(document.output())


def test_a_pdfs_paragraphs_become_passages_as_a_typed_texts_do() -> None:
    read = read_document("prices.pdf", pdf("Whitening costs 300 EUR.", "We open at 9."))
    assert read.kind == "pdf"
    assert chunk_text(read.text) == ["Whitening costs 300 EUR.", "We open at 9."]


def test_markdown_and_text_are_read_as_utf8_with_or_without_a_bom() -> None:
    assert read_document("a.md", "# Título\n\nÑandú".encode()).text == "# Título\n\nÑandú"
    assert read_document("a.txt", b"\xef\xbb\xbfhello").text == "hello"
    assert read_document(None, b"no name").kind == "text"


@pytest.mark.parametrize(("name", "data", "error"), [
    ("a.docx", b"text", UnsupportedFile),  # a name that is no document of ours
    ("a.txt", b"\x89PNG\r\n\x1a\n\x00\x00", UnsupportedFile),
    ("a.txt", "ok".encode("utf-16"), UnsupportedFile),  # not UTF-8
    ("a.md", b"%PDF-1.7\n", UnsupportedFile),  # a PDF by its bytes, text by its name
    ("a.pdf", b"plain words", UnsupportedFile),
    ("a.txt", b"x" * 21, FileTooLarge),
    ("a.txt", b"", UnreadableFile),
    ("a.pdf", b"%PDF-1.4 garbage", UnreadableFile),
])
def test_what_cannot_be_taken_says_why(name: str, data: bytes, error: type) -> None:
    with pytest.raises(error):
        read_document(name, data, max_bytes=20)


def test_a_pdf_behind_a_password_or_without_text_is_unreadable() -> None:
    with pytest.raises(UnreadableFile, match="password"):
        read_document("secret.pdf", pdf("Hidden.", password="s3cret"))
    with pytest.raises(UnreadableFile, match="no text"):
        read_document("scan.pdf", pdf())
