"""The contact_center_catalog read model: tenant disposition codes, and call scripts with
every revision (a task shows the revision it pinned when it was reserved)."""

from __future__ import annotations

from typing import Any

from application.projections.base import Projection, RowKey, ViewRows
from domain.contact_center import DispositionCatalog, Script

DISPOSITIONS, SCRIPTS, REVISIONS = "cc_dispositions", "cc_scripts", "cc_script_revisions"


def _script(event: Any) -> list[tuple[str, RowKey]]:
    return [(SCRIPTS, (event.tenant_id, event.originator_id))]


class ContactCenterCatalogProjection(Projection):
    name = "contact_center_catalog"
    version = 1
    tables = (DISPOSITIONS, SCRIPTS, REVISIONS)

    def __init__(self) -> None:
        super().__init__()
        self.on(DispositionCatalog.DispositionAdded, self._disposition_added,
                lambda e: [(DISPOSITIONS, (e.tenant_id, e.code))])
        self.on(Script.ScriptCreated, self._created, _script)
        self.on(Script.ScriptRevised, self._revised, _script)
        self.on(Script.ScriptRetired, self._retired, _script)

    @staticmethod
    def _disposition_added(event: DispositionCatalog.DispositionAdded, rows: ViewRows) -> None:
        rows.put(DISPOSITIONS, (event.tenant_id, event.code), {
            "tenant_id": event.tenant_id, "code": event.code, "label": event.label,
            "description": event.description, "created_at": event.timestamp})

    @staticmethod
    def _revision(event: Any, rows: ViewRows, revision: int) -> None:
        rows.put(REVISIONS, (event.tenant_id, event.originator_id, revision), {
            "tenant_id": event.tenant_id, "script_id": event.originator_id,
            "revision": revision, "title": event.title, "steps": event.steps,
            "created_at": event.timestamp})

    @classmethod
    def _created(cls, event: Script.ScriptCreated, rows: ViewRows) -> None:
        rows.put(SCRIPTS, (event.tenant_id, event.originator_id), {
            "tenant_id": event.tenant_id, "id": event.originator_id,
            "target_kind": event.target_kind, "target": event.target, "title": event.title,
            "steps": event.steps, "revision": 1, "revisions": [1], "retired": False,
            "version": event.originator_version, "created_at": event.timestamp,
            "updated_at": event.timestamp})
        cls._revision(event, rows, 1)

    @classmethod
    def _revised(cls, event: Script.ScriptRevised, rows: ViewRows) -> None:
        key = (event.tenant_id, event.originator_id)
        row = rows.get(SCRIPTS, key)
        if row is not None:
            rows.put(SCRIPTS, key, {**row, "title": event.title, "steps": event.steps,
                                    "revision": event.revision,
                                    "revisions": [*row["revisions"], event.revision],
                                    "version": event.originator_version,
                                    "updated_at": event.timestamp})
        cls._revision(event, rows, event.revision)

    @staticmethod
    def _retired(event: Script.ScriptRetired, rows: ViewRows) -> None:
        key = (event.tenant_id, event.originator_id)
        row = rows.get(SCRIPTS, key)
        if row is not None:
            rows.put(SCRIPTS, key, {**row, "retired": True, "version": event.originator_version,
                                    "updated_at": event.timestamp})
