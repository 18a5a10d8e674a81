"""The benchmark report's search latency and memory sections, and the scale helpers
the other sections share (benchmarks/report.py renders the whole file)."""

from __future__ import annotations

from typing import Any

from benchmarks.report_values import (
    SCALE_NAMES,
    Runs,
    mem_ratio,
    num,
    peak_rss,
    ratio,
    value_at,
)


def scales(runs: Runs) -> list[Any]:
    found = sorted(int(n.rsplit("-", 1)[1]) for n in runs if n.startswith("ours-serve-1"))
    return ["2k", *found]


def serve_name(stack: str, scale: Any) -> str:
    return f"{stack}-serve-{scale}"


def stock_latency(runs: Runs, scale: Any, key: str, q: str) -> tuple[float | None, bool]:
    """Stock latency; at scales where rank_bm25 was not run, FAISS measured plus BM25
    extrapolated linearly (rank_bm25 scores every document) from the largest run."""
    measured = value_at(runs, serve_name("stock", scale), key, q)
    if measured is not None or key == "dense":
        return measured, False
    base = max((s for s in scales(runs)[1:] if value_at(runs, serve_name("stock", s), "lexical")),
               default=None)  # fmt: skip
    if base is None or scale == "2k":
        return None, False
    bm25 = value_at(runs, serve_name("stock", base), "lexical", q)
    factor = int(scale) / int(base)
    if key == "lexical":
        return (None if bm25 is None else bm25 * factor), True
    faiss = value_at(runs, serve_name("stock", scale), "dense", q)
    if faiss is None or bm25 is None:
        return None, True
    return faiss + bm25 * factor, True


def latency_why(runs: Runs, scale: int) -> str:
    parts = value_at(runs, serve_name("ours", scale), "parts") or {}
    names = {"embed": "query embedding", "dense_search": "chunk index",
             "sentence_search": "sentence scan", "lexical_search": "BM25"}  # fmt: skip
    pieces = [f"{names[k]} {v['p50_ms']:.0f} ms" for k, v in parts.items() if k in names]
    return "p50 by stage: " + ", ".join(pieces) if pieces else ""


def memory_why(runs: Runs, scale: int) -> str:
    files = value_at(runs, f"ours-build-{scale}", "files_mib") or {}
    top = sorted(files.items(), key=lambda kv: -kv[1])[:3]
    return "largest index files: " + ", ".join(f"{k} {v:,.0f} MiB" for k, v in top) if top else ""


def latency_section(runs: Runs) -> list[str]:
    lines = [
        "## Search latency (ms)",
        "",
        "| chunks | ours p50 | ours p95 | stock p50 | stock p95 "
        "| p50 ours÷stock | p95 ours÷stock |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    estimated = False
    for scale in scales(runs):
        o50 = value_at(runs, serve_name("ours", scale), "hybrid", "p50_ms")
        o95 = value_at(runs, serve_name("ours", scale), "hybrid", "p95_ms")
        s50, est = stock_latency(runs, scale, "hybrid", "p50_ms")
        s95, _ = stock_latency(runs, scale, "hybrid", "p95_ms")
        mark = " †" if est else ""
        estimated |= est
        lines.append(
            f"| {SCALE_NAMES.get(scale, scale)} | {num(o50)} | {num(o95)} | {num(s50)}{mark} "
            f"| {num(s95)}{mark} | {ratio(o50, s50)} | {ratio(o95, s95)} |"
        )
    lines += ["", "Each retriever alone (p50 / p95 ms):", ""]
    lines += [
        "| chunks | ours dense (chunks + sentences) | ours BM25 | stock FAISS | stock BM25 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for scale in scales(runs):
        cells = []
        for stack, key in (("ours", "dense"), ("ours", "lexical"), ("stock", "dense"),
                           ("stock", "lexical")):  # fmt: skip
            if stack == "stock":
                p50, est = stock_latency(runs, scale, key, "p50_ms")
                p95, _ = stock_latency(runs, scale, key, "p95_ms")
            else:
                p50 = value_at(runs, serve_name(stack, scale), key, "p50_ms")
                p95 = value_at(runs, serve_name(stack, scale), key, "p95_ms")
                est = False
            cells.append(f"{num(p50)} / {num(p95)}{' †' if est else ''}")
        lines.append(f"| {SCALE_NAMES.get(scale, scale)} | " + " | ".join(cells) + " |")
    lines += ["", "Where our hybrid query's time goes (p50 / p95 ms per stage):", ""]
    lines += ["| chunks | query embedding | chunk index | sentence scan | BM25 |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for scale in scales(runs):
        parts = value_at(runs, serve_name("ours", scale), "parts") or {}
        cells = [
            f"{num(parts[k]['p50_ms'])} / {num(parts[k]['p95_ms'])}" if k in parts else "n/a"
            for k in ("embed", "dense_search", "sentence_search", "lexical_search")
        ]
        lines.append(f"| {SCALE_NAMES.get(scale, scale)} | " + " | ".join(cells) + " |")
    if estimated:
        lines += ["", "† rank_bm25 was not run at this size (see Notes): FAISS measured plus "
                  "BM25 extrapolated linearly from the largest measured size, since "
                  "`BM25Okapi.get_scores` scores every document in Python."]  # fmt: skip
    return [*lines, ""]


def memory_section(runs: Runs) -> list[str]:
    lines = [
        "## Memory (MiB)",
        "",
        "| chunks | ours serve peak | stock serve peak | ours÷stock | ours after load | "
        "stock after load | ours build peak | stock build peak | ours on disk | stock on disk |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for scale in scales(runs):
        build_o = "ours-small" if scale == "2k" else f"ours-build-{scale}"
        build_s = "stock-small" if scale == "2k" else f"stock-build-{scale}"
        ours, stock = (
            peak_rss(runs, serve_name("ours", scale)),
            peak_rss(runs, serve_name("stock", scale)),
        )
        lexical = scale == "2k" or value_at(runs, serve_name("stock", scale), "lexical") is not None
        note = "" if lexical else " (FAISS only)"
        lines.append(
            f"| {SCALE_NAMES.get(scale, scale)} | {num(ours, 0)} | {num(stock, 0)}{note} | "
            f"{mem_ratio(ours, stock) if lexical else 'n/a'} | "
            f"{num(value_at(runs, serve_name('ours', scale), 'rss_after_load_mib'), 0)} | "
            f"{num(value_at(runs, serve_name('stock', scale), 'rss_after_load_mib'), 0)} | "
            f"{num(peak_rss(runs, build_o), 0)} | {num(peak_rss(runs, build_s), 0)}{note} | "
            f"{num(value_at(runs, build_o, 'index_mib'), 0)} | "
            f"{num(value_at(runs, build_s, 'index_mib'), 0)}{note} |"
        )
    files = {s: value_at(runs, f"ours-build-{s}", "files_mib") for s in scales(runs)[1:]}
    for scale, sizes in files.items():
        if sizes:
            listed = ", ".join(
                f"`{k}` {v:,.0f}" for k, v in sorted(sizes.items(), key=lambda x: -x[1])
            )
            lines += [
                "",
                f"Our index files at {SCALE_NAMES.get(scale, scale)} chunks (MiB): {listed}.",
            ]
    return [*lines, ""]
