"""Configuration, from the environment or ``.env`` only (pydantic-settings)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Literal

from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development defaults; production mode refuses to start with any of them.
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-in-production-0123456789"  # noqa: S105
DEV_KEK = "dev:" + base64.b64encode(hashlib.sha256(b"frontdesk dev kek").digest()).decode()
DEV_BLIND_INDEX_KEY = base64.b64encode(hashlib.sha256(b"frontdesk dev blind").digest()).decode()
DEV_DB_PASSWORD = "frontdesk-dev-password"  # noqa: S105


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore", populate_by_name=True)

    database_url: str | None = Field(
        default=None, alias="DATABASE_URL",
        description="Owner connection, for `frontdesk migrate` and schema changes only "
                    "(ADR 0072); unset with no FRONTDESK_API_DATABASE_URL: the embedded server")
    api_database_url: str | None = Field(
        default=None, alias="FRONTDESK_API_DATABASE_URL",
        description="The API role's connection (user frontdesk_app), for `serve` and "
                    "`worker`; unset: derived from DATABASE_URL or the embedded server")
    worker_database_url: str | None = Field(
        default=None, alias="FRONTDESK_WORKER_DATABASE_URL",
        description="The worker role's connection (user frontdesk_worker), for `worker` "
                    "(and `serve` with in-process projections); unset: derived from "
                    "DATABASE_URL or the embedded server")
    data_dir: Path = Field(default=Path(".data"), alias="FRONTDESK_DATA_DIR")
    database_name: str = Field(default="frontdesk", alias="FRONTDESK_DATABASE_NAME")
    app_db_password: str = Field(default=DEV_DB_PASSWORD, alias="FRONTDESK_APP_DB_PASSWORD")
    worker_db_password: str = Field(default=DEV_DB_PASSWORD,
                                    alias="FRONTDESK_WORKER_DB_PASSWORD")
    env: Literal["development", "production"] = Field(default="development",
                                                      alias="FRONTDESK_ENV")
    host: str = Field(default="127.0.0.1", alias="FRONTDESK_HOST")
    port: int = Field(default=8000, alias="FRONTDESK_PORT")
    public_url: str | None = Field(default=None, alias="FRONTDESK_PUBLIC_URL")
    admin_api_token: str | None = Field(default=None, alias="ADMIN_API_TOKEN")
    jwt_secret: str = Field(default=DEV_JWT_SECRET, alias="JWT_SECRET")
    jwt_lifetime_seconds: int = Field(default=3600, ge=60, le=86_400,
                                      alias="JWT_LIFETIME_SECONDS")
    refresh_lifetime_seconds: int = Field(
        default=14 * 86_400, ge=300, le=90 * 86_400, alias="FRONTDESK_REFRESH_LIFETIME_SECONDS",
        description="lifetime of a refresh token; each refresh issues a new one (ADR 0079)")
    jwt_previous_secrets: str = Field(default="", alias="JWT_PREVIOUS_SECRETS",
                                      description="comma-separated retired secrets that still "
                                                  "verify tokens until they expire")
    rate_limit_per_ip: int = Field(default=1200, ge=0, alias="FRONTDESK_RATE_LIMIT_PER_IP",
                                   description="requests per minute per client IP (0: off)")
    rate_limit_per_tenant: int = Field(default=6000, ge=0,
                                       alias="FRONTDESK_RATE_LIMIT_PER_TENANT",
                                       description="requests per minute per tenant (0: off)")
    rate_limit_widget_per_ip: int = Field(
        default=60, ge=0, alias="FRONTDESK_RATE_LIMIT_WIDGET_PER_IP",
        description="requests per minute per client IP to the web chat widget (0: off)")
    rate_limit_per_widget_key: int = Field(
        default=600, ge=0, alias="FRONTDESK_RATE_LIMIT_PER_WIDGET_KEY",
        description="requests per minute per widget key, every visitor together (0: off)")
    trust_forwarded_for: bool = Field(default=False, alias="FRONTDESK_TRUST_FORWARDED_FOR",
                                      description="take the client IP from X-Forwarded-For "
                                                  "(only behind a proxy that sets it)")
    login_throttle_window: int = Field(default=900, ge=1,
                                       alias="FRONTDESK_LOGIN_THROTTLE_WINDOW")
    login_throttle_per_account: int = Field(default=5, ge=1,
                                            alias="FRONTDESK_LOGIN_THROTTLE_PER_ACCOUNT")
    login_throttle_per_ip: int = Field(default=50, ge=1,
                                       alias="FRONTDESK_LOGIN_THROTTLE_PER_IP")
    redis_url: str | None = Field(default=None, alias="FRONTDESK_REDIS_URL",
                                  description="Redis for the request rate-limit counters "
                                              "(ADR 0052); unset: PostgreSQL")
    key_encryption_keys: str = Field(default=DEV_KEK, alias="FRONTDESK_KEKS",
                                     description="id:base64 pairs, first is active")
    blind_index_key: str = Field(default=DEV_BLIND_INDEX_KEY, alias="FRONTDESK_BLIND_INDEX_KEY")
    default_phone_region: str | None = Field(default=None, alias="FRONTDESK_PHONE_REGION")
    in_process_projections: bool = Field(default=True, alias="FRONTDESK_IN_PROCESS_PROJECTIONS")
    stale_policy_interval: float = Field(default=60.0, alias="FRONTDESK_STALE_POLICY_INTERVAL")
    contact_center_interval: float = Field(default=1.0,
                                           alias="FRONTDESK_CONTACT_CENTER_INTERVAL")
    route_on_arrival: bool = Field(default=True, alias="FRONTDESK_ROUTE_ON_ARRIVAL")
    keep_alive_seconds: int = Field(default=5, ge=1, alias="FRONTDESK_KEEP_ALIVE_SECONDS",
                                    description="how long `serve` keeps an idle keep-alive "
                                                "connection open; behind a load balancer, "
                                                "longer than the balancer's idle timeout")
    max_body_bytes: int = Field(default=5 * 1024 * 1024, alias="FRONTDESK_MAX_BODY_BYTES")
    cors_origins: str = Field(default="", alias="FRONTDESK_CORS_ORIGINS")
    hsts_seconds: int = Field(default=0, ge=0, alias="FRONTDESK_HSTS_SECONDS")
    assets_dir: Path = Field(
        default=Path(__file__).resolve().parents[2] / "node_modules",
        alias="FRONTDESK_ASSETS_DIR",
        description="The console's third-party assets, installed by `make install` from "
                    "package-lock.json (npm ci)")
    log_level: str = Field(default="INFO", alias="FRONTDESK_LOG_LEVEL")
    otlp_endpoint: str | None = Field(
        default=None, alias="FRONTDESK_OTLP_ENDPOINT",
        description="OTLP/HTTP collector base URL (spans to <url>/v1/traces); unset: no "
                    "tracing at all (ADR 0083)")
    trace_sample_ratio: float = Field(
        default=1.0, ge=0.0, le=1.0, alias="FRONTDESK_TRACE_SAMPLE_RATIO",
        description="share of new traces recorded; a request that arrives with a "
                    "traceparent follows its caller's decision")
    db_pool_size: int = Field(default=10, alias="FRONTDESK_DB_POOL_SIZE")
    read_your_writes_timeout: float = Field(default=5.0,
                                            alias="FRONTDESK_READ_YOUR_WRITES_TIMEOUT")
    embedder: Literal["hashing", "openai", "sentence-transformers"] = Field(
        default="hashing", alias="FRONTDESK_EMBEDDER")
    embedding_model: str = Field(default="text-embedding-3-small",
                                 alias="FRONTDESK_EMBEDDING_MODEL",
                                 description="OpenAI model name, or a sentence-transformers path")
    memory_half_life_days: float = Field(default=90.0, alias="FRONTDESK_MEMORY_HALF_LIFE_DAYS")
    memory_ef_search: int = Field(default=400, ge=10, le=1000,
                                  alias="FRONTDESK_MEMORY_EF_SEARCH",
                                  description="HNSW candidate list of tenant-wide searches")
    compaction_interval: float = Field(default=30.0, alias="FRONTDESK_COMPACTION_INTERVAL")
    idempotency_retention_hours: float = Field(
        default=24.0, ge=1.0, alias="FRONTDESK_IDEMPOTENCY_RETENTION_HOURS",
        description="how long a stored answer replays a retried write (Idempotency-Key)")
    auth_events_retention_days: int = Field(
        default=400, ge=0, alias="FRONTDESK_AUTH_EVENTS_RETENTION_DAYS",
        description="how long login and access-change entries are kept; 0 keeps them")
    retention_interval: float = Field(default=3600.0, gt=0, alias="FRONTDESK_RETENTION_INTERVAL",
                                      description="seconds between the worker's retention runs")
    retriever: Literal["memory", "lexical"] = Field(
        default="memory", alias="FRONTDESK_RETRIEVER",
        description="what AI replies draw on: the memory index (knowledge and the contact's "
                    "memories) or PostgreSQL full-text search over knowledge only")

    # -- conversations and vendors (issue 4) ----------------------------------------------
    llm_chain: str = Field(default="local", alias="FRONTDESK_LLM_CHAIN",
                           description="Providers in order: openai, anthropic, local")
    llm_timeout: float = Field(default=30.0, alias="FRONTDESK_LLM_TIMEOUT")
    llm_attempts: int = Field(default=3, alias="FRONTDESK_LLM_ATTEMPTS")
    llm_prices: str = Field(default="", alias="FRONTDESK_LLM_PRICES")
    openai_api_key: str | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    openai_model: str = Field(default="gpt-4o-mini", alias="OPENAI_MODEL")
    anthropic_api_key: str | None = Field(default=None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, alias="ANTHROPIC_BASE_URL")
    anthropic_model: str = Field(default="claude-haiku-4-5", alias="ANTHROPIC_MODEL")
    twilio_account_sid: str | None = Field(default=None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str | None = Field(default=None, alias="TWILIO_AUTH_TOKEN")
    twilio_api_base: str | None = Field(default=None, alias="TWILIO_API_BASE")
    vendor_timeout: float = Field(default=10.0, alias="FRONTDESK_VENDOR_TIMEOUT")
    smtp_host: str | None = Field(default=None, alias="SMTP_HOST")
    smtp_port: int = Field(default=587, alias="SMTP_PORT")
    smtp_user: str | None = Field(default=None, alias="SMTP_USER")
    smtp_password: str | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_from: str = Field(default="frontdesk@localhost", alias="SMTP_FROM")
    smtp_starttls: bool = Field(default=False, alias="SMTP_STARTTLS")
    email_webhook_secret: str | None = Field(default=None,
                                             alias="FRONTDESK_EMAIL_WEBHOOK_SECRET")
    # -- Stripe (SPEC §7); unset key: manual payments only ---------------------------------
    stripe_api_key: str | None = Field(default=None, alias="STRIPE_API_KEY")
    stripe_webhook_secret: str | None = Field(default=None, alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str = Field(default="https://api.stripe.com", alias="STRIPE_API_BASE")
    stripe_success_url: str | None = Field(default=None, alias="STRIPE_SUCCESS_URL")
    stripe_timeout: float = Field(default=10.0, alias="STRIPE_TIMEOUT_SECONDS")
    # -- outbound webhooks (issue 17, ADR 0068) ---------------------------------------------
    webhooks_allow_private: bool = Field(
        default=False, alias="FRONTDESK_WEBHOOKS_ALLOW_PRIVATE",
        description="let webhook targets be private, loopback or link-local addresses "
                    "(a receiver inside your network); off, they are refused (SSRF)")
    webhooks_require_https: bool | None = Field(
        default=None, alias="FRONTDESK_WEBHOOKS_REQUIRE_HTTPS",
        description="refuse http:// webhook targets; unset: in production mode only")
    webhooks_timeout: float = Field(default=10.0, gt=0, alias="FRONTDESK_WEBHOOKS_TIMEOUT",
                                    description="seconds a delivery waits for an answer")
    webhooks_retry_base: float = Field(default=5.0, gt=0, alias="FRONTDESK_WEBHOOKS_RETRY_BASE",
                                       description="seconds before the first retry (doubled "
                                                   "at each failure, jittered)")
    webhooks_retry_cap: float = Field(default=3600.0, gt=0, alias="FRONTDESK_WEBHOOKS_RETRY_CAP",
                                      description="longest wait between two attempts")
    webhooks_give_up_after: float = Field(
        default=3 * 86_400.0, gt=0, alias="FRONTDESK_WEBHOOKS_GIVE_UP_AFTER",
        description="seconds after its first attempt that a failing delivery is given up and "
                    "its subscription disabled")
    webhooks_circuit_failures: int = Field(
        default=5, ge=1, alias="FRONTDESK_WEBHOOKS_CIRCUIT_FAILURES",
        description="failures in a row that pause a subscription's deliveries")
    webhooks_circuit_reset: float = Field(
        default=60.0, gt=0, alias="FRONTDESK_WEBHOOKS_CIRCUIT_RESET",
        description="seconds a paused subscription waits before one trial delivery")
    webhooks_poll_interval: float = Field(default=1.0, gt=0,
                                          alias="FRONTDESK_WEBHOOKS_POLL_INTERVAL")
    webhooks_senders: int = Field(default=8, ge=1, le=64, alias="FRONTDESK_WEBHOOKS_SENDERS",
                                  description="deliveries sent at once by a worker")
    webhooks_retention_days: float = Field(
        default=30.0, gt=0, alias="FRONTDESK_WEBHOOKS_RETENTION_DAYS",
        description="how long finished deliveries stay listed")
    # -- live event streams (issue 17, ADR 0067) --------------------------------------------
    streams_per_tenant: int = Field(
        default=50, ge=1, alias="FRONTDESK_STREAMS_PER_TENANT",
        description="open GET /v1/stream connections a tenant may hold, across API processes "
                    "(429 beyond)")
    streams_heartbeat: float = Field(
        default=15.0, gt=0, alias="FRONTDESK_STREAMS_HEARTBEAT",
        description="seconds of silence after which a stream sends a comment line, so "
                    "proxies and clients see it alive")
    streams_max_seconds: float = Field(
        default=900.0, gt=0, alias="FRONTDESK_STREAMS_MAX_SECONDS",
        description="a stream ends after this long (the client resumes with Last-Event-ID), "
                    "so its token is checked again: expiry and revocation apply to it")
    streams_poll_interval: float = Field(
        default=1.0, gt=0, alias="FRONTDESK_STREAMS_POLL_INTERVAL",
        description="the longest a stream waits for the log to be read again when no "
                    "commit notification arrives")

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        """Production mode refuses every public development secret, also where it would only
        be trusted as a previous one: a token signed with the dev JWT secret would verify, and
        data keys wrapped with the dev KEK could be unwrapped by anyone."""
        if self.env == "production":
            dev_kek = DEV_KEK.partition(":")[2]
            defaults = {
                "JWT_SECRET": self.jwt_secret == DEV_JWT_SECRET,
                "JWT_PREVIOUS_SECRETS": DEV_JWT_SECRET in self.jwt_previous_secret_list,
                "FRONTDESK_KEKS": any(item.partition(":")[2].strip() == dev_kek
                                      for item in self.key_encryption_keys.split(",")),
                "FRONTDESK_BLIND_INDEX_KEY": self.blind_index_key == DEV_BLIND_INDEX_KEY,
                "FRONTDESK_APP_DB_PASSWORD (or the password of FRONTDESK_API_DATABASE_URL)":
                    self._role_password(self.api_database_url,
                                        self.app_db_password) == DEV_DB_PASSWORD,
                "FRONTDESK_WORKER_DB_PASSWORD (or the password of "
                "FRONTDESK_WORKER_DATABASE_URL)":
                    self._role_password(self.worker_database_url,
                                        self.worker_db_password) == DEV_DB_PASSWORD,
                "ADMIN_API_TOKEN (shorter than 32 characters)":
                    self.admin_api_token is not None and len(self.admin_api_token) < 32,
            }
            unsafe = [name for name, is_default in defaults.items() if is_default]
            if unsafe:
                raise ValueError("production mode refuses default secrets: " + ", ".join(unsafe))
        return self

    def _role_password(self, url: str | None, password: str) -> str | None:
        """The password a service role connects with, None when this configuration gives the
        role no way to connect (an API process given only the API's URL has no worker)."""
        if url is not None:
            return str(conninfo_to_dict(url).get("password") or "")
        if self.api_database_url is not None and self.database_url is None:
            return None
        return password

    @property
    def embedded(self) -> bool:
        """No database given: the service starts its embedded PostgreSQL (ADR 0007)."""
        return self.database_url is None and self.api_database_url is None

    def serve_refusal(self) -> str | None:
        """Why production mode refuses to start ``serve`` with these settings, if it does: the
        API process holds the API role's credentials only (ADR 0072), so that a compromised
        API can neither switch row-level security off (the owner) nor read every tenant
        (the worker)."""
        if self.env != "production":
            return None
        held = [name for name, value in (
            ("DATABASE_URL (the owner)", self.database_url),
            ("FRONTDESK_WORKER_DATABASE_URL", self.worker_database_url),
            ("FRONTDESK_WORKER_DB_PASSWORD",
             self.worker_db_password if "worker_db_password" in self.model_fields_set
             else None)) if value]
        if held:
            return ("production mode refuses to serve holding " + ", ".join(held) + ": give "
                    "`serve` FRONTDESK_API_DATABASE_URL only, run `frontdesk migrate` with the "
                    "owner's DATABASE_URL as a release step and `frontdesk worker` with the "
                    "worker's credentials")
        if self.api_database_url is None:
            return ("production mode needs FRONTDESK_API_DATABASE_URL (the frontdesk_app "
                    "role's connection) for `serve`")
        if conninfo_to_dict(self.api_database_url).get("user") != "frontdesk_app":
            return "production mode: FRONTDESK_API_DATABASE_URL must connect as frontdesk_app"
        if self.in_process_projections:
            return ("production mode serves the API only: set "
                    "FRONTDESK_IN_PROCESS_PROJECTIONS=false and run `frontdesk worker` "
                    "(projections need the worker role, which the API does not hold)")
        return None

    def worker_refusal(self) -> str | None:
        """Why production mode refuses to start ``worker`` with these settings: it holds the
        API's and the worker's roles, never the owner (ADR 0072)."""
        if self.env == "production" and self.database_url is not None:
            return ("production mode refuses to run the worker holding DATABASE_URL (the "
                    "owner): give it FRONTDESK_API_DATABASE_URL and "
                    "FRONTDESK_WORKER_DATABASE_URL, and run `frontdesk migrate` as a release "
                    "step")
        return None

    @property
    def webhooks_https_only(self) -> bool:
        if self.webhooks_require_https is not None:
            return self.webhooks_require_https
        return self.env == "production"

    @property
    def jwt_previous_secret_list(self) -> list[str]:
        return [s.strip() for s in self.jwt_previous_secrets.split(",") if s.strip()]

    @property
    def blind_index_key_bytes(self) -> bytes:
        return base64.b64decode(self.blind_index_key)
