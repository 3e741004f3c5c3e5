"""The LTV report: per contact, and by source, campaign or cohort, per currency.

The live report reads the ``ltv`` read model with SQL; an ``as_of`` report applies the same
projection to the events up to that moment, in memory, and computes the groups here. Both
finish through ``group_ltv`` and order the same way, so a report as of now equals the live one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from application.ports import Page
from application.projections.ltv import DEFINITION, DISPUTED, PAID, PAYMENTS, REFUNDED

GROUPINGS = ("contact", "source", "campaign", "cohort")
__all__ = ["DEFINITION", "GROUPINGS", "ContactLtv", "GroupLtv", "LtvQueries"]


@dataclass(frozen=True, slots=True)
class ContactLtv:
    contact_id: UUID
    currency: str
    paid: int
    refunded: int
    disputed: int
    net: int
    payments: int
    cases: int
    first_payment_at: datetime
    last_payment_at: datetime
    cohort: str

    @classmethod
    def of(cls, row: Any) -> ContactLtv:
        return cls(contact_id=row["contact_id"], currency=row["currency"],
                   paid=int(row["paid"]), refunded=int(row["refunded"]),
                   disputed=int(row["disputed"]), net=int(row["net"]),
                   payments=int(row["payments"]), cases=int(row["cases"]),
                   first_payment_at=row["first_payment_at"],
                   last_payment_at=row["last_payment_at"], cohort=row["cohort"])


@dataclass(frozen=True, slots=True)
class GroupLtv:
    """One group (a source, a campaign, a cohort month) in one currency. ``average`` and
    ``median`` are per customer, in whole minor units rounded half up."""

    key: str | None
    currency: str
    customers: int
    payments: int
    paid: int
    refunded: int
    disputed: int
    net: int
    average: int
    median: int


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def group_ltv(key: str | None, currency: str, *, customers: int, payments: int, paid: int,
              refunded: int, disputed: int, net: int, median_low: int,
              median_high: int) -> GroupLtv:
    """The one place where a group's figures are finished (live and as-of alike)."""
    return GroupLtv(key=key, currency=currency, customers=customers, payments=payments,
                    paid=paid, refunded=refunded, disputed=disputed, net=net,
                    average=half_up(net, customers) if customers else 0,
                    median=half_up(median_low + median_high, 2))


def ordered_groups(groups: Iterable[GroupLtv]) -> list[GroupLtv]:
    """Groups by key (no key last), then currency."""
    return sorted(groups, key=lambda g: (g.key is None, g.key or "", g.currency))


def contact_order(item: ContactLtv) -> tuple[int, UUID, str]:
    """Highest net first; ties by contact id, then currency (the cursor's order)."""
    return (-item.net, item.contact_id, item.currency)


def groups_from_rows(dimension: str, case_rows: Iterable[Any],
                     contact_rows: Iterable[Any], currency: str | None) -> list[GroupLtv]:
    """Compute groups from read-model rows (as-of reports; tests compare with the SQL)."""
    # per (group key, currency, contact): [paid, refunded, disputed, payments]
    per: dict[tuple[str | None, str, UUID], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    attribution = {str(row["case_id"]): row for row in case_rows}
    for row in contact_rows:
        if currency is not None and row["currency"] != currency:
            continue
        if dimension == "cohort":
            per[(row["cohort"], row["currency"], row["contact_id"])] = [
                row["paid"], row["refunded"], row["disputed"], row["payments"]]
            continue
        for case_id, entry in row["by_case"].items():
            case = attribution.get(case_id)
            sums = per[(case[dimension] if case else None, row["currency"], row["contact_id"])]
            for index in (PAID, REFUNDED, DISPUTED, PAYMENTS):
                sums[index] += entry[index]
    by_group: dict[tuple[str | None, str], list[list[int]]] = defaultdict(list)
    for (key, code, _), sums in per.items():
        by_group[(key, code)].append(sums)
    groups = []
    for (key, code), members in by_group.items():
        nets = sorted(m[PAID] - m[REFUNDED] - m[DISPUTED] for m in members)
        n = len(nets)
        groups.append(group_ltv(
            key, code, customers=n, payments=sum(m[PAYMENTS] for m in members),
            paid=sum(m[PAID] for m in members), refunded=sum(m[REFUNDED] for m in members),
            disputed=sum(m[DISPUTED] for m in members), net=sum(nets),
            median_low=nets[(n - 1) // 2], median_high=nets[n // 2]))
    return ordered_groups(groups)


class LtvQueries(Protocol):
    def contacts(self, tenant_id: UUID, *, currency: str | None, contact_id: UUID | None,
                 limit: int, cursor: str | None,
                 as_of: datetime | None = None) -> Page[ContactLtv]: ...

    def groups(self, tenant_id: UUID, dimension: str, *, currency: str | None,
               as_of: datetime | None = None) -> list[GroupLtv]: ...
