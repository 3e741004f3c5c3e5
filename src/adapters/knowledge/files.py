"""Reading an uploaded document's text: PDF (text extraction with pypdf), Markdown or plain
text. What a file is comes from its bytes, and its name must agree: a PNG named ``notes.txt``
and a PDF named ``notes.md`` are both refused. Nothing here stores anything; the caller adds
the text as a knowledge document, which splits it into passages as any document is split."""

from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from pypdf import PdfReader

log = logging.getLogger("frontdesk.knowledge")

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
"""The largest file taken (2 MiB); a larger one is refused (HTTP 413)."""
MAX_PDF_PAGES = 300
Kind = Literal["pdf", "markdown", "text"]
NAMES: dict[str, Kind] = {".pdf": "pdf", ".md": "markdown", ".markdown": "markdown",
                          ".txt": "text", ".text": "text"}
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f"}


class UnsupportedFile(ValueError):
    """Not a PDF, Markdown or plain-text file (HTTP 415)."""


class FileTooLarge(ValueError):
    """Over ``MAX_UPLOAD_BYTES`` (HTTP 413)."""


class UnreadableFile(ValueError):
    """Empty, damaged, encrypted, or with no text in it (HTTP 422)."""


@dataclass(frozen=True)
class DocumentText:
    kind: Kind
    text: str


def read_document(name: str | None, data: bytes, *,
                  max_bytes: int = MAX_UPLOAD_BYTES) -> DocumentText:
    """The text of an uploaded file, or the reason it cannot be taken."""
    if len(data) > max_bytes:
        raise FileTooLarge(f"the file is larger than the limit of {max_bytes:,} bytes")
    named = _kind_of_name(name)
    if not data.strip():
        raise UnreadableFile("the file is empty")
    kind: Kind = "pdf" if data.lstrip()[:5] == b"%PDF-" else (
        "text" if named in (None, "pdf") else named)
    if kind == "pdf":
        if named not in (None, "pdf"):
            raise UnsupportedFile("the file is named as text but is a PDF")
        text = _pdf_text(data)
    else:
        if named == "pdf":
            raise UnsupportedFile("the file is named .pdf but is not a PDF")
        text = _plain_text(data)
    if not text.strip():
        raise UnreadableFile("there is no text in the file" + (
            " (a scanned PDF has only images of text)" if kind == "pdf" else ""))
    return DocumentText(kind, text)


def _kind_of_name(name: str | None) -> Kind | None:
    if not name:
        return None
    suffix = PurePath(name).suffix.lower()
    if suffix not in NAMES:
        raise UnsupportedFile("only PDF, Markdown (.md) and plain-text (.txt) files are taken")
    return NAMES[suffix]


def _plain_text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnsupportedFile("the file is neither a PDF nor UTF-8 text") from None
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc"
                   and c not in _ALLOWED_CONTROLS)
    if controls:  # NUL and other control bytes: a binary file (an archive, an image…)
        raise UnsupportedFile("the file is neither a PDF nor text: it holds binary data")
    return text


def _pdf_text(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("the PDF is protected by a password")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise UnreadableFile(f"the PDF has more than {MAX_PDF_PAGES} pages")
        # Layout mode keeps the vertical gaps between paragraphs as blank lines, so the
        # passages follow the document's paragraphs as a typed text's do.
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except UnreadableFile:
        raise
    except Exception as damaged:  # a hostile or broken file: any parser error is a 422
        log.info("unreadable PDF: %s", damaged.__class__.__name__)
        raise UnreadableFile("the PDF is damaged or cannot be read") from None
    return "\n\n".join(p.replace("\x00", "") for p in pages if p.strip())
