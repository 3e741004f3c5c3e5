"""POSTs signed deliveries (Standard Webhooks, with the ``standardwebhooks`` library).

Each attempt resolves the target again and checks every address (``UrlTargets``), then
connects to the checked address itself, with the name in ``Host`` and in TLS (SNI and
certificate check): what was checked is what is called, so a name that rebinds to an internal
address between the check and the connection cannot slip through. Connections are not kept
alive (a pooled connection to one name could otherwise carry a request for another name on
the same address); redirects are not followed (a 3xx is a failure, like any non-2xx); the
answer's body is never read; proxies from the environment are ignored.
"""

from __future__ import annotations

from math import floor

import httpx
from standardwebhooks.webhooks import Webhook

from adapters.webhooks.targets import UrlTargets
from application.webhooks.ports import Attempt, Message, TargetRefused

USER_AGENT = "Frontdesk-Webhooks/1"


def signed_headers(message: Message) -> dict[str, str]:
    """The three Standard Webhooks headers of ``message``."""
    signature = Webhook(message.secret).sign(msg_id=message.id, timestamp=message.timestamp,
                                             data=message.body)
    return {"webhook-id": message.id,
            "webhook-timestamp": str(floor(message.timestamp.timestamp())),
            "webhook-signature": signature}


class HttpWebhookSender:
    def __init__(self, targets: UrlTargets, *, timeout: float) -> None:
        self._targets = targets
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=0),
            headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self._client.close()

    def send(self, url: str, message: Message) -> Attempt:
        try:
            target = self._targets.target(url)
        except TargetRefused as refused:
            return Attempt(None, refused.message.removeprefix("url: "))
        parts = httpx.URL(url)
        pinned = parts.copy_with(host=target.addresses[0].split("%", 1)[0])
        default = 443 if target.scheme == "https" else 80
        headers = {"Host": target.host if target.port == default
                   else f"{target.host}:{target.port}",
                   "Content-Type": "application/json", **signed_headers(message)}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            with self._client.stream("POST", pinned, content=message.body, headers=headers,
                                     extensions=extensions) as response:
                return Attempt(response.status_code)
        except httpx.TimeoutException:
            return Attempt(None, "timed out")
        except httpx.HTTPError as error:
            return Attempt(None, f"no answer ({error.__class__.__name__})")
