"""Contacts: commands, handlers, snapshots and query ports."""

from application.contacts.commands import (
    ChangeContactConsent,
    ChangeContactDetails,
    RegisterContact,
)
from application.contacts.handlers import (
    ChangeContactConsentHandler,
    ChangeContactDetailsHandler,
    RegisterContactHandler,
)
from application.contacts.views import ContactQueries, ContactSnapshot, ContactView

__all__ = [
    "ChangeContactConsent",
    "ChangeContactConsentHandler",
    "ChangeContactDetails",
    "ChangeContactDetailsHandler",
    "ContactQueries",
    "ContactSnapshot",
    "ContactView",
    "RegisterContact",
    "RegisterContactHandler",
]
