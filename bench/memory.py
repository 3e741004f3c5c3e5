"""(d) Cognitive memory and erasure, each figure beside a baseline measured in the same run.

d1  embedding + insert throughput of the memory projection (a rebuild of `memories` over
    generated notes), against the embedder alone on the same texts and a raw pipelined INSERT
    of the same rows with precomputed vectors into a table of the same shape;
d2  search latency (p50/p95) for the top 10 among 100k memories of one tenant, in a database
    holding 10 tenants, with recall@10 of the HNSW search against exact search (which is
    also the latency baseline); the full tenant-wide and per-contact searches as the API
    runs them (embedding, candidates, scoring);
d3  erasure of a contact with 1,000 events: the command, the purge by every projection, and
    the rewrite of the tables (compaction), in the d2 database;
d4  freshness: with `frontdesk worker` running in its own process and a writer committing
    200 noted leads/s, the time from a commit to its memory being searchable (p50/p95/max).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.common import bench_database, build_container, new_tenant, percentile
from bench.http_load import start_worker, stop_process

ROOT = Path(__file__).resolve().parents[1]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "da", "fe", "gu", "ho", "ji",
             "pa", "re", "si", "tu", "ze", "bo", "ce", "di", "ma", "no", "po", "ri"]
DOMAIN = ["whitening", "quote", "invoice", "appointment", "evening", "morning", "refund",
          "veneers", "implant", "cleaning", "insurance", "deposit", "discount", "flight",
          "hotel", "booking", "visa", "transfer", "price", "budget", "callback", "email",
          "friday", "monday", "allergy", "anxious", "children", "parking", "payment", "cancel"]


class Texts:
    """Notes of 8-18 words drawn from a Zipf-like vocabulary of 4,000 words (deterministic)."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        made = {a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES}
        words = DOMAIN + sorted(made)[: 4_000 - len(DOMAIN)]
        self.rng.shuffle(words)
        self.words = words
        self.cum = []
        total = 0.0
        for rank in range(1, len(words) + 1):
            total += 1 / rank
            self.cum.append(total)

    def note(self) -> str:
        n = self.rng.randint(8, 18)
        return " ".join(self.rng.choices(self.words, cum_weights=self.cum, k=n))

    def query_for(self, text: str) -> str:
        """A query a user might type about ``text``: some of its words and one other."""
        words = text.split()
        picked = self.rng.sample(words, k=min(len(words), 4))
        return " ".join(picked + self.rng.choices(self.words, cum_weights=self.cum, k=1))


# -- d1 ---------------------------------------------------------------------------------------

def generate_notes(container: Any, tenant_id: uuid.UUID, leads: int, texts: Texts) -> list[str]:
    """``leads`` contacts and leads, each with a capture note and a contact note."""
    from domain.contacts import Contact
    from domain.leads import Lead
    from domain.shared import Email, Slug

    start, notes, made = datetime(2026, 1, 1, tzinfo=UTC), [], 0
    while made < leads:
        uow = container.unit_of_work()(tenant_id)
        for _ in range(min(50, leads - made)):
            at = start + timedelta(minutes=made)
            person = Contact.register(contact_id=uuid.uuid4(), tenant_id=tenant_id, actor="bench",
                                      at=at, name=f"Person {made}", phone=None,
                                      email=Email(f"m{made}-{uuid.uuid4().hex[:6]}@bench.example"))
            first, second = texts.note(), texts.note()
            lead = Lead.capture(lead_id=uuid.uuid4(), tenant_id=tenant_id, actor="bench", at=at,
                                contact_id=person.id, source=Slug("web"), campaign=None,
                                channel=Slug("web"), notes=first)
            lead.record_contact(actor="bench", at=at, channel=Slug("phone"),
                                outcome=Slug("reached"), note=second)
            notes += [first, second]
            uow.add(person)
            uow.add(lead)
            made += 1
        uow.commit()
    return notes


