"""Contacts: commands, handlers, snapshots and query ports."""

from application.contacts.commands import (
    ChangeContactConsent,
    ChangeContactDetails,
    RegisterContact,
)
from application.contacts.handlers import command_handlers
from application.contacts.views import ContactQueries, ContactSnapshot, ContactView

__all__ = [
    "ChangeContactConsent",
    "ChangeContactDetails",
    "ContactQueries",
    "ContactSnapshot",
    "ContactView",
    "RegisterContact",
    "command_handlers",
]
