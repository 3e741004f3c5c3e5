"""Cryptography: key-encryption keys, per-contact data keys, keyed hashes (blind indexes)."""

from adapters.crypto.blind_index import HmacBlindIndex
from adapters.crypto.keys import DataKeyStore, KeyEncryptionKeys, NewDataKey

__all__ = ["DataKeyStore", "HmacBlindIndex", "KeyEncryptionKeys", "NewDataKey"]
