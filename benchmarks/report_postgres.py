"""The report's PostgreSQL section and its rows in the targets table (issue 16)."""

from __future__ import annotations

from benchmarks.report_values import SCALE_NAMES, Runs, limit_row, num, peak_rss, value_at

MB_PER_MIB = 2**20 / 1e6


def _pg_scales(runs: Runs) -> list[int]:
    return sorted(int(n.rsplit("-", 1)[1]) for n in runs if n.startswith("pg-serve-"))


def _pg_scale_name(scale: int) -> str:
    return SCALE_NAMES.get(scale, f"{scale:,}")


def postgres_targets(runs: Runs) -> list[tuple[str, str, str]]:
    """Issue 16's targets for the PostgreSQL store."""
    scales = _pg_scales(runs)
    if not scales and "pg-reindex-100k" not in runs:
        return []
    rows = []
    p95 = value_at(runs, "pg-serve-1000000", "hybrid", "p95_ms")
    note = ""
    if p95 is None and scales:
        largest = scales[-1]
        measured = value_at(runs, f"pg-serve-{largest}", "hybrid", "p95_ms")
        note = f"largest measured: {num(measured)} ms at {_pg_scale_name(largest)} chunks"
    rows.append(limit_row("PostgreSQL: search p95 ≤ 150 ms at 1M chunks, query embedding "
                           "included", p95, 150.0, "ms", _pg_latency_why(runs, 1_000_000),
                           note))  # fmt: skip
    if scales:
        largest = scales[-1]
        rss = peak_rss(runs, f"pg-serve-{largest}")
        server = value_at(runs, f"pg-serve-{largest}", "server", "pss_mib")
        note = f"at {_pg_scale_name(largest)} chunks; the server apart: {num(server, 0)} MiB PSS"
        rows.append(limit_row("PostgreSQL: bot process RSS ≤ 500 MB (serve)",
                               None if rss is None else rss * MB_PER_MIB, 500.0, "MB", "",
                               note))  # fmt: skip
    changed = value_at(runs, "pg-reindex-100k", "reindex_changed_ingest_s")
    chunks = value_at(runs, "pg-reindex-100k", "chunks")
    note = f"{num(chunks, 0)} chunks, the stand-in model's time taken out" if chunks else ""
    rows.append(limit_row("PostgreSQL: a 1 % change at 100k chunks ≤ 30 s plus embedding",
                           changed, 30.0, "s", "", note))  # fmt: skip
    return rows


def _pg_latency_why(runs: Runs, scale: int) -> str:
    parts = value_at(runs, f"pg-serve-{scale}", "parts") or {}
    names = {"embed": "query embedding", "dense_search": "chunk HNSW",
             "sentence_search": "sentence HNSW", "lexical_search": "BM25"}  # fmt: skip
    pieces = [f"{names[k]} {v['p50_ms']:.0f} ms" for k, v in parts.items() if k in names]
    why = "p50 by stage: " + ", ".join(pieces) if pieces else ""
    again = value_at(runs, f"pg-serve-{scale}", "hybrid_again") or {}
    if again:
        why += (f"{'; ' if why else ''}the same questions again (pages cached): "
                f"{num(again.get('p50_ms'))} / {num(again.get('p95_ms'))} ms")  # fmt: skip
    return why


