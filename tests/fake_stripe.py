"""A local fake of the Stripe API, speaking its wire format for what Frontdesk calls:
form-encoded POSTs with bracketed nested keys, Bearer secret keys, Idempotency-Key replay,
JSON objects and Stripe-shaped errors. It keeps state (checkout sessions, payment intents,
charges, refunds) so a test can "pay" a session and get the events Stripe would send, and it
can fail on demand (5xx, before or after doing the work) or time out (``stall``) to exercise
retries and the breaker.

``sign`` builds a Stripe-Signature header the way Stripe does: ``t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<payload>" keyed with the endpoint secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` -> {"a": {"b": [{"c": "v"}]}} (Stripe's form encoding)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = None if last else parts[index + 1]
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append({} if following is not None and not following.isdigit() else [])
                if last:
                    node[position] = value
                else:
                    node = node[position]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if following and following.isdigit() else {})
    return root


def _id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(8)}"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]


@dataclass
class FakeStripe:
    api_key: str = "sk_test_frontdesk_fake"
    requests: list[Received] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[tuple[int, bool]] = field(default_factory=list)
    stall: float = 0.0
    """Hold each request this long, then hang up without an answer (a timeout)."""
    idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- test controls ------------------------------------------------------------------------

    def fail_next(self, count: int = 1, status: int = 500, *, after_work: bool = False) -> None:
        """The next ``count`` API calls answer ``status``; ``after_work``: having done it."""
        self.failures.extend([(status, after_work)] * count)

    def calls(self, path_prefix: str) -> list[Received]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def pay(self, session_id: str) -> tuple[str, str]:
        """The customer pays the checkout session: a payment intent and its charge exist."""
        with self.lock:
            session = self.sessions[session_id]
            metadata = dict(session.get("payment_intent_data", {}).get("metadata", {}))
            intent, charge = _id("pi"), _id("ch")
            self.intents[intent] = {
                "id": intent, "object": "payment_intent", "amount": session["amount_total"],
                "amount_received": session["amount_total"], "currency": session["currency"],
                "status": "succeeded", "metadata": metadata, "latest_charge": charge}
            self.charges[charge] = {
                "id": charge, "object": "charge", "amount": session["amount_total"],
                "amount_refunded": 0, "currency": session["currency"], "paid": True,
                "refunded": False, "payment_intent": intent, "metadata": metadata,
                "refunds": {"object": "list", "data": [], "has_more": False}}
            session.update(status="complete", payment_status="paid", payment_intent=intent)
            return intent, charge

    def event(self, kind: str, obj: dict[str, Any]) -> bytes:
        return json.dumps({
            "id": _id("evt"), "object": "event", "api_version": "2024-06-20",
            "created": int(time.time()), "type": kind, "livemode": False,
            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(obj))}}).encode()

    def refund_outside(self, charge_id: str, amount: int) -> str:
        """A refund made in the Stripe dashboard (not through Frontdesk)."""
        with self.lock:
            return self._refund(self.charges[charge_id], amount, {})

    # -- the API ------------------------------------------------------------------------------

    def _refund(self, charge: dict[str, Any], amount: int, metadata: dict[str, Any]) -> str:
        refund_id = _id("re")
        refund = {"id": refund_id, "object": "refund", "amount": amount,
                  "currency": charge["currency"], "charge": charge["id"],
                  "payment_intent": charge["payment_intent"], "status": "succeeded",
                  "metadata": metadata, "reason": None}
        self.refunds[refund_id] = refund
        charge["refunds"]["data"].insert(0, refund)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return refund_id

    def handle(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        if method == "POST" and path == "/v1/checkout/sessions":
            line = params["line_items"][0]
            amount = int(line["price_data"]["unit_amount"]) * int(line.get("quantity", 1))
            session_id = _id("cs")
            session = {"id": session_id, "object": "checkout.session", "mode": params["mode"],
                       "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                       "amount_total": amount, "currency": line["price_data"]["currency"],
                       "status": "open", "payment_status": "unpaid", "payment_intent": None,
                       "metadata": params.get("metadata", {}),
                       "client_reference_id": params.get("client_reference_id"),
                       "success_url": params.get("success_url"),
                       "payment_intent_data": params.get("payment_intent_data", {})}
            self.sessions[session_id] = session
            return 200, {k: v for k, v in session.items() if k != "payment_intent_data"}
        if method == "POST" and path == "/v1/refunds":
            intent = self.intents.get(params.get("payment_intent", ""))
            if intent is None:
                return 404, {"error": {"type": "invalid_request_error", "code":
                                       "resource_missing", "message": "No such payment_intent"}}
            charge = self.charges[intent["latest_charge"]]
            amount = int(params.get("amount", charge["amount"] - charge["amount_refunded"]))
            if amount > charge["amount"] - charge["amount_refunded"]:
                return 400, {"error": {"type": "invalid_request_error",
                                       "code": "charge_already_refunded",
                                       "message": "Refund amount exceeds the charge"}}
            refund_id = self._refund(charge, amount, params.get("metadata", {}))
            return 200, self.refunds[refund_id]
        if method == "GET" and path.startswith("/v1/payment_intents/"):
            intent = self.intents.get(path.rsplit("/", 1)[1])
            if intent is None:
                return 404, {"error": {"type": "invalid_request_error",
                                       "code": "resource_missing",
                                       "message": "No such payment_intent"}}
            return 200, intent
        return 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized URL"}}

    # -- the server ---------------------------------------------------------------------------

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Request-Id", _id("req"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else url.query
                params = _nested(parse_qsl(raw, keep_blank_values=True))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake.lock:
                    fake.requests.append(Received(method, url.path, headers, params))
                    stall = fake.stall
                if stall:
                    time.sleep(stall)
                    self.close_connection = True
                    return None
                with fake.lock:
                    if headers.get("authorization") != f"Bearer {fake.api_key}":
                        return self._answer(401, {"error": {
                            "type": "invalid_request_error",
                            "message": "Invalid API Key provided"}})
                    failure = fake.failures.pop(0) if fake.failures else None
                    key = headers.get("idempotency-key")
                    if failure is not None and not failure[1]:
                        return self._answer(failure[0], {"error": {
                            "type": "api_error", "message": "Stripe is having a bad day"}})
                    if method == "POST" and key and key in fake.idempotent:
                        status, body = fake.idempotent[key]
                    else:
                        status, body = fake.handle(method, url.path, params)
                        if method == "POST" and key:
                            fake.idempotent[key] = (status, body)
                    if failure is not None:
                        return self._answer(failure[0], {"error": {
                            "type": "api_error", "message": "Stripe is having a bad day"}})
                return self._answer(status, body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"
