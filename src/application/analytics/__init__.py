"""Analytics: reports computed from read models (lifetime value)."""

from application.analytics.ltv import ContactLtv, GroupLtv, LtvQueries

__all__ = ["ContactLtv", "GroupLtv", "LtvQueries"]
