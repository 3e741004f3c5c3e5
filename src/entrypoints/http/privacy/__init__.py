"""Privacy: erasure by crypto-shredding and the access export of a contact."""

from __future__ import annotations

from entrypoints.container import Container
from entrypoints.http.privacy.routes import PrivacyController
from entrypoints.http.slices import Slice


def _provide(root: Container) -> dict[str, object]:
    return {"export": root.privacy.contact_export()}


SLICE = Slice("privacy", [PrivacyController], provide=_provide)
