"""Privacy: erasure by crypto-shredding, the access export of a contact, and per-tenant
retention policies with the reports of their runs."""

from __future__ import annotations

from litestar.openapi.spec import Tag

from entrypoints.container import Container
from entrypoints.http.privacy.retention import RetentionController
from entrypoints.http.privacy.routes import PrivacyController
from entrypoints.http.slices import Slice


def _provide(root: Container) -> dict[str, object]:
    return {"export": root.privacy.contact_export(),
            "retention_policies": root.privacy.retention_policies(),
            "retention_reports": root.privacy.retention_reports()}


SLICE = Slice("privacy", [PrivacyController, RetentionController],
              [Tag(name="privacy", description="Retention policies and their reports")],
              provide=_provide)
