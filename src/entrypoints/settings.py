"""Configuration, from the environment or ``.env`` only (pydantic-settings)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Literal

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

    database_url: str | None = Field(default=None, alias="DATABASE_URL",
                                     description="Owner connection; unset = embedded server")
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
    jwt_lifetime_seconds: int = Field(default=3600, alias="JWT_LIFETIME_SECONDS")
    key_encryption_keys: str = Field(default=DEV_KEK, alias="FRONTDESK_KEKS",
                                     description="id:base64 pairs, first is active")
    blind_index_key: str = Field(default=DEV_BLIND_INDEX_KEY, alias="FRONTDESK_BLIND_INDEX_KEY")
    default_phone_region: str | None = Field(default=None, alias="FRONTDESK_PHONE_REGION")
    in_process_projections: bool = Field(default=True, alias="FRONTDESK_IN_PROCESS_PROJECTIONS")
    stale_policy_interval: float = Field(default=60.0, alias="FRONTDESK_STALE_POLICY_INTERVAL")
    contact_center_interval: float = Field(default=1.0,
                                           alias="FRONTDESK_CONTACT_CENTER_INTERVAL")
    route_on_arrival: bool = Field(default=True, alias="FRONTDESK_ROUTE_ON_ARRIVAL")
    max_body_bytes: int = Field(default=5 * 1024 * 1024, alias="FRONTDESK_MAX_BODY_BYTES")
    cors_origins: str = Field(default="", alias="FRONTDESK_CORS_ORIGINS")
    log_level: str = Field(default="INFO", alias="FRONTDESK_LOG_LEVEL")
    db_pool_size: int = Field(default=10, alias="FRONTDESK_DB_POOL_SIZE")
    read_your_writes_timeout: float = Field(default=5.0,
                                            alias="FRONTDESK_READ_YOUR_WRITES_TIMEOUT")

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.env == "production":
            defaults = {
                "JWT_SECRET": self.jwt_secret == DEV_JWT_SECRET,
                "FRONTDESK_KEKS": self.key_encryption_keys == DEV_KEK,
                "FRONTDESK_BLIND_INDEX_KEY": self.blind_index_key == DEV_BLIND_INDEX_KEY,
                "FRONTDESK_APP_DB_PASSWORD": self.app_db_password == DEV_DB_PASSWORD,
                "FRONTDESK_WORKER_DB_PASSWORD": self.worker_db_password == DEV_DB_PASSWORD,
            }
            unsafe = [name for name, is_default in defaults.items() if is_default]
            if unsafe:
                raise ValueError("production mode refuses default secrets: " + ", ".join(unsafe))
        return self

    @property
    def blind_index_key_bytes(self) -> bytes:
        return base64.b64decode(self.blind_index_key)
