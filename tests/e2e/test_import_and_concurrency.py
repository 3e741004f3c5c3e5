"""CSV import over HTTP and the CLI, and concurrent writers on one aggregate."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.conftest import TenantSession
from tests.e2e.test_security import assert_problem, event_count

CSV = (
    "name,email,phone,source,campaign\n"
    "Ana Ruiz,ana@example.com,,fair,autumn\n"
    "Bob Lee,,+1 415 555 2671,fair,autumn\n"
    "Ana twice,ANA@example.com,,fair,autumn\n"
    "Nobody,,,fair,autumn\n"
    "Bad Phone,,12,fair,autumn\n"
)


def upload(tenant: TenantSession, content: bytes, **headers: str) -> Any:
    return tenant.post("/v1/leads/import", content=content,
                       headers={"Content-Type": "text/csv", **headers})


def test_import_reports_each_row(tenant: TenantSession) -> None:
    response = upload(tenant, CSV.encode())
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (2, 1, 2)
    outcomes = {row["row"]: row for row in report["rows"]}
    assert outcomes[4]["outcome"] == "duplicate"
    assert outcomes[4]["existing_id"] == outcomes[2]["lead_id"]
    assert "email or a phone" in outcomes[5]["reason"]
    listed = tenant.read("/v1/leads", response.headers["x-frontdesk-position"],
                         params={"campaign": "autumn"}).json()["items"]
    assert sorted(item["name"] for item in listed) == ["Ana Ruiz", "Bob Lee"]


def test_a_malformed_file_imports_nothing(tenant: TenantSession, container: Any) -> None:
    before = event_count(container, tenant)
    for content in (b"\xff\xfe\x00b\x00a\x00d", b"", b"name,favourite_colour\nAna,blue\n",
                    b"name,email\nAna,ana@example.com,extra,fields\n",
                    b'name,email\n"unterminated,ana@example.com\n',
                    b"name,email\n"):
        assert_problem(upload(tenant, content), 400)
    assert event_count(container, tenant) == before


def test_import_is_idempotent_with_a_key(tenant: TenantSession) -> None:
    first = upload(tenant, CSV.encode(), **{"Idempotency-Key": "import-1"})
    second = upload(tenant, CSV.encode(), **{"Idempotency-Key": "import-1"})
    assert second.content == first.content
    assert second.json()["accepted"] == 2


def test_twenty_concurrent_writers_on_one_lead_are_applied_or_409(
        tenant: TenantSession) -> None:
    lead = tenant.post("/v1/leads", json={"email": "race@example.com", "source": "web"}).json()
    path = f"/v1/leads/{lead['id']}/score"

    def write(n: int) -> Any:
        return tenant.post(path, json={"score": n, "reasons": [f"writer {n}"]},
                           headers={"If-Match": "1"})

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(write, range(20)))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {200, 409}
    winners = [a for a in answers if a.status_code == 200]
    assert len(winners) == 1
    history = tenant.get(f"/v1/leads/{lead['id']}/events").json()["items"]
    assert [e["type"] for e in history] == ["LeadCaptured", "LeadScored"]
    assert history[1]["data"]["score"] == winners[0].json()["score"]


def test_concurrent_writers_without_if_match_all_apply_in_some_order(
        tenant: TenantSession) -> None:
    lead = tenant.post("/v1/leads", json={"email": "race2@example.com", "source": "web"}).json()
    path = f"/v1/leads/{lead['id']}/score"
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda n: tenant.post(path, json={"score": n}), range(10)))
    applied = [a for a in answers if a.status_code == 200]
    assert all(a.status_code in (200, 409) for a in answers)
    history = tenant.get(f"/v1/leads/{lead['id']}/events").json()["items"]
    assert len(history) == 1 + len(applied)
    assert [e["version"] for e in history] == list(range(1, len(history) + 1))
