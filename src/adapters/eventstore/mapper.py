"""The mapper step that encrypts personal data, so no event class has to.

Each event class names its personal fields (``personal``). On the way to the store those fields
are taken out of the state, encrypted together with AES-256-GCM under the data key of the
aggregate's data subject, and stored as ``_pii = {"s": subject, "c": nonce+ciphertext}``; the
associated data binds the ciphertext to its event. On the way back they are decrypted, or, if the
subject's key was destroyed (erasure), every personal field reads ``[erased]`` (``["[erased]"]``
for list fields): replay and projections keep working, nothing raises.

An event class may name a second subject in ``sealed_per`` (a message's id, ADR 0086): its
personal fields are then sealed under HKDF(subject key || that subject's key), stored as
``_pii = {"s": subject, "m": second subject, "c": ...}``. The second key is an ordinary data key
(created with the event); destroying either key makes the fields read ``[erased]``.
"""

from __future__ import annotations

import base64
import dataclasses
from binascii import a2b_base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from adapters.crypto.keys import DataKeyStore, NewDataKey
from domain.shared.ids import random_bytes

Ciphers = dict[str, tuple[bytes, AESGCM | None]]
"""Per batch: a subject (as stored, hex) -> its id as bytes and a cipher under its key."""

ERASED = "[erased]"
WITHHELD = "[withheld]"


@dataclass(frozen=True)
class TenantStoredEvent(StoredEvent):
    """A stored event with the columns the library does not know: tenant, subject, time."""

    tenant_id: UUID = dataclasses.field(kw_only=True)
    subject_id: UUID | None = dataclasses.field(kw_only=True, default=None)
    occurred_at: datetime = dataclasses.field(kw_only=True)


def combined_key(subject_key: bytes, second_key: bytes) -> bytes:
    """The key sealing fields of two subjects: neither key alone opens them."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"frontdesk:sealed-per").derive(subject_key + second_key)


def second_subject_of(state: Mapping[str, Any]) -> UUID | None:
    """The second subject named in a stored event's (decoded) state, if any."""
    sealed = state.get("_pii")
    if isinstance(sealed, dict) and sealed.get("m"):
        return UUID(sealed["m"])
    return None


@cache
def _list_fields(cls: type) -> frozenset[str]:
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        hints.update(getattr(klass, "__annotations__", {}))
    return frozenset(name for name, hint in hints.items() if str(hint).startswith("list"))


