"""The audit log: every event of every context plus authentication events, newest first."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get
from litestar.exceptions import ClientException
from litestar.params import QueryParameter
from litestar.response import Stream

from application.audit import AuditEntry, AuditFilters, AuditQueries, csv_chunks
from entrypoints.http.commands import wait_for_own_writes
from entrypoints.http.deps import Cursor, Limit, Provided, Reads, Req, instant, instant_query
from entrypoints.http.identity.schemas import AuditEntryOut, AuditPage
from entrypoints.http.security import SUPERVISORS, roles

Text = Annotated[str | None, QueryParameter(max_length=200)]
Moment = Annotated[str | None, instant_query(
    "Entries at or after (`since`) or before (`until`) this moment")]


def entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(id=entry.id, occurred_at=entry.occurred_at, actor=entry.actor,
                         action=entry.action, resource_type=entry.resource_type,
                         resource_id=entry.resource_id, version=entry.version,
                         source=entry.source, ip=entry.ip, user_agent=entry.user_agent,  # type: ignore[arg-type]
                         detail=entry.detail)


def _filters(actor: str | None, action: str | None, resource_type: str | None,
             resource_id: str | None, since: str | None, until: str | None) -> AuditFilters:
    if any(text is not None and "\x00" in text
           for text in (actor, action, resource_type, resource_id)):
        # Checked before the CSV stream starts: PostgreSQL refuses NUL in text, and once the
        # stream has begun an error can only cut it short (schemathesis found it).
        raise ClientException("filters cannot contain NUL characters")
    return AuditFilters(actor, action, resource_type, resource_id, instant(since, "since"),
                        instant(until, "until"))


class AuditController(Controller):
    path = "/v1"
    tags = ["audit"]
    opt = roles(*SUPERVISORS)

    @get("/audit", sync_to_thread=True, summary="The audit log",
         description="Who did what to which resource, when, and (for logins and access "
                     "changes) from where. Filter by `actor` (`user:<id>`, `api_key:<id>`), "
                     "`action` (`LeadCaptured`, `login.failed`…), `resource_type`, "
                     "`resource_id`, and `since`/`until`.")
    def page(self, request: Req, audit: Provided[AuditQueries], reads: Reads,
             limit: Limit = 50, cursor: Cursor = None, actor: Text = None,
             action: Text = None, resource_type: Text = None, resource_id: Text = None,
             since: Moment = None, until: Moment = None) -> Any:
        headers = wait_for_own_writes(request, reads.gate, ("audit_log",), reads.timeout)
        found = audit.page(request.user.tenant_id, _filters(
            actor, action, resource_type, resource_id, since, until), limit=limit,
            cursor=cursor)
        return Response(AuditPage(items=[entry_out(e) for e in found.items],
                                  next_cursor=found.next_cursor), headers=headers)

    @get("/audit.csv", media_type="text/csv",
         summary="The audit log as CSV (streamed)",
         description="The same filters; every matching entry, newest first, streamed page "
                     "by page. ",
         response_description="text/csv")
    async def csv_export(self, request: Req, audit: Provided[AuditQueries],
                         actor: Text = None, action: Text = None, resource_type: Text = None,
                         resource_id: Text = None, since: Moment = None,
                         until: Moment = None) -> Stream:
        filters = _filters(actor, action, resource_type, resource_id, since, until)
        tenant_id: UUID = request.user.tenant_id
        return Stream(csv_chunks(audit, tenant_id, filters), media_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="audit.csv"'})