def postgres_section(runs: Runs) -> list[str]:
    scales = _pg_scales(runs)
    reindex = runs.get("pg-reindex-100k", {}).get("result", {})
    if not scales and not reindex:
        return []
    lines = [
        "## PostgreSQL store",
        "",
        "The same synthetic chunks, sentences and perturbed vectors as ours, ingested into "
        "PostgreSQL 16 + pgvector 0.6 (the pgserver wheel, on 127.0.0.1, started by the run) "
        "with COPY and the HNSW indexes built after loading; then a bot process searches it. "
        "Bot RSS is the serving process's peak; the server's memory is apart (RSS summed "
        "over its processes counts shared buffers in each; PSS splits them).",
        "",
        "| chunks | sentences | ingest (s) | database (MiB) | hybrid p50 / p95 (ms) | "
        "dense p50 / p95 | BM25 p50 / p95 | bot peak RSS (MiB) | server RSS / PSS (MiB) | "
        "BM25 lists provably exact |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for scale in scales:
        build, serve = f"pg-build-{scale}", f"pg-serve-{scale}"

        def pair(key: str, name: str = serve) -> str:
            p50, p95 = value_at(runs, name, key, "p50_ms"), value_at(runs, name, key, "p95_ms")
            return f"{num(p50)} / {num(p95)}"

        share = value_at(runs, serve, "lexical_exact_share")
        cells = [
            _pg_scale_name(scale),
            num(value_at(runs, build, "sentences"), 0),
            num(value_at(runs, build, "ingest_s")),
            num(value_at(runs, build, "database_mib"), 0),
            pair("hybrid"),
            pair("dense"),
            pair("lexical"),
            num(peak_rss(runs, serve), 0),
            f"{num(value_at(runs, serve, 'server', 'rss_mib'), 0)} / "
            f"{num(value_at(runs, serve, 'server', 'pss_mib'), 0)}",
            "n/a" if share is None else f"{share:.0%}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Where a hybrid query's time goes (p50 / p95 ms per stage):", "",
              "| chunks | query embedding | chunk HNSW | sentence HNSW | BM25 |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for scale in scales:
        parts = value_at(runs, f"pg-serve-{scale}", "parts") or {}
        cells = [
            f"{num(parts[k]['p50_ms'])} / {num(parts[k]['p95_ms'])}" if k in parts else "n/a"
            for k in ("embed", "dense_search", "sentence_search", "lexical_search")
        ]
        lines.append(f"| {_pg_scale_name(scale)} | " + " | ".join(cells) + " |")
    for scale in scales:
        sweep = value_at(runs, f"pg-serve-{scale}", "ef_sweep") or {}
        if not sweep:
            continue
        efs = [r["ef_search"] for r in next(iter(sweep.values()))["by_ef"]]
        lines += [
            "",
            f"`hnsw.ef_search` at {_pg_scale_name(scale)} chunks: recall against an exact "
            "scan (share of the rows asked for within the exact last distance) / p50 of one "
            "index query:",
            "",
            "| index (rows asked) | " + " | ".join(f"ef {e}" for e in efs) + " |",
            "| --- |" + " --- |" * len(efs),
        ]
        for table, data in sweep.items():
            cells = [f"{r['recall']:.3f} / {r['p50_ms']:.1f} ms" for r in data["by_ef"]]
            lines.append(f"| {table} ({data['limit']}) | " + " | ".join(cells) + " |")
    if scales:
        knobs = runs.get(f"pg-serve-{scales[-1]}", {}).get("result", {})
        lines += [
            "",
            f"Search knobs: `hnsw.ef_search` {knobs.get('ef_search', '?')} (raised per query "
            "to the rows asked for); lexical candidates from at most "
            f"{knobs.get('lexical_budget', '?')} postings (index/store/postgres_reader.py).",
        ]
    if reindex:
        r = reindex
        lines += [
            "",
            "Re-index through the real `build_index` into PostgreSQL: "
            f"{num(r.get('articles'), 0)} articles → {num(r.get('chunks'), 0)} chunks, hash "
            f"vectors standing in for the model. First build {num(r.get('build_s'))} s "
            f"(stand-in model {num(r.get('build_hash_embed_s'))} s of it); unchanged re-index "
            f"{num(r.get('reindex_unchanged_s'), 2)} s (up to date: "
            f"{r.get('reindex_unchanged_up_to_date')}); after editing "
            f"{num(r.get('changed_articles'), 0)} articles, {num(r.get('reindex_changed_s'))} s, "
            f"of which the stand-in model {num(r.get('reindex_changed_hash_embed_s'), 2)} s "
            f"for {num(r.get('changed_embedded_texts'), 0)} texts: "
            f"**{num(r.get('reindex_changed_ingest_s'))} s of ingest**.",
        ]
    return [*lines, ""]
