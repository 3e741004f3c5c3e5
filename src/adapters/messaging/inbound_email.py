"""Raw MIME (RFC 5322) to an inbound message, with the standard library's email parser: the
sender, subject, Message-ID, the thread (In-Reply-To and References) and the new text (the quoted
earlier mail cut off)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser

_ID = re.compile(r"<([^<>\s]+)>")
_QUOTE_HEADER = re.compile(r"^\s*On .{3,200} wrote:\s*$")


class MalformedEmail(ValueError):
    """The body is not an email this service can read (HTTP 400)."""


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    sender: str
    sender_name: str | None
    recipient: str | None
    subject: str | None
    message_id: str | None
    thread_ids: tuple[str, ...]
    text: str


def message_ids(header: str | None) -> list[str]:
    return _ID.findall(header or "")


def parse_email(raw: bytes) -> ParsedEmail:
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # the parser raises many kinds on garbage
        raise MalformedEmail("the body is not a MIME message") from error
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    if "@" not in address:
        raise MalformedEmail("the message has no From address")
    _, recipient = parseaddr(str(message.get("To", "")))
    ids = message_ids(str(message.get("Message-ID", "")))
    thread = message_ids(str(message.get("References", ""))) + \
        message_ids(str(message.get("In-Reply-To", "")))
    text = _new_text(_text_of(message))
    if not text:
        raise MalformedEmail("the message has no text")
    subject = str(message.get("Subject", "")).strip() or None
    return ParsedEmail(sender=address, sender_name=name or None, recipient=recipient or None,
                       subject=subject[:500] if subject else None,
                       message_id=ids[0] if ids else None,
                       thread_ids=tuple(dict.fromkeys(thread)), text=text[:10_000])


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError) as error:
        raise MalformedEmail("the text part cannot be decoded") from error
    if part.get_content_subtype() == "html":
        return _HtmlText.text_of(str(content))
    return str(content)


def _new_text(text: str) -> str:
    """The customer's new words: stop at the quoted earlier message."""
    kept: list[str] = []
    for line in text.splitlines():
        if line.startswith(">") or _QUOTE_HEADER.match(line):
            break
        kept.append(line)
    return "\n".join(kept).strip()


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    @classmethod
    def text_of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return re.sub(r"\n\s*\n+", "\n\n", "".join(parser.parts)).strip()
