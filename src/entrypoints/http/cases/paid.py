"""Where Stripe Checkout sends a customer back after paying (``success_url``, by default
``FRONTDESK_PUBLIC_URL/paid``): a thank-you page. It shows nothing of any case or invoice and
echoes nothing of the request: the payment itself is recorded from Stripe's signed webhook,
never from this visit (ADR 0085)."""

from __future__ import annotations

from litestar import Controller, Response, get

PAGE = b"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Thank you</title>
</head>
<body>
  <main>
    <h1>Thank you</h1>
    <p>Your payment was sent. You will receive a receipt by email, and the business you paid
    sees the payment as soon as the payment provider confirms it.</p>
    <p>You can close this page.</p>
  </main>
</body>
</html>
"""


class PaidController(Controller):
    path = "/paid"
    opt = {"public": True}
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def paid(self) -> Response[bytes]:
        return Response(PAGE, media_type="text/html; charset=utf-8")
