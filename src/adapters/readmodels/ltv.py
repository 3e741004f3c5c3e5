"""LtvQueries: the live report from the ltv read model (SQL), and as-of reports computed by
applying the same projection to the events up to that moment (in memory, one tenant)."""

from __future__ import annotations

import base64
import json
import threading
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from adapters.eventstore.mapper import PersonalDataMapper
from adapters.postgres.database import DictPool
from adapters.projections.as_of import compute_as_of
from adapters.readmodels.engine import ReadModelReader
from application.analytics.ltv import (
    ContactLtv,
    GroupLtv,
    contact_order,
    group_ltv,
    groups_from_rows,
    ordered_groups,
)
from application.ports import BadCursor, Page
from application.projections.ltv import CASES, CONTACTS, LtvProjection

_CONTACT_COLUMNS = sql.SQL(
    "contact_id, currency, paid, refunded, disputed, net, payments, cases, first_payment_at, "
    "last_payment_at, cohort")
_SUMS = ("count(*) AS customers, sum(payments) AS payments, sum(paid) AS paid, "
         "sum(refunded) AS refunded, sum(disputed) AS disputed, sum(net) AS net, "
         "percentile_disc(0.5) WITHIN GROUP (ORDER BY net) AS low, "
         "percentile_disc(0.5) WITHIN GROUP (ORDER BY net DESC) AS high")
_BY_CASE = (
    "WITH per AS (SELECT c.source AS key, lc.currency, lc.contact_id, "
    "sum((e.value->>0)::bigint) AS paid, sum((e.value->>1)::bigint) AS refunded, "
    "sum((e.value->>2)::bigint) AS disputed, sum((e.value->>3)::bigint) AS payments, "
    "sum((e.value->>0)::bigint - (e.value->>1)::bigint - (e.value->>2)::bigint) AS net "
    "FROM ltv_contacts lc CROSS JOIN LATERAL jsonb_each(lc.by_case) AS e(case_id, value) "
    "LEFT JOIN ltv_cases c ON c.tenant_id = lc.tenant_id AND c.case_id = e.case_id::uuid "
    "WHERE lc.tenant_id = %(tenant)s {currency} GROUP BY c.source, lc.currency, "
    "lc.contact_id) SELECT key, currency, " + _SUMS + " FROM per GROUP BY key, currency")
_GROUPS = {
    "cohort": "SELECT cohort AS key, currency, " + _SUMS + " FROM ltv_contacts lc "
              "WHERE tenant_id = %(tenant)s {currency} GROUP BY cohort, currency",
    "source": _BY_CASE,
    "campaign": _BY_CASE.replace("c.source", "c.campaign"),
}
# What the ltv rows are a function of: the projection's version and how many events it has
# applied (its position also moves past other projections' transactions; this does not).
_POSITION = ("SELECT version::text || ':' || events_processed::text AS position FROM "
             "projection_tracking WHERE name = 'ltv'")


class _Memo:
    """Group reports of the live view, remembered per ltv state (version, events applied): the
    same rows give the same report, so until the projection applies another event, a report
    is computed once per process."""

    def __init__(self, size: int = 2048) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[Any, ...], tuple[str, list[GroupLtv]]] = {}
        self._size = size

    def get(self, key: tuple[Any, ...], position: str) -> list[GroupLtv] | None:
        with self._lock:
            found = self._entries.get(key)
        return found[1] if found is not None and found[0] == position else None

    def put(self, key: tuple[Any, ...], position: str, groups: list[GroupLtv]) -> None:
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[key] = (position, groups)


