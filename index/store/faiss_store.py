"""The FAISS folder store (index/store/faiss.py) behind the store interface of base.py."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.errors import IndexCorruptError, IndexMissingError
from index.lexical import LexicalIndex
from index.models import Article, Chunk
from index.store.base import (
    BuildUpdate,
    PreviousBuild,
    Ranked,
    Retrieved,
    Span,
    StoredRows,
    StoreState,
    Vector,
    chunk_of_sentences,
)
from index.store.faiss import (
    LoadedIndex,
    Manifest,
    build_lock,
    check_files,
    current_build_id,
    load_index,
    read_manifest,
    read_word_counts,
    write_build,
)
from index.store.faiss_update import chunk_spans, updated_indexes, updated_lexical
from index.store.spans import ChunkTable, SpanTable, chunk_rows_of_sentences
from index.words import WordVectors

log = logging.getLogger("newsbot.index")


def state_of(manifest: Manifest) -> StoreState:
    return StoreState(
        build_id=manifest.build_id,
        embedder=manifest.embedder,
        dimension=manifest.dimension,
        chunk_size=manifest.chunk_size,
        chunk_overlap=manifest.chunk_overlap,
        article_count=manifest.article_count,
        chunk_count=manifest.chunk_count,
        articles=manifest.articles,
        files=manifest.files,
        skipped=manifest.skipped,
    )


def update_of(index: LoadedIndex) -> BuildUpdate:
    """A loaded build as a store update: the same rows and vectors, nothing embedded
    (to copy a folder into another store)."""
    m = index.manifest
    return BuildUpdate(
        articles=list(index.articles.values()),
        chunks=list(index.chunks),
        vectors=index.vectors(),
        sentences=list(index.sentences),
        sentence_vectors=index.sentence_vectors,
        words=index.words,
        embedder=m.embedder,
        dimension=m.dimension,
        chunk_size=m.chunk_size,
        chunk_overlap=m.chunk_overlap,
        files=m.files,
        skipped=m.skipped,
    )


class FaissStore:
    """Immutable build folders under `index_dir`, the live one named by CURRENT."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        # The build `previous()` loaded, whose HNSW graphs `write()` updates in place, and
        # its chunk and sentence spans as lists (made once: 580k tuples at 100k chunks).
        self._loaded: LoadedIndex | None = None
        self._spans: tuple[list[Span], list[Span]] = ([], [])
        # Under the build lock, the build whose checksums `state()` just verified: no build
        # can change it before `previous()` loads it, so its files are read once, not twice.
        self._locked = False
        self._checked: str | None = None

    @property
    def location(self) -> str:
        return str(self.index_dir)

    def current_build_id(self) -> str | None:
        return current_build_id(self.index_dir)

    def state(self) -> StoreState | None:
        try:
            manifest = read_manifest(self.index_dir)
            # A truncated or deleted build file must not pass for "up to date".
            check_files(self.index_dir, manifest)
        except (IndexMissingError, IndexCorruptError):
            return None
        if self._locked:
            self._checked = manifest.build_id
        return state_of(manifest)

    def previous(self, embedder: str, dimension: int) -> PreviousBuild | None:
        try:
            checked = self._checked if self._locked else None
            loaded = load_index(
                self.index_dir, embedder=embedder, dimension=dimension, checked=checked
            )
        except IndexMissingError:
            return None
        except IndexCorruptError as exc:
            log.warning("ignoring the existing index (%s); building from scratch", exc)
            return None
        self._loaded = loaded
        chunks = chunk_spans(loaded.chunks)
        sentences = list(loaded.sentences)
        self._spans = (chunks, sentences)
        # No vector is read back: `write` keeps the slots of the spans it had.
        stored = StoredRows(frozenset(chunks), frozenset(sentences))
        return PreviousBuild(
            state_of(loaded.manifest),
            loaded.articles,
            stored,
            loaded.words,
            chunks=chunks,
            sentences=sentences,
            word_counts=read_word_counts(self.index_dir, loaded.manifest),
        )

    @contextmanager
    def lock(self) -> Iterator[None]:
        with build_lock(self.index_dir):
            self._locked, self._checked = True, None
            try:
                yield
            finally:
                self._locked, self._checked = False, None

    def write(self, update: BuildUpdate) -> str:
        base = None if update.rebuild else self._loaded
        spans = self._spans if base is not None else None
        dense, sentence_index = updated_indexes(base, update, spans)
        manifest = write_build(
            self.index_dir,
            articles=update.articles,
            chunks=update.chunks,
            dense=dense,
            lexical=updated_lexical(base, update.chunks, spans[0] if spans else None),
            sentences=update.sentences,
            sentence_vectors=update.sentence_vectors,
            embedder=update.embedder,
            dimension=update.dimension,
            chunk_size=update.chunk_size,
            chunk_overlap=update.chunk_overlap,
            files=update.files,
            skipped=update.skipped,
            words=update.words,
            sentence_index=sentence_index,
            word_counts=update.word_counts,
        )
        self._loaded, self._spans = None, ([], [])
        return manifest.build_id

    def open_reader(self, embedder: str, dimension: int) -> FaissReader:
        return FaissReader(load_index(self.index_dir, embedder=embedder, dimension=dimension))


