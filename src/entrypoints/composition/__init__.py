"""The composition root, one sub-container per bounded context.

``entrypoints.container.Container`` builds what every context shares (settings, the database,
the event store, the clock) and includes these; each declares what it needs from the root as
typed dependencies and provides its command handlers (one mapping, merged into the command
bus), its queries and its processes.
"""

from entrypoints.composition.analytics import AnalyticsContainer
from entrypoints.composition.cases import CasesContainer
from entrypoints.composition.contact_center import ContactCenterContainer
from entrypoints.composition.conversations import ConversationsContainer
from entrypoints.composition.identity import IdentityContainer
from entrypoints.composition.knowledge import KnowledgeContainer
from entrypoints.composition.leads import LeadsContainer
from entrypoints.composition.privacy import PrivacyContainer
from entrypoints.composition.streams import StreamsContainer
from entrypoints.composition.webhooks import WebhooksContainer

__all__ = [
    "AnalyticsContainer",
    "CasesContainer",
    "ContactCenterContainer",
    "ConversationsContainer",
    "IdentityContainer",
    "KnowledgeContainer",
    "LeadsContainer",
    "PrivacyContainer",
    "StreamsContainer",
    "WebhooksContainer",
]
