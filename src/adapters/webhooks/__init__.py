"""Outbound webhooks' adapters: the target policy (SSRF), the signing HTTP sender, the
delivery queue in PostgreSQL and the payloads rendered from the log (ADR 0068)."""
