"""Agents: register, list, read, change skills and capacity, set shifts, declare presence."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, patch, post, put
from litestar.params import JSONBody, QueryParameter

from application.contact_center.commands import (
    ChangeAgentProfile,
    ChangeAgentStatus,
    RegisterAgent,
    SetAgentShifts,
)
from application.contact_center.views import AgentFilters, AgentView
from application.ports import StoredResponse
from domain.shared import NotFound
from entrypoints.http.commands import execute, if_match, stored, wait_for_own_writes
from entrypoints.http.contact_center.deps import Center
from entrypoints.http.contact_center.schemas import (
    AgentCreate,
    AgentOut,
    AgentPage,
    AgentPatch,
    ShiftsIn,
    StatusIn,
)
from entrypoints.http.deps import Bus, Cursor, Id, Limit, Reads, Req
from entrypoints.http.schemas import EventsOut
from entrypoints.http.security import (
    ALL_ROLES,
    SUPERVISORS,
    WRITERS,
    require_self_or_supervisor,
    roles,
)

READ_MODELS = ("supervisor_overview",)
IF_MATCH_NOTE = " Accepts `If-Match: <version>`; a stale version is a 409."
PresenceFilter = Annotated[str | None, QueryParameter(
    pattern="^(offline|available|break)$", description="Declared presence")]
SkillFilter = Annotated[str | None, QueryParameter(description="Agents holding this skill")]


def _agent(status: int = 200) -> Any:
    def render(view: AgentView) -> StoredResponse:
        return stored(status, AgentOut.of(view), {"ETag": f'"{view.version}"',
                                                  "Location": f"/v1/agents/{view.id}"})
    return render


class AgentsController(Controller):
    path = "/v1/agents"
    tags = ["contact center"]
    opt = roles(*SUPERVISORS)

    @post("/", status_code=201, sync_to_thread=True, summary="Register an agent",
          description="An agent is a user who takes work: skills with levels, capacity per "
                      "channel, weekly shifts in a time zone. With `user_id` the agent has the "
                      "user's id (one agent per user; 409 otherwise). A new agent is "
                      "`offline`. Accepts `Idempotency-Key`.")
    def register(self, request: Req, data: JSONBody[AgentCreate],
                 bus: Bus) -> Response[AgentOut]:
        command = RegisterAgent(name=data.name, skills=data.skills,
                                capacity={str(c): n for c, n in data.capacity.items()},
                                user_id=data.user_id,
                                timezone=data.timezone,
                                shifts=[s.model_dump() for s in data.shifts])
        return execute(request, bus, command, _agent(201),  # type: ignore[return-value]
                       body=data)

    @get("/", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="List agents",
         description="Newest first, with status (presence overlaid by work) and load.")
    def page(self, request: Req, center: Center, reads: Reads,
             presence: PresenceFilter = None, skill: SkillFilter = None, limit: Limit = 50,
             cursor: Cursor = None) -> Response[AgentPage]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        page = center.agents(request.user.tenant_id,
                                 AgentFilters(presence=presence, skill=skill), limit=limit,
                                 cursor=cursor)
        return Response(AgentPage(items=[AgentOut.of(a) for a in page.items],
                                  next_cursor=page.next_cursor), headers=headers)

    @get("/{agent_id:uuid}", sync_to_thread=True, opt=roles(*ALL_ROLES), summary="Get an agent")
    def get_one(self, request: Req, agent_id: Id, center: Center,
                reads: Reads) -> Response[AgentOut]:
        headers = wait_for_own_writes(request, reads.gate, READ_MODELS, reads.timeout)
        view = center.agent(request.user.tenant_id, agent_id)
        if view is None:
            raise NotFound("agent not found")
        return Response(AgentOut.of(view), headers={**headers, "ETag": f'"{view.version}"'})

    @get("/{agent_id:uuid}/events", sync_to_thread=True, summary="An agent's event history",
         description="Oldest first, from the event "
         "store: profile changes and every declared status.")
    def events(self, request: Req, agent_id: Id, reads: Reads) -> EventsOut:
        entries = reads.history_of(request, agent_id, "AgentRegistered", "agent")
        return EventsOut.of(entries)

    @patch("/{agent_id:uuid}", sync_to_thread=True, summary="Change an agent's skills or capacity",
           description="Lowering capacity takes no work away; new work waits until the load "
                       "is below it." + IF_MATCH_NOTE)
    def change(self, request: Req, agent_id: Id,
               data: JSONBody[AgentPatch], bus: Bus) -> Response[AgentOut]:
        command = ChangeAgentProfile(agent_id, if_match(request), data.skills,
                                     {str(c): n for c, n in data.capacity.items()}
                                     if data.capacity is not None else None)
        return execute(request, bus, command, _agent(),  # type: ignore[return-value]
                       body=data)

    @put("/{agent_id:uuid}/shifts", sync_to_thread=True, summary="Set an agent's weekly shifts",
         description="Only agents on shift are routed work. Times are in `timezone`; a shift "
                     "whose end is not after its start runs past midnight. An empty list "
                     "lifts every restriction." + IF_MATCH_NOTE)
    def shifts(self, request: Req, agent_id: Id,
               data: JSONBody[ShiftsIn], bus: Bus) -> Response[AgentOut]:
        command = SetAgentShifts(agent_id, if_match(request), data.timezone,
                                 [s.model_dump() for s in data.shifts])
        return execute(request, bus, command, _agent(),  # type: ignore[return-value]
                       body=data)

    @post("/{agent_id:uuid}/status", status_code=200, sync_to_thread=True,
          opt=roles(*WRITERS), summary="Declare an agent's presence",
          description="`available` makes the agent routable (when on shift); `break` and "
                      "`offline` stop new offers. Busy and wrap-up follow from the work in "
                      "hand. An agent may change only their own status." + IF_MATCH_NOTE)
    def status(self, request: Req, agent_id: Id,
               data: JSONBody[StatusIn], bus: Bus) -> Response[AgentOut]:
        require_self_or_supervisor(request, agent_id)
        command = ChangeAgentStatus(agent_id, if_match(request), data.status, data.reason)
        return execute(request, bus, command, _agent(),  # type: ignore[return-value]
                       body=data)
