"""Scenarios for the stock LangChain stack, on the same chunk texts as ours."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.corpus import synthetic_chunk_texts
from benchmarks.harness import time_queries
from benchmarks.stock import (
    StockStack,
    build_dense,
    build_lexical,
    embed_texts,
    load_stock_embeddings,
    search_texts,
)
from benchmarks.vectors import perturbed_vectors
from benchmarks.workspace import (
    WORK_DIR,
    dir_size_mib,
    fresh_dir,
    load_base_texts,
    load_base_vectors,
    rss_mib,
    save_base_vectors,
)


def small_build(out_dir: str, sample: int) -> dict[str, Any]:
    """Index the ~2k chunks as `FAISS.from_documents` and `BM25Retriever.from_documents`
    would. Like ours, the model's throughput is measured on a fixed sample and the index
    holds perturbed copies of those real vectors; re-indexing is a full rebuild (there
    is no incremental path), so its time is the build time."""
    out = fresh_dir(Path(out_dir))
    texts = load_base_texts(WORK_DIR)
    start = time.perf_counter()
    embeddings = load_stock_embeddings(WORK_DIR)
    load_s = time.perf_counter() - start
    sample_texts = texts[:: max(1, len(texts) // sample)][:sample]
    embed_texts(embeddings, sample_texts[:2])  # warm-up
    start = time.perf_counter()
    real = embed_texts(embeddings, sample_texts)
    chunks_per_s = len(sample_texts) / (time.perf_counter() - start)
    vectors = perturbed_vectors(real, len(texts), seed=3)
    start = time.perf_counter()
    dense = build_dense(texts, vectors, embeddings)
    dense_s = time.perf_counter() - start
    start = time.perf_counter()
    lexical = build_lexical(texts)
    lexical_s = time.perf_counter() - start
    StockStack(dense, lexical).save(out)
    save_base_vectors(WORK_DIR, real, "minilm")
    embed_s = len(texts) / chunks_per_s
    return {
        "chunks": len(texts),
        "model_load_s": load_s,
        "embed_chunks_per_s": chunks_per_s,
        "embed_s": embed_s,
        "dense_s": dense_s,
        "lexical_s": lexical_s,
        "lexical_chunks_per_s": len(texts) / lexical_s,
        "build_s": embed_s + dense_s + lexical_s,
        "index_mib": dir_size_mib(out),
    }


def synthetic_build(out_dir: str, count: int, lexical: bool) -> dict[str, Any]:
    """The stock stack over `count` synthetic chunks with perturbed MiniLM vectors."""
    out = fresh_dir(Path(out_dir))
    texts = list(synthetic_chunk_texts(load_base_texts(WORK_DIR), count))
    vectors = perturbed_vectors(load_base_vectors(WORK_DIR, "minilm"), count, seed=1)
    embeddings = load_stock_embeddings(WORK_DIR)
    start = time.perf_counter()
    dense = build_dense(texts, vectors, embeddings)
    dense_s = time.perf_counter() - start
    del vectors
    result: dict[str, Any] = {"chunks": count, "dense_s": dense_s}
    if lexical:
        start = time.perf_counter()
        bm25 = build_lexical(texts)
        result["lexical_s"] = time.perf_counter() - start
        result["lexical_chunks_per_s"] = count / result["lexical_s"]
        StockStack(dense, bm25).save(out)
    else:
        dense.save_local(str(out / "faiss"))
    result["index_mib"] = dir_size_mib(out)
    return result


def serve(folder: str, queries: list[str], lexical: bool, k: int = 5) -> dict[str, Any]:
    """Load what `synthetic_build`/`small_build` saved, then time each retriever."""
    from langchain_community.vectorstores import FAISS

    start = time.perf_counter()
    embeddings = load_stock_embeddings(WORK_DIR)
    if lexical:
        stack = StockStack.load(Path(folder), embeddings, k=k)
        dense = stack.dense
    else:
        dense = FAISS.load_local(
            str(Path(folder) / "faiss"), embeddings, allow_dangerous_deserialization=True
        )
    load_s = time.perf_counter() - start
    result: dict[str, Any] = {"load_s": load_s, "rss_after_load_mib": rss_mib()}
    # Same order as ours: fused search first, then each retriever alone.
    if lexical:
        ensemble = stack.ensemble()
        result["hybrid"] = time_queries(lambda q: search_texts(ensemble, q, k), queries)
    faiss_retriever = dense.as_retriever(search_kwargs={"k": k})
    result["dense"] = time_queries(lambda q: search_texts(faiss_retriever, q, k), queries)
    if lexical:
        result["lexical"] = time_queries(lambda q: search_texts(stack.lexical, q, k), queries)
    result["rss_end_mib"] = rss_mib()
    return result
