"""Production mode refuses the public development secrets, wherever they would be trusted."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from pydantic import ValidationError

from entrypoints.settings import DEV_JWT_SECRET, DEV_KEK, Settings


def strong(**overrides: Any) -> dict[str, Any]:
    def secret() -> str:
        return base64.b64encode(os.urandom(32)).decode()

    return {"FRONTDESK_ENV": "production", "JWT_SECRET": secret(),
            "FRONTDESK_KEKS": f"k1:{secret()}", "FRONTDESK_BLIND_INDEX_KEY": secret(),
            "FRONTDESK_APP_DB_PASSWORD": secret(), "FRONTDESK_WORKER_DB_PASSWORD": secret(),
            "ADMIN_API_TOKEN": secret(), **overrides}


def refused(**values: Any) -> str:
    with pytest.raises(ValidationError) as error:
        Settings(**values)
    return str(error.value)


def test_production_with_its_own_secrets_starts() -> None:
    assert Settings(**strong()).env == "production"


def test_production_refuses_every_development_default() -> None:
    message = refused(FRONTDESK_ENV="production")
    for name in ("JWT_SECRET", "FRONTDESK_KEKS", "FRONTDESK_BLIND_INDEX_KEY",
                 "FRONTDESK_APP_DB_PASSWORD", "FRONTDESK_WORKER_DB_PASSWORD"):
        assert name in message


@pytest.mark.parametrize(("name", "value"), [
    ("JWT_PREVIOUS_SECRETS", f"old-secret-{'x' * 40},{DEV_JWT_SECRET}"),
    ("FRONTDESK_KEKS", f"k2:{base64.b64encode(os.urandom(32)).decode()},{DEV_KEK}"),
    ("ADMIN_API_TOKEN", "short-admin-token"),
], ids=["previous-jwt-secret", "second-kek", "short-admin-token"])  # stable: one per process
def test_production_refuses_a_development_secret_even_as_a_previous_one(name: str,
                                                                      value: str) -> None:
    assert name in refused(**strong(**{name: value}))


def test_development_mode_accepts_the_defaults() -> None:
    settings = Settings(JWT_PREVIOUS_SECRETS=DEV_JWT_SECRET)
    assert settings.jwt_secret == DEV_JWT_SECRET and settings.env != "production"
