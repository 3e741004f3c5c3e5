"""Dispositions (standard and tenant codes) and call scripts (versioned playbooks)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, delete, get, post, put
from litestar.params import JSONBody, QueryParameter

from application.contact_center.commands import (
    AddDisposition,
    CreateScript,
    RetireScript,
    ReviseScript,
)
from application.contact_center.views import DispositionView, ScriptView
from application.ports import StoredResponse
from domain.shared import NotFound
from entrypoints.http.commands import execute, if_match, stored, wait_for_own_writes
from entrypoints.http.contact_center.deps import Catalog
from entrypoints.http.contact_center.schemas import (
    DispositionIn,
    DispositionList,
    DispositionOut,
    ScriptCreate,
    ScriptOut,
    ScriptPage,
    ScriptRevise,
)
from entrypoints.http.deps import Bus, Cursor, Id, Limit, Reads, Req
from entrypoints.http.security import ALL_ROLES, SUPERVISORS, roles

READ_MODELS = ("contact_center_catalog",)
KindFilter = Annotated[str | None, QueryParameter(pattern="^(queue|lead_stage)$",
                                                  description="What the script is for")]
TargetFilter = Annotated[str | None, QueryParameter(description="A queue id or a lead stage")]
RevisionQuery = Annotated[int | None, QueryParameter(ge=1, description="A past revision")]
RetiredQuery = Annotated[bool, QueryParameter(description="Include retired scripts")]


def _script(status: int = 200) -> Any:
    def render(view: ScriptView) -> StoredResponse:
        return stored(status, ScriptOut.of(view), {"ETag": f'"{view.version}"',
                                                   "Location": f"/v1/scripts/{view.id}"})
    return render


def _disposition(view: DispositionView) -> StoredResponse:
    return stored(201, DispositionOut.of(view))


class DispositionsController(Controller):
    path = "/v1/dispositions"
    tags = ["contact center"]

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List disposition codes",
         description="The 17 standard codes, then the tenant's own. Completing a task "
                     "requires one.")
    def list_codes(self, request: Req, catalog: Catalog,
                   reads: Reads) -> Response[DispositionList]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        items = catalog.dispositions(request.user.tenant_id)
        return Response(DispositionList(items=[DispositionOut.of(d) for d in items]),
                        headers=headers)

    @post("/", status_code=201, sync_to_thread=True, opt=roles(*SUPERVISORS),
          summary="Add a tenant disposition code",
          description="Upper-case letters, digits and `_`; a code that exists (standard or "
                      "the tenant's) is a 409. Accepts `Idempotency-Key`.")
    def add(self, request: Req, data: JSONBody[DispositionIn],
            bus: Bus) -> Response[DispositionOut]:
        command = AddDisposition(data.code, data.label, data.description)
        return execute(request, bus, command, _disposition,  # type: ignore[return-value]
                       body=data)


class ScriptsController(Controller):
    path = "/v1/scripts"
    tags = ["contact center"]
    opt = roles(*SUPERVISORS)

    @post("/", status_code=201, sync_to_thread=True, summary="Create a call script",
          description="For a queue (`queue_id`) or a lead stage (`lead_stage`); one current "
                      "script per target (409 with `existing_id`: revise that one). Agents see "
                      "the revision current when their task was reserved.")
    def create(self, request: Req, data: JSONBody[ScriptCreate],
               bus: Bus) -> Response[ScriptOut]:
        command = CreateScript(data.title, list(data.steps), data.queue_id, data.lead_stage)
        return execute(request, bus, command, _script(201),  # type: ignore[return-value]
                       body=data)

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List call scripts",
         description="Newest first; current revisions.")
    def page(self, request: Req, catalog: Catalog, reads: Reads,
             target_kind: KindFilter = None, target: TargetFilter = None,
             include_retired: RetiredQuery = False, limit: Limit = 50,
             cursor: Cursor = None) -> Response[ScriptPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        page = catalog.scripts(request.user.tenant_id, target_kind=target_kind,
                                  target=target, include_retired=include_retired, limit=limit,
                                  cursor=cursor)
        return Response(ScriptPage(items=[ScriptOut.of(s) for s in page.items],
                                   next_cursor=page.next_cursor), headers=headers)

    @get("/{script_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES),
         summary="Get a call script", description="The current revision, or `?revision=N`.")
    def get_one(self, request: Req, script_id: Id, catalog: Catalog,
                reads: Reads, revision: RevisionQuery = None) -> Response[ScriptOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = catalog.script(request.user.tenant_id, script_id, revision)
        if view is None:
            raise NotFound("script not found")
        return Response(ScriptOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @put("/{script_id:uuid}", sync_to_thread=True, summary="Revise a call script",
         description="Adds a revision (tasks reserved earlier keep theirs). "
                     + " Accepts `If-Match: <version>`.")
    def revise(self, request: Req, script_id: Id,
               data: JSONBody[ScriptRevise], bus: Bus
               ) -> Response[ScriptOut]:
        command = ReviseScript(script_id, if_match(request), data.title, list(data.steps))
        return execute(request, bus, command, _script(),  # type: ignore[return-value]
                       body=data)

    @delete("/{script_id:uuid}", status_code=200, sync_to_thread=True,
            summary="Retire a call script",
            description="No longer shown for new reservations; its target is free for a new "
                        "script. " + " Accepts `If-Match`.")
    def retire(self, request: Req, script_id: Id, bus: Bus) -> Response[ScriptOut]:
        return execute(request, bus, # type: ignore[return-value]
                       RetireScript(script_id, if_match(request)), _script(), body=None)