class FaissReader:
    """A build loaded in memory: chunk ids are rows of its FAISS index."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        chunks, sentences = index.chunks, index.sentences
        if isinstance(chunks, ChunkTable) and isinstance(sentences, SpanTable):
            # numpy rows and a sorted lookup: a dict of 480k spans cost ~70 MB at 100k chunks
            owners = chunk_rows_of_sentences(chunks.spans, sentences)
            self._sentences: SpanTable = sentences
        else:
            ids = list(index.articles)
            owners = np.asarray(chunk_of_sentences(list(chunks), list(sentences)), np.int64)
            self._sentences = SpanTable.of(sentences, ids)
        self._sentence_chunk = owners  # row of the chunk holding each sentence

    @property
    def build_id(self) -> str:
        return self.index.build_id

    @property
    def articles(self) -> Mapping[str, Article]:
        return self.index.articles

    @property
    def words(self) -> WordVectors:
        return self.index.words

    @property
    def lexicon(self) -> LexicalIndex:
        return self.index.lexical

    @property
    def dimension(self) -> int:
        return self.index.manifest.dimension

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        yield  # a loaded build never changes

    def retrieve(self, vector: Vector | None, query: str | None, n: int) -> Retrieved:
        dense: Ranked = []
        sentences: Ranked = []
        if vector is not None:
            dense = _top(self.index.dense, vector, n)
            ranked: dict[int, float] = {}
            for row, score in _top(self.index.sentence_index, vector, n * 3):
                ranked.setdefault(int(self._sentence_chunk[row]), score)
            sentences = list(ranked.items())
        lexical: Ranked = []
        if query is not None:
            lexical = [(m.row, m.score) for m in self.index.lexical.search(query, n)]
        return Retrieved(dense, sentences, lexical)

    def chunks(self, ids: Iterable[int]) -> dict[int, Chunk]:
        return {i: self.index.chunks[i] for i in ids}

    def sentence_vectors(self, spans: Sequence[Span]) -> dict[Span, Vector]:
        found: dict[Span, Vector] = {}
        for span in spans:
            row = self._sentences.row_of(span)
            if row is not None:
                found[span] = self.index.sentence_index.reconstruct(row)
        return found

    def all_chunks(self) -> list[Chunk]:
        return list(self.index.chunks)


def _top(index: object, vector: Vector, n: int) -> Ranked:
    total = int(index.ntotal)  # type: ignore[attr-defined]
    if total == 0 or n <= 0:
        return []
    query = np.asarray(vector, dtype=np.float32)[None, :]
    scores, rows = index.search(query, min(n, total))  # type: ignore[attr-defined]
    return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]
