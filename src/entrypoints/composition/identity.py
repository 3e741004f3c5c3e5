"""Identity and access: tenants, passwords, tokens, users and API keys, login throttling."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.crypto.keys import KeyEncryptionKeys
from adapters.identity.access import PostgresAccessDirectory, PostgresCounters
from adapters.identity.directory import PostgresTenantDirectory
from adapters.identity.email_secrets import PostgresEmailSecrets
from adapters.identity.passwords import Argon2PasswordHasher
from adapters.identity.sessions import PostgresSessionStore
from adapters.identity.tokens import JwtTokens
from adapters.identity.totp import PostgresFactorStore, PyotpCodes
from adapters.identity.widget_keys import JwtVisitorTokens, PostgresWidgetKeys
from adapters.postgres.database import DictPool
from adapters.readmodels.audit import SqlAuditQueries
from adapters.readmodels.engine import ReadModelReader
from application.identity import AuthenticateHandler, ProvisionTenantHandler
from application.identity.access import (
    ApiKeyAdministration,
    LoginThrottle,
    ThrottlePolicy,
    UserAdministration,
)
from application.identity.email_secrets import EmailSecretAdministration
from application.identity.sessions import Sessions
from application.identity.totp import SecondFactor
from application.identity.widget import WidgetKeyAdministration
from domain.ports import Clock
from entrypoints.settings import Settings


class IdentityContainer(containers.DeclarativeContainer):
    settings: providers.Dependency[Settings] = providers.Dependency()
    clock: providers.Dependency[Clock] = providers.Dependency()
    app_pool: providers.Dependency[DictPool] = providers.Dependency()
    worker_pool: providers.Dependency[DictPool] = providers.Dependency()
    reader: providers.Dependency[ReadModelReader] = providers.Dependency()
    keks: providers.Dependency[KeyEncryptionKeys] = providers.Dependency()

    tenants = providers.Singleton(PostgresTenantDirectory, app_pool, worker_pool)
    passwords = providers.Singleton(Argon2PasswordHasher)
    tokens = providers.Singleton(JwtTokens, settings.provided.jwt_secret,
                                 previous=settings.provided.jwt_previous_secret_list,
                                 lifetime=settings.provided.jwt_lifetime_seconds)
    access_directory = providers.Singleton(PostgresAccessDirectory, app_pool)
    counters = providers.Singleton(PostgresCounters, app_pool)
    login_throttle = providers.Singleton(
        LoginThrottle, counters, providers.Singleton(
            ThrottlePolicy, window_seconds=settings.provided.login_throttle_window,
            per_account=settings.provided.login_throttle_per_account,
            per_ip=settings.provided.login_throttle_per_ip))
    sessions = providers.Singleton(
        Sessions, providers.Singleton(PostgresSessionStore, app_pool), tokens, clock,
        settings.provided.refresh_lifetime_seconds)
    provision_tenant = providers.Singleton(ProvisionTenantHandler, tenants, passwords)
    second_factor = providers.Singleton(
        SecondFactor, providers.Singleton(PostgresFactorStore, app_pool, keks),
        providers.Singleton(PyotpCodes), clock, access_directory, tokens, login_throttle)
    authenticate = providers.Singleton(AuthenticateHandler, tenants, passwords, tokens,
                                       login_throttle, access_directory, sessions,
                                       second_factor)
    users = providers.Singleton(UserAdministration, access_directory, passwords)
    api_keys = providers.Singleton(ApiKeyAdministration, access_directory, clock)
    audit_queries = providers.Singleton(SqlAuditQueries, reader)
    email_secrets = providers.Singleton(
        EmailSecretAdministration, providers.Singleton(PostgresEmailSecrets, app_pool, keks),
        clock, settings.provided.email_webhook_secret)
    widget_keys = providers.Singleton(WidgetKeyAdministration,
                                      providers.Singleton(PostgresWidgetKeys, app_pool), clock)
    visitor_tokens = providers.Singleton(JwtVisitorTokens, settings.provided.jwt_secret)