class PersonalDataMapper(Mapper[UUID]):
    def __init__(self, transcoder: Transcoder, keys: DataKeyStore) -> None:
        super().__init__(transcoder=transcoder)
        self.keys = keys

    def to_stored_event_for(self, domain_event: DomainEventProtocol[UUID], tenant_id: UUID,
                            subject_id: UUID | None, pending_keys: dict[UUID, bytes],
                            new_keys: list[NewDataKey] | None = None
                            ) -> tuple[TenantStoredEvent, NewDataKey | None]:
        """Map an event for storage; ``pending_keys`` shares keys created within one commit.
        The keys of second subjects (``sealed_per``) created for it are added to
        ``new_keys``, to be stored with the events."""
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        new_key = None
        personal: frozenset[str] = getattr(type(domain_event), "personal", frozenset())
        if personal and subject_id is not None:
            secret = {name: state.pop(name) for name in personal if name in state}
            if any(value is not None and value != [] for value in secret.values()):
                key = pending_keys.get(subject_id)
                if key is None:
                    new_subject = originator_version == 1 and originator_id == subject_id
                    key, new_key = self.keys.key_for_write(tenant_id, subject_id,
                                                           new_subject=new_subject)
                    pending_keys[subject_id] = key
                sealed_per = getattr(type(domain_event), "sealed_per", None)
                second = state.get(sealed_per) if sealed_per else None
                associated = originator_id.bytes + subject_id.bytes
                envelope = {"s": subject_id.hex}
                if isinstance(second, UUID):
                    second_key = pending_keys.get(second)
                    if second_key is None:
                        second_key, created = self.keys.key_for_write(tenant_id, second,
                                                                      new_subject=True)
                        pending_keys[second] = second_key
                        if created is not None and new_keys is not None:
                            new_keys.append(created)
                    key = combined_key(key, second_key)
                    associated += second.bytes
                    envelope["m"] = second.hex
                nonce = random_bytes.take(12)
                sealed = AESGCM(key).encrypt(nonce, self.transcoder.encode(secret), associated)
                state["_pii"] = {**envelope, "c": base64.b64encode(nonce + sealed).decode()}
            else:
                state.update(secret)
        stored = TenantStoredEvent(
            originator_id=originator_id, originator_version=originator_version,
            topic=get_topic(type(domain_event)), state=self.transcoder.encode(state),
            tenant_id=tenant_id, subject_id=subject_id if "_pii" in state else None,
            occurred_at=domain_event.timestamp)  # type: ignore[attr-defined]
        return stored, new_key

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        raise TypeError("use to_stored_event_for(): a stored event needs its tenant and subject")

    def decode_state(self, stored_event: StoredEvent | Any,
                     keys: Mapping[UUID, bytes | None] | None = None, *,
                     decrypt: bool = True, ciphers: Ciphers | None = None) -> dict[str, Any]:
        """The event's attributes, personal fields decrypted or marked erased.

        ``keys`` (subject -> data key, None if destroyed) saves a batch one cache lookup per
        event; subjects missing from it are looked up. ``decrypt=False`` leaves the personal
        fields sealed: they read ``[withheld]``. ``ciphers``: a dict the caller keeps for one
        batch (one aggregate's events, say), so each subject's key is looked up and its
        cipher built once per batch, not once per event; drop it with the batch."""
        return self._state(stored_event.topic, stored_event.state,
                           _as_uuid(stored_event.originator_id),
                           getattr(stored_event, "tenant_id", None), keys, decrypt, ciphers)

    def _state(self, topic: str, data: bytes, originator_id: UUID, tenant_id: UUID | None,
               keys: Mapping[UUID, bytes | None] | None, decrypt: bool,
               ciphers: Ciphers | None = None) -> dict[str, Any]:
        state: dict[str, Any] = self.transcoder.decode(data)
        sealed = state.pop("_pii", None)
        if sealed is None:
            return state
        if not decrypt:
            cls = _resolve(topic)
            for name in getattr(cls, "personal", frozenset()):
                state[name] = [WITHHELD] if name in _list_fields(cls) else WITHHELD
            return state
        subject, second = sealed["s"], sealed.get("m")
        batch_key = subject if second is None else f"{subject}:{second}"
        found = None if ciphers is None else ciphers.get(batch_key)
        if found is None:
            found = self._cipher(tenant_id, subject, keys, second)
            if ciphers is not None:
                ciphers[batch_key] = found
        subject_bytes, cipher = found
        if cipher is None:
            cls = _resolve(topic)
            for name in getattr(cls, "personal", frozenset()):
                state[name] = [ERASED] if name in _list_fields(cls) else ERASED
        else:
            blob = a2b_base64(sealed["c"])
            plain = cipher.decrypt(blob[:12], blob[12:], originator_id.bytes + subject_bytes)
            state.update(self.transcoder.decode(plain))
        return state

    def _cipher(self, tenant_id: UUID | None, subject: str,
                keys: Mapping[UUID, bytes | None] | None,
                second: str | None = None) -> tuple[bytes, AESGCM | None]:
        """The subject(s) (as associated-data bytes) and a cipher under the key (None if a
        key was destroyed)."""
        subject_id = UUID(subject)
        key = self._key(tenant_id, subject_id, keys)
        if second is None:
            return subject_id.bytes, None if key is None else AESGCM(key)
        second_id = UUID(second)
        second_key = self._key(tenant_id, second_id, keys)
        if key is None or second_key is None:
            return subject_id.bytes + second_id.bytes, None
        return (subject_id.bytes + second_id.bytes,
                AESGCM(combined_key(key, second_key)))

    def _key(self, tenant_id: UUID | None, subject_id: UUID,
             keys: Mapping[UUID, bytes | None] | None) -> bytes | None:
        if keys is not None and subject_id in keys:
            return keys[subject_id]
        return self.keys.key_for_read(tenant_id, subject_id)

    def second_subjects(self, events: Iterable[tuple[str, bytes]]) -> set[UUID]:
        """The second subjects (``sealed_per``) of stored events given as (topic, state), so
        a batch can load their keys with the others, on the connection it holds."""
        found: set[UUID] = set()
        for topic, data in events:
            if getattr(_resolve(topic), "sealed_per", None):
                second = second_subject_of(self.transcoder.decode(data))
                if second is not None:
                    found.add(second)
        return found

    def subject_of(self, stored_event: StoredEvent) -> UUID | None:
        """The data subject named in a stored event, without decrypting it."""
        subject = getattr(stored_event, "subject_id", None)
        return subject if isinstance(subject, UUID) else None

    def to_domain_event(self, stored_event: StoredEvent | Any,
                        keys: Mapping[UUID, bytes | None] | None = None, *,
                        decrypt: bool = True, ciphers: Ciphers | None = None
                        ) -> DomainEventProtocol[UUID]:
        return self.event_from(stored_event.topic, stored_event.state,
                               _as_uuid(stored_event.originator_id),
                               stored_event.originator_version, keys, decrypt=decrypt,
                               tenant_id=getattr(stored_event, "tenant_id", None),
                               ciphers=ciphers)

    def event_from(self, topic: str, data: bytes, originator_id: UUID, originator_version: int,
                   keys: Mapping[UUID, bytes | None] | None = None, *, decrypt: bool = True,
                   tenant_id: UUID | None = None, ciphers: Ciphers | None = None
                   ) -> DomainEventProtocol[UUID]:
        """The domain event of a stored event given by its columns (a projection batch reads
        them as plain rows: no stored-event object per event)."""
        cls = _resolve(topic)
        state = self._state(topic, data, originator_id, tenant_id, keys, decrypt, ciphers)
        state["originator_id"] = originator_id
        state["originator_version"] = originator_version
        upcast(cls, state)
        domain_event: Any = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event  # type: ignore[no-any-return]


def upcast(cls: type, state: dict[str, Any]) -> None:
    """Bring a stored event's state, in place, from the version it was stored at (absent: 1)
    to its class's ``class_version``, one ``upcast_vN_vN+1`` at a time (ADR 0065)."""
    class_version = getattr(cls, "class_version", 1)
    from_version = state.pop("class_version", 1)
    while from_version < class_version:
        getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
        from_version += 1


@cache
def _resolve(topic: str) -> type:
    from eventsourcing.utils import resolve_topic

    return resolve_topic(topic)  # type: ignore[no-any-return]


def _as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)
