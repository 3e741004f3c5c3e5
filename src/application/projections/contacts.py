"""The contacts read model: one row per live contact (erased contacts are purged)."""

from __future__ import annotations

from application.projections.base import Projection, ViewRows, by_originator
from domain.contacts import Contact

TABLE = "contacts"


class ContactsProjection(Projection):
    name = "contacts"
    version = 1
    tables = (TABLE,)

    def __init__(self) -> None:
        super().__init__()
        keys = by_originator(TABLE)
        self.on(Contact.ContactRegistered, self._registered, keys)
        self.on(Contact.ContactDetailsChanged, self._details_changed, keys)
        self.on(Contact.ContactConsentChanged, self._consent_changed, keys)
        self.on(Contact.ContactErased, self._erased, keys)

    @staticmethod
    def _registered(event: Contact.ContactRegistered, rows: ViewRows) -> None:
        rows.put(TABLE, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id, "name": event.name,
            "email": event.email, "phone": event.phone, "consents": {},
            "version": event.originator_version, "created_at": event.timestamp,
            "updated_at": event.timestamp})

    @staticmethod
    def _details_changed(event: Contact.ContactDetailsChanged, rows: ViewRows) -> None:
        key = (event.tenant_id, event.originator_id)
        row = rows.get(TABLE, key)
        if row is not None:
            rows.put(TABLE, key, {**row, "name": event.name, "email": event.email,
                                  "phone": event.phone, "version": event.originator_version,
                                  "updated_at": event.timestamp})

    @staticmethod
    def _consent_changed(event: Contact.ContactConsentChanged, rows: ViewRows) -> None:
        key = (event.tenant_id, event.originator_id)
        row = rows.get(TABLE, key)
        if row is not None:
            consents = {**row["consents"], event.channel: event.granted}
            rows.put(TABLE, key, {**row, "consents": consents,
                                  "version": event.originator_version,
                                  "updated_at": event.timestamp})

    @staticmethod
    def _erased(event: Contact.ContactErased, rows: ViewRows) -> None:
        rows.delete(TABLE, (event.tenant_id, event.originator_id))
