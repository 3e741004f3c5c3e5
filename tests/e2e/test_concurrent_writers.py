"""Twenty clients write to one lead at once, round after round, each with If-Match of the
version it last saw, against `frontdesk serve --workers 2` (two API processes, so conflicts are
caught by the database, not only inside one process). Every answer is 200 or 409; each 200 is
exactly one event of the lead's history and each 409 left no trace; the version is 1 + the
writes applied; the read model holds the last applied write."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import PASSWORD
from tests.serving import served

CLIENTS, ROUNDS = 20, 5  # scores 0-99: each write's score is its own


@dataclass(frozen=True)
class Answer:
    round: int
    client: int
    tag: str
    score: int
    status: int
    body: dict[str, Any]
    version: int | None  # the ETag of a 200
    position: str | None


def test_twenty_clients_racing_on_one_lead_apply_each_write_once_or_409(owner_url: str) -> None:
    with served(owner_url, ["--workers", "2"], FRONTDESK_RATE_LIMIT_PER_IP="0",
                FRONTDESK_RATE_LIMIT_PER_TENANT="0") as service:
        slug = f"race-{uuid.uuid4().hex[:8]}"
        created = httpx.post(f"{service.url}/v1/admin/tenants",
                             headers={"Authorization": "Bearer dev-admin-token"},
                             json={"name": "Race", "slug": slug, "admin_email": f"a@{slug}.example",
                                   "admin_password": PASSWORD}, timeout=30)
        assert created.status_code == 201, created.text
        token = httpx.post(f"{service.url}/v1/auth/login", timeout=30, json={
            "tenant": slug, "email": f"a@{slug}.example", "password": PASSWORD}
                           ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        captured = httpx.post(f"{service.url}/v1/leads", headers=auth, timeout=30,
                              json={"email": f"race@{slug}.example", "source": "web"})
        assert captured.status_code == 201, captured.text
        lead_id = captured.json()["id"]
        clients = [httpx.Client(base_url=service.url, headers=auth, timeout=30)
                   for _ in range(CLIENTS)]
        seen = [1] * CLIENTS  # the version each client last saw
        start = threading.Barrier(CLIENTS, timeout=60)

        def write(round_: int, client: int) -> Answer:
            tag, score = f"round {round_} client {client}", round_ * CLIENTS + client
            start.wait()  # all twenty at once
            response = clients[client].post(f"/v1/leads/{lead_id}/score",
                                            json={"score": score, "reasons": [tag]},
                                            headers={"If-Match": f'"{seen[client]}"'})
            body = response.json()
            version = int(response.headers["etag"].strip('"')) if response.status_code == 200 \
                else None
            if version is not None:
                seen[client] = version
            elif "current_version" in body:  # stale on loading: the answer names the current
                seen[client] = body["current_version"]
            else:  # lost the race at commit: look the current version up in the history
                history = clients[client].get(f"/v1/leads/{lead_id}/events").json()["items"]
                seen[client] = history[-1]["version"]
            return Answer(round_, client, tag, score, response.status_code, body, version,
                          response.headers.get("x-frontdesk-position"))

        answers: list[Answer] = []
        try:
            with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
                for round_ in range(ROUNDS):
                    answers += pool.map(lambda c, r=round_: write(r, c), range(CLIENTS))
            history = clients[0].get(f"/v1/leads/{lead_id}/events").json()["items"]
            applied = [a for a in answers if a.status == 200]
            assert applied, "no write applied"
            last = max(applied, key=lambda a: a.version or 0)
            deadline = time.monotonic() + 30
            while True:  # the read model, once it includes the last applied write
                view = clients[0].get(f"/v1/leads/{lead_id}", headers={
                    "X-Frontdesk-Min-Position": str(last.position)})
                if view.headers.get("x-frontdesk-consistency") == "consistent":
                    break
                assert time.monotonic() < deadline, "the read model did not catch up"
        finally:
            for client in clients:
                client.close()

    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 409}, statuses
    for answer in answers:
        if answer.status == 409:
            assert answer.body["type"].endswith("stale-version"), answer.body
    # Each round starts at the version the last round's winner saw: exactly one wins a round.
    assert [sum(a.status == 200 for a in answers if a.round == r) for r in range(ROUNDS)] == \
        [1] * ROUNDS, statuses
    assert sorted(a.version or 0 for a in applied) == list(range(2, len(applied) + 2))

    # The history is the applied writes, one event each, in version order; no 409 left a trace.
    assert [e["version"] for e in history] == list(range(1, len(applied) + 2))
    assert [e["type"] for e in history] == ["LeadCaptured"] + ["LeadScored"] * len(applied)
    by_version = {a.version: a for a in applied}
    for event in history[1:]:
        winner = by_version[event["version"]]
        assert (event["data"]["score"], event["data"]["reasons"]) == (winner.score,
                                                                      [winner.tag])
    recorded = {tag for e in history[1:] for tag in e["data"]["reasons"]}
    assert recorded == {a.tag for a in applied}

    lead = view.json()
    assert view.status_code == 200 and view.headers["etag"] == f'"{len(applied) + 1}"'
    assert (lead["version"], lead["score"]) == (len(applied) + 1, last.score)