def encode_rank(item: ContactLtv) -> str:
    raw = json.dumps([item.net, str(item.contact_id), item.currency]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_rank(cursor: str) -> tuple[int, UUID, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        net, contact_id, currency = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return int(net), UUID(contact_id), str(currency)
    except (ValueError, TypeError) as error:
        raise BadCursor("this cursor was not issued by this service") from error


class SqlLtvQueries:
    def __init__(self, reader: ReadModelReader, app_pool: DictPool,
                 mapper: PersonalDataMapper) -> None:
        """``app_pool`` and ``mapper``: the API's own; an as-of report reads the tenant's
        events as that tenant under row-level security (ADR 0072)."""
        self._reader, self._pool, self._mapper = reader, app_pool, mapper
        self._memo = _Memo()

    # -- as of --------------------------------------------------------------------------------

    def _rows_as_of(self, tenant_id: UUID, at: datetime) -> tuple[list[Any], list[Any]]:
        rows = compute_as_of(LtvProjection(), at, self._pool, self._mapper,
                             tenant_id=tenant_id, as_tenant=True)
        return rows.rows(CASES), rows.rows(CONTACTS)

    # -- per contact ----------------------------------------------------------------------------

    def contacts(self, tenant_id: UUID, *, currency: str | None, contact_id: UUID | None,
                 limit: int, cursor: str | None,
                 as_of: datetime | None = None) -> Page[ContactLtv]:
        after = decode_rank(cursor) if cursor else None
        if as_of is not None:
            _, contact_rows = self._rows_as_of(tenant_id, as_of)
            items = sorted((ContactLtv.of(r) for r in contact_rows
                            if (currency is None or r["currency"] == currency)
                            and (contact_id is None or r["contact_id"] == contact_id)),
                           key=contact_order)
            if after is not None:
                mark = (-after[0], after[1], after[2])
                items = [i for i in items if contact_order(i) > mark]
        else:
            where: list[sql.Composable] = [sql.SQL("tenant_id = %(tenant)s")]
            params: dict[str, Any] = {"tenant": tenant_id, "limit": limit + 1}
            if currency is not None:
                where.append(sql.SQL("currency = %(currency)s"))
                params["currency"] = currency
            if contact_id is not None:
                where.append(sql.SQL("contact_id = %(contact)s"))
                params["contact"] = contact_id
            if after is not None:
                params["net"], params["after"], params["code"] = after
                where.append(sql.SQL("(net < %(net)s OR (net = %(net)s AND (contact_id, "
                                     "currency) > (%(after)s, %(code)s)))"))
            # Currencies are upper-case ASCII: every collation orders them as Python does,
            # and the order matches the rank index.
            query = sql.SQL("SELECT {} FROM ltv_contacts WHERE {} ORDER BY net DESC, "
                            "contact_id, currency LIMIT %(limit)s").format(
                _CONTACT_COLUMNS, sql.SQL(" AND ").join(where))
            items = [ContactLtv.of(r) for r in self._reader.fetch(tenant_id, query, params)]
        page, more = items[:limit], len(items) > limit
        return Page(page, encode_rank(page[-1]) if more else None)

    # -- groups ---------------------------------------------------------------------------------

    def groups(self, tenant_id: UUID, dimension: str, *, currency: str | None,
               as_of: datetime | None = None) -> list[GroupLtv]:
        if as_of is not None:
            case_rows, contact_rows = self._rows_as_of(tenant_id, as_of)
            return groups_from_rows(dimension, case_rows, contact_rows, currency)
        memo_key = (tenant_id, dimension, currency)
        [position] = self._reader.fetch(tenant_id, _POSITION, {}) or [{"position": "none"}]
        known = self._memo.get(memo_key, position["position"])
        if known is not None:
            return known
        params: dict[str, Any] = {"tenant": tenant_id}
        filter_currency = sql.SQL("")
        if currency is not None:
            filter_currency = sql.SQL("AND lc.currency = %(currency)s")
            params["currency"] = currency
        query = sql.SQL(_GROUPS[dimension]).format(currency=filter_currency)
        rows = self._reader.fetch(tenant_id, query, params)
        groups = ordered_groups(group_ltv(
            r["key"], r["currency"], customers=int(r["customers"]),
            payments=int(r["payments"]), paid=int(r["paid"]), refunded=int(r["refunded"]),
            disputed=int(r["disputed"]), net=int(r["net"]), median_low=int(r["low"]),
            median_high=int(r["high"])) for r in rows)
        self._memo.put(memo_key, position["position"], groups)
        return groups
