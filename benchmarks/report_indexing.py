"""The benchmark report's indexing and quality sections (benchmarks/report.py renders
the whole file)."""

from __future__ import annotations

from typing import Any

from benchmarks.report_values import Runs, num, ratio, value_at


def indexing_section(runs: Runs) -> list[str]:
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


def quality_section(runs: Runs) -> list[str]:
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
