"""Outbound messaging: Twilio (SMS, WhatsApp), SMTP (email), log-only; the outbox runner."""

__all__: list[str] = []
