"""What the contact center's routes read: its live views and its catalog."""

from __future__ import annotations

from application.contact_center.views import CatalogQueries, ContactCenterQueries
from entrypoints.http.deps import Provided

Center = Provided[ContactCenterQueries]
Catalog = Provided[CatalogQueries]
