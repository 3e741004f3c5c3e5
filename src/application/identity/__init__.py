"""Identity: tenants, users, login (SPEC §3.8). Plain records, not event-sourced."""

from application.identity.handlers import (
    Authenticate,
    AuthenticateHandler,
    IssuedToken,
    ProvisionedTenant,
    ProvisionTenant,
    ProvisionTenantHandler,
)
from application.identity.ports import (
    ROLES,
    PasswordHasher,
    SlugTaken,
    TenantDirectory,
    TenantRecord,
    TokenIssuer,
    UserRecord,
)

__all__ = [
    "ROLES",
    "Authenticate",
    "AuthenticateHandler",
    "IssuedToken",
    "PasswordHasher",
    "ProvisionTenant",
    "ProvisionTenantHandler",
    "ProvisionedTenant",
    "SlugTaken",
    "TenantDirectory",
    "TenantRecord",
    "TokenIssuer",
    "UserRecord",
]
