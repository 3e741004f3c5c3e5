"""Settings: the assistant's persona, rules, hand-off and budgets. The form is checked as
``PUT /v1/assistant/settings`` checks its body (the same bounds, then the domain's
AssistantSettings); every refused field is named beside the form and nothing is saved. The
channels' senders and the tenant's disposition codes are kept as they are."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from litestar import Controller, post
from litestar.response import Template

from adapters.identity.assistant_settings import PostgresAssistantSettings
from domain.shared import InvalidValue
from entrypoints.http.console.pages import page
from entrypoints.http.console.settings import SETTINGS, SETTINGS_ERRORS, Form, Reads
from entrypoints.http.deps import Provided, Req
from entrypoints.http.deps import Reads as ReadSide
from entrypoints.http.security import ADMINS, roles

Assistant = Provided[PostgresAssistantSettings]
LABELS = {"assistant_name": "Assistant's name", "persona": "Persona", "rules": "Rules",
          "handoff_keywords": "Hand-off keywords", "keywords": "Hand-off keywords",
          "max_ai_turns": "Answers before a person takes over",
          "min_confidence": "Minimum confidence", "context_token_budget": "Context budget",
          "max_reply_tokens": "Longest reply", "senders": "Senders",
          "dispositions": "Disposition codes"}


@dataclass
class AssistantForm:
    assistant_name: str = ""
    persona: str = ""
    rules: str = ""
    handoff_keywords: str = ""
    max_ai_turns: str = ""
    min_confidence: str = ""
    context_token_budget: str = ""
    max_reply_tokens: str = ""
    auto_reply: str = ""


def _whole(errors: dict[str, str], name: str, text: str, low: int, high: int) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        errors[name] = f"a whole number from {low} to {high}"
        return None
    if not low <= value <= high:
        errors[name] = f"must be from {low} to {high}"
    return value


def parse(form: AssistantForm, kept: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings to store (the API's body), and the refused fields with their reasons."""
    errors: dict[str, str] = {}
    rules = [line.strip() for line in form.rules.splitlines() if line.strip()]
    keywords = [k.strip() for k in form.handoff_keywords.split(",") if k.strip()]
    if len(form.persona) > 4000:
        errors["persona"] = "at most 4000 characters"
    if len(form.assistant_name.strip()) > 100:
        errors["assistant_name"] = "at most 100 characters"
    if len(rules) > 50 or any(len(r) > 500 for r in rules):
        errors["rules"] = "at most 50 rules (one a line) of up to 500 characters"
    if len(keywords) > 50 or any(len(k) > 60 for k in keywords):
        errors["handoff_keywords"] = "at most 50 keywords of up to 60 characters"
    try:
        confidence = float(form.min_confidence.strip())
        if not 0 <= confidence <= 1:
            errors["min_confidence"] = "must be from 0 to 1"
    except ValueError:
        errors["min_confidence"] = "a number from 0 to 1, such as 0.35"
        confidence = 0.0
    raw: dict[str, Any] = {key: kept[key] for key in ("senders", "dispositions") if key in kept}
    raw.update({
        "assistant_name": form.assistant_name.strip() or None,
        "persona": form.persona.strip() or None, "rules": rules, "handoff_keywords": keywords,
        "max_ai_turns": _whole(errors, "max_ai_turns", form.max_ai_turns, 1, 100),
        "min_confidence": confidence,
        "context_token_budget": _whole(errors, "context_token_budget",
                                       form.context_token_budget, 200, 200_000),
        "max_reply_tokens": _whole(errors, "max_reply_tokens", form.max_reply_tokens, 16, 8000),
        "auto_reply": form.auto_reply in ("on", "true")})
    return {k: v for k, v in raw.items() if v is not None}, errors


class SettingsAssistantController(Controller):
    path = SETTINGS
    opt = roles(*ADMINS)
    include_in_schema = False
    exception_handlers = SETTINGS_ERRORS

    @post("/assistant", sync_to_thread=True, status_code=200)
    def save(self, request: Req, data: Form[AssistantForm], settings: Reads,
             assistant_settings: Assistant, reads: ReadSide) -> Template:
        tenant = request.user.tenant_id
        raw, errors = parse(data, assistant_settings.raw(tenant))
        if not errors:
            try:
                assistant_settings.save(tenant, raw)
            except InvalidValue as refused:
                errors[refused.field] = refused.message.partition(": ")[2] or refused.message
        if errors:
            return page("fragments/settings_assistant.html", request, form=asdict(data),
                        errors={LABELS.get(k, k): v for k, v in errors.items()},
                        invalid=set(errors) | ({"handoff_keywords"} if "keywords" in errors
                                               else set()))
        reads.audit(request, "assistant_settings.changed", "assistant_settings", tenant,
                    detail={"fields": sorted(raw)})
        return page("fragments/settings_assistant.html", request,
                    notice="The assistant's settings were saved.",
                    **settings.assistant_form(tenant))
