"""The supervisor overview counts a queue's tasks in SQL; its SLA figures must be those of
``sla_counts`` (the application's definition, ADR 0031) over the same tasks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from application.contact_center.metrics import WaitFacts, sla_counts

NOW = datetime(2030, 5, 6, 15, 0, tzinfo=UTC)
DAY = datetime(2030, 5, 6, tzinfo=UTC)
TARGET = 60


def _task(conn: psycopg.Connection[Any], tenant: uuid.UUID, queue: uuid.UUID, status: str, *,
          queued: datetime | None, accepted: datetime | None = None,
          wait_ended: datetime | None = None) -> None:
    conn.execute(
        "INSERT INTO cc_tasks (tenant_id, id, queue_id, status, channel, priority, own_skills,"
        " required_skills, source_kind, queued_at, target_answer_seconds, max_hold_seconds,"
        " reservation_timeout_seconds, accepted_at, wait_ended_at, breached_here, breaches,"
        " escalations, declined_by, version, created_at, updated_at) VALUES (%s, %s, %s, %s,"
        " 'voice', 0, %s, %s, 'manual', %s, %s, 600, 30, %s, %s, false, 0, 0, %s, 1, %s, %s)",
        (tenant, uuid.uuid4(), queue, status, Jsonb({}), Jsonb({}), queued, TARGET, accepted,
         wait_ended, Jsonb([]), NOW - timedelta(days=2), NOW))


def test_the_overview_counts_the_sla_as_sla_counts_does(owner_url: str, container: Any) -> None:
    tenant, queue = uuid.uuid4(), uuid.uuid4()
    s = timedelta(seconds=1)
    # (status, queued, accepted, wait ended): one of each branch of sla_counts, and its edges
    tasks = [
        ("completed", NOW - 10 * s * 60, NOW - 10 * s * 60 + 60 * s, NOW - 540 * s),  # met, at it
        ("accepted", NOW - 200 * s, NOW - 100 * s, NOW - 100 * s),  # answered late: missed
        ("completed", DAY - 300 * s, DAY - 200 * s, DAY - 200 * s),  # answered yesterday
        ("canceled", NOW - 100 * s, None, NOW - 80 * s),  # short abandon: neither
        ("canceled", NOW - 500 * s, None, NOW - 300 * s),  # long abandon: missed
        ("canceled", NOW - 90 * s, NOW - 85 * s, NOW - 10 * s),  # canceled after answered: met
        ("queued", NOW - 30 * s, None, None),  # waiting, within the target
        ("queued", NOW - 61 * s, None, None),  # waiting past it: missed already
        ("queued", NOW - 600 * s, None, None),
        ("reserved", NOW - 120 * s, None, None),  # offered, still unanswered: missed
        ("created", None, None, None),  # scheduled, not queued yet
        ("wrap_up", NOW - 50 * s, NOW - 45 * s, NOW - 45 * s),
    ]
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO cc_queues (tenant_id, id, name, description, required_skills, strategy,"
            " target_answer_seconds, target_percentage, max_hold_seconds,"
            " reservation_timeout_seconds, default_for, breaches, version, created_at,"
            " updated_at) VALUES (%s, %s, 'SLA', NULL, %s, 'longest_idle', %s, 80, 600, 30, %s,"
            " %s, 1, %s, %s)",
            (tenant, queue, Jsonb({}), TARGET, Jsonb([]), Jsonb({}), NOW, NOW))
        for status, queued, accepted, ended in tasks:
            _task(conn, tenant, queue, status, queued=queued, accepted=accepted,
                  wait_ended=ended)

    [seen] = container.contact_center.queries().overview(tenant, NOW).queues
    expected = sla_counts([WaitFacts(queued, TARGET, accepted,
                                     ended if accepted is None and status == "canceled" else None)
                           for status, queued, accepted, ended in tasks if queued is not None],
                          DAY, NOW)
    assert (seen.answered_today, seen.met_today, seen.missed_today, seen.abandoned_today) == (
        expected.answered, expected.met, expected.missed, expected.abandoned)
    assert seen.sla_attainment_today == expected.attainment
    assert (expected.answered, expected.met, expected.missed, expected.abandoned) == (4, 3, 5, 2)
    assert (seen.waiting, seen.reserved, seen.scheduled, seen.in_progress) == (3, 1, 1, 2)
    assert seen.oldest_waiting_since == NOW - 600 * s
