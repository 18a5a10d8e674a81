"""The benchmark report's PostgreSQL section and targets, from a results file as
benchmarks.run writes it (no scenario is run here: `python -m benchmarks.run --smoke`
runs them)."""

from __future__ import annotations

from typing import Any

from benchmarks.report import render


def _run(result: dict[str, Any], rss: float = 300.0) -> dict[str, Any]:
    return {"result": result, "peak_rss_mib": rss, "wall_s": 1.0, "load_before": 1.0,
            "load_after": 1.0, "error": None}  # fmt: skip


def _latency(p50: float, p95: float) -> dict[str, float]:
    return {"p50_ms": p50, "p95_ms": p95, "mean_ms": p50, "count": 40}


def _results(runs: dict[str, Any]) -> dict[str, Any]:
    machine = {"cpu": "test", "cores": 2, "ram_gib": 24.0, "python": "3.11", "kernel": "6",
               "versions": {}, "revision": "abc"}  # fmt: skip
    return {"date": "2026-12-02", "machine": machine, "total_s": 60.0, "finished": True,
            "queries": 40, "runs": runs}  # fmt: skip


def _serve(p95: float) -> dict[str, Any]:
    return {
        "hybrid": _latency(p95 / 2, p95),
        "dense": _latency(5, 9),
        "lexical": _latency(20, 40),
        "parts": {"embed": _latency(20, 30), "lexical_search": _latency(20, 40)},
        "server": {"rss_mib": 2500.0, "pss_mib": 900.0},
        "lexical_exact_share": 0.75,
        "ef_search": 200,
        "lexical_budget": 2000,
    }


def test_the_postgres_targets_say_met_or_missed_by_how_much() -> None:
    runs = {
        "pg-build-1000000": _run(
            {"sentences": 4_300_000, "ingest_s": 900.0, "database_mib": 19_000.0}
        ),
        "pg-serve-1000000": _run(_serve(180.0), rss=600.0),
        "pg-reindex-100k": _run({"reindex_changed_ingest_s": 12.5, "chunks": 100_000}),
    }
    text = render(_results(runs))
    assert "| PostgreSQL: search p95 ≤ 150 ms at 1M chunks, query embedding included | " \
        "180.0 ms | **missed** by 30.0 ms (+20%); p50 by stage: query embedding 20 ms, " \
        "BM25 20 ms |" in text  # fmt: skip
    # 600 MiB is 629.1 MB: missed by 129.1 MB; the server's memory is shown apart.
    assert "| PostgreSQL: bot process RSS ≤ 500 MB (serve) | 629.1 MB | **missed** by " \
        "129.1 MB (+26%); at 1M chunks; the server apart: 900 MiB PSS |" in text  # fmt: skip
    assert "| PostgreSQL: a 1 % change at 100k chunks ≤ 30 s plus embedding | 12.5 s | " \
        "**met**; 100,000 chunks" in text  # fmt: skip
    assert "## PostgreSQL store" in text
    assert "| 1M | 4,300,000 | 900.0 | 19,000 | 90.0 / 180.0 | 5.0 / 9.0 | 20.0 / 40.0 | " \
        "600 | 2,500 / 900 | 75% |" in text  # fmt: skip


def test_an_unmeasured_1m_target_names_the_largest_scale_measured() -> None:
    runs = {"pg-serve-100000": _run(_serve(120.0), rss=400.0)}
    text = render(_results(runs))
    assert "| PostgreSQL: search p95 ≤ 150 ms at 1M chunks, query embedding included | " \
        "n/a | not measured; largest measured: 120.0 ms at 100k chunks |" in text  # fmt: skip
    assert "| PostgreSQL: bot process RSS ≤ 500 MB (serve) | 419.4 MB | **met**; at 100k" in text


def test_without_postgres_runs_the_report_has_no_postgres_rows() -> None:
    text = render(_results({}))
    assert "PostgreSQL" not in text


def test_a_postgres_only_run_does_not_replace_the_whole_report() -> None:
    from benchmarks.run import default_output
    from benchmarks.workspace import ROOT, WORK_DIR

    assert default_output("all") == ROOT / "BENCHMARKS.md"
    assert default_output("postgres").parent == WORK_DIR


def test_merged_scenarios_join_the_report_and_say_where_they_come_from() -> None:
    from benchmarks.run import Runner

    runner = Runner.__new__(Runner)  # no run: only its bookkeeping
    runner.runs = {"pg-serve-100000": _run(_serve(120.0))}
    runner.runs["pg-build-1000000"] = {**_run({}), "error": "timed out after 10 s"}
    other = {
        "date": "2026-12-01",
        "machine": {"revision": "e976364"},
        "runs": {
            "pg-serve-100000": _run(_serve(999.0)),  # measured here too: this run's kept
            "pg-serve-1000000": _run(_serve(140.0)),
            "pg-build-1000000": _run({"sentences": 5_000_000, "ingest_s": 3000.0}),
            "pg-build-100000": {**_run({}), "error": "timed out after 10 s"},
        },
    }

    runner.merge(other)

    # An ok run replaces this run's failed one; a failed one is never taken.
    assert set(runner.runs) == {"pg-serve-100000", "pg-serve-1000000", "pg-build-1000000"}
    assert runner.runs["pg-build-1000000"]["error"] is None
    assert runner.runs["pg-serve-100000"]["result"]["hybrid"]["p95_ms"] == 120.0
    text = render(_results(runner.runs))
    assert "| PostgreSQL: search p95 ≤ 150 ms at 1M chunks, query embedding included | " \
        "140.0 ms | **met**" in text  # fmt: skip
    assert "- `pg-serve-1000000` was measured by a separate run (2026-12-01, code `e976364`" in text
    assert "| merged (2026-12-01, code `e976364`) |" in text


def test_a_second_pass_over_the_questions_is_reported_beside_the_first() -> None:
    # On a database larger than memory a question's first search reads from disk; the
    # report gives the same questions again, their pages cached, next to the target.
    serve = {**_serve(1200.0), "hybrid_again": _latency(60, 75)}
    text = render(_results({"pg-serve-1000000": _run(serve)}))
    assert "1,200.0 ms | **missed** by 1,050.0 ms (+700%); p50 by stage: query embedding " \
        "20 ms, BM25 20 ms; the same questions again (pages cached): 60.0 / 75.0 ms |" \
        in text  # fmt: skip
