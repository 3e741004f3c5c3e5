"""Email over SMTP (the standard library's smtplib) to a configurable server.

Each message gets a Message-ID derived from its Frontdesk id, so a resend after a crash (SMTP
cannot be asked whether it got a message) carries the same Message-ID and mail systems collapse
the duplicate; In-Reply-To and References keep the customer's thread."""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate

import pybreaker

from adapters.metrics import OUTBOX_SENT
from adapters.resilience import VendorCircuits
from application.conversations.ports import (
    DeliveryRefused,
    OutboundMessage,
    Receipt,
    TransportUnavailable,
)


def message_id_for(message: OutboundMessage, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "frontdesk.invalid"
    return f"{message.message_id}@{domain}"


class SmtpMessaging:
    name = "smtp"
    channels = frozenset({"email"})

    def __init__(self, *, host: str, port: int, user: str | None, password: str | None,
                 sender: str, timeout: float, starttls: bool = False, fail_max: int = 5,
                 reset_timeout: float = 30.0, circuits: VendorCircuits | None = None) -> None:
        self._host, self._port, self._user, self._password = host, port, user, password
        self._sender, self._timeout, self._starttls = sender, timeout, starttls
        self.breaker = (circuits or VendorCircuits()).breaker(
            "smtp", fail_max=fail_max, reset_timeout=reset_timeout, exclude=[DeliveryRefused])

    def build(self, message: OutboundMessage) -> EmailMessage:
        sender = message.sender or self._sender
        email = EmailMessage()
        email["From"] = sender
        email["To"] = message.to
        email["Subject"] = message.subject or "Your enquiry"
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<{message_id_for(message, sender)}>"
        if message.in_reply_to:
            email["In-Reply-To"] = f"<{message.in_reply_to}>"
            email["References"] = f"<{message.in_reply_to}>"
        email.set_content(message.body)
        return email

    def send(self, message: OutboundMessage) -> Receipt:
        email = self.build(message)
        try:
            self.breaker.guard(lambda: self._deliver(email))
        except pybreaker.CircuitBreakerError as error:
            OUTBOX_SENT.labels(self.name, "unavailable").inc()
            raise TransportUnavailable("smtp circuit is open") from error
        OUTBOX_SENT.labels(self.name, "sent").inc()
        return Receipt(external_id=str(email["Message-ID"]).strip("<>"))

    def _deliver(self, email: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls()
                if self._user:
                    smtp.login(self._user, self._password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryRefused("the mail server refused the recipient") from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise DeliveryRefused(f"the mail server refused ({error.smtp_code})") from error
            raise TransportUnavailable(f"the mail server answered {error.smtp_code}") from error
        except (OSError, smtplib.SMTPException) as error:
            raise TransportUnavailable(f"smtp unreachable ({type(error).__name__})") from error

    def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        return None  # SMTP cannot be asked; the stable Message-ID makes a resend collapse