def raw_insert_rate(owner_url: str, tenant_id: uuid.UUID, texts: list[str],
                    vectors: list[list[float]]) -> float:
    """Pipelined INSERTs of the same rows, vectors precomputed, into a copy of `memories`
    (same columns and indexes, HNSW included), in transactions of 1,000 rows."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_memories")
        conn.execute("CREATE TABLE bench_memories (LIKE memories INCLUDING ALL)")
        now = datetime.now(UTC)
        rows = [(tenant_id, uuid.uuid4(), uuid.uuid4(), "note", text, uuid.uuid4(), 1,
                 "hashing-384@1", vector, now) for text, vector in zip(texts, vectors,
                                                                       strict=True)]
        started = time.perf_counter()
        for offset in range(0, len(rows), 1_000):
            with conn.transaction():
                conn.cursor().executemany(
                    "INSERT INTO bench_memories (tenant_id, id, contact_id, kind, text, "
                    "source_aggregate_id, source_version, part, model, embedding, occurred_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s)",
                    rows[offset:offset + 1_000])
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_memories")
    return len(rows) / elapsed


def throughput(leads: int) -> dict[str, float]:
    from adapters.embeddings.hashing import HashingEmbedder

    owner_url = bench_database("frontdesk_bench_memory")
    container = build_container(owner_url)
    tenant, _ = new_tenant(container)
    notes = generate_notes(container, tenant.id, leads, Texts(11))
    embedder = HashingEmbedder()  # a fresh one: no warm cache
    started = time.perf_counter()
    vectors = embedder.embed(notes)
    embed_rate = len(notes) / (time.perf_counter() - started)
    insert_rate = raw_insert_rate(owner_url, tenant.id, notes, vectors)
    manager = container.projection_manager()
    started = time.perf_counter()
    report = manager.rebuild("memories", resume=False)
    elapsed = time.perf_counter() - started
    return {"events": report.events, "memories": report.rows["memories"],
            "projection_memories_per_s": report.rows["memories"] / elapsed,
            "projection_events_per_s": report.events / elapsed,
            "embed_only_per_s": embed_rate, "raw_insert_per_s": insert_rate}


# -- d2 ---------------------------------------------------------------------------------------

def load_memories(owner_url: str, tenants: list[uuid.UUID], sizes: list[int],
                  texts: Texts) -> tuple[dict[uuid.UUID, list[tuple[uuid.UUID, str]]], float]:
    """COPY memories straight into the table (the search does not care how they came), then
    build the HNSW index. Returns each tenant's (contact, text) sample and the index build s."""
    from adapters.embeddings.hashing import MODEL, HashingEmbedder

    embedder = HashingEmbedder()
    samples: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    now = datetime.now(UTC)
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("DROP INDEX IF EXISTS memories_embedding_idx")
        for tenant_id, size in zip(tenants, sizes, strict=True):
            contacts = [uuid.uuid4() for _ in range(max(1, size // 50))]  # 50 memories each
            samples[tenant_id] = []
            for offset in range(0, size, 5_000):
                batch = [texts.note() for _ in range(min(5_000, size - offset))]
                vectors = embedder.embed(batch)
                with conn.cursor().copy(
                        "COPY memories (tenant_id, id, contact_id, kind, text, "
                        "source_aggregate_id, source_version, part, model, embedding, "
                        "occurred_at) FROM STDIN") as copy:
                    for n, (text, vector) in enumerate(zip(batch, vectors, strict=True)):
                        contact = contacts[(offset + n) % len(contacts)]
                        age = timedelta(days=texts.rng.random() * 365)
                        copy.write_row((tenant_id, uuid.uuid4(), contact, "note", text,
                                        uuid.uuid4(), 1, 0, MODEL,
                                        "[" + ",".join(f"{x:.6g}" for x in vector) + "]",
                                        now - age))
                        if n % 500 == 0:
                            samples[tenant_id].append((contact, text))
        conn.execute("SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        conn.execute("CREATE INDEX memories_embedding_idx ON memories USING hnsw "
                     "(embedding vector_cosine_ops) WITH (m = 16, ef_construction = 128)")
        build = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE memories")
    return samples, build


def search(container: Any, tenant_id: uuid.UUID, samples: list[tuple[uuid.UUID, str]],
           texts: Texts, queries: int) -> dict[str, float]:
    from adapters.readmodels.memories import PgMemoryCandidates
    from application.memories.search import MemoryCandidate

    reader = container.reader()
    candidates = PgMemoryCandidates(reader, container.settings().memory_ef_search)
    embedder = container.knowledge.embedder()
    memory_search = container.knowledge.memory_search()
    model = embedder.model

    def exact(vector: list[float]) -> list[MemoryCandidate]:
        from adapters.postgres.vectors import as_vector

        rows = reader.fetch(tenant_id, sql.SQL(
            "SELECT id, 1 - (embedding <=> %(v)s::vector) AS similarity FROM memories "
            "WHERE tenant_id = %(t)s AND model = %(m)s "
            "ORDER BY (embedding <=> %(v)s::vector) + 0 LIMIT 10"),
            {"t": tenant_id, "m": model, "v": as_vector(vector)})
        return rows  # type: ignore[return-value]

    asked = [texts.query_for(texts.rng.choice(samples)[1]) for _ in range(queries)]
    vectors = embedder.embed(asked)
    for vector in vectors[:20]:  # warm the caches and the connection
        candidates.candidates(tenant_id, scope="tenant", contact_id=None, model=model,
                              vector=vector, texts=[], limit=10)
        exact(vector)
    hnsw_ms, exact_ms, recalls = [], [], []
    for vector in vectors:
        started = time.perf_counter()
        found = candidates.candidates(tenant_id, scope="tenant", contact_id=None,
                                      model=model, vector=vector, texts=[], limit=10)
        hnsw_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        truth = exact(vector)
        exact_ms.append((time.perf_counter() - started) * 1000)
        # ties at the 10th place: any id as similar as the 10th exact hit counts as found
        cutoff = min(float(r["similarity"]) for r in truth) - 1e-6 if truth else 1.0
        hits = sum(1 for c in found if c.similarity >= cutoff)
        recalls.append(min(hits, len(truth)) / max(1, len(truth)))
    full_ms, contact_ms = [], []
    for query in asked:
        started = time.perf_counter()
        memory_search.search(tenant_id, query, contact_id=None, limit=10, scope="tenant")
        full_ms.append((time.perf_counter() - started) * 1000)
    for query, (contact, _) in zip(asked, samples * (len(asked) // len(samples) + 1),
                                   strict=False):
        started = time.perf_counter()
        memory_search.search(tenant_id, query, contact_id=contact, limit=10)
        contact_ms.append((time.perf_counter() - started) * 1000)
    return {"queries": queries,
            "hnsw_p50_ms": percentile(hnsw_ms, 50), "hnsw_p95_ms": percentile(hnsw_ms, 95),
            "exact_p50_ms": percentile(exact_ms, 50), "exact_p95_ms": percentile(exact_ms, 95),
            "recall_at_10": sum(recalls) / len(recalls),
            "api_tenant_p50_ms": percentile(full_ms, 50),
            "api_tenant_p95_ms": percentile(full_ms, 95),
            "api_contact_p50_ms": percentile(contact_ms, 50),
            "api_contact_p95_ms": percentile(contact_ms, 95)}


# -- d3 ---------------------------------------------------------------------------------------

def erasure(container: Any, tenant_id: uuid.UUID, texts: Texts) -> dict[str, float]:
    """A contact with 1,000 events (registration; 10 leads, each captured with a note and
    contacted 98 times with a note; 9 more notes on the last lead), all projected; erased."""
    from adapters.projections.runner import ProjectionRunner
    from application.contacts.erasure import EraseContact
    from application.ports import CommandContext
    from domain.contacts import Contact
    from domain.leads import Lead
    from domain.shared import Email, Slug

    at = datetime.now(UTC) - timedelta(days=30)
    uow = container.unit_of_work()(tenant_id)
    person = Contact.register(contact_id=uuid.uuid4(), tenant_id=tenant_id, actor="bench", at=at,
                              name="Erin Erasable", email=Email("erin@erase.example"),
                              phone=None)
    uow.add(person)
    events = 1
    for n in range(10):
        lead = Lead.capture(lead_id=uuid.uuid4(), tenant_id=tenant_id, actor="bench", at=at,
                            contact_id=person.id, source=Slug(f"src{n}"), campaign=None,
                            channel=Slug("web"), notes=texts.note())
        for _ in range(98 if n < 9 else 107):
            lead.record_contact(actor="bench", at=at, channel=Slug("phone"),
                                outcome=Slug("reached"), note=texts.note())
        uow.add(lead)
        events += len(lead.pending_events)
    uow.commit()
    runners = [ProjectionRunner(p, container.worker_pool(), container.worker_mapper())
               for p in container.projections()]
    for runner in runners:
        runner.catch_up()
    with container.worker_pool().connection() as conn:
        held = conn.execute("SELECT count(*) AS n FROM memories WHERE contact_id = %s",
                            (person.id,)).fetchone()["n"]
    started = time.perf_counter()
    container.bus().execute(EraseContact(person.id), CommandContext(tenant_id, "bench"))
    command_s = time.perf_counter() - started
    started = time.perf_counter()
    for runner in runners:
        runner.catch_up()
    purge_s = time.perf_counter() - started
    with container.worker_pool().connection() as conn:
        left = conn.execute("SELECT count(*) AS n FROM memories WHERE contact_id = %s",
                            (person.id,)).fetchone()["n"]
    started = time.perf_counter()
    compaction = container.privacy.compactor().run_once()
    compact_s = time.perf_counter() - started
    with psycopg.connect(container.settings().database_url) as conn:
        size = conn.execute("SELECT pg_total_relation_size('memories')").fetchone()[0]
    return {"events": events, "memories_before": held, "memories_after": left,
            "command_ms": command_s * 1000, "purge_ms": purge_s * 1000,
            "compaction_s": compact_s, "tables_rewritten": len(compaction.tables),
            "memories_table_mb": size / 2**20}


# -- d4 ---------------------------------------------------------------------------------------

def freshness(rate: float, seconds: float) -> dict[str, float]:
    """Writer at ``rate`` noted leads/s here; `frontdesk worker` in its own process; a poller
    notes when each lead's memory row is visible (every 5 ms)."""
    from application.leads.commands import CaptureLead
    from application.ports import CommandContext
    from application.projections.memories import memory_id

    owner_url = bench_database("frontdesk_bench_fresh")
    container = build_container(owner_url)
    tenant, _ = new_tenant(container)
    texts = Texts(5)
    worker = start_worker(owner_url, ROOT / ".data" / "bench-fresh-worker.log",
                          {"FRONTDESK_LOG_LEVEL": "WARNING"})
    committed: dict[uuid.UUID, float] = {}
    seen: dict[uuid.UUID, float] = {}
    lock = threading.Lock()
    done = threading.Event()

    class Event:  # what memory_id needs
        def __init__(self, lead_id: uuid.UUID) -> None:
            self.originator_id, self.originator_version = lead_id, 1

    def poll() -> None:
        with psycopg.connect(owner_url, autocommit=True) as conn:
            while not (done.is_set() and len(seen) >= len(committed)):
                with lock:
                    waiting = {memory_id(Event(k)): k for k in committed if k not in seen}
                if waiting:
                    rows = conn.execute("SELECT id FROM memories WHERE id = ANY(%s)",
                                        (list(waiting),)).fetchall()
                    now = time.perf_counter()
                    for (found,) in rows:
                        seen[waiting[found]] = now
                time.sleep(0.005)

    try:
        time.sleep(3)  # the worker starts and claims its projections
        poller = threading.Thread(target=poll)
        poller.start()
        ctx = CommandContext(tenant.id, "bench")
        bus = container.bus()
        interval, started, n = 1 / rate, time.perf_counter(), 0
        while time.perf_counter() - started < seconds:
            n += 1
            result = bus.execute(CaptureLead(
                name=f"Fresh {n}", email=f"fresh{n}-{uuid.uuid4().hex[:6]}@bench.example",
                phone=None, source="web", notes=texts.note()), ctx)
            with lock:
                committed[result.result.lead.id] = time.perf_counter()
            pause = started + n * interval - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        achieved = n / (time.perf_counter() - started)
        done.set()
        poller.join(timeout=60)
    finally:
        done.set()
        stop_process(worker)
    latencies = [(seen[k] - committed[k]) * 1000 for k in committed if k in seen]
    return {"rate_asked": rate, "rate_achieved": achieved, "events_per_s": achieved * 2,
            "leads": len(committed), "found": len(latencies),
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99), "max_ms": max(latencies, default=float("nan"))}


# -- all --------------------------------------------------------------------------------------

def run(*, quick: bool = False) -> dict[str, Any]:
    report: dict[str, Any] = {}
    report["d1"] = throughput(leads=2_500 if quick else 10_000)
    owner_url = bench_database("frontdesk_bench_search")
    container = build_container(owner_url)
    tenants = [new_tenant(container)[0].id for _ in range(10)]
    big = 20_000 if quick else 100_000
    sizes = [big] + [big // 10] * 9
    texts = Texts(3)
    started = time.perf_counter()
    samples, build_s = load_memories(owner_url, tenants, sizes, texts)
    report["d2"] = {"rows": sum(sizes), "tenant_rows": big, "tenants": len(tenants),
                    "load_s": time.perf_counter() - started, "index_build_s": build_s,
                    **search(container, tenants[0], samples[tenants[0]], texts,
                             queries=100 if quick else 300)}
    report["d3"] = erasure(container, tenants[0], texts)
    report["d4"] = freshness(rate=200, seconds=10 if quick else 30)
    return report


def print_report(report: dict[str, Any], verdict: Any) -> None:
    d1, d2, d3, d4 = report["d1"], report["d2"], report["d3"], report["d4"]
    print(f"\n(d1) Memory projection: rebuild of `memories` over {d1['events']:,} events "
          f"({d1['memories']:,} notes)")
    print(f"    embedder alone (hashing-384), same texts        {d1['embed_only_per_s']:8.0f} "
          "texts/s  (baseline)")
    print(f"    raw pipelined INSERT, vectors precomputed, HNSW {d1['raw_insert_per_s']:8.0f} "
          "rows/s   (baseline)")
    print(f"    projection: read, decrypt, embed, upsert        "
          f"{d1['projection_memories_per_s']:8.0f} memories/s "
          f"({d1['projection_events_per_s']:.0f} events/s)")
    print(f"\n(d2) Search, top 10 among {d2['tenant_rows']:,} memories of one tenant; "
          f"{d2['rows']:,} rows of {d2['tenants']} tenants "
          f"(HNSW build {d2['index_build_s']:.0f} s)")
    print(f"    exact search (sequential scan)      p50 {d2['exact_p50_ms']:7.1f} ms  "
          f"p95 {d2['exact_p95_ms']:7.1f} ms  (baseline)")
    print(f"    HNSW, iterative scan                p50 {d2['hnsw_p50_ms']:7.1f} ms  "
          f"p95 {d2['hnsw_p95_ms']:7.1f} ms  recall@10 {d2['recall_at_10']:.3f}  "
          f"[targets p95 < 20 ms, recall >= 0.95: "
          f"{verdict(d2['hnsw_p95_ms'] < 20 and d2['recall_at_10'] >= 0.95)}]")
    print(f"    full search, tenant-wide (embed, 50 candidates, score) p50 "
          f"{d2['api_tenant_p50_ms']:6.1f} ms  p95 {d2['api_tenant_p95_ms']:6.1f} ms")
    print(f"    full search, one contact (exact over their rows)       p50 "
          f"{d2['api_contact_p50_ms']:6.1f} ms  p95 {d2['api_contact_p95_ms']:6.1f} ms")
    print(f"\n(d3) Erasure of a contact with {d3['events']:,} events "
          f"({d3['memories_before']} memories; {d3['memories_after']} left after)")
    print(f"    command (ContactErased + key destroyed, one commit)    {d3['command_ms']:8.1f} ms")
    print(f"    purge by every projection                              {d3['purge_ms']:8.1f} ms")
    print(f"    rewrite of {d3['tables_rewritten']} tables (VACUUM FULL; memories "
          f"{d3['memories_table_mb']:.0f} MB)    {d3['compaction_s']:8.1f} s")
    fresh = (d4['p95_ms'] < 1000 and d4['events_per_s'] >= 200
             and d4['found'] == d4['leads'])
    print(f"\n(d4) Freshness: writer at {d4['rate_achieved']:.0f} noted leads/s "
          f"({d4['events_per_s']:.0f} events/s), `frontdesk worker` in its own process")
    print(f"    commit -> memory searchable   p50 {d4['p50_ms']:6.0f} ms  p95 {d4['p95_ms']:6.0f} "
          f"ms  p99 {d4['p99_ms']:6.0f} ms  max {d4['max_ms']:6.0f} ms  "
          f"({d4['found']}/{d4['leads']} found)  "
          f"[target p95 < 1 s at >= 200 events/s: "
          f"{verdict(fresh)}]")
