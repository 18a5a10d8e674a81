"""Run every scenario, each in a process of its own, and rewrite BENCHMARKS.md.

.venv/bin/python -m benchmarks.run            # reuse the caches in benchmarks/.work
.venv/bin/python -m benchmarks.run --fresh    # empty benchmarks/.work first (slow)
.venv/bin/python -m benchmarks.run --only postgres --postgres-scales 100000 \
    --output /tmp/pg.md                        # the PostgreSQL scenarios alone

The PostgreSQL scenarios run against a server this run starts on 127.0.0.1 from the
pgserver wheel (tests/pg_server.py), in benchmarks/.work/postgres, stopped at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.corpus import latency_questions
from benchmarks.harness import ScenarioRun, run_scenario
from benchmarks.machine import describe_machine
from benchmarks.quality import load_gold
from benchmarks.report import write_report
from benchmarks.workspace import GOLD_FILE, ROOT, WORK_DIR

SMALL_ARTICLES = 645  # ~2,000 chunks at the default 900-character chunks
REINDEX_ARTICLES = 32_000  # ~100,000 chunks
EDIT_FRACTION = 0.01
THROUGHPUT_SAMPLE = 96  # chunks (and twice as many sentences) timed through each model
SCALES = (100_000, 1_000_000)
CACHED_SCALES = (1_000_000,)  # builds kept between runs while their inputs are unchanged
STOCK_LEXICAL_MAX = 100_000  # rank_bm25 above this is extrapolated, not run
QUERIES = 40
TIMEOUT_S = 2_400.0
PG_SCALES = (100_000, 1_000_000)
PG_SMOKE_SCALE = 2_000
# The benchmark's server: room for the 100k-chunk tables and an in-memory HNSW build
# (pgvector builds in parallel when the graph fits in maintenance_work_mem). fsync off:
# a throw-away database; a production server keeps it on (ingest figures are optimistic
# by the WAL flushes).
PG_SETTINGS = {
    "shared_buffers": "2GB",
    "maintenance_work_mem": "2GB",  # PG_LARGE_BUILD_MEMORY past PG_LARGE_SCALE chunks
    "max_parallel_maintenance_workers": "2",
    "work_mem": "64MB",
    "max_wal_size": "8GB",
}

# At 1M chunks the sentence graph (5M vectors, ~2.2 KB each in pgvector's build) needs
# ~11 GB to be built in memory; past it pgvector inserts row by row on disk. The setting
# is the server's: a run with a 1M scale gives it to its smaller builds too.
PG_LARGE_SCALE = 200_000  # from here the sentence graph outgrows 2 GB
PG_LARGE_BUILD_MEMORY = "11GB"
PG_BUILD_TIMEOUT_S = 4 * 3_600.0  # every PostgreSQL build; 1M: ~10x the 100k, HNSW more


def latency_queries() -> list[str]:
    """30 gold questions plus 10 about the synthetic stories, the same for every run."""
    gold = [q["question"] for q in load_gold()][:30] if GOLD_FILE.exists() else []
    return gold + latency_questions(QUERIES - len(gold))


def _fingerprint(count: int) -> str:
    """What a synthetic build depends on: index code, generator, base chunk texts (their
    vectors follow from the texts, up to float noise that would defeat a byte hash)."""
    digest = hashlib.sha256(str(count).encode())
    sources = sorted((ROOT / "index").rglob("*.py")) + sorted((ROOT / "index" / "data").glob("*"))
    sources += [ROOT / "benchmarks" / n for n in ("corpus.py", "vectors.py", "scenarios_ours.py")]
    sources += [WORK_DIR / "base_chunks.json"]
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()


class Runner:
    """Runs scenarios in order and keeps what they report, keyed by a short name; the
    report is rewritten after each one, so an interrupted run still leaves its figures."""

    def __init__(self, output: Path, work: Path = WORK_DIR) -> None:
        self.runs: dict[str, dict[str, Any]] = {}
        self.output = output
        self.work = work  # results/ and results.json (a smoke run keeps its own)
        self.started = time.perf_counter()

    def run(
        self, name: str, scenario: str, timeout_s: float = TIMEOUT_S, **params: Any
    ) -> ScenarioRun:
        outcome = run_scenario(name, scenario, params, self.work, timeout_s)
        self.runs[name] = asdict(outcome)
        self.write()
        return outcome

    def write(self, finished: bool = False) -> None:
        results = {
            "date": _today(),
            "machine": asdict(describe_machine()),
            "total_s": time.perf_counter() - self.started,
            "finished": finished,
            "queries": QUERIES,
            "runs": self.runs,
        }
        (self.work / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
        write_report(results, self.output)

    def merge(self, other: dict[str, Any]) -> None:
        """Scenarios another run measured (a results.json) that this one did not."""
        revision = other.get("machine", {}).get("revision", "unknown")
        where = f"{other.get('date', 'another run')}, code `{revision}`"
        for name, run in other.get("runs", {}).items():
            mine = self.runs.get(name)
            if run.get("error") is None and (mine is None or mine.get("error") is not None):
                self.runs[name] = {**run, "merged_from": run.get("merged_from") or where}

    def cached_build(self, name: str, count: int, **params: Any) -> None:
        """The synthetic build of `count` chunks, reused when its fingerprint matches."""
        cache = WORK_DIR / f"cache-{name}.json"
        fingerprint = _fingerprint(count)
        if cache.exists():
            saved = json.loads(cache.read_text(encoding="utf-8"))
            if saved["fingerprint"] == fingerprint and Path(params["index_dir"]).exists():
                print(f"[bench] {name}: cached build of {saved['date']}", file=sys.stderr)
                self.runs[name] = {**saved["run"], "cached_from": saved["date"]}
                return
        outcome = self.run(name, "ours.synthetic_build", count=count, **params)
        if outcome.error is None:
            record = {"fingerprint": fingerprint, "date": _today(), "run": asdict(outcome)}
            cache.write_text(json.dumps(record, indent=1), encoding="utf-8")


def _today() -> str:
    return time.strftime("%Y-%m-%d")


def run_all(runner: Runner, smoke: bool = False, scales: tuple[int, ...] = SCALES) -> None:
    w = WORK_DIR / "smoke" if smoke else WORK_DIR
    small_articles = 30 if smoke else SMALL_ARTICLES
    scales = (20_000,) if smoke else scales
    reindex_articles = 300 if smoke else REINDEX_ARTICLES
    queries = latency_queries()[: 12 if smoke else QUERIES]
    runner.run(
        "ours-small",
        "ours.small_build",
        corpus_dir=str(w / "corpus-2k"),
        index_dir=str(w / "index-2k"),
        articles=small_articles,
        edit_fraction=EDIT_FRACTION,
        sample=THROUGHPUT_SAMPLE,
    )
    runner.run("stock-small", "stock.small_build", out_dir=str(w / "stock-2k"),
               sample=THROUGHPUT_SAMPLE)  # fmt: skip
    runner.run("ours-serve-2k", "ours.serve", index_dir=str(w / "index-2k"), queries=queries)
    runner.run("stock-serve-2k", "stock.serve", folder=str(w / "stock-2k"), queries=queries,
               lexical=True)  # fmt: skip
    runner.run("quality", "quality")
    runner.run(
        "ours-reindex-100k",
        "ours.reindex",
        corpus_dir=str(w / "corpus-100k"),
        index_dir=str(w / "index-reindex-100k"),
        articles=reindex_articles,
        edit_fraction=EDIT_FRACTION,
        cache_dir=str(w),  # the first build is kept while the index format is unchanged
    )
    shutil.rmtree(w / "corpus-100k", ignore_errors=True)
    shutil.rmtree(w / "index-reindex-100k", ignore_errors=True)
    for count in scales:
        index_dir = str(w / f"index-{count}")
        if count in CACHED_SCALES:
            runner.cached_build(f"ours-build-{count}", count, index_dir=index_dir,
                                fast_analyzer=True)  # fmt: skip
        else:
            runner.run(f"ours-build-{count}", "ours.synthetic_build", index_dir=index_dir,
                       count=count, fast_analyzer=False)  # fmt: skip
        runner.run(f"ours-serve-{count}", "ours.serve", index_dir=index_dir, queries=queries)
        lexical = count <= STOCK_LEXICAL_MAX
        folder = str(w / f"stock-{count}")
        runner.run(f"stock-build-{count}", "stock.synthetic_build", out_dir=folder,
                   count=count, lexical=lexical)  # fmt: skip
        runner.run(f"stock-serve-{count}", "stock.serve", folder=folder, queries=queries,
                   lexical=lexical)  # fmt: skip
        if count not in CACHED_SCALES:
            shutil.rmtree(index_dir, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def run_postgres(runner: Runner, smoke: bool, scales: tuple[int, ...]) -> None:
    """Ingest, serve and a 1 % change on PostgreSQL, against a server started here."""
    from tests.pg_server import start_server

    w = WORK_DIR / "smoke" if smoke else WORK_DIR
    if not (WORK_DIR / "base_chunks.json").exists():
        raise SystemExit("benchmarks/.work has no base chunks: run the whole benchmark once")
    folder = w / "postgres"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    settings = dict(PG_SETTINGS)
    if not smoke and max(scales, default=0) >= PG_LARGE_SCALE:
        settings["maintenance_work_mem"] = PG_LARGE_BUILD_MEMORY
    server = start_server(folder, settings)
    queries = latency_queries()[: 12 if smoke else QUERIES]
    try:
        url, pid = server.url(), server.pid
        for count in (PG_SMOKE_SCALE,) if smoke else scales:
            schema = f"bench_{count}"
            build = runner.run(f"pg-build-{count}", "postgres.synthetic_build", PG_BUILD_TIMEOUT_S,
                               database_url=url, schema=schema, count=count,
                               server_pid=pid)  # fmt: skip
            if build.error is None:
                runner.run(f"pg-serve-{count}", "postgres.serve", database_url=url,
                           schema=schema, queries=queries, server_pid=pid)  # fmt: skip
            _drop(url, schema)
        runner.run(
            "pg-reindex-100k",
            "postgres.reindex",
            database_url=url,
            schema="bench_reindex",
            corpus_dir=str(w / "corpus-pg-100k"),
            articles=300 if smoke else REINDEX_ARTICLES,
            edit_fraction=EDIT_FRACTION,
            server_pid=pid,
        )
        _drop(url, "bench_reindex")
        shutil.rmtree(w / "corpus-pg-100k", ignore_errors=True)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _drop(url: str, schema: str) -> None:
    from benchmarks.scenarios_postgres import drop_schema

    drop_schema(url, schema)


def default_output(only: str) -> Path:
    """Where the report goes: a PostgreSQL-only run knows nothing of the other scenarios,
    so it must not replace the whole BENCHMARKS.md."""
    return WORK_DIR / "postgres.md" if only == "postgres" else ROOT / "BENCHMARKS.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="empty benchmarks/.work first")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the code")
    parser.add_argument("--output", type=Path, default=None,
                        help="default: BENCHMARKS.md; with --only postgres, "
                        "benchmarks/.work/postgres.md (a partial report)")  # fmt: skip
    parser.add_argument("--only", choices=("all", "postgres"), default="all",
                        help="postgres: only the PostgreSQL scenarios")  # fmt: skip
    parser.add_argument("--postgres-scales", default=",".join(map(str, PG_SCALES)),
                        help="chunk counts of the PostgreSQL ingest and serve runs")  # fmt: skip
    parser.add_argument("--merge", type=Path, action="append", default=[],
                        help="a results.json of another run: its scenarios this run does "
                        "not measure go into the report (repeatable)")  # fmt: skip
    parser.add_argument("--scales", default=",".join(map(str, SCALES)),
                        help="chunk counts of the FAISS and stock synthetic runs")  # fmt: skip
    args = parser.parse_args(argv)
    pg_scales = tuple(int(n) for n in args.postgres_scales.split(",") if n.strip())
    if args.output is None:
        args.output = default_output(args.only)
    if args.fresh:
        shutil.rmtree(WORK_DIR, ignore_errors=True)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    work = WORK_DIR / "smoke" if args.smoke else WORK_DIR
    work.mkdir(parents=True, exist_ok=True)
    runner = Runner(args.output, work)
    if args.only == "all":
        scales = tuple(int(n) for n in args.scales.split(",") if n.strip())
        run_all(runner, smoke=args.smoke, scales=scales)
    run_postgres(runner, args.smoke, pg_scales)
    for path in args.merge:
        runner.merge(json.loads(path.read_text(encoding="utf-8")))
    runner.write(finished=True)
    minutes = (time.perf_counter() - runner.started) / 60
    print(f"[bench] wrote {args.output} in {minutes:.1f} min", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
