"""Contacts: the data subject behind leads, cases and conversations (SPEC §3.1)."""

from domain.contacts.contact import CONSENT_CHANNELS, Contact

__all__ = ["CONSENT_CHANNELS", "Contact"]
