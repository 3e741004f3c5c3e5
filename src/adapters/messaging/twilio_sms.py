"""SMS and WhatsApp over the official Twilio SDK, against TWILIO_API_BASE (a sandbox or a local
fake in tests). Status callbacks come back to this tenant's webhook with the conversation and
message ids in the (signed) URL.

No retry inside a send: a timeout may hide an accepted message, so the outbox records the
attempt first and, before any resend, asks Twilio for messages to that number since the attempt
(``find_sent``, a read, which is retried). A circuit breaker stops calls while Twilio is down.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import pybreaker
import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from adapters.metrics import OUTBOX_SENT
from adapters.resilience import VendorCircuits
from application.conversations.ports import (
    DeliveryRefused,
    OutboundMessage,
    Receipt,
    TransportUnavailable,
)
from domain.conversations import Delivery

_STATUS = {"accepted": Delivery.SENT, "queued": Delivery.SENT, "sending": Delivery.SENT,
           "sent": Delivery.SENT, "delivered": Delivery.DELIVERED, "read": Delivery.READ,
           "undelivered": Delivery.UNDELIVERED, "failed": Delivery.FAILED}


def delivery_of(twilio_status: str | None) -> Delivery | None:
    return _STATUS.get((twilio_status or "").lower())


class TwilioMessaging:
    name = "twilio"
    channels = frozenset({"sms", "whatsapp"})

    def __init__(self, *, account_sid: str, auth_token: str, api_base: str | None,
                 timeout: float, public_url: str | None,
                 tenant_slug: Callable[[UUID], str | None], fail_max: int = 5,
                 reset_timeout: float = 30.0, circuits: VendorCircuits | None = None) -> None:
        self._client = Client(account_sid, auth_token,
                              http_client=TwilioHttpClient(timeout=timeout))
        if api_base:
            self._client.api.base_url = api_base.rstrip("/")
        self._public_url = (public_url or "").rstrip("/")
        self._slug = tenant_slug
        self.breaker = (circuits or VendorCircuits()).breaker(
            "twilio", fail_max=fail_max, reset_timeout=reset_timeout, exclude=[DeliveryRefused])

    def _address(self, channel: str, number: str | None) -> str | None:
        if number is None:
            return None
        if channel == "whatsapp" and not number.startswith("whatsapp:"):
            return f"whatsapp:{number}"
        return number

    def _callback(self, message: OutboundMessage) -> str | None:
        slug = self._slug(message.tenant_id) if self._public_url else None
        if not slug:
            return None
        query = urlencode({"frontdesk_conversation": str(message.conversation_id),
                           "frontdesk_message": str(message.message_id)})
        return f"{self._public_url}/v1/webhooks/twilio/{slug}/messages?{query}"

    def send(self, message: OutboundMessage) -> Receipt:
        sender = self._address(message.channel, message.sender)
        if not sender:
            raise DeliveryRefused(f"no {message.channel} sender number is configured")
        params: dict[str, Any] = {"to": self._address(message.channel, message.to),
                                  "from_": sender, "body": message.body}
        callback = self._callback(message)
        if callback:
            params["status_callback"] = callback
        try:
            created = self.breaker.guard(lambda: self._create(params))
        except pybreaker.CircuitBreakerError as error:
            OUTBOX_SENT.labels(self.name, "unavailable").inc()
            raise TransportUnavailable("twilio circuit is open") from error
        OUTBOX_SENT.labels(self.name, "sent").inc()
        return Receipt(external_id=created.sid, status=delivery_of(created.status) or Delivery.SENT)

    def _create(self, params: dict[str, Any]) -> Any:
        try:
            return self._client.messages.create(**params)
        except TwilioRestException as error:
            if error.status == 429 or error.status >= 500:
                raise TransportUnavailable(f"twilio answered {error.status}") from error
            OUTBOX_SENT.labels(self.name, "refused").inc()
            raise DeliveryRefused(f"twilio refused the message ({error.code or error.status})"
                                  ) from error
        except (requests.RequestException, TwilioException) as error:
            raise TransportUnavailable(f"twilio unreachable ({type(error).__name__})") from error

    def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        """A message with this body to this number from our number, sent since the attempt."""
        to = self._address(message.channel, message.to)
        sender = self._address(message.channel, message.sender)
        try:
            for attempt in Retrying(stop=stop_after_attempt(3), wait=wait_exponential(0.2, 2),
                                    retry=retry_if_exception_type(TransportUnavailable),
                                    reraise=True):
                with attempt:
                    found = self.breaker.guard(
                        lambda: self._list(to, sender, since - timedelta(minutes=1)))
        except pybreaker.CircuitBreakerError as error:
            raise TransportUnavailable("twilio circuit is open") from error
        for sent in found:
            if sent.body == message.body:
                return Receipt(external_id=sent.sid,
                               status=delivery_of(sent.status) or Delivery.SENT)
        return None

    def _list(self, to: str | None, sender: str | None, since: datetime) -> list[Any]:
        try:
            return list(self._client.messages.list(to=to, from_=sender, date_sent_after=since,
                                                   limit=50))
        except TwilioRestException as error:
            raise TransportUnavailable(f"twilio answered {error.status}") from error
        except (requests.RequestException, TwilioException) as error:
            raise TransportUnavailable(f"twilio unreachable ({type(error).__name__})") from error
