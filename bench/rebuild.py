"""(b) Projection rebuild speed (events/s) for 100k events, against reading the same rows raw
(keyset pages of 1,000 in commit order, all columns, as the worker role)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql


def generate(container: Any, tenant_id: uuid.UUID, leads: int, *, per_commit: int = 50) -> int:
    """``leads`` contacts and leads, each lead captured, contacted, scored and qualified:
    4 lead events and 1 contact event per lead. Returns the number of lead events."""
    from domain.contacts import Contact
    from domain.leads import Lead
    from domain.shared import Email, Score, Slug

    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = 0
    while made < leads:
        uow = container.unit_of_work()(tenant_id)
        for _ in range(min(per_commit, leads - made)):
            at = start + timedelta(seconds=made)
            person = Contact.register(contact_id=uuid.uuid4(), tenant_id=tenant_id,
                                      actor="bench", at=at, name=f"Person {made}",
                                      email=Email(f"p{made}-{uuid.uuid4().hex[:6]}@bench.example"),
                                      phone=None)
            lead = Lead.capture(lead_id=uuid.uuid4(), tenant_id=tenant_id, actor="bench", at=at,
                                contact_id=person.id, source=Slug(f"src{made % 7}"),
                                campaign=Slug(f"c{made % 5}"), channel=Slug("web"),
                                notes="generated for the rebuild benchmark")
            lead.record_contact(actor="bench", at=at, channel=Slug("phone"),
                                outcome=Slug("reached"), note="called")
            lead.rescore(actor="bench", at=at, score=Score(made % 101), reasons=["volume"])
            lead.qualify(actor="bench", at=at, note=None)
            uow.add(person)
            uow.add(lead)
            made += 1
        uow.commit()
    return leads * 4


def raw_read_rate(container: Any) -> tuple[float, int]:
    rows, last_tx, last_id = 0, "0", 0
    started = time.perf_counter()
    with container.worker_pool().connection() as conn:
        while True:
            page = conn.execute(
                "SELECT tx_id::text AS tx, notification_id, tenant_id, originator_id, "
                "originator_version, topic, state, subject_id, occurred_at FROM events "
                "WHERE (tx_id, notification_id) > (%s::xid8, %s) "
                "ORDER BY tx_id, notification_id LIMIT 1000", (last_tx, last_id),
                prepare=True).fetchall()
            if not page:
                break
            rows += len(page)
            last_tx, last_id = page[-1]["tx"], page[-1]["notification_id"]
    return rows / (time.perf_counter() - started), rows


def rebuild_rate(container: Any, name: str) -> tuple[float, int]:
    manager = container.projection_manager()
    started = time.perf_counter()
    report = manager.rebuild(name, resume=False)
    return report.events / (time.perf_counter() - started), report.events


def live_table_rows(container: Any, table: str) -> int:
    with container.worker_pool().connection() as conn:
        row = conn.execute(sql.SQL("SELECT count(*) AS n FROM {}").format(
            sql.Identifier(table))).fetchone()
    return int(row["n"])


def run(container: Any, tenant_id: uuid.UUID, *, leads: int = 25_000,
        rounds: int = 3) -> dict[str, float]:
    from bench.common import median

    generated = time.perf_counter()
    events = generate(container, tenant_id, leads)
    generation = time.perf_counter() - generated
    raw, rebuilt = [], []
    for _ in range(rounds):
        rate, total_rows = raw_read_rate(container)
        raw.append(rate)
        rate, applied = rebuild_rate(container, "lead_pipeline")
        rebuilt.append(rate)
    return {"lead_events": events, "log_rows": total_rows, "applied": applied,
            "generation_s": generation, "raw_read": median(raw), "rebuild": median(rebuilt),
            "rows_after": live_table_rows(container, "lead_pipeline")}
