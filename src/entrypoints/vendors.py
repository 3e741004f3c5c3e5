"""Building the vendor adapters from settings: the language-model chain and the outbound
transports (a log-only transport stands in for any vendor that is not configured). Each takes
its circuit breaker from the process's registry, or is recorded there as not configured."""

from __future__ import annotations

from adapters.identity.assistant_settings import PostgresAssistantSettings
from adapters.llm.chain import ProviderChain
from adapters.llm.local_model import OfflineAssistant
from adapters.llm.pricing import PriceList
from adapters.messaging.log_only import LogOnlyTransport
from adapters.messaging.smtp import SmtpMessaging
from adapters.messaging.twilio_sms import TwilioMessaging
from adapters.resilience import VendorCircuits
from application.conversations.ports import LanguageModel, MessageTransport
from entrypoints.settings import Settings

KNOWN_PROVIDERS = ("openai", "anthropic", "local")


def language_model(settings: Settings, circuits: VendorCircuits) -> ProviderChain:
    names = [n.strip().lower() for n in settings.llm_chain.split(",") if n.strip()]
    unknown = [n for n in names if n not in KNOWN_PROVIDERS]
    if unknown or not names:
        raise ValueError(f"FRONTDESK_LLM_CHAIN: unknown providers {unknown}; "
                         f"use {', '.join(KNOWN_PROVIDERS)}")
    providers: list[tuple[str, LanguageModel]] = []
    # The vendor SDKs are imported only when named: the anthropic SDK alone takes seconds of
    # CPU to import, paid by every API process at start-up (and by each `serve` worker, which
    # uvicorn's supervisor kills if it is not up in time).
    for name in names:
        if name == "openai":
            from adapters.llm.openai_model import OpenAIChatModel

            providers.append((name, OpenAIChatModel(
                api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                model=settings.openai_model, timeout=settings.llm_timeout)))
        elif name == "anthropic":
            from adapters.llm.anthropic_model import AnthropicModel

            providers.append((name, AnthropicModel(
                api_key=settings.anthropic_api_key, base_url=settings.anthropic_base_url,
                model=settings.anthropic_model, timeout=settings.llm_timeout)))
        else:
            providers.append((name, OfflineAssistant()))
    return ProviderChain(providers, prices=PriceList.parse(settings.llm_prices),
                         attempts=settings.llm_attempts, circuits=circuits)


def sms_transport(settings: Settings, tenants: PostgresAssistantSettings,
                  circuits: VendorCircuits) -> MessageTransport:
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        circuits.not_configured("twilio")
        return LogOnlyTransport("twilio-log", frozenset({"sms", "whatsapp"}))
    return TwilioMessaging(account_sid=settings.twilio_account_sid,
                           auth_token=settings.twilio_auth_token,
                           api_base=settings.twilio_api_base, timeout=settings.vendor_timeout,
                           public_url=settings.public_url, tenant_slug=tenants.slug_of,
                           circuits=circuits)


def email_transport(settings: Settings, circuits: VendorCircuits) -> MessageTransport:
    if not settings.smtp_host:
        circuits.not_configured("smtp")
        return LogOnlyTransport("smtp-log", frozenset({"email"}))
    return SmtpMessaging(host=settings.smtp_host, port=settings.smtp_port,
                         user=settings.smtp_user, password=settings.smtp_password,
                         sender=settings.smtp_from, timeout=settings.vendor_timeout,
                         starttls=settings.smtp_starttls, circuits=circuits)


def every_vendor(circuits: VendorCircuits, *built: object) -> VendorCircuits:
    """The registry, once every vendor adapter in ``built`` exists (and so is listed in it):
    what readiness reads, whichever adapters this process has used so far."""
    return circuits
