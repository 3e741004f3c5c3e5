"""The AI assistant's settings: persona, rules, hand-off, context budget, senders."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.params import JSONBody

from adapters.identity.assistant_settings import PostgresAssistantSettings
from entrypoints.http.conversations.schemas import AssistantSettingsIn
from entrypoints.http.deps import Provided, Reads, Req
from entrypoints.http.security import ADMINS, SUPERVISORS, roles

Settings = Provided[PostgresAssistantSettings]


class AssistantController(Controller):
    path = "/v1/assistant"
    tags = ["assistant"]

    @get("/settings", sync_to_thread=True, opt=roles(*SUPERVISORS),
         summary="The assistant's settings")
    def settings(self, request: Req, assistant_settings: Settings) -> AssistantSettingsIn:
        return AssistantSettingsIn(**assistant_settings.raw(request.user.tenant_id))

    @put("/settings", sync_to_thread=True, opt=roles(*ADMINS),
         summary="Replace the assistant's settings",
         description="Persona and rules (in every prompt), hand-off keywords (beside `agent`, "
                     "`human`, `person`, `representative`, `operator`), hand-off after "
                     "`max_ai_turns` answers in a row or below `min_confidence`, the context "
                     "budget, sender numbers per channel and the tenant's disposition codes. "
                     "Audited (`assistant_settings.changed`, with the fields set, the IP and "
                     "the user agent).")
    def replace(self, request: Req,
                data: JSONBody[AssistantSettingsIn],
                assistant_settings: Settings, reads: Reads) -> AssistantSettingsIn:
        raw = data.model_dump(exclude_none=True)
        assistant_settings.save(request.user.tenant_id, raw)
        reads.audit(request, "assistant_settings.changed", "assistant_settings",
                    request.user.tenant_id, detail={"fields": sorted(raw)})
        return AssistantSettingsIn(**raw)


